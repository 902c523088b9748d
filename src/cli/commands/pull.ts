/** `gemma4 pull org/name[@revision]`: download a model from the Hugging Face Hub into the shared cache. */
import { CancelledError } from "../../errors.js";
import { DEFAULT_INCLUDE_PATTERNS } from "../../formats/hub/file-patterns.js";
import { pullModel, type PullProgress } from "../../formats/hub/pull-model.js";
import type { CliCommand } from "../command.js";
import { modelArgument, parseCommandLine } from "../command.js";
import { DownloadProgressBar } from "../download-progress-bar.js";
import { formatBytes } from "../format.js";
import { formatDuration } from "../format-duration.js";

const USAGE = `usage: gemma4 pull MODEL [--include PATTERN]... [--exclude PATTERN]... [--token TOKEN] [--quiet]

Downloads a model from the Hugging Face Hub into the Hugging Face cache (shared with Python's
transformers / huggingface_hub) and prints the local snapshot folder. An interrupted pull resumes where
it stopped; LFS files are checked against the Hub's sha256; a model already cached costs one request.

  MODEL               org/name, org/name@revision (branch, tag or commit) or hf:org/name
  --include PATTERN   files to fetch (repeatable; fnmatch, * also matches /); replaces the default:
                      ${DEFAULT_INCLUDE_PATTERNS.slice(0, 4).join(" ")}
                      ${DEFAULT_INCLUDE_PATTERNS.slice(4).join(" ")}
                      e.g. --include "*Q4_K_M.gguf" for one GGUF file of a GGUF repo
  --exclude PATTERN   files to skip (repeatable)
  --token TOKEN       Hugging Face access token (default: $HF_TOKEN, else the file $HF_HOME/token)
  --quiet             no progress bar or summary, only the folder on stdout

Environment: HF_TOKEN, HF_HOME, HF_HUB_CACHE (cache folder, default ~/.cache/huggingface/hub),
HF_ENDPOINT (default https://huggingface.co), HF_HUB_OFFLINE=1 (cache only, no network).`;

export const pullCommand: CliCommand = {
  name: "pull",
  summary: "download a model from the Hugging Face Hub into the local cache",
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseCommandLine(argv, {
      model: { type: "string" },
      include: { type: "string", multiple: true },
      exclude: { type: "string", multiple: true },
      token: { type: "string" },
      quiet: { type: "boolean", default: false },
    });
    const model = modelArgument(positionals, values.model) ?? "";
    const quiet = values.quiet === true;
    const bar = !quiet && process.stderr.isTTY ? new DownloadProgressBar(process.stderr, model) : undefined;
    const controller = new AbortController();
    let interrupts = 0;
    const onSigint = (): void => {
      interrupts++;
      if (interrupts > 1) process.exit(130);
      controller.abort();
    };
    process.on("SIGINT", onSigint);
    const started = Date.now();
    let last: PullProgress | undefined;
    try {
      const result = await pullModel(model, {
        ...(values.include !== undefined ? { include: values.include } : {}),
        ...(values.exclude !== undefined ? { exclude: values.exclude } : {}),
        ...(values.token !== undefined ? { token: values.token } : {}),
        signal: controller.signal,
        onProgress: (p) => { last = p; bar?.update(p); },
        onNotice: (line) => { if (!quiet) { bar?.finish(); process.stderr.write(`${line}\n`); } },
      });
      bar?.finish();
      if (!quiet) {
        const seconds = (Date.now() - started) / 1000;
        const rev = `${result.repoId}@${result.revision}${result.revision !== result.commit ? ` (${result.commit.slice(0, 7)})` : ""}`;
        const summary = result.offline
          ? `${rev}: ${result.files.length} files from the cache (HF_HUB_OFFLINE is set)`
          : result.files.some((f) => f.downloaded)
            ? `${rev}: ${result.files.length} files, downloaded ${formatBytes(result.downloadedBytes)} in ${formatDuration(seconds)}` +
              `${seconds > 0.5 ? ` (${formatBytes(result.downloadedBytes / seconds)}/s)` : ""}${last !== undefined && last.resumedBytes > 0 ? `, resumed ${formatBytes(last.resumedBytes)}` : ""}`
            : `${rev}: all ${result.files.length} files already in the cache`;
        process.stderr.write(`${summary}\n`);
      }
      process.stdout.write(`${result.snapshotDir}\n`);
    } catch (e) {
      bar?.finish();
      if (e instanceof CancelledError) throw new CancelledError("interrupted; run the same command again to resume the download");
      throw e;
    } finally {
      process.off("SIGINT", onSigint);
    }
  },
};
