/**
 * `rm -rf` that also removes trees a build made read-only (`chmod -R a-w "$out"` is a common last
 * step): on EACCES/EPERM it gives the owner write permission on every directory and retries.
 */
import { chmod, lstat, readdir, rm } from "node:fs/promises";
import path from "node:path";

export async function removeTree(p: string): Promise<void> {
  try {
    await rm(p, { recursive: true, force: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "EACCES" && code !== "EPERM") throw e;
    await makeWritable(p);
    await rm(p, { recursive: true, force: true });
  }
}

async function makeWritable(p: string): Promise<void> {
  const st = await lstat(p).catch(() => undefined);
  if (!st?.isDirectory()) return;
  await chmod(p, (st.mode & 0o7777) | 0o700);
  for (const name of await readdir(p)) await makeWritable(path.join(p, name));
}
