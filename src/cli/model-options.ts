/** Flags shared by commands that load a model: the model reference, backend, threads, context, weights. */
import { loadModel } from "../api/load-model.js";
import type { Model } from "../api/model.js";
import { QUANT_DTYPES } from "../backends/weight-dtype.js";
import type { QuantDtype } from "../backends/ops.js";
import { resolveModelReference } from "../formats/hub/resolve-model-reference.js";
import { readHfConfig } from "../formats/hf-config.js";
import type { ModelConfig } from "../model/model-config.js";
import { BadFileError, BadPathError } from "../errors.js";
import { openCheckpoint } from "../api/open-checkpoint.js";
import { Tokenizer } from "../tokenizer/tokenizer.js";
import { UsageError, numberFlag } from "./command.js";

export const MODEL_FLAGS = {
  model: { type: "string" },
  backend: { type: "string" },
  ctx: { type: "string" },
  threads: { type: "string" },
  "kv-dtype": { type: "string" },
  quant: { type: "string" },
  lora: { type: "string" },
} as const;

export const MODEL_FLAGS_HELP = `  --backend NAME        cpu (default where its kernels build), reference, webgpu
  --threads N           CPU threads (default: $GEMMA4_THREADS, else all cores)
  --ctx N               most tokens per sequence (default: the model's maximum)
  --kv-dtype f32|f16    KV-cache precision on the cpu backend (default f32)
  --quant TYPE          quantize float weights on load: ${QUANT_DTYPES.join(", ")}
  --lora DIR            apply a PEFT LoRA adapter`;

export interface ModelFlagValues {
  readonly backend?: string | undefined;
  readonly ctx?: string | undefined;
  readonly threads?: string | undefined;
  readonly "kv-dtype"?: string | undefined;
  readonly quant?: string | undefined;
  readonly lora?: string | undefined;
}

/** Loads the model a command was pointed at: a folder, a .gguf file, `org/name[@rev]` or `hf:org/name` (pulled if not cached). */
export async function loadCliModel(reference: string, values: ModelFlagValues): Promise<Model> {
  const maxContext = numberFlag("ctx", values.ctx, { min: 1, integer: true });
  const threads = numberFlag("threads", values.threads, { min: 1, max: 1024, integer: true });
  const kvDtype = values["kv-dtype"];
  if (kvDtype !== undefined && kvDtype !== "f32" && kvDtype !== "f16") throw new UsageError(`--kv-dtype must be f32 or f16, not ${JSON.stringify(kvDtype)}`, "kv-dtype");
  const quant = values.quant?.toLowerCase();
  if (quant !== undefined && !(QUANT_DTYPES as readonly string[]).includes(quant)) {
    throw new UsageError(`--quant must be one of ${QUANT_DTYPES.join(", ")}, not ${JSON.stringify(values.quant)}`, "quant");
  }
  const dir = await resolveModelReference(reference, { download: true });
  return loadModel(dir, {
    ...(values.backend !== undefined ? { backend: values.backend } : {}),
    ...(maxContext !== undefined ? { maxContext } : {}),
    ...(threads !== undefined ? { threads } : {}),
    ...(kvDtype !== undefined ? { kvDtype } : {}),
    ...(quant !== undefined ? { quant: quant as QuantDtype } : {}),
    ...(values.lora !== undefined ? { lora: values.lora } : {}),
  });
}

/** For commands that read or write a model's safetensors (finetune, merge): the reference resolved like every
 *  command's (a folder, or a Hub name, pulled if not cached), and a Hugging Face folder, not a GGUF file. */
export async function resolveModelFolder(reference: string, command: string): Promise<{ dir: string; config: ModelConfig }> {
  const dir = await resolveModelReference(reference, { download: true });
  if (/\.gguf$/i.test(dir)) throw new BadPathError(dir, `is a GGUF file; ${command} works on a Hugging Face model folder (config.json + safetensors)`);
  // A folder without a readable Gemma config.json is a one-line error here, before any work.
  return { dir, config: readHfConfig(dir).config };
}

/** For commands that need only the tokenizer (tokenize, prompt): a folder's tokenizer.json and chat template, or
 *  the tokenizer a GGUF file carries in its metadata; a Hub name must be in the cache (no weights are fetched). */
export async function loadCliTokenizer(reference: string): Promise<Tokenizer> {
  const path = await resolveModelReference(reference);
  if (!/\.gguf$/i.test(path)) return Tokenizer.load(path);
  const opened = openCheckpoint(path);
  try {
    const tokenizer = await opened.tokenizer();
    if (!tokenizer) throw new BadFileError(path, "holds no tokenizer in its metadata (tokenizer.ggml.*)");
    return tokenizer;
  } finally {
    opened.source.close();
  }
}
