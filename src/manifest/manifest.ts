/**
 * The generation manifest `gen-NNN.json` (SPEC §4): its shape, its canonical bytes, and a reader
 * that refuses anything malformed (a corrupt manifest is an operational error, not a crash).
 */
import { FleetError } from "../fleet-error.js";
import { SECRET_KINDS, type SecretKind } from "../lang/index.js";
import { fleetMessages } from "../fleet-messages.js";
import { canonicalJson } from "../canonical-json.js";
import type { GenerationNumber } from "./layout.js";

/** A secret a service reads, by reference only: never its value. */
export interface ManifestSecret {
  /** The environment variable name. */
  readonly key: string;
  readonly kind: SecretKind;
  /** The env var name, file path or vault reference. */
  readonly name: string;
}

export interface ManifestService {
  readonly name: string;
  /** Target path of the rendered unit, e.g. `/etc/systemd/system/api.service`. */
  readonly unit: string;
  /** Package module name. */
  readonly package: string;
  /** Absolute target store path of the package. */
  readonly store_path: string;
  readonly secrets: readonly ManifestSecret[];
  /** Config file paths whose change restarts the service (ADR 190); absent when none. */
  readonly restart_triggers?: readonly string[];
  /** Present (true) when a change reloads instead of restarting. */
  readonly reload_if_changed?: true;
  /** Present (false) for `enable = false` (ADR 033): activation never starts it. */
  readonly enable?: false;
}

export interface ManifestFile {
  /** Absolute target path. */
  readonly path: string;
  /** sha256 of the bytes; for a secret file, HMAC-SHA256 keyed by the host's key. */
  readonly sha256: string;
  /** Octal string, e.g. "0644". */
  readonly mode: string;
  readonly secret: boolean;
}

export interface Manifest {
  readonly generation: GenerationNumber;
  readonly stack: string;
  /** The target as written in the host record. */
  readonly host: string;
  readonly machine: string | null;
  readonly deployed_at: string;
  /** `user@machine` of the controller that wrote it (ADR 221); absent in older manifests. */
  readonly deployed_by?: string;
  readonly source_hash: string;
  readonly backend: string;
  readonly dry_run: boolean;
  /** Sorted absolute target store paths. */
  readonly store_paths: readonly string[];
  readonly services: readonly ManifestService[];
  /** Sorted by path. */
  readonly files: readonly ManifestFile[];
  readonly artifacts: Readonly<Record<string, string>>;
  /** `machine/name` references consumed (never their values). */
  readonly artifact_refs: readonly string[];
  readonly previous: GenerationNumber | null;
}

/** "0644" for 0o644. */
export function modeString(mode: number): string {
  return mode.toString(8).padStart(4, "0");
}

export function parseModeString(mode: string): number {
  return Number.parseInt(mode, 8);
}

/** The exact bytes written to `gen-NNN.json`. */
export function manifestBytes(m: Manifest): Buffer {
  return Buffer.from(canonicalJson(m), "utf8");
}

/**
 * Parse and validate manifest bytes. `where` names the file for the error message.
 * Every field is checked so that rollback never acts on a half-understood generation.
 */
export function parseManifest(bytes: Buffer | string, where: string): Manifest {
  const bad = (why: string): FleetError =>
    new FleetError(fleetMessages.manifestCorrupt(where, why));
  let v: unknown;
  try {
    v = JSON.parse(typeof bytes === "string" ? bytes : bytes.toString("utf8"));
  } catch {
    throw bad("not JSON");
  }
  const obj = (x: unknown, what: string): Record<string, unknown> => {
    if (typeof x !== "object" || x === null || Array.isArray(x)) throw bad(`${what} is not an object`);
    return x as Record<string, unknown>;
  };
  const str = (o: Record<string, unknown>, k: string, what: string): string => {
    const x = o[k];
    if (typeof x !== "string") throw bad(`${what}${k} is not a string`);
    return x;
  };
  const bool = (o: Record<string, unknown>, k: string, what: string): boolean => {
    const x = o[k];
    if (typeof x !== "boolean") throw bad(`${what}${k} is not a boolean`);
    return x;
  };
  const arr = (o: Record<string, unknown>, k: string): unknown[] => {
    const x = o[k];
    if (!Array.isArray(x)) throw bad(`${k} is not a list`);
    return x;
  };
  const genNum = (x: unknown, k: string): number => {
    if (typeof x !== "number" || !Number.isSafeInteger(x) || x < 1) throw bad(`${k} is not a generation number`);
    return x;
  };

  const m = obj(v, "manifest");
  const previous = m.previous === null ? null : genNum(m.previous, "previous");
  const machine = m.machine === null ? null : str(m, "machine", "");
  const storePaths = arr(m, "store_paths").map((p, i) => {
    if (typeof p !== "string" || !p.startsWith("/")) throw bad(`store_paths[${i}] is not an absolute path`);
    return p;
  });
  const services = arr(m, "services").map((s, i): ManifestService => {
    const o = obj(s, `services[${i}]`);
    const at = `services[${i}].`;
    const secrets = (Array.isArray(o.secrets) ? o.secrets : (() => { throw bad(`${at}secrets is not a list`); })()).map(
      (x: unknown, j: number): ManifestSecret => {
        const so = obj(x, `${at}secrets[${j}]`);
        const kind = str(so, "kind", `${at}secrets[${j}].`);
        if (!SECRET_KINDS.has(kind)) throw bad(`${at}secrets[${j}].kind is not a secret kind`);
        return { key: str(so, "key", `${at}secrets[${j}].`), kind: kind as SecretKind, name: str(so, "name", `${at}secrets[${j}].`) };
      },
    );
    const extra: { restart_triggers?: string[]; reload_if_changed?: true; enable?: false } = {};
    if (o.restart_triggers !== undefined) {
      if (!Array.isArray(o.restart_triggers) || o.restart_triggers.some((x) => typeof x !== "string")) throw bad(`${at}restart_triggers is not a list of paths`);
      extra.restart_triggers = o.restart_triggers as string[];
    }
    if (o.reload_if_changed !== undefined) {
      if (o.reload_if_changed !== true) throw bad(`${at}reload_if_changed is not true`);
      extra.reload_if_changed = true;
    }
    if (o.enable !== undefined) {
      if (o.enable !== false) throw bad(`${at}enable is not false`);
      extra.enable = false;
    }
    return { name: str(o, "name", at), unit: str(o, "unit", at), package: str(o, "package", at), store_path: str(o, "store_path", at), secrets, ...extra };
  });
  const files = arr(m, "files").map((f, i): ManifestFile => {
    const o = obj(f, `files[${i}]`);
    const at = `files[${i}].`;
    const path = str(o, "path", at);
    if (!path.startsWith("/") || path.split("/").includes("..")) throw bad(`${at}path is not an absolute normalised path`);
    const sha256 = str(o, "sha256", at);
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw bad(`${at}sha256 is not a sha256`);
    const mode = str(o, "mode", at);
    if (!/^0[0-7]{3,4}$/.test(mode)) throw bad(`${at}mode is not an octal mode`);
    return { path, sha256, mode, secret: bool(o, "secret", at) };
  });
  const artifactsObj = obj(m.artifacts, "artifacts");
  const artifacts: Record<string, string> = {};
  for (const [k, x] of Object.entries(artifactsObj)) {
    if (typeof x !== "string") throw bad(`artifacts.${k} is not a string`);
    artifacts[k] = x;
  }
  const artifactRefs = arr(m, "artifact_refs").map((r, i) => {
    if (typeof r !== "string") throw bad(`artifact_refs[${i}] is not a string`);
    return r;
  });
  if (m.deployed_by !== undefined && typeof m.deployed_by !== "string") throw bad("deployed_by is not a string");
  return {
    generation: genNum(m.generation, "generation"),
    stack: str(m, "stack", ""),
    host: str(m, "host", ""),
    machine,
    deployed_at: str(m, "deployed_at", ""),
    ...(typeof m.deployed_by === "string" ? { deployed_by: m.deployed_by } : {}),
    source_hash: str(m, "source_hash", ""),
    backend: str(m, "backend", ""),
    dry_run: bool(m, "dry_run", ""),
    store_paths: storePaths,
    services,
    files,
    artifacts,
    artifact_refs: artifactRefs,
    previous,
  };
}
