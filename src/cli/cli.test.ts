import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { SafetensorsFile } from "../formats/safetensors.js";
import { HF_FIXTURES, PACKAGE_ROOT, hfFixtureNames, maxAbsDiff, readHfReference } from "../testing/fixtures.js";

const CLI = join(PACKAGE_ROOT, "dist", "cli", "main.js");
const out = mkdtempSync(join(tmpdir(), "gemma4-cli-"));
after(() => rmSync(out, { recursive: true, force: true }));

function gemma4(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Parameter count straight from the safetensors header JSON, independent of our reader. */
function headerParameterCount(file: string): number {
  const bytes = readFileSync(file);
  const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString("utf8")) as Record<string, { shape?: number[] }>;
  return Object.entries(header).filter(([k]) => k !== "__metadata__").reduce((sum, [, v]) => sum + (v.shape ?? []).reduce((a, b) => a * b, 1), 0);
}

describe("gemma4 CLI", () => {
  it("info on every fixture counts exactly the stored parameters", () => {
    for (const name of hfFixtureNames()) {
      const dir = join(HF_FIXTURES, name);
      const r = gemma4("info", dir, "--json");
      assert.equal(r.status, 0, r.stderr);
      const info = JSON.parse(r.stdout) as { storedParameters: number; fileBytes: number; config: { numLayers: number } };
      assert.equal(info.storedParameters, headerParameterCount(join(dir, "model.safetensors")), name);
      const text = gemma4("info", "--model", dir);
      assert.equal(text.status, 0);
      assert.match(text.stdout, new RegExp(`parameters\\s+${info.storedParameters.toLocaleString("en-US")} stored`));
      assert.match(text.stdout, /KV cache\s+\S+ \S+ per 1,000 tokens/);
    }
  });

  it("generate reproduces transformers' greedy tokens; logits writes the reference logits", () => {
    const ref = readHfReference("gemma4-dense");
    const prompt = Array.from(ref.prompt[0]!);
    const expected = Array.from(ref.output[0]!.subarray(prompt.length));
    const r = gemma4("generate", join(HF_FIXTURES, "gemma4-dense"), "--prompt-ids", prompt.join(","), "--max-new-tokens", String(expected.length), "--greedy", "--stop-ids", "511");
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), expected.filter((_, i) => i === 0 || !expected.slice(0, i).includes(511)).join(","));
    const jsonl = gemma4("generate", join(HF_FIXTURES, "gemma4-dense"), "--prompt-ids", prompt.join(","), "--max-new-tokens", "3", "--format", "jsonl", "--temperature", "0.8", "--seed", "1");
    const lines = jsonl.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 4);
    assert.deepEqual(lines[3], { finish_reason: "length", tokens: 3 });

    const file = join(out, "logits.safetensors");
    const ids = Array.from(ref.inputIds[0]!);
    const l = gemma4("logits", join(HF_FIXTURES, "gemma4-dense"), "--prompt-ids", ids.join(","), "--out", file);
    assert.equal(l.status, 0, l.stderr);
    const written = SafetensorsFile.open(file).read("logits");
    assert.deepEqual([...written.shape], [ids.length, 512]);
    assert.ok(maxAbsDiff(written.data as Float32Array, ref.logits[0]!) <= 1e-4);
  });

  it("run continues the prompt on the bundled default model (not instruction-tuned), chat-formats on request", () => {
    const plain = gemma4("run", "Call me Ishmael.", "--greedy", "--max-new-tokens", "4", "--stats");
    assert.equal(plain.status, 0, plain.stderr);
    const explicit = gemma4("run", "--raw", "Call me Ishmael.", "--greedy", "--max-new-tokens", "4", "--stats");
    assert.equal(plain.stdout, explicit.stdout, "same as --raw");
    const promptTokens = (r: { stderr: string }): number => Number(/prompt (\d+) tokens/.exec(r.stderr)?.[1]);
    assert.equal(promptTokens(plain), promptTokens(explicit));
    const chat = gemma4("run", "Call me Ishmael.", "--system", "Be brief.", "--greedy", "--max-new-tokens", "4", "--stats");
    assert.equal(chat.status, 0, chat.stderr);
    assert.ok(promptTokens(chat) > promptTokens(plain) + 4, `chat format adds turn markers: ${chat.stderr}`);
  });

  it("a reader that closes the pipe early (| head) ends the command quietly, exit 0", () => {
    const r = spawnSync("bash", ["-c", `set -o pipefail; "${process.execPath}" "${CLI}" run "Call me Ishmael." --greedy --max-new-tokens 2000 | head -c 1`], { encoding: "utf8" });
    assert.equal(r.status, 0);
    assert.equal(r.stdout.length, 1);
    assert.equal(r.stderr, "", "no EPIPE stack trace");
  });

  it("user errors print one line and exit 2, leaving no partial output", () => {
    const cases: [string[], RegExp][] = [
      [["generate", join(out, "missing"), "--prompt-ids", "2"], /missing: no such folder/],
      [["generate", join(HF_FIXTURES, "gemma3")], /--prompt-ids is required/],
      [["generate", join(HF_FIXTURES, "gemma3"), "--prompt-ids", "2,x"], /"x" is not a token id/],
      [["generate", join(HF_FIXTURES, "gemma3"), "--prompt-ids", "2", "--top-p", "2"], /--top-p must be a number from 0 to 1/],
      [["generate", join(HF_FIXTURES, "gemma3"), "--prompt-ids", "2", "--greedy", "--temperature", "1"], /cannot be combined/],
      [["generate", join(HF_FIXTURES, "gemma3"), "--prompt-ids", "2,999"], /token id 999 is outside the vocabulary/],
      [["generate", join(HF_FIXTURES, "gemma3"), "--prompt-ids", "2", "--bogus"], /Unknown option '--bogus'/],
      [["logits", join(HF_FIXTURES, "gemma3"), "--prompt-ids", "2,9999", "--out", join(out, "bad.safetensors")], /outside the vocabulary/],
      [["info", join(HF_FIXTURES, "gemma3", "model.safetensors")], /is a file; a model is a folder/],
      [["nonsense"], /unknown command "nonsense"/],
      [["info", "--kv-dtype", "f16"], /give --backend NAME/],
      [["run", "Hi", "--raw", "--system", "Be brief."], /--raw is a plain completion/],
      // A value that starts with "-", or a flag without its value before the next flag.
      [["run", "Hi", "--max-new-tokens", "-3"], /--max-new-tokens is missing its value, or its value "-3" starts with "-": write --max-new-tokens=-3/],
      [["run", "Hi", "--system", "--max-new-tokens", "8"], /--system is missing its value/],
      [["run", "Hi", "--max-new-tokens", "0x10"], /--max-new-tokens must be an integer ≥ 1, not "0x10"/],
      // A folder where a file goes, a file where a folder goes.
      [["logits", join(HF_FIXTURES, "gemma3"), "--prompt-ids", "2", "--out", out], /: is a folder \(expected a file name to write\)/],
      [["convert", join(HF_FIXTURES, "gemma3"), "--to", "gguf", "--out", out], /: is a folder/],
      [["merge", "--lora", join(PACKAGE_ROOT, "models", "default", "lora-chat-demo"), "--out", CLI], /main\.js: is a file, or inside one \(expected a folder to write into\)/],
      // finetune and merge resolve MODEL like every command, and need a Hugging Face folder.
      [["finetune", join(out, "missing"), "--data", CLI], /missing: no such folder/],
      [["finetune", out, "--data", CLI], /no config\.json: not a Hugging Face model folder/],
      [["finetune", "--data", CLI, "--micro-batch", "3", "--batch-size", "2"], /--micro-batch \(3\) cannot exceed --batch-size \(2\)/],
      // Limits of the model: its context, its positions.
      [["run", "Hi", "--ctx", "5000"], /a context of 5000 tokens is more than this model's 2048 \(max_position_embeddings; lower --ctx/],
      [["perplexity", "--data", CLI, "--sequence-length", "2049"], /--sequence-length 2049 is more than this model's 2048 positions/],
      [["finetune", "--data", CLI, "--sequence-length", "4096"], /--sequence-length 4096 is more than this model's 2048 positions/],
      [["perplexity", join(out, "x.gguf"), "--prompt-ids", "2,3"], /x\.gguf: no such file/],
      [["generate", join(HF_FIXTURES, "gemma3"), "--prompt-ids", "2,,3"], /"" is not a token id/],
      [["generate", join(HF_FIXTURES, "gemma3"), "--prompt-ids", "2", "--stop-ids", "99999"], /stop token id 99999 is outside the vocabulary/],
      [["info", join(HF_FIXTURES, "gemma3"), "extra"], /unexpected argument "extra"/],
      [["quantize", out, join(out, "bad.gguf"), "--quant", "Q8_0"], /is a folder, not a GGUF file/],
      [["chat", "--temperature", "x"], /--temperature must be a number ≥ 0, not "x"/],
    ];
    for (const [args, pattern] of cases) {
      const r = gemma4(...args);
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.equal(r.stderr.trim().split("\n").length, 1, `one line: ${r.stderr}`);
    }
    assert.ok(!readdirSync(out).some((n) => n.startsWith("bad")), "no partial output file");
  });

  it("a bad GEMMA4_THREADS and an empty conversation are one-line errors", () => {
    const threads = spawnSync(process.execPath, [CLI, "run", "Hi", "--max-new-tokens", "1"], { encoding: "utf8", env: { ...process.env, GEMMA4_THREADS: "two" } });
    assert.equal(threads.status, 2, threads.stderr);
    assert.match(threads.stderr, /^gemma4 run: GEMMA4_THREADS="two" is not a thread count/);
    const empty = join(out, "empty-messages.json");
    writeFileSync(empty, "[]");
    const r = gemma4("prompt", "--messages", empty);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /empty-messages\.json: messages is empty/);
  });

  it("finetune on too little data: one line naming the data and the numbers, exit 2, no output folder left", () => {
    const data = join(out, "short.txt");
    writeFileSync(data, "Too short.\n");
    const target = join(out, "ft-short");
    const r = gemma4("finetune", "--data", data, "--out", target, "--workers", "0");
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /short\.txt: \d+ tokens make 0 sequences of 257 tokens, leaving none for training/);
    assert.ok(!existsSync(target), "the output folder it created is gone");
  });

  it("train refuses a sequenceLength beyond the model config's positions, before any work", () => {
    const recipe = JSON.parse(readFileSync(join(PACKAGE_ROOT, "models", "default", "train.json"), "utf8")) as Record<string, unknown>;
    const config = join(out, "too-long.json");
    writeFileSync(config, JSON.stringify({ ...recipe, model: join(PACKAGE_ROOT, "models", "default", "config.json"), tokenizer: join(PACKAGE_ROOT, "models", "default"), sequenceLength: 4096 }));
    const target = join(out, "train-too-long");
    const r = gemma4("train", "--config", config, "--out", target);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /too-long\.json: sequenceLength 4096 is more than the model's 2048 positions/);
    assert.ok(!existsSync(target), "nothing written");
  });

  it("finetune --resume of a LoRA checkpoint with --full says which flag it needs", () => {
    const data = join(out, "long.txt");
    writeFileSync(data, `${"word ".repeat(400)}\n`);
    const target = join(out, "ft-resume");
    const flags = ["--data", data, "--workers", "0", "--sequence-length", "16", "--batch-size", "2", "--micro-batch", "1"];
    const first = gemma4("finetune", ...flags, "--out", target, "--steps", "2", "--save-every", "1");
    assert.equal(first.status, 0, first.stderr);
    const r = gemma4("finetune", ...flags, "--out", target, "--steps", "3", "--full", "--resume", join(target, "checkpoints", "step-1"));
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /step-1: is a checkpoint of a LoRA fine-tune \(adapter_model\.safetensors\): resume it without --full/);
  });

  it("run --json-schema: an answer cut by --max-new-tokens says its JSON is incomplete and exits 3", () => {
    const schema = join(out, "schema.json");
    writeFileSync(schema, JSON.stringify({ type: "object", properties: { a: { type: "string" } }, required: ["a"] }));
    const r = gemma4("run", "x", "--json-schema", schema, "--max-new-tokens", "3", "--greedy");
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, /reached its token limit \(3 tokens: --max-new-tokens or the context\) before its JSON ended/);
  });

  it("chat reads every piped line: messages, /system, /save and /exit after the input has ended", () => {
    const saved = join(out, "conversation.json");
    const input = ["Hello", "/system Be brief", "Who are you?", `/save ${saved}`, `/save ${out}`, "/exit", ""].join("\n");
    const r = spawnSync(process.execPath, [CLI, "chat", "--max-new-tokens", "4", "--greedy"], { encoding: "utf8", input });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\(system message set; conversation cleared\)/);
    assert.match(r.stdout, /\(saved 3 messages to /);
    assert.match(r.stdout, /error: .*: is a folder/, "/save to a folder is a one-line error");
    const conversation = JSON.parse(readFileSync(saved, "utf8")) as { messages: { role: string; content: string }[] };
    assert.deepEqual(conversation.messages.map((m) => m.role), ["system", "user", "assistant"]);
    assert.equal(conversation.messages[1]!.content, "Who are you?");
  });
});
