/**
 * Reads a package module (SPEC §1.6: `pname version recipe source? deps?` plus the recipe's
 * arguments) into a typed spec. The checker has normally refused malformed packages already; the
 * checks here keep the store from ever hashing or building something it cannot name, and turn
 * what only the store knows (recipes, file modes, source types) into located diagnostics.
 */
import { checkFileMode } from "../file-mode.js";
import { ArtifactRef, type Diagnostic, type DiagnosticCode, isRecordValue, type RecordValue, SecretRef, type Span, Template, type Value } from "../lang/index.js";
import type { SourceLocator } from "./source-locator.js";
import { BUILT_MARKER } from "./store-path.js";
import type { FileEntry, Recipe } from "./types.js";

export const RECIPES = ["std.files", "std.shell"] as const;

export type DeclaredSource =
  | { readonly type: "local"; readonly path: string }
  | { readonly type: "url"; readonly url: string; readonly sha256: string };

export interface PackageSpec {
  readonly module: string;
  readonly pname: string;
  readonly version: string;
  readonly recipe: Recipe;
  readonly source?: DeclaredSource;
  /** Module names, as declared. */
  readonly deps: readonly string[];
}

/** A package is any module with a `recipe` field (SPEC §1.6). */
export function isPackageModule(value: RecordValue | undefined): boolean {
  return value !== undefined && Object.hasOwn(value, "recipe");
}

// Characters Nix accepts in store path names; anything else could break a path or a unit line.
const NAME_PART = /^[A-Za-z0-9+_?=-][A-Za-z0-9+._?=-]*$/;
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

export function readPackage(
  module: string,
  value: RecordValue,
  moduleSpan: Span,
  locate: SourceLocator,
): { spec?: PackageSpec; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const at = (field: string) => locate.field(moduleSpan, field);
  const error = (code: DiagnosticCode, field: string, message: string, hint?: string) =>
    diagnostics.push({ code, message, span: at(field), labels: [], ...(hint ? { hint } : {}) });

  // A reference would put a secret (or a deploy-time value) into a hash: refuse, never crash.
  for (const [field, v] of Object.entries(value)) {
    for (const ref of referencesIn(v)) {
      diagnostics.push({
        code: "E6",
        message: `package '${module}' field '${field}' holds ${ref instanceof SecretRef ? `secret reference ${ref.toString()}` : `artifact reference ${ref.id}`}; references never enter a package`,
        span: ref.span,
        labels: [{ span: moduleSpan, message: `package '${module}' defined here` }],
        hint: "move secrets into a service's environment or a configFiles entry",
      });
    }
  }
  if (diagnostics.length > 0) return { diagnostics };

  const str = (field: string, required: boolean): string | undefined => {
    const v = value[field];
    if (v === undefined) {
      if (required) error("E3", field, `package '${module}' is missing required field '${field}'`);
      return undefined;
    }
    if (typeof v !== "string") {
      error("E1", field, `field '${field}' of package '${module}' must be a Str`);
      return undefined;
    }
    return v;
  };

  const pname = str("pname", true);
  const version = str("version", true);
  for (const [field, v] of [["pname", pname], ["version", version]] as const) {
    if (v !== undefined && !NAME_PART.test(v)) {
      error("E6", field, `${field} '${v}' of package '${module}' cannot be part of a store path name`, "use letters, digits and + - . _ ? = only");
    }
  }

  const recipeName = str("recipe", true);
  let recipe: Recipe | undefined;
  if (recipeName === "std.files") recipe = readFiles(module, value, error);
  else if (recipeName === "std.shell") {
    const command = str("command", true);
    if (command !== undefined) recipe = { kind: "std.shell", command };
  } else if (recipeName !== undefined) {
    error("E2", "recipe", `unknown recipe '${recipeName}' in package '${module}'`, `supported recipes: ${RECIPES.join(", ")}`);
  }

  const source = readSource(module, value["source"], error);

  let deps: string[] = [];
  const rawDeps = value["deps"];
  if (rawDeps !== undefined) {
    if (!Array.isArray(rawDeps) || !rawDeps.every((d): d is string => typeof d === "string")) {
      error("E1", "deps", `field 'deps' of package '${module}' must be a List<Str> of module names`);
    } else deps = [...rawDeps];
  }

  if (diagnostics.length > 0 || pname === undefined || version === undefined || recipe === undefined) return { diagnostics };
  return { spec: { module, pname, version, recipe, ...(source ? { source } : {}), deps }, diagnostics };
}

type ErrorFn = (code: DiagnosticCode, field: string, message: string, hint?: string) => void;

function readFiles(module: string, value: RecordValue, error: ErrorFn): Recipe | undefined {
  const raw = value["files"];
  if (raw === undefined) {
    error("E3", "files", `package '${module}' uses std.files but has no 'files' field`);
    return undefined;
  }
  if (!Array.isArray(raw)) {
    error("E1", "files", `field 'files' of package '${module}' must be a list of {path, content, mode?} records`);
    return undefined;
  }
  const files: FileEntry[] = [];
  const seen = new Set<string>();
  let ok = true;
  for (const item of raw as readonly Value[]) {
    if (!isRecordValue(item) || typeof item["path"] !== "string" || typeof item["content"] !== "string" ||
        (item["mode"] !== undefined && typeof item["mode"] !== "string")) {
      error("E1", "files", `every entry of 'files' in package '${module}' must be {path: Str, content: Str, mode?: Str}`);
      ok = false;
      continue;
    }
    const p = normaliseOutputPath(item["path"]);
    if (p === undefined) {
      error("E6", "files", `file path '${item["path"]}' in package '${module}' must be relative and stay inside the output`, "write a path such as \"bin/tool\" (no leading '/', no '..')");
      ok = false;
      continue;
    }
    if (p === BUILT_MARKER) {
      error("E6", "files", `file path '${p}' in package '${module}' is reserved for the store's built marker`);
      ok = false;
      continue;
    }
    if (seen.has(p)) {
      error("E3", "files", `file path '${p}' appears twice in package '${module}'`);
      ok = false;
      continue;
    }
    seen.add(p);
    const modeText = item["mode"] as string | undefined;
    let mode = 0o644;
    if (modeText !== undefined) {
      const checked = checkFileMode(modeText, `'${p}' in package '${module}'`, item["allowSpecialBits"] === true);
      if ("error" in checked) {
        error("E6", "files", checked.error, checked.hint);
        ok = false;
        continue;
      }
      mode = checked.mode;
    }
    files.push({ path: p, content: item["content"], mode });
  }
  if (!ok) return undefined;
  // Parents of every file become directories, so a file may not also be a parent of another.
  for (const f of files) {
    const parts = f.path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join("/");
      if (seen.has(parent)) {
        error("E6", "files", `file path '${parent}' in package '${module}' is also the directory of '${f.path}'`);
        return undefined;
      }
    }
  }
  return { kind: "std.files", files: [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)) };
}

function normaliseOutputPath(p: string): string | undefined {
  if (p.startsWith("/") || p.includes("\0")) return undefined;
  const parts = p.split("/").filter((s) => s !== "" && s !== ".");
  if (parts.length === 0 || parts.some((s) => s === "..")) return undefined;
  return parts.join("/");
}

function readSource(module: string, raw: Value | undefined, error: ErrorFn): DeclaredSource | undefined {
  if (raw === undefined) return undefined;
  if (!isRecordValue(raw)) {
    error("E1", "source", `field 'source' of package '${module}' must be a record`);
    return undefined;
  }
  const type = raw["type"];
  if (type === "local") {
    const p = raw["path"];
    if (typeof p !== "string" || p === "") {
      error("E3", "source", `local source of package '${module}' needs a 'path' string`, 'write source = { type = "local" path = "./dir" }');
      return undefined;
    }
    return { type: "local", path: p };
  }
  if (type === "url") {
    const url = raw["url"];
    const sha = raw["sha256"];
    if (typeof url !== "string" || !/^https?:\/\//.test(url)) {
      error("E6", "source", `url source of package '${module}' needs an http:// or https:// 'url'`);
      return undefined;
    }
    if (typeof sha !== "string" || !SHA256_HEX.test(sha)) {
      error("E6", "source", `url source of package '${module}' needs 'sha256' as 64 hex characters`, "compute it with `sha256sum` of the downloaded file");
      return undefined;
    }
    return { type: "url", url, sha256: sha.toLowerCase() };
  }
  error("E6", "source", `source of package '${module}' has type ${JSON.stringify(type ?? null)}`, 'use type = "local" or type = "url"');
  return undefined;
}

function referencesIn(v: Value): (SecretRef | ArtifactRef)[] {
  if (v instanceof SecretRef || v instanceof ArtifactRef) return [v];
  if (v instanceof Template) return v.parts.filter((p): p is ArtifactRef => p instanceof ArtifactRef);
  if (Array.isArray(v)) return (v as readonly Value[]).flatMap(referencesIn);
  if (isRecordValue(v)) return Object.values(v).flatMap(referencesIn);
  return [];
}
