/**
 * `loadModel` for a web page: a Hugging Face model folder served over HTTP (config.json, generation_config.json,
 * model.safetensors, and the tokenizer files with the chat template) becomes the same `Model` Node gets — the
 * same decoder, engine, chat formatting, tool-call parsing and structured output — on a backend the page made
 * (WebGPU, or the CPU kernels as WebAssembly).
 */
import { Model, checkContextLength, type SessionLimits } from "../api/model.js";
import type { Backend } from "../backends/ops.js";
import { BadPathError } from "../errors.js";
import { parseHfConfig } from "../formats/hf-config.js";
import { JsonFields } from "../formats/json-fields.js";
import { loadModelWeights } from "../model/model-weights.js";
import { tokenizerFilesFrom, type FolderFiles } from "../tokenizer/tokenizer-files.js";
import { Tokenizer } from "../tokenizer/tokenizer.js";
import { FetchedSafetensors } from "./fetched-safetensors.js";

/** A folder on a web server: a missing file (404) reads as null, any other failure is an error naming the URL. */
export function fetchedFolder(url: string): FolderFiles & { bytes(name: string): Promise<Uint8Array | null> } {
  const base = url.endsWith("/") ? url : `${url}/`;
  const texts = new Map<string, Promise<string | null>>(); // each file is fetched once
  const get = async (name: string): Promise<Response | null> => {
    const response = await fetch(base + name).catch((e: unknown) => {
      throw new BadPathError(base + name, `cannot be fetched (${e instanceof Error ? e.message : String(e)})`, { cause: e });
    });
    if (response.status === 404) return null;
    if (!response.ok) throw new BadPathError(base + name, `cannot be fetched (HTTP ${response.status})`);
    return response;
  };
  return {
    read: (name) => {
      let text = texts.get(name);
      if (!text) texts.set(name, text = get(name).then((r) => r?.text() ?? null));
      return text;
    },
    bytes: async (name) => {
      const response = await get(name);
      return response ? new Uint8Array(await response.arrayBuffer()) : null;
    },
    pathOf: (name) => base + name,
  };
}

/** Loads the model folder at `url` (relative to the page, or absolute) onto `backend`. */
export async function loadModelFromUrl(url: string, backend: Backend, limits: SessionLimits = {}): Promise<Model> {
  const folder = fetchedFolder(url);
  const configText = await folder.read("config.json");
  if (configText === null) throw new BadPathError(folder.pathOf("config.json"), "is missing (a model folder needs config.json)");
  const generationText = await folder.read("generation_config.json");
  const generation = generationText === null ? null : JsonFields.parse(folder.pathOf("generation_config.json"), generationText);
  const { config, generationDefaults } = parseHfConfig(JsonFields.parse(folder.pathOf("config.json"), configText), generation);
  if (limits.maxContext !== undefined) checkContextLength(limits.maxContext, config);

  const weightBytes = await folder.bytes("model.safetensors");
  if (weightBytes === null) {
    const sharded = (await folder.read("model.safetensors.index.json")) !== null;
    throw new BadPathError(folder.pathOf("model.safetensors"), sharded ? "is sharded (model.safetensors.index.json); the page loads one model.safetensors" : "is missing");
  }
  const source = new FetchedSafetensors(folder.pathOf("model.safetensors"), weightBytes);
  const tokenizer = (await folder.read("tokenizer.json")) === null ? null : Tokenizer.fromFiles(await tokenizerFilesFrom(url, folder));
  const weights = loadModelWeights(config, source, backend);
  return Model.overWeights({ config, weights, backend, info: { source: url, fileBytes: source.fileBytes, skippedTensors: [] }, tokenizer, generationDefaults }, limits);
}
