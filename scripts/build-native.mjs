#!/usr/bin/env node
// Builds the native CPU kernels (build/native/gemma4-cpu.node) from src/backends/cpu/kernels/*.c with the
// system C compiler, against Node's own Node-API headers — no node-gyp, nothing downloaded. Runs at
// `npm install`; when there is no compiler (or no headers, or an unsupported OS) it says so in one line and
// exits 0: the CPU backend then runs the WebAssembly build of the same kernels.
//
// x86-64 gets three variants in one file, chosen at run time: AVX-512 (F/BW/VL/VNNI), AVX2+FMA+F16C, and
// baseline; other CPUs get one build for the host (-O3, e.g. NEON on arm64).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "src", "backends", "cpu", "kernels");
const outDir = join(root, "build", "native");
const out = join(outDir, "gemma4-cpu.node");
const quiet = process.argv.includes("--quiet");

function log(message) {
  if (!quiet) console.log(`gemma4: ${message}`);
}

function findCompiler() {
  const candidates = [process.env.CC, "cc", "gcc", "clang"].filter(Boolean);
  for (const cc of candidates) {
    try {
      execFileSync(cc, ["--version"], { stdio: "ignore" });
      return cc;
    } catch {
      // try the next one
    }
  }
  return null;
}

function findHeaders() {
  const dirs = [
    process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, "include", "node"),
    join(dirname(process.execPath), "..", "include", "node"),
  ].filter(Boolean);
  try {
    const pkg = join(root, "node_modules", "node-api-headers", "include");
    dirs.push(pkg);
  } catch {
    // not installed
  }
  return dirs.find((d) => existsSync(join(d, "node_api.h"))) ?? null;
}

function main() {
  if (process.platform === "win32") {
    log("native CPU kernels are not built on Windows; the WebAssembly kernels will be used");
    return;
  }
  const cc = findCompiler();
  if (!cc) {
    log("no C compiler found (cc, gcc, clang); the CPU backend will use its WebAssembly kernels");
    return;
  }
  const headers = findHeaders();
  if (!headers) {
    log("Node-API headers (node_api.h) not found; the CPU backend will use its WebAssembly kernels");
    return;
  }
  const tmp = join(outDir, "obj");
  mkdirSync(tmp, { recursive: true });
  const common = ["-O3", "-std=c11", "-fPIC", "-fvisibility=hidden", "-Wall", "-Wno-unused-function", "-fno-math-errno", "-D_GNU_SOURCE"];
  const variants = [];
  if (process.arch === "x64") {
    variants.push({ suffix: "_avx512", flags: ["-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mavx512vnni", "-mf16c", "-mfma", "-mbmi2"], define: "G4_HAVE_AVX512" });
    variants.push({ suffix: "_avx2", flags: ["-mavx2", "-mfma", "-mf16c", "-mbmi2"], define: "G4_HAVE_AVX2" });
  }
  variants.push({ suffix: "_generic", flags: process.arch === "x64" ? [] : ["-march=native"], define: null });
  const objects = [];
  for (const v of variants) {
    const obj = join(tmp, `g4-isa${v.suffix}.o`);
    execFileSync(cc, [...common, ...v.flags, `-DG4_SUFFIX=${v.suffix}`, "-c", join(src, "g4-isa.c"), "-o", obj], { stdio: "inherit" });
    objects.push(obj);
  }
  const defines = variants.filter((v) => v.define).map((v) => `-D${v.define}`);
  for (const name of ["g4-dispatch", "g4-threads"]) {
    const obj = join(tmp, `${name}.o`);
    execFileSync(cc, [...common, ...defines, "-c", join(src, `${name}.c`), "-o", obj], { stdio: "inherit" });
    objects.push(obj);
  }
  const napiObj = join(tmp, "g4-napi.o");
  execFileSync(cc, [...common, `-I${headers}`, "-c", join(src, "g4-napi.c"), "-o", napiObj], { stdio: "inherit" });
  objects.push(napiObj);
  const linkFlags = process.platform === "darwin" ? ["-bundle", "-undefined", "dynamic_lookup"] : ["-shared"];
  const tmpOut = `${out}.tmp-${process.pid}`;
  execFileSync(cc, [...linkFlags, "-o", tmpOut, ...objects, "-lpthread", "-lm"], { stdio: "inherit" });
  renameSync(tmpOut, out);
  rmSync(tmp, { recursive: true, force: true });
  log(`built native CPU kernels (${variants.map((v) => v.suffix.slice(1)).join(", ")}) → build/native/gemma4-cpu.node`);
}

try {
  main();
} catch (error) {
  rmSync(out, { force: true }); // never leave a binary built from older sources behind
  log(`native CPU kernels were not built (${String(error?.message ?? error).split("\n")[0]}); the WebAssembly kernels will be used`);
}
