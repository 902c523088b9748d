/**
 * Which repo files a pull fetches. Patterns are matched as huggingface_hub's filter_repo_objects
 * matches allow/ignore patterns (Python fnmatch on the whole path: `*` also crosses `/`, `?` is one
 * character, `[abc]` / `[!abc]` are sets, a pattern ending in `/` means everything below that folder),
 * so `--include` here means what `--include` means to `hf download`.
 */
import { BadRequestError } from "../../errors.js";

/** What a text model needs: config, weights (single file or sharded + index), tokenizer, chat template. */
export const DEFAULT_INCLUDE_PATTERNS: readonly string[] = [
  "config.json",
  "generation_config.json",
  "*.safetensors",
  "*.safetensors.index.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "chat_template.jinja",
];

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
}

/** Python's fnmatch.translate, for POSIX (case-sensitive). */
export function patternToRegExp(pattern: string): RegExp {
  if (pattern === "") throw new BadRequestError("an empty file pattern matches nothing", "include");
  const glob = pattern.endsWith("/") ? `${pattern}*` : pattern;
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] ?? "";
    if (c === "*") {
      out += ".*";
    } else if (c === "?") {
      out += ".";
    } else if (c === "[") {
      let j = i + 1;
      if (glob[j] === "!") j++;
      if (glob[j] === "]") j++;
      while (j < glob.length && glob[j] !== "]") j++;
      if (j >= glob.length) {
        out += "\\["; // an unclosed '[' is a literal, as in fnmatch
      } else {
        let set = glob.slice(i + 1, j).replace(/\\/g, "\\\\");
        if (set.startsWith("!")) set = `^${set.slice(1)}`;
        else if (set.startsWith("^")) set = `\\${set}`;
        out += `[${set}]`;
        i = j;
      }
    } else {
      out += escapeRegExp(c);
    }
  }
  return new RegExp(`^(?:${out})$`, "s");
}

export interface FilePatterns {
  readonly include: readonly string[];
  readonly exclude: readonly string[];
}

/** A predicate over repo paths: matches some include pattern and no exclude pattern. */
export function filePatternFilter(patterns: FilePatterns): (path: string) => boolean {
  const include = patterns.include.map(patternToRegExp);
  const exclude = patterns.exclude.map(patternToRegExp);
  return (path) => include.some((r) => r.test(path)) && !exclude.some((r) => r.test(path));
}
