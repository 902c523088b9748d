#!/usr/bin/env node
// Serves the repository root for the WebGPU demo page: `npm run build && node scripts/serve-web.mjs [port]`,
// then open http://127.0.0.1:PORT/web/index.html (WebGPU where the browser has it, else the CPU kernels as WebAssembly).
import { fileURLToPath } from "node:url";
import { serveStatic } from "../dist/web/static-server.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const server = await serveStatic(root, Number(process.argv[2] ?? 8080));
console.log(`serving ${root}: open ${server.url}/web/index.html`);
