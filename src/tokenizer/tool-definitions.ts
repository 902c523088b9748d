/** Checking and normalising tool definitions before any chat format sees them. */
import { BadRequestError } from "../errors.js";
import type { ToolDefinition } from "./chat-types.js";

/** Accepts `{type:"function", function:{…}}` (OpenAI) and bare `{name, description, parameters}`. */
export function normalizeTools(tools: readonly ToolDefinition[]): ToolDefinition[] {
  if (!Array.isArray(tools)) throw new BadRequestError("tools must be a list", "tools");
  return tools.map((tool, i) => {
    const t = tool as unknown as Record<string, unknown>;
    if (typeof t !== "object" || t === null) throw new BadRequestError(`tools[${i}] must be an object`, "tools");
    const fn = (typeof t["function"] === "object" && t["function"] !== null ? t["function"] : typeof t["name"] === "string" ? t : null) as Record<string, unknown> | null;
    if (fn === null || typeof fn["name"] !== "string" || fn["name"] === "") throw new BadRequestError(`tools[${i}] needs function.name (an OpenAI-style {type: "function", function: {name, description, parameters}})`, "tools");
    return fn === t ? ({ type: "function", function: fn } as unknown as ToolDefinition) : tool;
  });
}
