/** The registry of subcommands, in the order `gemma4 --help` lists them. */
import type { CliCommand } from "../command.js";
import { listCommand } from "./list.js";
import { pullCommand } from "./pull.js";
import { rmCommand } from "./rm.js";

export const COMMANDS: readonly CliCommand[] = [pullCommand, listCommand, rmCommand];
