import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compareCodePoints, dictsortEntries, pythonStrip } from "./python-string.js";
import { strftime } from "./strftime.js";

describe("Python string behaviour copied by the built-in formats", () => {
  it("strips what Python's str.strip() strips, not what JS trim() strips", () => {
    assert.equal(pythonStrip("\x1c\x85 a b\u3000\t\n"), "a b");
    assert.equal(pythonStrip("\uFEFFa\uFEFF"), "\uFEFFa\uFEFF");
  });

  it("orders by code point and sorts dict keys case-insensitively and stably", () => {
    assert.ok(compareCodePoints("\uFFFF", "\u{10000}") < 0);
    assert.ok("\uFFFF" > "\u{10000}"); // what JS would do
    assert.deepEqual(dictsortEntries({ b: 1, B: 2, a: 3, A: 4 }).map(([k]) => k), ["a", "A", "b", "B"]);
  });

  it("formats dates as Python strftime does (C locale)", () => {
    const d = new Date(2026, 0, 5, 9, 7, 3);
    assert.equal(strftime(d, "%Y-%m-%d %H:%M:%S %a %A %b %B %y %j %I%p %-d %e %%"), "2026-01-05 09:07:03 Mon Monday Jan January 26 005 09AM 5  5 %");
  });
});
