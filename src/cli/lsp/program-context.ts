/**
 * Which program a PCL document belongs to, for the language server (ADR 152): the files and
 * injected modules `fleet check` would evaluate it with. A fleet file (defines `module Fleet`) is
 * its own program; a host file that a fleet file in its directory or one above names is
 * evaluated once per host record with that record's injected `Fleet`, exactly as `check` and
 * `apply` compose it; any other file is a program of its own. Open documents are read from the
 * editor's buffers, everything else from disk.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { resolveHostFile } from "../../load/fleet-load.js";
import { evaluateProgram, type Diagnostic, type InjectedModule, type SourceFile } from "../../lang/index.js";
import { injectedFleetModule, readFleet, type FleetModel, type HostRecord } from "../../plan/fleet-model.js";

export type ReadText = (absPath: string) => string | undefined;

export function diskOrBuffer(buffers: ReadonlyMap<string, string>): ReadText {
  return (p) => {
    const open = buffers.get(p);
    if (open !== undefined) return open;
    try {
      return readFileSync(p, "utf8");
    } catch {
      return undefined;
    }
  };
}

export const definesFleet = (text: string): boolean => /^\s*module\s+Fleet(?![A-Za-z0-9_-])/m.test(text);

/** One evaluation a document takes part in. */
export interface Evaluation {
  readonly files: readonly SourceFile[];
  readonly injected: readonly InjectedModule[];
  /** The host record this evaluation is for, when it is a host file's. */
  readonly record?: HostRecord;
  readonly fleetFile?: string;
}

export interface FleetRead {
  readonly source: SourceFile;
  readonly diagnostics: readonly Diagnostic[];
  readonly model?: FleetModel;
}

export function readFleetFile(path: string, read: ReadText): FleetRead | undefined {
  const text = read(path);
  if (text === undefined) return undefined;
  const source = { path, text };
  const program = evaluateProgram([source], {});
  const fleet = program.modules.get("Fleet");
  if (program.diagnostics.length > 0 || fleet === undefined) return { source, diagnostics: program.diagnostics };
  const span = program.moduleSpans.get("Fleet") ?? { file: path, offset: 0, length: 0 };
  const { model, diagnostics } = readFleet(fleet, span);
  return { source, diagnostics, ...(diagnostics.length === 0 ? { model } : {}) };
}

/** Fleet files in the document's directory and up to three directories above it. */
function nearbyFleetFiles(path: string, read: ReadText): string[] {
  const out: string[] = [];
  let dir = dirname(path);
  for (let k = 0; k < 4; k++) {
    let names: string[] = [];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith(".pcl")).sort();
    } catch {
      /* an unreadable directory names no fleet */
    }
    for (const n of names) {
      const p = join(dir, n);
      if (p !== path && definesFleet(read(p) ?? "")) out.push(p);
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return out;
}

/** The evaluations `fleet check` would run the document in. */
export function evaluationsOf(path: string, read: ReadText): Evaluation[] {
  const text = read(path) ?? "";
  const self: SourceFile = { path, text };
  if (definesFleet(text)) return [{ files: [self], injected: [] }];
  const out: Evaluation[] = [];
  for (const fleetFile of nearbyFleetFiles(path, read)) {
    const fleet = readFleetFile(fleetFile, read);
    if (fleet?.model === undefined) continue;
    for (const record of fleet.model.hosts) {
      const r = resolveHostFile(dirname(fleetFile), record.file);
      if ("error" in r || resolve(r.abs) !== path) continue;
      out.push({ files: [self], injected: [injectedFleetModule(fleet.model, record)], record, fleetFile });
    }
    if (out.length > 0) return out;
  }
  return [{ files: [self], injected: [] }];
}

/** The diagnostics of one document, as `fleet check` reports them for it (deduplicated). */
export function documentDiagnostics(path: string, read: ReadText): Diagnostic[] {
  const text = read(path) ?? "";
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  const add = (ds: readonly Diagnostic[]): void => {
    for (const d of ds) {
      if (d.span.file !== path) continue;
      const key = `${d.span.offset}:${d.span.length}:${d.code}:${d.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(d);
    }
  };
  if (definesFleet(text)) {
    add(readFleetFile(path, read)?.diagnostics ?? []);
    return out;
  }
  for (const e of evaluationsOf(path, read)) add(evaluateProgram(e.files, { injected: e.injected }).diagnostics);
  return out;
}
