/**
 * One document of a text corpus, and the whitespace normalisation every corpus document goes through.
 */

export interface CorpusDocument {
  /** Stable, unique id, `source/name` (e.g. `sotu/1790_george_washington_n`). */
  readonly id: string;
  /** Short source name (e.g. `sotu`, `moby-dick`, `kjv`). */
  readonly source: string;
  readonly text: string;
}

/**
 * NFC; CRLF/CR → LF; tabs, form feeds and Unicode spaces → " "; control characters dropped; runs of
 * spaces collapsed and lines trimmed; more than one blank line collapsed to one. Paragraphs (blank-line
 * separated) and single line breaks (verses) are kept.
 */
export function normalizeDocumentText(text: string): string {
  const lines = text
    .normalize("NFC")
    .replace(/\r\n?/g, "\n")
    .replace(/[\t\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/g, " ")
    .replace(/[\u0000-\u0008\u000e-\u001f\u007f\u200b\ufeff]/g, "")
    .split("\n")
    .map((line) => line.replace(/ {2,}/g, " ").trim());
  return lines.join("\n").replace(/\n{3,}/g, "\n\n").trim();
}

export interface TextCounts {
  readonly documents: number;
  /** UTF-8 bytes of the document texts (separators not counted). */
  readonly bytes: number;
  /** Unicode code points. */
  readonly chars: number;
  /** Whitespace-separated words. */
  readonly words: number;
}

export function countTexts(texts: Iterable<string>): TextCounts {
  let documents = 0, bytes = 0, chars = 0, words = 0;
  for (const t of texts) {
    documents++;
    bytes += Buffer.byteLength(t, "utf8");
    for (const _ of t) chars++;
    words += t.split(/\s+/).filter((w) => w.length > 0).length;
  }
  return { documents, bytes, chars, words };
}
