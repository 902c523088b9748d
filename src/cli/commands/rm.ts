/** `gemma4 rm org/name[@revision]`: remove a cached model (or one revision) from the Hugging Face cache. */
import { removeCachedModel } from "../../formats/hub/hub-cache-remove.js";
import type { CliCommand } from "../command.js";
import { modelArgument, parseCommandLine } from "../command.js";
import { formatBytes } from "../format.js";

const USAGE = `usage: gemma4 rm MODEL [--dry-run]

Removes a model from the Hugging Face cache without asking, and prints what it removed.

  MODEL       org/name removes every cached revision; org/name@REV removes one (a branch or tag, a
              commit, or a commit prefix as \`gemma4 list\` shows), with the files no other cached
              revision shares
  --dry-run   print what would be removed, remove nothing`;

export const rmCommand: CliCommand = {
  name: "rm",
  summary: "remove a model (or one revision) from the local Hugging Face cache",
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseCommandLine(argv, { model: { type: "string" }, "dry-run": { type: "boolean", default: false } });
    const model = modelArgument(positionals, values.model) ?? "";
    const report = await removeCachedModel(model, { dryRun: values["dry-run"] === true });
    const verb = report.dryRun ? "would remove" : "removed";
    const revisions = report.revisions.map((r) => [...r.refs, r.commit.slice(0, 7)].join(" ")).join(", ");
    const what = report.wholeModel ? report.repoId : `${report.repoId} revision ${revisions}`;
    process.stdout.write(`${verb} ${what}${report.wholeModel && revisions !== "" ? ` (${revisions})` : ""}, ${report.dryRun ? "freeing" : "freed"} ${formatBytes(report.freedBytes)}:\n`);
    for (const path of report.removedPaths) process.stdout.write(`  ${path}\n`);
  },
};
