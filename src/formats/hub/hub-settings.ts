/**
 * Where the Hub is, where its cache lives, which token to send and whether the network may be used.
 *
 * These are Hugging Face's own environment variables, read the way Python's huggingface_hub reads them
 * (huggingface_hub/constants.py), so that a model pulled here is found by transformers and vice versa:
 *
 *   HF_ENDPOINT        the Hub's address                         default https://huggingface.co
 *   HF_HOME            HF's home folder                          default $XDG_CACHE_HOME/huggingface or ~/.cache/huggingface
 *   HF_HUB_CACHE       the model cache (HUGGINGFACE_HUB_CACHE)   default $HF_HOME/hub
 *   HF_TOKEN           an access token (HUGGING_FACE_HUB_TOKEN)  else the file $HF_TOKEN_PATH or $HF_HOME/token
 *   HF_HUB_OFFLINE     1/ON/YES/TRUE: never touch the network (TRANSFORMERS_OFFLINE is read too)
 *
 * Explicit options (a --token flag, a test's temporary cache) win over the environment.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { BadRequestError } from "../../errors.js";

export const DEFAULT_HUB_ENDPOINT = "https://huggingface.co";

export interface HubSettings {
  /** Base URL without a trailing slash. */
  readonly endpoint: string;
  /** Absolute path of the hub cache (the folder holding models--org--name folders). */
  readonly cacheDir: string;
  readonly token: string | undefined;
  readonly offline: boolean;
}

/** What a caller may set explicitly; anything left out comes from `env`. */
export interface HubSettingsOptions {
  readonly endpoint?: string;
  readonly cacheDir?: string;
  readonly token?: string;
  readonly offline?: boolean;
  /** The environment to read (default process.env); tests pass their own. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

type Env = Readonly<Record<string, string | undefined>>;

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== "" ? value : undefined;
}

/** `~` and `~/x` as Python's os.path.expanduser does. */
function expandHome(path: string): string {
  if (path === "~") return homedir();
  if (path.startsWith("~/")) return join(homedir(), path.slice(2));
  return path;
}

/** Python's constants._is_true. */
function isTrue(value: string | undefined): boolean {
  return value !== undefined && ["1", "ON", "YES", "TRUE"].includes(value.trim().toUpperCase());
}

export function hfHome(env: Env): string {
  const home = nonEmpty(env["HF_HOME"]) ?? join(nonEmpty(env["XDG_CACHE_HOME"]) ?? join(homedir(), ".cache"), "huggingface");
  return resolve(expandHome(home));
}

export function hubCacheDir(env: Env): string {
  const dir = nonEmpty(env["HF_HUB_CACHE"]) ?? nonEmpty(env["HUGGINGFACE_HUB_CACHE"]) ?? join(hfHome(env), "hub");
  return resolve(expandHome(dir));
}

/** The token from the environment, else from the token file `huggingface-cli login` / `hf auth login` writes. */
export function hubToken(env: Env): string | undefined {
  const fromEnv = nonEmpty(env["HF_TOKEN"]) ?? nonEmpty(env["HUGGING_FACE_HUB_TOKEN"]);
  if (fromEnv !== undefined) return fromEnv.trim();
  const tokenPath = nonEmpty(env["HF_TOKEN_PATH"]) ?? join(hfHome(env), "token");
  try {
    return nonEmpty(readFileSync(expandHome(tokenPath), "utf8"))?.trim();
  } catch {
    return undefined; // no token file: anonymous access, as in Python
  }
}

export function readHubSettings(options: HubSettingsOptions = {}): HubSettings {
  const env = options.env ?? process.env;
  const endpoint = (options.endpoint ?? nonEmpty(env["HF_ENDPOINT"]) ?? DEFAULT_HUB_ENDPOINT).trim().replace(/\/+$/, "");
  if (!/^https?:\/\/[^/]+/.test(endpoint) || !URL.canParse(endpoint)) {
    throw new BadRequestError(`HF_ENDPOINT must be an http(s) URL such as ${DEFAULT_HUB_ENDPOINT}, not ${JSON.stringify(endpoint)}`, "HF_ENDPOINT");
  }
  return {
    endpoint,
    cacheDir: options.cacheDir !== undefined ? resolve(expandHome(options.cacheDir)) : hubCacheDir(env),
    token: nonEmpty(options.token)?.trim() ?? hubToken(env),
    // Python reads `HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE`: a set HF_HUB_OFFLINE=0 wins over the other.
    offline: options.offline ?? isTrue(nonEmpty(env["HF_HUB_OFFLINE"]) ?? env["TRANSFORMERS_OFFLINE"]),
  };
}
