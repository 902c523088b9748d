/**
 * The hash that ties kernels-wasm.ts to the C sources it was compiled from: sha256 over every kernels/*.c
 * and *.h file that goes into the WebAssembly build (sorted by name; name and contents). Used by
 * scripts/build-wasm-kernels.mjs and by the test that catches a stale WebAssembly build.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The Node-API face of the native addon, not part of the WebAssembly build. */
const NATIVE_ONLY = new Set(["g4-napi.c"]);

export function kernelSourceHash(dir: string): string {
  const hash = createHash("sha256");
  for (const name of readdirSync(dir).filter((n) => /\.[ch]$/.test(n) && !NATIVE_ONLY.has(n)).sort()) {
    hash.update(`${name}\n`);
    hash.update(readFileSync(join(dir, name)));
  }
  return hash.digest("hex");
}
