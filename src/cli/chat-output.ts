/**
 * How chat events reach a terminal: the answer on stdout, the model's thinking on stderr (dimmed on a
 * terminal, so `> file` keeps only the answer), tool calls as one JSON line each on stdout, and a closing
 * line with timings on stderr.
 */
import type { ChatEvent } from "../engine/chat-generation.js";

const DIM = "\x1b[2m";
const RESET = "\x1b[0m";

export interface GenerationStats {
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** Seconds from the request to the first generated token (prefill). */
  readonly firstTokenSeconds: number;
  readonly totalSeconds: number;
}

export class ChatEventPrinter {
  private inReasoning = false;
  private endsWithNewline = true;
  private readonly start = performance.now();
  private firstToken: number | null = null;
  /** Tokens seen so far (for answers stopped before their summary). */
  tokens = 0;

  constructor(private readonly out: NodeJS.WritableStream & { isTTY?: boolean }, private readonly err: NodeJS.WritableStream & { isTTY?: boolean }) {}

  handle(event: ChatEvent): void {
    switch (event.type) {
      case "token":
        this.firstToken ??= performance.now();
        this.tokens++;
        break;
      case "reasoning":
        if (!this.inReasoning) {
          this.err.write(this.err.isTTY ? `${DIM}thinking: ` : "thinking: ");
          this.inReasoning = true;
        }
        this.err.write(event.text);
        break;
      case "content":
        this.closeReasoning();
        this.write(event.text);
        break;
      case "tool_call":
        this.closeReasoning();
        if (!this.endsWithNewline) this.write("\n");
        this.write(JSON.stringify({ tool_call: { name: event.call.name, arguments: event.call.arguments } }) + "\n");
        break;
      case "invalid_tool_call":
        this.closeReasoning();
        this.err.write(`\n(the model wrote a malformed tool call: ${event.call.error})\n`);
        break;
      case "done":
        this.closeReasoning();
        break;
      default: {
        const never: never = event;
        throw new Error(`unknown event ${JSON.stringify(never)}`);
      }
    }
  }

  /** Ends the answer's line and returns the timings. */
  finish(usage: { promptTokens: number; completionTokens: number }): GenerationStats {
    this.closeReasoning();
    if (!this.endsWithNewline) this.write("\n");
    const now = performance.now();
    return {
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      firstTokenSeconds: ((this.firstToken ?? now) - this.start) / 1000,
      totalSeconds: (now - this.start) / 1000,
    };
  }

  private write(text: string): void {
    if (!text) return;
    this.out.write(text);
    this.endsWithNewline = text.endsWith("\n");
  }

  private closeReasoning(): void {
    if (!this.inReasoning) return;
    this.err.write(this.err.isTTY ? `${RESET}\n` : "\n");
    this.inReasoning = false;
  }
}

export function formatStats(s: GenerationStats): string {
  const decodeSeconds = s.totalSeconds - s.firstTokenSeconds;
  const rate = s.completionTokens > 1 && decodeSeconds > 0 ? (s.completionTokens - 1) / decodeSeconds : 0;
  // A stopped answer never reports its usage: its prompt size is unknown (0), so say only the time.
  const prompt = s.promptTokens > 0 ? `prompt ${s.promptTokens} tokens in ${s.firstTokenSeconds.toFixed(2)} s` : `first token after ${s.firstTokenSeconds.toFixed(2)} s`;
  return `${s.completionTokens} tokens in ${s.totalSeconds.toFixed(2)} s — ${prompt}, then ${rate.toFixed(1)} tokens/s`;
}
