/** The registry of subcommands, in the order `gemma4 --help` lists them. */
import type { CliCommand } from "../command.js";
import { convertCommand } from "./convert.js";
import { quantizeCommand } from "./quantize.js";

export const COMMANDS: readonly CliCommand[] = [convertCommand, quantizeCommand];
