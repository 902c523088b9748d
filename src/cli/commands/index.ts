/** The registry of subcommands, in the order `gemma4 --help` lists them. */
import type { CliCommand } from "../command.js";
import { chatCommand } from "./chat.js";
import { convertCommand } from "./convert.js";
import { demoCommand } from "./demo.js";
import { runCommand } from "./run.js";
import { generateCommand } from "./generate.js";
import { infoCommand } from "./info.js";
import { listCommand } from "./list.js";
import { logitsCommand } from "./logits.js";
import { promptCommand } from "./prompt.js";
import { pullCommand } from "./pull.js";
import { quantizeCommand } from "./quantize.js";
import { rmCommand } from "./rm.js";
import { serveCommand } from "./serve.js";
import { tokenizeCommand } from "./tokenize.js";
import { finetuneCommand } from "./finetune.js";
import { mergeCommand } from "./merge.js";
import { perplexityCommand } from "./perplexity.js";
import { trainCommand } from "./train.js";

export const COMMANDS: readonly CliCommand[] = [
  runCommand,
  chatCommand,
  infoCommand,
  generateCommand,
  logitsCommand,
  tokenizeCommand,
  promptCommand,
  demoCommand,
  serveCommand,
  pullCommand,
  listCommand,
  rmCommand,
  convertCommand,
  quantizeCommand,
  trainCommand,
  finetuneCommand,
  perplexityCommand,
  mergeCommand,
];
