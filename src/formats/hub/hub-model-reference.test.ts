import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BadRequestError } from "../../errors.js";
import { formatHubReference, isHubReferenceSyntax, parseHubReference } from "./hub-model-reference.js";

describe("parseHubReference", () => {
  it("reads org/name, @revision and the hf: prefix", () => {
    assert.deepEqual(parseHubReference("google/gemma-4-E2B-it"), { repoId: "google/gemma-4-E2B-it", revision: "main" });
    assert.deepEqual(parseHubReference("hf:google/gemma-4-E2B-it@v1.0"), { repoId: "google/gemma-4-E2B-it", revision: "v1.0" });
    assert.deepEqual(parseHubReference("hf://unsloth/gemma-3-1b-it-GGUF@refs/pr/1"), { repoId: "unsloth/gemma-3-1b-it-GGUF", revision: "refs/pr/1" });
    const sha = "0123456789abcdef0123456789abcdef01234567";
    assert.deepEqual(parseHubReference(`a/b@${sha}`), { repoId: "a/b", revision: sha });
    assert.equal(formatHubReference(parseHubReference("a/b@main")), "a/b");
    assert.equal(formatHubReference(parseHubReference("a/b@dev")), "a/b@dev");
  });

  it("rejects malformed references with one line that says why", () => {
    for (const bad of ["gemma", "a/b/c", "a//b", "-a/b", "a/b-", "a/b--c", "a/b..c", "a/b.git", "a/b@", "a/b@../x", "a/b@x y", "a b/c", "hf:"]) {
      assert.throws(() => parseHubReference(bad), (e: unknown) => e instanceof BadRequestError && e.message.startsWith("bad model reference") && !e.message.includes("\n"), bad);
    }
  });

  it("tells Hub syntax from path syntax", () => {
    for (const hub of ["google/gemma", "google/gemma@v1", "hf:x", "a/b@refs/pr/1"]) assert.equal(isHubReferenceSyntax(hub), true, hub);
    for (const path of ["./google/gemma", "/models/g", "../g/h", "~/g/h", "a/b/c", "model", "a\\b"]) assert.equal(isHubReferenceSyntax(path), false, path);
  });
});
