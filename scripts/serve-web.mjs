#!/usr/bin/env node
// Serves the repository root for the WebGPU demo page: `npm run build && node scripts/serve-web.mjs [port]`,
// then open http://127.0.0.1:PORT/web/index.html in a browser with WebGPU.
import { fileURLToPath } from "node:url";
import { serveStatic } from "../dist/web/static-server.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const server = await serveStatic(root, Number(process.argv[2] ?? 8080));
console.log(`serving ${root} at ${server.url}/web/index.html?model=../test/fixtures/hf/gemma4-dense&prompt=2,10,20,30&tokens=8`);
