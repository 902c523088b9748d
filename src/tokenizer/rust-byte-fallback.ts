/**
 * Makes the ByteFallback decoder of `@huggingface/tokenizers` behave like the Rust `tokenizers` library on
 * invalid UTF-8. Both gather a run of byte tokens (`<0xE2>`, `<0x82>`, …) and decode it as UTF-8; when the
 * run is not valid UTF-8, Rust emits one U+FFFD per byte token while the JS library's TextDecoder emits one
 * per maximal invalid subpart (so `<0xE2><0x82>` + "a" decodes to "��a" in Rust but "�a" in JS). Valid runs
 * decode identically. A model can sample such runs, so decoding must follow the reference.
 */
import { isByteFallbackDecoder, isSequenceDecoder } from "./library-types.js";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The value of a byte-fallback token `<0xNN>`, or null for any other token. */
export function byteFallbackValue(token: string): number | null {
  if (token.length !== 6 || !token.startsWith("<0x") || !token.endsWith(">")) return null;
  const hex = token.slice(3, 5);
  return /^[0-9A-Fa-f]{2}$/.test(hex) ? parseInt(hex, 16) : null;
}

function decodeByteRun(bytes: number[], out: string[]): void {
  try {
    out.push(strictUtf8.decode(Uint8Array.from(bytes)));
  } catch {
    for (let i = 0; i < bytes.length; i++) out.push("\uFFFD");
  }
}

/** ByteFallback.decode_chain with the Rust library's handling of invalid runs. */
export function rustByteFallbackChain(tokens: string[]): string[] {
  const out: string[] = [];
  let run: number[] = [];
  for (const token of tokens) {
    const byte = byteFallbackValue(token);
    if (byte !== null) {
      run.push(byte);
      continue;
    }
    if (run.length > 0) {
      decodeByteRun(run, out);
      run = [];
    }
    out.push(token);
  }
  if (run.length > 0) decodeByteRun(run, out);
  return out;
}

/** Replaces decode_chain on every ByteFallback decoder in the (possibly nested) decoder. Returns how many. */
export function useRustByteFallback(decoder: unknown): number {
  if (isByteFallbackDecoder(decoder)) {
    decoder.decode_chain = rustByteFallbackChain;
    return 1;
  }
  if (isSequenceDecoder(decoder)) return decoder.decoders.reduce((n: number, d: unknown) => n + useRustByteFallback(d), 0);
  return 0;
}
