/**
 * tool_choice "required": the prompt already ends with `<|tool_call>call:`, so the model's next bytes must be
 * one of the tools' names followed by `{` (a forced call to a tool that does not exist, or prose, is what an
 * unconstrained small model writes there). The mask allows exactly the tokens that keep the text written so
 * far a prefix of some `NAME{`, or that complete one and go on into the arguments; once a name and its `{` are
 * written it steps aside (the arguments are the model's, parsed as usual).
 */
import type { OutputConstraint } from "../chat-generation.js";
import type { TokenTrie } from "./token-trie.js";
import { utf8 } from "./json-fragments.js";

export function toolNameConstraint(names: readonly string[], trie: TokenTrie): OutputConstraint {
  const targets = names.map((name) => utf8(`${name}{`));
  const written: number[] = [];
  let done = false;
  const allowed = new Uint8Array(trie.vocabSize);
  return {
    logitsProcessor: (logits) => {
      if (done) return;
      allowed.fill(0);
      for (const target of targets) if (startsWith(target, written)) allowTowards(trie, target.subarray(written.length), allowed);
      for (let id = 0; id < logits.length; id++) if (allowed[id] === 0) logits[id] = -Infinity;
    },
    onToken: (id) => {
      if (done) return;
      const bytes = trie.tokenBytes[id];
      if (!bytes) { done = true; return; } // not offered by the mask (a processor after it forced it): step aside
      written.push(...bytes);
      done = targets.some((target) => written.length >= target.length && startsWith(Uint8Array.from(written), target));
    },
  };
}

/** Whether `bytes` begins with `prefix`. */
function startsWith(bytes: Uint8Array | readonly number[], prefix: Uint8Array | readonly number[]): boolean {
  if (prefix.length > bytes.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/** Marks the tokens that are a prefix of `rest` or start with all of it. */
function allowTowards(trie: TokenTrie, rest: Uint8Array, allowed: Uint8Array): void {
  let node = 0;
  for (let i = 0; i < rest.length; i++) {
    node = childOf(trie, node, rest[i]!);
    if (node < 0) return;
    if (i < rest.length - 1) markTokensAt(trie, node, allowed);
  }
  // Every token whose bytes begin with all of `rest` (the name's end, `{`, and perhaps its first argument bytes).
  const stack = [node];
  while (stack.length > 0) {
    const n = stack.pop()!;
    markTokensAt(trie, n, allowed);
    for (let e = trie.edgeStart[n]!; e < trie.edgeStart[n + 1]!; e++) stack.push(trie.edgeTarget[e]!);
  }
}

function childOf(trie: TokenTrie, node: number, byte: number): number {
  for (let e = trie.edgeStart[node]!; e < trie.edgeStart[node + 1]!; e++) if (trie.edgeByte[e] === byte) return trie.edgeTarget[e]!;
  return -1;
}

function markTokensAt(trie: TokenTrie, node: number, allowed: Uint8Array): void {
  for (let k = trie.tokenStart[node]!; k < trie.tokenStart[node + 1]!; k++) allowed[trie.tokenIds[k]!] = 1;
}
