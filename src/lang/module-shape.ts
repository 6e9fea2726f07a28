/** Which schema of SPEC §1.6 a module is checked against, by its name and the fields it has. */
import type { ModuleShape } from "./program-types.js";

/** `has` says whether the module has a field: for a module that failed to evaluate, whether it declares it. */
export function shapeOf(name: string, has: (field: string) => boolean): ModuleShape {
  if (name === "Fleet") return "fleet";
  if (has("recipe")) return "package";
  if (has("backend")) return "stack";
  return "data";
}
