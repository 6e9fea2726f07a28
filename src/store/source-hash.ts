/**
 * Content hash of a local package source (ADR 022): a canonical walk that records, in code-point
 * order of relative paths, each entry's type, the executable bit of files, file bytes (by sha256)
 * and symlink targets. Owners, timestamps and the other mode bits are left out because they differ
 * between checkouts of the same tree (umask, clone time), and the hash must not.
 */
import { createHash } from "node:crypto";
import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import path from "node:path";
import { FleetError } from "../fleet-error.js";
import { fleetMessages } from "../fleet-messages.js";
import { canonicalJson } from "../canonical-json.js";

type WalkEntry =
  | { readonly path: string; readonly type: "dir" }
  | { readonly path: string; readonly type: "file"; readonly executable: boolean; readonly sha256: string }
  | { readonly path: string; readonly type: "symlink"; readonly target: string };

export async function hashLocalSource(absPath: string, describe: string): Promise<string> {
  const entries: WalkEntry[] = [];
  await walk(absPath, ".", entries, describe);
  return createHash("sha256").update(canonicalJson(entries)).digest("hex");
}

async function walk(abs: string, rel: string, out: WalkEntry[], describe: string): Promise<void> {
  let st;
  try {
    st = await lstat(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") {
      throw new FleetError(fleetMessages.localSourceMissing(describe, abs));
    }
    throw e;
  }
  if (st.isSymbolicLink()) {
    out.push({ path: rel, type: "symlink", target: await readlink(abs) });
  } else if (st.isFile()) {
    const sha256 = createHash("sha256").update(await readFile(abs)).digest("hex");
    out.push({ path: rel, type: "file", executable: (st.mode & 0o111) !== 0, sha256 });
  } else if (st.isDirectory()) {
    out.push({ path: rel, type: "dir" });
    const names = (await readdir(abs)).sort(byCodePoint);
    for (const name of names) {
      await walk(path.join(abs, name), rel === "." ? name : `${rel}/${name}`, out, describe);
    }
  } else {
    throw new FleetError(fleetMessages.localSourceEntryUnsupported(describe, abs));
  }
}

function byCodePoint(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
