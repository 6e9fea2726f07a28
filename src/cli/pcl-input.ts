/**
 * Reading PCL files named on the command line (the front end itself never touches the file
 * system). A directory stands for every `.pcl` file under it, in sorted path order.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../fleet-error.js";
import { fleetMessages } from "../fleet-messages.js";
import type { SourceFile } from "../lang/index.js";

export function expandPclPaths(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new UsageError(fleetMessages.pclPathMissing(p));
    }
    if (st.isDirectory()) {
      const found = walk(p);
      if (found.length === 0) throw new UsageError(fleetMessages.pclDirectoryEmpty(p));
      out.push(...found);
    } else out.push(p);
  }
  return [...new Set(out)];
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (e.isFile() && e.name.endsWith(".pcl")) out.push(p);
  }
  return out;
}

export function readSources(paths: readonly string[]): SourceFile[] {
  return paths.map((p) => {
    try {
      return { path: p, text: readFileSync(p, "utf8") };
    } catch {
      throw new UsageError(fleetMessages.pclFileUnreadable(p));
    }
  });
}

/** `--scenario S` naming a scenario no file defines is a usage error (SPEC §1.4). */
export function requireScenarios(requested: readonly string[], defined: ReadonlySet<string>): void {
  for (const s of requested) {
    if (!defined.has(s)) {
      const known = [...defined].sort();
      throw new UsageError(fleetMessages.unknownScenario(s, known.length > 0 ? `defined scenarios: ${known.join(", ")}` : "no file defines a scenario"));
    }
  }
}

export function collectRepeatable(value: string, previous: string[]): string[] {
  return [...previous, value];
}
