import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SeededRandom } from "./rng.js";
import { StopStringMatcher } from "./stop-strings.js";

describe("stop strings", () => {
  it("hold back possible beginnings and cut at the first stop string, however the text is chunked", () => {
    const rng = new SeededRandom(3);
    const cases: [string, string[], string][] = [
      ["Hello world. END more", ["END"], "Hello world. "],
      ["abcabd", ["abd", "bca"], "a"],
      ["no stop here", ["xyz"], "no stop here"],
      ["line1\n\nline2", ["\n\n"], "line1"],
      ["ENENDX", ["END"], "EN"],
    ];
    for (const [text, stops, expected] of cases) {
      for (let trial = 0; trial < 20; trial++) {
        const m = new StopStringMatcher(stops);
        let out = "";
        let i = 0;
        while (i < text.length) {
          const n = 1 + (rng.nextUint32() % 4);
          const piece = m.push(text.slice(i, i + n));
          // Released text never contains the start of a stop string that could still complete.
          out += piece;
          i += n;
        }
        out += m.flush();
        assert.equal(out, expected, `${JSON.stringify(text)} / ${JSON.stringify(stops)}`);
        assert.equal(m.hasStopped, expected !== text);
      }
    }
  });
});
