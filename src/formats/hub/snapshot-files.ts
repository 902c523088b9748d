/** The files of a cached snapshot, as repo paths (`sub/x.json`), found by walking snapshots/<commit>/. */
import { readdir } from "node:fs/promises";
import { join } from "node:path";

export async function listSnapshotFiles(snapshotDir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string, prefix: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const repoPath = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) await walk(join(dir, entry.name), repoPath);
      else if (!/\.[0-9a-f]{8}\.tmp$/.test(entry.name)) out.push(repoPath); // skip our half-made links
    }
  }
  await walk(snapshotDir, "");
  return out.sort();
}
