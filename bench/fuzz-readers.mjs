#!/usr/bin/env node
// Mutation fuzzing of the GGUF and safetensors readers (issue 5: ≥ 100,000 mutated files, no crash, no hang,
// no read outside the file). Needs `npm run build` first.
//   node bench/fuzz-readers.mjs [iterations per reader = 100000] [seed = 1]
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fuzzReader } from "../dist/testing/reader-fuzz.js";
import { fuzzBaseGguf, openAndReadAllGguf } from "../dist/testing/gguf-fuzz-base.js";
import { SafetensorsFile, writeSafetensors } from "../dist/formats/safetensors.js";

const iterations = Number(process.argv[2] ?? 100000);
const seed = Number(process.argv[3] ?? 1);
const dir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "fuzz-readers-"));
console.log(`machine: ${cpus()[0]?.model ?? "?"} × ${cpus().length}, node ${process.version}; ${iterations} mutants per reader, seed ${seed}`);
try {
  const readers = {
    gguf: { base: fuzzBaseGguf(join(dir, "base.gguf")), open: openAndReadAllGguf },
    safetensors: {
      base: (() => {
        const p = join(dir, "base.safetensors");
        writeSafetensors(p, [
          { name: "a", dtype: "f32", shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) },
          { name: "b", dtype: "bf16", shape: [4], data: Uint16Array.of(1, 2, 3, 4) },
        ], { format: "pt" });
        return readFileSync(p);
      })(),
      open: (path) => {
        const f = SafetensorsFile.open(path);
        try { for (const name of f.tensors.keys()) f.read(name); } finally { f.close(); }
      },
    },
  };
  for (const [name, { base, open }] of Object.entries(readers)) {
    const start = performance.now();
    try {
      const result = fuzzReader({ seed, iterations, base, path: join(dir, `mutant-${name}`), openAndReadAll: open });
      const seconds = (performance.now() - start) / 1000;
      console.log(`${name}: ${iterations} mutants in ${seconds.toFixed(1)} s: ${result.rejected} rejected with a typed error, ${result.opened} opened and read back; no other outcome`);
    } catch (e) {
      process.exitCode = 1;
      console.log(`${name}: FINDING: ${String(e.message).replace(/\n/g, "\\n").slice(0, 400)}`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
