/** Starts `createServer` on a random-weight default model on a free loopback port, for the server tests. */
import { rmSync } from "node:fs";
import { loadModel } from "../api/load-model.js";
import type { Model } from "../api/model.js";
import { createServer, type GemmaServer } from "../server/create-server.js";
import type { ServerOptions } from "../server/server-options.js";
import { writeRandomDefaultModel, type RandomDefaultModelOptions } from "./random-default-model.js";

export interface TestServer {
  readonly server: GemmaServer;
  readonly model: Model;
  readonly url: string;
  readonly modelId: string;
  /** GET /metrics: the value of one series (`name{label="…"}`), or the sum of a metric's series (bare name). */
  metric(name: string, auth?: string): Promise<number>;
  close(): Promise<void>;
}

export async function startTestServer(options: ServerOptions = {}, modelOptions: RandomDefaultModelOptions = {}, wrap?: (model: Model) => Model): Promise<TestServer> {
  const dir = writeRandomDefaultModel(modelOptions);
  const loaded = await loadModel(dir);
  const model = wrap ? wrap(loaded) : loaded;
  const server = await createServer(model, { port: 0, modelId: "test-model", log: () => {}, ...options });
  const url = await server.listen();
  return {
    server,
    model,
    url,
    modelId: server.options.modelId,
    async metric(name, auth) {
      const res = await fetch(`${url}/metrics`, auth ? { headers: { authorization: `Bearer ${auth}` } } : {});
      const text = await res.text();
      // `name{labels}` picks one series; a bare name sums all of its series.
      const lines = text.split("\n").filter((l) => name.includes("{") ? l.startsWith(`${name} `) : l.startsWith(`${name} `) || l.startsWith(`${name}{`));
      if (lines.length === 0) throw new Error(`no metric ${name} in /metrics`);
      return lines.reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
    },
    async close() {
      await server.close();
      loaded.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
