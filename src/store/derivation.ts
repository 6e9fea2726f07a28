/**
 * The derivation of a package (SPEC §2, ADR 021): everything that determines its output and
 * nothing that depends on where or by whom it is built. Its canonical JSON is hashed into the
 * store path name, so changing this shape changes every hash: bump `format` when you do.
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "../canonical-json.js";
import { nixBase32 } from "./nix-base32.js";
import type { Recipe } from "./types.js";

export const DERIVATION_FORMAT = 1;

/** How a source enters a derivation: by content only, never by a local path. */
export type SourceInput =
  | { readonly type: "local"; readonly sha256: string }
  | { readonly type: "url"; readonly sha256: string; readonly unpack: UnpackKind; readonly name: string };

export type UnpackKind = "tar" | "tar.gz" | "none";

export interface DerivationInput {
  readonly system: string;
  readonly pname: string;
  readonly version: string;
  readonly recipe: Recipe;
  readonly source?: SourceInput;
  /** Base names of direct dependencies. */
  readonly deps: readonly string[];
}

/** The canonical JSON (sorted keys, 2-space indent, final newline) that is hashed and kept in the built marker. */
export function derivationJson(d: DerivationInput): string {
  const args =
    d.recipe.kind === "std.files"
      ? { files: d.recipe.files.map((f) => ({ path: f.path, content: f.content, mode: f.mode.toString(8).padStart(4, "0") })) }
      : { command: d.recipe.command };
  return canonicalJson({
    format: DERIVATION_FORMAT,
    system: d.system,
    pname: d.pname,
    version: d.version,
    recipe: d.recipe.kind,
    args,
    source: d.source ?? null,
    deps: [...new Set(d.deps)].sort(),
  });
}

/** 32 Nix-base32 characters of the first 160 bits of the sha256 of the derivation JSON. */
export function derivationHash(json: string): string {
  return nixBase32(createHash("sha256").update(json).digest().subarray(0, 20));
}

export function baseName(hash: string, pname: string, version: string): string {
  return `${hash}-${pname}-${version}`;
}

/** How a url source is presented as `$src` (ADR 024): tarballs unpacked, anything else as a file. */
export function unpackKindOf(url: string): UnpackKind {
  const p = urlPath(url).toLowerCase();
  if (p.endsWith(".tar.gz") || p.endsWith(".tgz")) return "tar.gz";
  if (p.endsWith(".tar")) return "tar";
  return "none";
}

/** The file name `$src` gets for a url source that is not unpacked. */
export function urlFileName(url: string): string {
  const last = urlPath(url).split("/").filter((s) => s !== "").pop() ?? "";
  const safe = decodeSafe(last).replace(/[^A-Za-z0-9+._=-]/g, "_");
  return safe === "" || safe === "." || safe === ".." ? "source" : safe;
}

function urlPath(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
