/** The content-addressed store: closures of package modules, and realising them locally. */
export { closureFor, type ClosureInput, type ClosureResult } from "./closure.js";
export { realise, isBuilt, type RealiseEvent, type RealiseOptions, type RealiseResult } from "./realise.js";
export { storePath, BUILT_MARKER } from "./store-path.js";
export { resolveRoot, chooseRoot, expandRoot, type ChosenRoot, type RootNames } from "./roots.js";
export { currentSystem } from "./system.js";
export { isPackageModule } from "./package-spec.js";
export type { Closure, StorePathInfo, BuildPlan } from "./types.js";
