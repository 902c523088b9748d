/**
 * The server's Prometheus metrics (text format at /metrics), in a registry of its own so two servers in one
 * process do not mix their numbers. Gauges of the model's state (KV cache, batch) are read when scraped.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface MetricsSources {
  readonly kvCache: () => { readonly sessions: number; readonly bytes: number };
  readonly queue: () => { readonly active: number; readonly waiting: number };
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const TOKEN_LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
const GENERATING_ROUTES = ["/v1/chat/completions", "/v1/completions", "/v1/embeddings"];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128];

export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<"route" | "status">;
  readonly promptTokens: Counter<"route">;
  readonly generatedTokens: Counter<"route">;
  readonly cancelled: Counter<"route">;
  readonly timeToFirstToken: Histogram<"route">;
  readonly timePerToken: Histogram<"route">;
  readonly batchSize: Histogram;
  readonly batchTokens: Counter;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: "gemma4_" });
    this.requests = new Counter({ name: "gemma4_http_requests_total", help: "HTTP requests by route and status code", labelNames: ["route", "status"], registers });
    this.promptTokens = new Counter({ name: "gemma4_prompt_tokens_total", help: "Prompt tokens processed", labelNames: ["route"], registers });
    this.generatedTokens = new Counter({ name: "gemma4_generated_tokens_total", help: "Tokens generated", labelNames: ["route"], registers });
    this.cancelled = new Counter({ name: "gemma4_cancelled_requests_total", help: "Requests cancelled because the client disconnected", labelNames: ["route"], registers });
    this.timeToFirstToken = new Histogram({ name: "gemma4_time_to_first_token_seconds", help: "From request arrival (queueing included) to the first generated token", labelNames: ["route"], buckets: LATENCY_BUCKETS, registers });
    this.timePerToken = new Histogram({ name: "gemma4_time_per_output_token_seconds", help: "Time between consecutive generated tokens of one request", labelNames: ["route"], buckets: TOKEN_LATENCY_BUCKETS, registers });
    this.batchSize = new Histogram({ name: "gemma4_batch_size", help: "Sequences per forward pass", buckets: BATCH_BUCKETS, registers });
    this.batchTokens = new Counter({ name: "gemma4_batch_tokens_total", help: "Tokens run through forward passes (prefill and decode)", registers });
    // Zero samples for every generating route, so the series exist before the first request.
    for (const route of GENERATING_ROUTES) {
      for (const counter of [this.promptTokens, this.generatedTokens, this.cancelled]) counter.inc({ route }, 0);
    }
    new Gauge({ name: "gemma4_queue_depth", help: "Requests waiting for a batch slot", registers, collect() { this.set(sources.queue().waiting); } });
    new Gauge({ name: "gemma4_active_requests", help: "Requests holding a batch slot", registers, collect() { this.set(sources.queue().active); } });
    new Gauge({ name: "gemma4_kv_cache_bytes", help: "Bytes of KV cache held by live sequences", registers, collect() { this.set(sources.kvCache().bytes); } });
    new Gauge({ name: "gemma4_kv_cache_sequences", help: "Live sequences holding a KV cache", registers, collect() { this.set(sources.kvCache().sessions); } });
  }

  /** Prometheus text exposition. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
