/**
 * Tokenizes a JSONL document file into a packed token file, one document at a time (streamed both ways).
 */
import { BpeEncoder } from "../tokenizer/bpe-encoder.js";
import { readJsonlDocuments } from "./jsonl-documents.js";
import type { PackedTokenHeader } from "./packed-token-file.js";
import { PackedTokenWriter } from "./packed-token-file.js";
import { BadFileError } from "../../errors.js";

export interface PackResult extends PackedTokenHeader {
  /** UTF-8 bytes of the document texts. */
  readonly textBytes: number;
}

export async function packJsonlDocuments(inputPath: string, outputPath: string, encoder: BpeEncoder): Promise<PackResult> {
  const bosId = encoder.tokenToId("<bos>"), eosId = encoder.tokenToId("<eos>");
  if (bosId === undefined || eosId === undefined) throw new BadFileError("tokenizer", "has no <bos> or <eos> token");
  const writer = new PackedTokenWriter(outputPath, { vocabSize: encoder.vocabSize, bosId, eosId });
  let textBytes = 0;
  const ids: number[] = [];
  try {
    for await (const doc of readJsonlDocuments(inputPath)) {
      ids.length = 0;
      encoder.encodeInto(doc.text, ids);
      writer.appendDocument(ids);
      textBytes += Buffer.byteLength(doc.text, "utf8");
    }
  } catch (e) {
    writer.abort();
    throw e;
  }
  return { ...writer.close(), textBytes };
}
