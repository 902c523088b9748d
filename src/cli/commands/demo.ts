/**
 * `gemma4 demo`: the quick start's main job until the bundled default model exists. Writes a small
 * random-weight Gemma 4 checkpoint (once) and generates from it, showing load → prefill → decode working
 * end to end. Its output is token ids from random weights: meaningless text by design.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describeModel } from "../../api/describe-model.js";
import { loadModel } from "../../api/load-model.js";
import { tinyGemma4Config, writeRandomCheckpoint } from "../../model/random-checkpoint.js";
import { PACKAGE_ROOT } from "../../package-root.js";
import type { CliCommand } from "../command.js";
import { parseCommandLine } from "../command.js";
import { formatDescription } from "./info.js";

export const demoCommand: CliCommand = {
  name: "demo",
  summary: "write a small random-weight Gemma 4 model (models/random-demo) and generate from it",
  usage: "usage: gemma4 demo [--dir DIR]",
  async run(argv) {
    const { values } = parseCommandLine(argv, { dir: { type: "string" } }, false);
    const dir = values.dir ?? join(PACKAGE_ROOT, "models", "random-demo");
    if (!existsSync(join(dir, "model.safetensors"))) {
      writeRandomCheckpoint(dir, tinyGemma4Config(), { seed: 42, dtype: "bf16" });
      console.log(`wrote a random-weight Gemma 4 checkpoint to ${dir}\n`);
    }
    console.log(formatDescription(describeModel(dir)));
    const model = await loadModel(dir);
    try {
      const prompt = [2, 17, 42, 99];
      const start = performance.now();
      const ids = await model.generate(prompt, { greedy: true, maxNewTokens: 24 });
      const seconds = (performance.now() - start) / 1000;
      console.log(`\nprompt ids     ${prompt.join(",")}`);
      console.log(`generated ids  ${Array.from(ids).join(",")}`);
      console.log(`${ids.length} tokens in ${seconds.toFixed(2)} s (greedy, reference backend; random weights, so the ids mean nothing)`);
    } finally {
      model.dispose();
    }
  },
};
