import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, readlinkSync, existsSync } from "node:fs";
import { join } from "node:path";

/**
 * A listing of every entry under `root` (path, type, mode, sha256 or link target), sorted, plus
 * its sha256. Two trees with the same hash are byte-identical in paths, modes, bytes and links.
 * `exclude` names relative paths (and their subtrees) to leave out, e.g. the deployments root.
 */
export function treeListing(root: string, exclude: readonly string[] = []): string[] {
  const out: string[] = [];
  if (!existsSync(root)) return out;
  const walk = (rel: string): void => {
    const abs = rel ? join(root, rel) : root;
    for (const name of readdirSync(abs).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      if (exclude.some((x) => r === x || r.startsWith(`${x}/`))) continue;
      const st = lstatSync(join(root, r));
      const mode = (st.mode & 0o7777).toString(8).padStart(4, "0");
      if (st.isSymbolicLink()) out.push(`l ${r} -> ${readlinkSync(join(root, r))}`);
      else if (st.isDirectory()) {
        out.push(`d ${r} ${mode}`);
        walk(r);
      } else {
        const h = createHash("sha256").update(readFileSync(join(root, r))).digest("hex");
        out.push(`f ${r} ${mode} ${h}`);
      }
    }
  };
  walk("");
  return out;
}

export function treeHash(root: string, exclude: readonly string[] = []): string {
  return createHash("sha256").update(treeListing(root, exclude).join("\n")).digest("hex");
}
