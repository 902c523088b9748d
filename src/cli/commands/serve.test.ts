import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { BadFileError, BadRequestError } from "../../errors.js";
import { createServer } from "../../server/create-server.js";
import { startTestServer } from "../../testing/test-server.js";
import { UsageError } from "../command.js";
import { serveCommand } from "./serve.js";

describe("gemma4 serve: flags", () => {
  it("rejects contradictory or malformed flags before loading anything", async () => {
    const cases: [string[], RegExp][] = [
      [["m", "--api-key", "a", "--api-key-file", "f"], /not both/],
      [["m", "--tls-cert", "c.pem"], /go together/],
      [["m", "--port", "70000"], /--port must be an integer/],
      [["m", "--max-batch", "0"], /--max-batch must be an integer from 1 to 1024/],
      [["m", "--bogus"], /bogus/],
      [["m", "extra"], /unexpected argument "extra"/],
    ];
    for (const [argv, message] of cases) {
      await assert.rejects(serveCommand.run(argv), (e: unknown) => e instanceof UsageError && message.test(e.message), argv.join(" "));
    }
  });
});

describe("gemma4 serve: what stops it from starting is one line", () => {
  it("a certificate and key TLS cannot use, before the model loads", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gemma4-serve-"));
    try {
      writeFileSync(join(dir, "bad.pem"), "{}\n");
      await assert.rejects(serveCommand.run([join(dir, "missing-model"), "--tls-cert", join(dir, "bad.pem"), "--tls-key", join(dir, "bad.pem")]),
        (e: unknown) => e instanceof BadFileError && /not a usable PEM certificate and private key/.test(e.message));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a port in use, or a host that is not this machine's", async () => {
    const blocker = createNetServer().listen(0, "127.0.0.1");
    await new Promise((r) => blocker.once("listening", r));
    const t = await startTestServer({}, { tokenizer: false });
    try {
      const port = (blocker.address() as AddressInfo).port;
      const taken = await createServer(t.model, { port, log: () => {} });
      await assert.rejects(taken.listen(), (e: unknown) => e instanceof BadRequestError && e.message === `cannot listen on 127.0.0.1:${port}: the port is in use (stop the other server, or pass --port)`);
      await taken.close();
      const elsewhere = await createServer(t.model, { host: "192.0.2.1", port: 0, apiKeys: ["k"], log: () => {} }); // TEST-NET-1: never local
      await assert.rejects(elsewhere.listen(), (e: unknown) => e instanceof BadRequestError && /192\.0\.2\.1 is not an address of this machine/.test(e.message));
      await elsewhere.close();
    } finally {
      blocker.close();
      await t.close();
    }
  });
});
