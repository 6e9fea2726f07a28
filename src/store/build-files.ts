/** `std.files`: write each declared file with its mode; no process runs. */
import { chmod, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { FileEntry } from "./types.js";

/**
 * Files get exactly their declared mode and directories 0755, whatever the umask of the user who
 * builds: the same package must give the same tree on every machine.
 */
export async function buildFiles(out: string, files: readonly FileEntry[]): Promise<void> {
  for (const f of files) {
    const target = path.join(out, f.path);
    await mkdirExact(out, path.dirname(f.path));
    await writeFile(target, f.content, { mode: f.mode });
    await chmod(target, f.mode);
  }
}

async function mkdirExact(out: string, relDir: string): Promise<void> {
  if (relDir === "." || relDir === "") return;
  let cur = out;
  for (const part of relDir.split("/")) {
    cur = path.join(cur, part);
    await mkdir(cur, { recursive: true });
    await chmod(cur, 0o755);
  }
}
