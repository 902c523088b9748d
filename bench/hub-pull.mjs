// The fake Hub runs in a worker thread so that serving does not share the client's thread.
// Loopback throughput of `pullModel` (HEAD + GET via a 302 + sha256 + write + rename + link) against two
// baselines on the same fake-CDN URL: fetch and discard, fetch and write (no hash). Run A/B/C interleaved,
// median of ROUNDS. Needs `npm run build`. Usage: node bench/hub-pull.mjs [MB=256] [ROUNDS=3]
import { randomBytes } from "node:crypto";
import { open, rm, mkdtemp } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { FakeHub, sha256Hex } from "../dist/formats/hub/fake-hub-server.js";
import { pullModel } from "../dist/formats/hub/pull-model.js";

if (!isMainThread) {
  const content = randomBytes(workerData.mb * 1e6);
  const hub = await FakeHub.start([{ repoId: "bench/model", revisions: { main: { commit: "d".repeat(40), files: [
    { path: "model.safetensors", content, lfs: true }] } } }]);
  parentPort.postMessage({ endpoint: hub.endpoint, cdnUrl: `${hub.cdnOrigin}/blobs/${sha256Hex(content)}`, bytes: content.byteLength });
  parentPort.once("message", () => hub.close().then(() => process.exit(0)));
} else {
const MB = Number(process.argv[2] ?? 256);
const ROUNDS = Number(process.argv[3] ?? 3);
const worker = new Worker(new URL(import.meta.url), { workerData: { mb: MB } });
const hub = await new Promise((resolve) => worker.once("message", resolve));
const content = { byteLength: hub.bytes };
const cdnUrl = hub.cdnUrl;
const dir = await mkdtemp(join(tmpdir(), "gemma4-bench-"));

async function fetchDiscard() {
  const r = await fetch(cdnUrl, { headers: { "accept-encoding": "identity" } });
  let n = 0;
  for await (const chunk of r.body) n += chunk.byteLength;
  if (n !== content.byteLength) throw new Error("short read");
}
async function fetchWrite() {
  const r = await fetch(cdnUrl, { headers: { "accept-encoding": "identity" } });
  const fh = await open(join(dir, "plain.bin"), "w");
  for await (const chunk of r.body) await fh.write(chunk);
  await fh.close();
}
async function pull() {
  const cacheDir = join(dir, "cache");
  await rm(cacheDir, { recursive: true, force: true });
  await pullModel("bench/model", { endpoint: hub.endpoint, cacheDir, env: {}, include: ["*.safetensors"] });
}

const cases = { "fetch, discard": fetchDiscard, "fetch, write": fetchWrite, "pullModel (sha256, write, link)": pull };
const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of Object.entries(cases)) {
    const t0 = performance.now();
    await run();
    times[name].push((performance.now() - t0) / 1000);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`node ${process.version}, ${cpus().length}x ${cpus()[0]?.model}, load ${loadavg().map((l) => l.toFixed(1)).join(" ")}; ${MB} MB file, ${ROUNDS} rounds`);
const base = median(times["fetch, discard"]);
for (const [name, ts] of Object.entries(times)) {
  const m = median(ts);
  console.log(`${name.padEnd(34)} ${m.toFixed(2)} s  ${(MB / m).toFixed(0)} MB/s  ×${(m / base).toFixed(2)}`);
}
await rm(dir, { recursive: true, force: true });
worker.postMessage("close");
}
