#!/usr/bin/env node
/**
 * The `gemma4` command line. Each subcommand lives in commands/<name>.ts; this file only dispatches and
 * turns user errors into one line on stderr and exit code 2 (bugs keep their stack and exit 1). A command may
 * end with another code of its own (run --json-schema: 3 when the token limit cut the JSON).
 */
import { isGemmaError } from "../errors.js";
import type { CliCommand } from "./command.js";
import { COMMANDS } from "./commands/index.js";

function help(commands: readonly CliCommand[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "usage: gemma4 <command> [MODEL] [options]",
    "",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Run `gemma4 <command> --help` for a command's options.",
  ].join("\n");
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(help(COMMANDS));
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-v") {
    const { VERSION } = await import("../version.js");
    console.log(VERSION);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    console.error(`gemma4: unknown command ${JSON.stringify(name)} (commands: ${COMMANDS.map((c) => c.name).join(", ")})`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(command.usage);
    return 0;
  }
  try {
    return (await command.run(rest)) ?? 0;
  } catch (e) {
    if (isGemmaError(e)) {
      console.error(`gemma4 ${command.name}: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

// Only when executed (not when imported by tests).
const invokedAs = process.argv[1] ?? "";
if (/[\\/](main\.js|gemma4)$/.test(invokedAs)) {
  // `gemma4 run … | head`: when the reader closes the pipe, stop quietly like other Unix tools instead
  // of dying on an unhandled EPIPE with a stack trace. Files are written to a temp name and renamed, so
  // stopping here leaves nothing half-written.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
    throw e;
  });
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (e: unknown) => { console.error(e); process.exitCode = 1; },
  );
}
