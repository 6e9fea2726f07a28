/**
 * What applying would do to one managed file, as a unified diff of the bytes the target has now
 * against the bytes fleet would write (ADR 142). Pure: the caller reads both sides. Secret files
 * are never diffed — not even read — and binary files are only named. Shared by `plan --diff`
 * and any later command that compares desired and live files.
 */
import { createTwoFilesPatch } from "diff";

export interface FileSides {
  /** The path as the target sees it. */
  readonly path: string;
  readonly secret: boolean;
  /** Live bytes on the target; null when the file is absent there (an add). */
  readonly before: Buffer | null;
  /** Bytes apply would write; null when apply would remove the file. */
  readonly after: Buffer | null;
}

export interface FileDiff {
  readonly path: string;
  readonly kind: "add" | "change" | "remove";
  readonly secret: boolean;
  readonly binary: boolean;
  /** Unified diff text (`--- … +++ … @@ …`), null for secret and binary files or a mode-only change. */
  readonly diff: string | null;
}

function isBinary(b: Buffer | null): boolean {
  if (b === null) return false;
  if (b.includes(0)) return true;
  return Buffer.from(b.toString("utf8"), "utf8").compare(b) !== 0;
}

/** Diff one file; `a/`-less labels so the text reads as the target's own paths. */
export function fileDiff(f: FileSides): FileDiff {
  const kind = f.before === null ? "add" : f.after === null ? "remove" : "change";
  if (f.secret) return { path: f.path, kind, secret: true, binary: false, diff: null };
  if (isBinary(f.before) || isBinary(f.after)) return { path: f.path, kind, secret: false, binary: true, diff: null };
  const before = f.before?.toString("utf8") ?? "";
  const after = f.after?.toString("utf8") ?? "";
  if (before === after) return { path: f.path, kind, secret: false, binary: false, diff: null };
  const patch = createTwoFilesPatch(f.before === null ? "/dev/null" : f.path, f.after === null ? "/dev/null" : f.path, before, after, "current", "planned", {
    context: 3,
  });
  // Drop jsdiff's `Index:`/`====` preamble: from `---` on it is a plain unified diff.
  const text = patch.slice(patch.indexOf("--- "));
  return { path: f.path, kind, secret: false, binary: false, diff: text.endsWith("\n") ? text : `${text}\n` };
}
