/**
 * `gemma4 merge MODEL --lora DIR --out OUT`: writes MODEL with a PEFT LoRA adapter merged into its
 * weights (W + (α/r)·B·A, rounded to each weight's stored dtype as PEFT's merge_and_unload does) as a new
 * Hugging Face model folder; config, tokenizer and generation files are copied.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { BadRequestError } from "../../errors.js";
import { copyFileAtomic, makeOutputFolder, writeFileAtomic } from "../../formats/atomic-write.js";
import { SafetensorsCheckpoint } from "../../formats/safetensors-checkpoint.js";
import { writeSafetensors } from "../../formats/safetensors.js";
import { LoraMergedSource } from "../../train/lora/lora-merged-source.js";
import { readPeftAdapter } from "../../train/lora/peft-adapter.js";
import { COMPANION_FILES } from "../../train/save-model-folder.js";
import { type CliCommand, modelOrDefault, parseCommandLine, UsageError } from "../command.js";
import { defaultModelDir } from "../default-model.js";
import { resolveModelFolder } from "../model-options.js";

export const mergeCommand: CliCommand = {
  name: "merge",
  summary: "merge a LoRA adapter into a model's weights and save the result",
  usage: "usage: gemma4 merge MODEL --lora DIR --out OUT",
  async run(argv) {
    const { values, positionals } = parseCommandLine(argv, { model: { type: "string" }, lora: { type: "string" }, out: { type: "string" } });
    if (!values.lora) throw new UsageError("--lora DIR is required", "lora");
    if (!values.out) throw new UsageError("--out OUT is required", "out");
    const { dir } = await resolveModelFolder(modelOrDefault(positionals, values.model, defaultModelDir), "merge");
    if (resolve(values.out) === resolve(dir)) throw new BadRequestError("--out must differ from MODEL (the base stays untouched)", "out");
    const source = new LoraMergedSource(SafetensorsCheckpoint.open(dir), readPeftAdapter(values.lora), "stored");
    try {
      makeOutputFolder(values.out);
      const tensors = source.tensorNames.map((name) => {
        const info = source.info(name);
        return { name, dtype: info.dtype, shape: info.shape, data: () => source.read(name).data };
      });
      writeSafetensors(join(values.out, "model.safetensors"), tensors, { format: "pt" });
      writeFileAtomic(join(values.out, "config.json"), readFileSync(join(dir, "config.json"), "utf8"));
      for (const name of COMPANION_FILES) if (existsSync(join(dir, name))) copyFileAtomic(join(dir, name), join(values.out, name));
      console.log(`merged ${source.mergedNames.length} weights → ${values.out}`);
    } finally {
      source.close();
    }
  },
};
