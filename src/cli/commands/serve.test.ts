import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UsageError } from "../command.js";
import { serveCommand } from "./serve.js";

describe("gemma4 serve: flags", () => {
  it("rejects contradictory or malformed flags before loading anything", async () => {
    const cases: [string[], RegExp][] = [
      [["m", "--api-key", "a", "--api-key-file", "f"], /not both/],
      [["m", "--tls-cert", "c.pem"], /go together/],
      [["m", "--port", "70000"], /--port must be an integer/],
      [["m", "--max-batch", "0"], /--max-batch must be an integer ≥ 1/],
      [["m", "--bogus"], /bogus/],
      [["m", "extra"], /unexpected argument "extra"/],
    ];
    for (const [argv, message] of cases) {
      await assert.rejects(serveCommand.run(argv), (e: unknown) => e instanceof UsageError && message.test(e.message), argv.join(" "));
    }
  });
});
