/** `gemma4 list`: the models in the Hugging Face cache, one line per cached revision. */
import { scanHubCache } from "../../formats/hub/hub-cache-scan.js";
import { readHubSettings } from "../../formats/hub/hub-settings.js";
import type { CliCommand } from "../command.js";
import { parseCommandLine, UsageError } from "../command.js";
import { formatBytes } from "../format.js";

const USAGE = `usage: gemma4 list [--json]

Lists the models in the Hugging Face cache ($HF_HUB_CACHE, else $HF_HOME/hub, else
~/.cache/huggingface/hub): one line per cached revision with the refs that point at it, its size and
its folder (what commands accept as MODEL, as is or as org/name@revision).

  --json   one JSON object per model (repo, folder, sizes, revisions with refs and files)`;

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  ")).join("\n");
}

export const listCommand: CliCommand = {
  name: "list",
  summary: "list the models in the local Hugging Face cache",
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseCommandLine(argv, { json: { type: "boolean", default: false } });
    if (positionals.length > 0) throw new UsageError(`gemma4 list takes no arguments (got ${positionals.join(" ")})`);
    const { cacheDir } = readHubSettings();
    const models = await scanHubCache(cacheDir);
    if (values.json === true) {
      for (const m of models) process.stdout.write(`${JSON.stringify(m)}\n`);
      return;
    }
    if (models.length === 0) {
      process.stdout.write(`no models in the cache at ${cacheDir} (\`gemma4 pull org/name\` downloads one)\n`);
      return;
    }
    const rows: string[][] = [["MODEL", "REVISION", "SIZE", "PATH"]];
    for (const m of models) {
      for (const r of m.revisions) rows.push([m.repoId, [...r.refs, r.commit.slice(0, 7)].join(" "), formatBytes(r.sizeBytes), r.snapshotDir]);
      if (m.revisions.length === 0) rows.push([m.repoId, "(no files yet)", formatBytes(m.sizeOnDiskBytes), m.repoDir]);
    }
    process.stdout.write(`${table(rows)}\n`);
    const total = models.reduce((s, m) => s + m.sizeOnDiskBytes, 0);
    const partial = models.reduce((s, m) => s + m.incompleteBytes, 0);
    process.stdout.write(`\n${models.length} model${models.length === 1 ? "" : "s"}, ${formatBytes(total)} on disk in ${cacheDir}` +
      `${partial > 0 ? ` (of which ${formatBytes(partial)} are interrupted downloads; \`gemma4 pull\` resumes them)` : ""}\n`);
  },
};
