/**
 * What every `gemma4` subcommand is: a name, a one-line summary, a usage text and a run function. A
 * command throws a GemmaError (or UsageError) for anything the user got wrong; main prints its one line
 * and exits 2.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { BadRequestError } from "../errors.js";

export interface CliCommand {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  /** Resolves to the exit code when it is not 0 (user errors throw instead: exit 2). */
  run(argv: readonly string[]): Promise<number | void>;
}

/** A bad command line. */
export class UsageError extends BadRequestError {}

type Options = NonNullable<ParseArgsConfig["options"]>;
type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: boolean; strict: true }>>;

/**
 * node:util parseArgs with our errors: unknown flags and missing values become one-line UsageErrors.
 * The model may be given as the first positional argument or as --model (every command that needs one).
 */
export function parseCommandLine<O extends Options>(argv: readonly string[], options: O, allowPositionals = true): Parsed<O> {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals, strict: true });
  } catch (e) {
    const message = (e as Error).message;
    // Node's first line ("argument is ambiguous") hides the cause: a value that starts with "-" (a negative
    // number), or a flag given without its value before the next flag.
    const ambiguous = /^Option '(-[^']+)' argument is ambiguous/.exec(message);
    if (ambiguous) {
      const flag = ambiguous[1]!.split(/[ ,]/).find((f) => f.startsWith("--")) ?? ambiguous[1]!;
      // The occurrence Node stopped at: the flag followed by something that starts with "-".
      const at = argv.findIndex((arg, i) => arg === flag && (argv[i + 1] ?? "").startsWith("-"));
      const next = argv[at + 1] ?? "";
      throw new UsageError(`${flag} is missing its value, or its value ${JSON.stringify(next)} starts with "-": write ${flag}=${next} if that is the value`, flag.replace(/^-+/, ""));
    }
    throw new UsageError(message.split("\n")[0] ?? String(e));
  }
}

/** Parses a flag value as a number within [min, max]; integers only when `integer`. */
export function numberFlag(name: string, value: string | undefined, opts: { min?: number; max?: number; integer?: boolean } = {}): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  const { min = -Infinity, max = Infinity, integer = false } = opts;
  // Decimal only (Number() would also take "0x10", "0b1" and "Infinity").
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(value.trim()) || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    const range = Number.isFinite(min) && Number.isFinite(max) ? ` from ${min} to ${max}` : Number.isFinite(min) ? ` ≥ ${min}` : Number.isFinite(max) ? ` ≤ ${max}` : "";
    throw new UsageError(`--${name} must be ${integer ? "an integer" : "a number"}${range}, not ${JSON.stringify(value)}`, name);
  }
  return n;
}

/** Parses "2,17,9" into token ids. */
export function idListFlag(name: string, value: string): Int32Array {
  const parts = value.split(",").map((s) => s.trim());
  if (parts.length > 1 && parts.at(-1) === "") parts.pop(); // a trailing comma
  if (parts.length === 1 && parts[0] === "") throw new UsageError(`--${name} needs at least one token id`, name);
  const ids = parts.map((p) => {
    const n = Number(p);
    if (!/^\d+$/.test(p) || !Number.isSafeInteger(n) || n > 0x7fffffff) throw new UsageError(`--${name}: ${JSON.stringify(p)} is not a token id`, name);
    return n;
  });
  return Int32Array.from(ids);
}

/** The model argument: first positional or --model (both given and different → error). */
export function modelArgument(positionals: readonly string[], flag: string | undefined, required = true): string | undefined {
  const positional = positionals[0];
  if (positional !== undefined && flag !== undefined && positional !== flag) throw new UsageError(`model given twice: ${positional} and --model ${flag}`, "model");
  const model = flag ?? positional;
  if (model === undefined && required) throw new UsageError("missing MODEL (a model folder, org/name[@revision] or hf:org/name; also accepted as --model)", "model");
  return model;
}

/** The model argument, or the bundled default model when none is given. */
export function modelOrDefault(positionals: readonly string[], flag: string | undefined, defaultModel: () => string): string {
  return modelArgument(positionals, flag, false) ?? defaultModel();
}
