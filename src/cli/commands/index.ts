/** The registry of subcommands, in the order `gemma4 --help` lists them. */
import type { CliCommand } from "../command.js";
import { convertCommand } from "./convert.js";
import { demoCommand } from "./demo.js";
import { generateCommand } from "./generate.js";
import { infoCommand } from "./info.js";
import { listCommand } from "./list.js";
import { logitsCommand } from "./logits.js";
import { pullCommand } from "./pull.js";
import { quantizeCommand } from "./quantize.js";
import { rmCommand } from "./rm.js";

export const COMMANDS: readonly CliCommand[] = [
  infoCommand,
  generateCommand,
  logitsCommand,
  demoCommand,
  pullCommand,
  listCommand,
  rmCommand,
  convertCommand,
  quantizeCommand,
];
