/** The registry of subcommands, in the order `gemma4 --help` lists them. */
import type { CliCommand } from "../command.js";

export const COMMANDS: readonly CliCommand[] = [];
