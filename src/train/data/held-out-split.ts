/**
 * A held-out split by whole documents, drawn per source so that every source is represented in both
 * parts: each source's documents are shuffled with a seed, and the first ones go to validation until they
 * hold `fraction` of that source's bytes. Both parts keep the documents' original order.
 */
import { BadRequestError } from "../../errors.js";
import type { CorpusDocument } from "./corpus-document.js";
import { seededRandom, shuffleInPlace } from "./seeded-random.js";

export interface HeldOutSplit {
  readonly train: readonly CorpusDocument[];
  readonly validation: readonly CorpusDocument[];
}

export function splitHeldOut(documents: readonly CorpusDocument[], options: { fraction: number; seed: number }): HeldOutSplit {
  const { fraction, seed } = options;
  if (!(fraction > 0 && fraction < 1)) throw new BadRequestError(`validation fraction ${fraction} must be between 0 and 1`, "fraction");
  const random = seededRandom(seed);
  const held = new Set<string>();
  const sources = [...new Set(documents.map((d) => d.source))].sort();
  for (const source of sources) {
    const docs = documents.filter((d) => d.source === source).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const total = docs.reduce((n, d) => n + Buffer.byteLength(d.text, "utf8"), 0);
    shuffleInPlace(docs, random);
    let taken = 0;
    for (const d of docs) {
      if (taken >= fraction * total) break;
      held.add(d.id);
      taken += Buffer.byteLength(d.text, "utf8");
    }
  }
  return {
    train: documents.filter((d) => !held.has(d.id)),
    validation: documents.filter((d) => held.has(d.id)),
  };
}
