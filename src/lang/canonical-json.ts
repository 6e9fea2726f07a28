/** Canonical JSON (sorted keys, 2-space indent, trailing newline) of evaluated modules. */
import { canonicalJson } from "../canonical-json.js";
import { codePointCompare } from "./code-point-order.js";
import type { ModuleValues } from "./value.js";

export { canonicalJson };

/** `fleet eval --json`: references as `{"from_env": "X"}`, templates as `{"template": […]}`. */
export function canonicalModulesJson(modules: ModuleValues): string {
  const obj: Record<string, unknown> = {};
  for (const name of [...modules.keys()].sort(codePointCompare)) {
    if (name === "__proto__") Object.defineProperty(obj, name, { value: modules.get(name), enumerable: true });
    else obj[name] = modules.get(name);
  }
  return canonicalJson(obj);
}
