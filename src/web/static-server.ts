/**
 * A minimal static file server for the web demo and its browser test: serves files under `root` on
 * 127.0.0.1 (a free port by default), with the MIME types module scripts need. GET only; paths cannot
 * leave `root`.
 */
import { createReadStream, statSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, sep } from "node:path";

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json", ".map": "application/json", ".css": "text/css",
};

export interface StaticServer {
  readonly url: string;
  close(): Promise<void>;
}

export function serveStatic(root: string, port = 0): Promise<StaticServer> {
  const base = normalize(root + sep);
  const server = createServer((request, response) => {
    const path = normalize(join(base, decodeURIComponent(new URL(request.url ?? "/", "http://localhost").pathname)));
    let ok = request.method === "GET" && path.startsWith(base);
    try {
      ok &&= statSync(path).isFile();
    } catch {
      ok = false;
    }
    if (!ok) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream" });
    createReadStream(path).pipe(response);
  });
  return new Promise((resolve) => {
    server.listen(port, "127.0.0.1", () => {
      const { port: actual } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${actual}`, close: () => new Promise((done) => server.close(() => done())) });
    });
  });
}
