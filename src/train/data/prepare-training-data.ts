/**
 * Turns user data into a packed token file the trainer reads (and a loss mask beside it for chat data):
 *   .tokens               used as is (already packed)
 *   .txt                  plain text, one document per file, read line by line
 *   .jsonl / .jsonl.gz    {"text": …} documents for pre-training, or {"messages": […]} conversations for
 *                         chat fine-tuning (loss only on the model's turns); the two may be mixed
 * Everything streams: lines are read, tokenized and appended one at a time.
 */
import { createReadStream, existsSync, closeSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { createInterface } from "node:readline";
import { BadFileError, BadPathError, UnsupportedError } from "../../errors.js";
import { type ChatFormat, GEMMA4_CHAT_FORMAT, parseMessages } from "./chat-format.js";
import { lossMaskPath } from "./example-source.js";
import { PackedTokenWriter } from "./packed-token-file.js";
import { tempNameFor } from "../../formats/atomic-write.js";

/** What data preparation needs from a tokenizer (BpeEncoder and the general tokenizer both fit). */
export interface TextTokenizer {
  readonly vocabSize: number;
  encode(text: string): number[];
  tokenToId(token: string): number | undefined;
}

export interface PreparedData {
  readonly path: string;
  readonly documents: number;
  readonly tokens: number;
  /** Tokens that carry loss (all of them for plain text). */
  readonly trainableTokens: number;
  readonly masked: boolean;
}

export async function prepareTrainingData(input: string, outPath: string, tokenizer: TextTokenizer, chat: ChatFormat = GEMMA4_CHAT_FORMAT): Promise<PreparedData> {
  if (!existsSync(input)) throw new BadPathError(input, "no such data file");
  if (input.endsWith(".tokens")) return { path: input, documents: 0, tokens: 0, trainableTokens: 0, masked: existsSync(lossMaskPath(input)) };
  const bosId = tokenizer.tokenToId("<bos>");
  const eosId = tokenizer.tokenToId("<eos>");
  if (bosId === undefined || eosId === undefined) throw new BadFileError("tokenizer.json", "has no <bos> or <eos> token");
  const writer = new PackedTokenWriter(outPath, { vocabSize: tokenizer.vocabSize, bosId, eosId });
  // The mask streams to a temporary file beside the tokens; it is kept only if the data held chat.
  const maskPath = lossMaskPath(outPath);
  const maskTemp = tempNameFor(maskPath);
  const maskFd = openSync(maskTemp, "w");
  let anyChat = false;
  let documents = 0;
  let tokens = 0;
  let trainableTokens = 0;
  const addDocument = (ids: number[], mask: Uint8Array | null): void => {
    writer.appendDocument(ids);
    const full = new Uint8Array(ids.length + 2); // <bos> and <eos> carry no loss in chat data
    if (mask) full.set(mask, 1);
    else full.fill(1, 1);
    writeSync(maskFd, full);
    documents++;
    tokens += ids.length + 2;
    for (const m of full) trainableTokens += m;
  };
  try {
    if (input.endsWith(".txt")) {
      const ids: number[] = [];
      for await (const line of lines(input)) ids.push(...tokenizer.encode(line + "\n"));
      addDocument(ids, null);
    } else if (/\.jsonl(\.gz)?$/.test(input)) {
      let lineNo = 0;
      for await (const text of lines(input)) {
        lineNo++;
        if (text.trim() === "") continue;
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch (e) {
          throw new BadFileError(input, `line ${lineNo} is not JSON`, { cause: e });
        }
        if (value === null || typeof value !== "object" || Array.isArray(value)) throw new BadFileError(input, `line ${lineNo} is not a JSON object`);
        const fields = value as Record<string, unknown>;
        if (typeof fields["text"] === "string") {
          addDocument(tokenizer.encode(fields["text"]), null);
        } else if (fields["messages"] !== undefined) {
          anyChat = true;
          const ids: number[] = [];
          const mask: number[] = [];
          for (const segment of chat.render(parseMessages(fields["messages"], input, lineNo))) {
            const piece = tokenizer.encode(segment.text);
            ids.push(...piece);
            for (let i = 0; i < piece.length; i++) mask.push(segment.trainable ? 1 : 0);
          }
          addDocument(ids, Uint8Array.from(mask));
        } else {
          throw new BadFileError(input, `line ${lineNo} has neither a "text" string nor a "messages" list`);
        }
      }
    } else {
      throw new UnsupportedError(`${input}: data must be .txt, .jsonl, .jsonl.gz or a packed .tokens file`);
    }
  } catch (e) {
    writer.abort();
    closeSync(maskFd);
    rmSync(maskTemp, { force: true });
    throw e;
  }
  writer.close();
  closeSync(maskFd);
  if (anyChat) renameSync(maskTemp, maskPath);
  else {
    rmSync(maskTemp, { force: true });
    rmSync(maskPath, { force: true });
  }
  return { path: outPath, documents, tokens, trainableTokens: anyChat ? trainableTokens : tokens, masked: anyChat };
}

async function* lines(path: string): AsyncGenerator<string> {
  const raw = createReadStream(path);
  const input = path.endsWith(".gz") ? raw.pipe((await import("node:zlib")).createGunzip()) : raw;
  const reader = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of reader) yield line;
  } finally {
    reader.close();
    raw.destroy();
  }
}
