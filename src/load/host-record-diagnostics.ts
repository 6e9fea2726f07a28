/**
 * Located errors about a host record's `file` and `stack` (issue 17): a host file that does not
 * exist and a stack module the host file does not define are `[E2]` at the record's field in the
 * fleet file, with a did-you-mean among what does exist. They fail that host only (SPEC §6).
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { closest, type Diagnostic, type ModuleValues, type Span } from "../lang/index.js";
import { isStackModule, stackModuleNames } from "../stack/compose.js";

/** How deep and how many entries the did-you-mean search for host files looks. */
const SEARCH_DEPTH = 4;
const SEARCH_ENTRIES = 5000;

/** `.pcl` files under `dir`, as posix paths relative to it (no dot directories, no node_modules). */
function pclFiles(dir: string): string[] {
  const out: string[] = [];
  let budget = SEARCH_ENTRIES;
  const walk = (abs: string, rel: string, depth: number): void => {
    let entries;
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (--budget < 0) return;
      if (e.name.startsWith(".") || e.name === "node_modules") continue;
      const r = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory() && depth < SEARCH_DEPTH) walk(join(abs, e.name), r, depth + 1);
      else if (e.isFile() && e.name.endsWith(".pcl")) out.push(r);
    }
  };
  walk(dir, "", 1);
  return out.sort();
}

export function missingHostFile(fleetDir: string, file: string, at: Span): Diagnostic {
  const c = closest(file, pclFiles(fleetDir));
  return {
    code: "E2",
    message: `host file '${file}' does not exist`,
    span: at,
    labels: [],
    ...(c !== undefined ? { hint: `did you mean '${c}'?` } : {}),
  };
}

/** `[E2]` when the host file defines no stack module named `stack`; undefined when it does. */
export function unknownStackModule(modules: ModuleValues, stack: string, hostFile: string, at: Span): Diagnostic | undefined {
  const mod = modules.get(stack);
  if (mod !== undefined && isStackModule(mod)) return undefined;
  const names = stackModuleNames(modules);
  const c = closest(stack, names);
  const what = mod === undefined ? `${hostFile} defines no module '${stack}'` : `module '${stack}' of ${hostFile} is not a stack (it has no 'backend' field)`;
  const known = names.length > 0 ? `; its stack modules are: ${names.join(", ")}` : "; it defines no stack module";
  return {
    code: "E2",
    message: `unknown stack module '${stack}': ${what}${known}`,
    span: at,
    labels: [],
    ...(c !== undefined && c !== stack ? { hint: `did you mean '${c}'?` } : {}),
  };
}
