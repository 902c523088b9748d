/** `gemma4 info MODEL`: what a checkpoint is, from its config and tensor headers (no weights loaded). */
import { describeModel, kvBytesForTokens, type ModelDescription } from "../../api/describe-model.js";
import { resolveModelReference } from "../../formats/hub/resolve-model-reference.js";
import type { CliCommand } from "../command.js";
import { defaultModelDir } from "../default-model.js";
import { UsageError, modelOrDefault, numberFlag, parseCommandLine } from "../command.js";
import { createBackend } from "../../backends/create-backend.js";
import { describeBackend, kvBytesPerValue } from "../../backends/describe-backend.js";
import { formatBytes, formatCount, formatShortCount } from "../format.js";

export const infoCommand: CliCommand = {
  name: "info",
  summary: "describe a model: architecture, layers, parameters, dtype, size, KV-cache cost",
  usage: `usage: gemma4 info [MODEL] [--json] [--backend NAME [--threads N] [--kv-dtype f32|f16]]

  MODEL     a model folder (config.json + *.safetensors), or org/name[@rev] / hf:org/name from the
            Hugging Face cache (see gemma4 pull); --model also accepted
  --json    print the description as JSON
  --backend also describe this backend as it runs here (CPU kernels and threads, or the GPU adapter)
            and the KV-cache size at its precision`,
  async run(argv) {
    const { values, positionals } = parseCommandLine(argv, {
      model: { type: "string" }, json: { type: "boolean" }, backend: { type: "string" }, threads: { type: "string" }, "kv-dtype": { type: "string" },
    });
    if (positionals.length > (values.model === undefined ? 1 : 0)) throw new UsageError(`unexpected argument ${JSON.stringify(positionals.at(-1))}`);
    const description = describeModel(await resolveModelReference(modelOrDefault(positionals, values.model, defaultModelDir)));
    let backendLine: string | null = null;
    let kvBytes: number | null = null;
    if (values.backend === undefined && (values.threads !== undefined || values["kv-dtype"] !== undefined)) {
      throw new UsageError("--threads and --kv-dtype describe a backend: give --backend NAME with them");
    }
    if (values.backend !== undefined) {
      const threads = numberFlag("threads", values.threads, { min: 1, integer: true });
      const kvDtype = values["kv-dtype"];
      if (kvDtype !== undefined && kvDtype !== "f32" && kvDtype !== "f16") throw new UsageError(`--kv-dtype must be f32 or f16, not ${JSON.stringify(kvDtype)}`, "kv-dtype");
      const backend = await createBackend(values.backend, { ...(threads ? { threads } : {}), ...(kvDtype ? { kvDtype } : {}) });
      backendLine = await describeBackend(backend);
      kvBytes = kvBytesForTokens(description.config, 1000, kvBytesPerValue(backend));
    }
    if (values.json) {
      console.log(JSON.stringify({ ...description, ...(backendLine ? { backend: backendLine, kvBytesPer1000TokensOnBackend: kvBytes } : {}) }, null, 2));
    } else {
      console.log(formatDescription(description));
      if (backendLine) console.log(`backend       ${backendLine}\nKV on backend ${formatBytes(kvBytes!)} per 1,000 tokens`);
    }
  },
};

export function formatDescription(d: ModelDescription): string {
  const c = d.config;
  const sliding = c.layers.filter((l) => l.kind === "sliding");
  const full = c.layers.filter((l) => l.kind === "full");
  const shared = c.layers.filter((l) => l.kvSharedFrom !== null);
  const geometry = (layers: typeof c.layers): string => {
    const l = layers[0];
    return l ? `head dim ${l.headDim}, ${l.numKvHeads} kv head${l.numKvHeads === 1 ? "" : "s"}${l.kEqV ? ", k = v" : ""}` : "";
  };
  const features = [
    c.perLayerEmbedding && `per-layer embeddings (width ${c.perLayerEmbedding.dim})`,
    shared.length > 0 && `KV sharing (${shared.length} layers read layers ${[...new Set(shared.map((l) => l.kvSharedFrom))].join(", ")})`,
    c.moe && `mixture of experts (${c.moe.numExperts} experts, top ${c.moe.topK}, width ${c.moe.intermediateDim}) beside the dense MLP`,
    c.attnLogitSoftcap !== null && `attention softcap ${c.attnLogitSoftcap}`,
    c.finalLogitSoftcap !== null && `final softcap ${c.finalLogitSoftcap}`,
    c.qkNorm && "q/k norms",
    c.vNorm && "v norm",
    c.layerScalar && "layer scalars",
  ].filter(Boolean);
  const dtypes = Object.entries(d.parametersByDtype).map(([t, n]) => `${t} ${formatShortCount(n)}`).join(", ");
  const lines = [
    ["model", `${d.source}`],
    ["architecture", `${c.architecture || "(none given)"} (model_type ${c.modelType}, ${c.family})`],
    ["layers", `${c.numLayers}: ${sliding.length} sliding (window ${sliding[0]?.slidingWindow ?? "-"}${sliding.length ? `, ${geometry(sliding)}` : ""}), ${full.length} full${full.length ? ` (${geometry(full)})` : ""}`],
    ["hidden", `${c.hiddenDim}, ${c.numHeads} query heads, MLP ${[...new Set(c.layers.map((l) => l.intermediateDim))].join("/")}`],
    ["vocabulary", formatCount(c.vocabSize)],
    ["context", formatCount(c.maxPositions)],
    ["features", features.join("; ") || "none"],
    ["parameters", `${formatCount(d.storedParameters)} stored in ${d.tensorCount} tensors (${formatShortCount(d.storedParameters)}); text decoder ${formatCount(d.textParameters)}`],
    ["dtype", dtypes],
    ["on disk", `${formatBytes(d.fileBytes)} (${formatCount(d.fileBytes)} bytes)`],
    ["KV cache", `${formatBytes(d.kvBytesPer1000Tokens)} per 1,000 tokens at f32, ${formatBytes(d.kvBytesPer1000Tokens / 2)} at f16 (--kv-dtype f16; sliding layers keep at most their window)`],
  ];
  if (d.skippedMultimodalTensors > 0) lines.push(["skipped", `${d.skippedMultimodalTensors} vision/audio tensors (text decoder only)`]);
  if (d.unusedTensors.length > 0) lines.push(["unused", `${d.unusedTensors.length} tensors not read by the decoder (e.g. ${d.unusedTensors[0]})`]);
  const width = Math.max(...lines.map(([k]) => k!.length));
  return lines.map(([k, v]) => `${k!.padEnd(width)}  ${v}`).join("\n");
}
