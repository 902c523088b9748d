/** `gemma4 logits MODEL --prompt-ids … --out FILE.safetensors`: the full-pass logits, for comparisons. */
import { writeSafetensors } from "../../formats/safetensors.js";
import type { CliCommand } from "../command.js";
import { defaultModelDir } from "../default-model.js";
import { UsageError, idListFlag, modelOrDefault, parseCommandLine } from "../command.js";
import { MODEL_FLAGS, MODEL_FLAGS_HELP, loadCliModel } from "../model-options.js";
import { checkWritable } from "../../formats/atomic-write.js";

export const logitsCommand: CliCommand = {
  name: "logits",
  summary: "write the logits of a prompt to a .safetensors file (one F32 tensor \"logits\" [sequence, vocab])",
  usage: `usage: gemma4 logits MODEL --prompt-ids 2,17,… --out FILE.safetensors [model flags]

  Runs one causal pass over the prompt and writes F32 "logits" [sequence, vocab] (written to a temporary
  name and renamed, so FILE is never half-written).
${MODEL_FLAGS_HELP}`,
  async run(argv) {
    const { values, positionals } = parseCommandLine(argv, { ...MODEL_FLAGS, "prompt-ids": { type: "string" }, out: { type: "string" } });
    const reference = modelOrDefault(positionals, values.model, defaultModelDir);
    if (values["prompt-ids"] === undefined) throw new UsageError("--prompt-ids is required", "prompt-ids");
    if (values.out === undefined) throw new UsageError("--out FILE.safetensors is required", "out");
    checkWritable(values.out);
    const prompt = idListFlag("prompt-ids", values["prompt-ids"]);
    const model = await loadCliModel(reference, values);
    try {
      const logits = await model.logits(prompt);
      writeSafetensors(values.out, [{ name: "logits", dtype: "f32", shape: [prompt.length, model.config.vocabSize], data: logits }], { format: "pt" });
      console.error(`wrote logits [${prompt.length}, ${model.config.vocabSize}] to ${values.out}`);
    } finally {
      model.dispose();
    }
  },
};
