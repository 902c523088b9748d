/** OpenAI-style tool definitions from a user's JSON file (a list, or {"tools": […]}). */
import { BadFileError, BadRequestError } from "../errors.js";
import type { ToolDefinition } from "../tokenizer/chat-types.js";
import { normalizeTools } from "../tokenizer/tool-definitions.js";
import { readJsonFile } from "./json-input.js";

export function readToolsFile(path: string): ToolDefinition[] {
  return readTools(path, readJsonFile(path));
}

export function readTools(path: string, json: unknown): ToolDefinition[] {
  const list = typeof json === "object" && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>)["tools"] : json;
  if (!Array.isArray(list)) throw new BadFileError(path, 'tools must be a JSON list of tool definitions (or {"tools": […]})');
  try {
    return normalizeTools(list as ToolDefinition[]);
  } catch (e) {
    if (e instanceof BadRequestError) throw new BadFileError(path, e.message, { cause: e });
    throw e;
  }
}
