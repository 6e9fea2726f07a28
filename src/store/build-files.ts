/** `std.files`: write each declared file with its mode; no process runs. */
import { chmod, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { FileEntry } from "./types.js";

export async function buildFiles(out: string, files: readonly FileEntry[]): Promise<void> {
  for (const f of files) {
    const target = path.join(out, f.path);
    await mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
    await writeFile(target, f.content, { mode: f.mode });
    await chmod(target, f.mode); // the umask may have cleared bits that the package asked for
  }
}
