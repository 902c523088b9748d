/** `gemma4 quantize IN.gguf OUT.gguf --quant MIX`: re-type a GGUF file's tensors in a llama.cpp mix. */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { BadPathError } from "../../errors.js";
import { QUANT_MIXES } from "../../formats/gguf/gguf-quant-plan.js";
import { quantizeGguf } from "../../formats/gguf/quantize-gguf.js";
import { parseCommandLine, UsageError, type CliCommand } from "../command.js";
import { quantMixFlag } from "./convert.js";
import { checkWritable } from "../../formats/atomic-write.js";

export const quantizeCommand: CliCommand = {
  name: "quantize",
  summary: "quantize a GGUF file into another (Q8_0, Q4_K_M, …)",
  usage: [
    "usage: gemma4 quantize IN.gguf OUT.gguf --quant MIX",
    "",
    `  --quant MIX    ${QUANT_MIXES.join(" | ")}; mixes follow llama-quantize (norms and 1-D tensors stay F32)`,
  ].join("\n"),
  async run(argv) {
    const { values, positionals } = parseCommandLine(argv, { quant: { type: "string" } });
    if (positionals.length !== 2) throw new UsageError("expected IN.gguf and OUT.gguf");
    const [input, output] = positionals as [string, string];
    if (values.quant === undefined) throw new UsageError("missing --quant", "quant");
    const mix = quantMixFlag(values.quant, "Q8_0");
    if (!existsSync(input)) throw new BadPathError(input, "no such GGUF file");
    if (!statSync(input).isFile()) throw new BadPathError(input, "is a folder, not a GGUF file (gemma4 convert makes a GGUF from a model folder)");
    if (resolve(input) === resolve(output)) throw new UsageError("OUT.gguf must differ from IN.gguf");
    checkWritable(output);
    const started = Date.now();
    const progress = process.stderr.isTTY ? (done: number, total: number, name: string): void => { process.stderr.write(`\r[${done}/${total}] ${name}`.padEnd(72)); } : undefined;
    const tensors = quantizeGguf(input, output, mix, progress);
    if (process.stderr.isTTY) process.stderr.write("\n");
    const changed = tensors.filter((t) => t.from !== t.to).length;
    console.log(`wrote ${output} (${mix}, ${statSync(output).size} bytes; ${changed} of ${tensors.length} tensors re-encoded) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  },
};
