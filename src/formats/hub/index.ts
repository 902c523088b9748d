/** The Hugging Face Hub client and cache: what other layers and the CLI use. */
export { pullModel, type PullOptions, type PullProgress, type PullResult, type PulledFile } from "./pull-model.js";
export { resolveModelReference, findCachedSnapshot, type ResolveModelOptions } from "./resolve-model-reference.js";
export { scanHubCache, scanCachedModel, type CachedModel, type CachedRevision, type CachedFile } from "./hub-cache-scan.js";
export { removeCachedModel, type RemovalReport, type RemoveOptions } from "./hub-cache-remove.js";
export { parseHubReference, formatHubReference, isHubReferenceSyntax, DEFAULT_REVISION, type HubModelReference } from "./hub-model-reference.js";
export { readHubSettings, DEFAULT_HUB_ENDPOINT, type HubSettings, type HubSettingsOptions } from "./hub-settings.js";
export { DEFAULT_INCLUDE_PATTERNS } from "./file-patterns.js";
export { HubRequestError } from "./hub-request-error.js";
