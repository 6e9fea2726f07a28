/**
 * Realise a closure in a local store (SPEC §2, ADR 025): build every missing path, dependencies
 * first. Each build runs in `<store-root>/.tmp-<base>-…` beside the store, writes the built marker
 * last and is renamed into place, all under the path's lock; so a path with the marker is complete,
 * and a path without it is either being built (live lock holder) or half-built (rebuilt here).
 */
import { chmod, cp, lstat, mkdir, readdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { FleetError } from "../fleet-error.js";
import { fleetMessages } from "../fleet-messages.js";
import { buildFiles } from "./build-files.js";
import { buildShell } from "./build-shell.js";
import { fetchToCache, presentUrlSource } from "./fetch-source.js";
import { acquirePathLock } from "./path-lock.js";
import { removeTree } from "./remove-tree.js";
import { hashLocalSource } from "./source-hash.js";
import { BUILT_MARKER, storePath } from "./store-path.js";
import type { BuildPlan, Closure } from "./types.js";

export type RealiseEvent =
  | { readonly type: "build-start"; readonly base: string; readonly module: string }
  | { readonly type: "build-done"; readonly base: string; readonly module: string }
  /** A chunk a `std.shell` command printed, as it printed it. */
  | { readonly type: "build-output"; readonly base: string; readonly module: string; readonly stream: "stdout" | "stderr"; readonly text: string };

export interface RealiseOptions {
  readonly onEvent?: (e: RealiseEvent) => void;
}

export interface RealiseResult {
  /** Base names this call built, in build order (cache hits and paths built by others excluded). */
  readonly built: string[];
}

let tmpCounter = 0;

export async function realise(closure: Closure, storeRoot: string, options: RealiseOptions = {}): Promise<RealiseResult> {
  if (!path.isAbsolute(storeRoot)) {
    throw new FleetError(fleetMessages.storeRootNotAbsolute(storeRoot));
  }
  await mkdir(storeRoot, { recursive: true });
  const built: string[] = [];
  for (const info of closure.paths) {
    const final = storePath(storeRoot, info.base);
    if (await isBuilt(final)) continue;
    const plan = closure.builds?.get(info.base);
    if (plan === undefined) {
      throw new FleetError(fleetMessages.storePathNotBuildable(final));
    }
    const lock = await acquirePathLock(storeRoot, info.base);
    try {
      if (await isBuilt(final)) continue; // another process built it while we waited
      // We hold the lock and there is no marker: whatever is there is half-built.
      await removeTree(final);
      await removeStaleTemps(storeRoot, info.base);
      options.onEvent?.({ type: "build-start", base: info.base, module: plan.module });
      await buildInto(plan, storeRoot, final, (stream, text) => options.onEvent?.({ type: "build-output", base: info.base, module: plan.module, stream, text }));
      options.onEvent?.({ type: "build-done", base: info.base, module: plan.module });
      built.push(info.base);
    } finally {
      await lock.release();
    }
  }
  return { built };
}

/** A store path counts as present only with its marker. */
export async function isBuilt(final: string): Promise<boolean> {
  try {
    return (await lstat(path.join(final, BUILT_MARKER))).isFile();
  } catch {
    return false;
  }
}

async function buildInto(
  plan: BuildPlan,
  storeRoot: string,
  final: string,
  onOutput: (stream: "stdout" | "stderr", text: string) => void,
): Promise<void> {
  const tmp = path.join(storeRoot, `.tmp-${plan.base}-${process.pid}-${tmpCounter++}`);
  const out = path.join(tmp, "out");
  const describe = `package '${plan.module}' (${plan.base})`;
  try {
    await mkdir(out, { recursive: true });
    await chmod(out, 0o755); // not left to the umask: the tree must be the same for every builder
    if (plan.recipe.kind === "std.files") {
      await buildFiles(out, plan.recipe.files);
    } else {
      const buildDir = path.join(tmp, "build");
      await mkdir(buildDir, { mode: 0o755 });
      const src = await prepareSource(plan, storeRoot, path.join(tmp, "src"), describe);
      await buildShell({ command: plan.recipe.command, cwd: buildDir, out, describe, onOutput, ...(src !== undefined ? { src } : {}) });
      const st = await lstat(out).catch(() => undefined);
      if (!st?.isDirectory()) {
        throw new FleetError(fleetMessages.buildReplacedOut(describe));
      }
    }
    // A command may have written its own marker; ours replaces it (and it may be read-only).
    await removeTree(path.join(out, BUILT_MARKER));
    await writeFile(path.join(out, BUILT_MARKER), plan.derivationJson, { mode: 0o444 });
    await rename(out, final);
  } finally {
    await removeTree(tmp);
  }
}

async function prepareSource(plan: BuildPlan, storeRoot: string, into: string, describe: string): Promise<string | undefined> {
  const s = plan.source;
  if (s === undefined) return undefined;
  if (s.type === "url") {
    const cached = await fetchToCache(storeRoot, s.url, s.sha256, describe);
    return presentUrlSource(cached, s.url, into, describe);
  }
  const st = await lstat(s.absPath).catch(() => undefined);
  if (st === undefined) {
    throw new FleetError(fleetMessages.localSourceMissing(describe, s.absPath));
  }
  // A copy, so a build can neither modify the operator's files nor see them change mid-build.
  const target = st.isDirectory() ? into : path.join(into, path.basename(s.absPath));
  await mkdir(path.dirname(target), { recursive: true });
  await cp(s.absPath, target, { recursive: true, verbatimSymlinks: true });
  if ((await hashLocalSource(target, describe)) !== s.sha256) {
    throw new FleetError(fleetMessages.localSourceChanged(describe, s.declared));
  }
  return target;
}

/** Temp dirs of earlier builds of this path that died; only called while holding its lock. */
async function removeStaleTemps(storeRoot: string, base: string): Promise<void> {
  const prefix = `.tmp-${base}-`;
  for (const name of await readdir(storeRoot)) {
    if (name.startsWith(prefix)) await removeTree(path.join(storeRoot, name));
  }
}
