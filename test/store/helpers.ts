import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach } from "vitest";
import type { Span } from "../../src/lang/source.js";
import type { RecordValue } from "../../src/lang/value.js";

/** Package modules built by hand, as the front end would hand them over (SPEC §1.6). */
export function modulesOf(defs: Record<string, RecordValue>): {
  modules: Map<string, RecordValue>;
  moduleSpans: Map<string, Span>;
} {
  const modules = new Map<string, RecordValue>();
  const moduleSpans = new Map<string, Span>();
  let offset = 0;
  for (const [name, value] of Object.entries(defs)) {
    modules.set(name, value);
    moduleSpans.set(name, { file: "pkgs.pcl", offset, length: name.length });
    offset += 100;
  }
  return { modules, moduleSpans };
}

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A fresh absolute temp dir, removed after the test. */
export function tempDir(prefix = "fleet-store-"): string {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}
