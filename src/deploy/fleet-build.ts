/**
 * `fleet build FLEET [--only …]` (ADR 231): build each selected host's closure into the local
 * store, as apply would before pushing, touching no host. With `hooks.build`, each host's build
 * runs between its pre and post hooks. Emits results; never prints.
 */
import { homedir } from "node:os";
import { dirname, resolve } from "node:path";
import type { CapturedOutput } from "../captured-output.js";
import { lifecycleOf, type HostRecord } from "../plan/fleet-model.js";
import { selectHosts } from "../plan/selection.js";
import { closureFor, realise, resolveRoot, storePath } from "../store/index.js";
import { loadFleet } from "../load/fleet-load.js";
import { failureFromError, loadFailure } from "./host-material.js";
import { mapLimit } from "./map-limit.js";
import { withHooks } from "./operation-hooks.js";
import type { OutputChunk } from "./outcome.js";

export interface FleetBuildOptions {
  readonly fleetFile: string;
  readonly scenarios: readonly string[];
  readonly storeRoot?: string;
  readonly only?: readonly string[];
  readonly dryRun: boolean;
  readonly jobs: number;
  readonly includeMaintenance: boolean;
  readonly onOutput?: (c: OutputChunk) => void;
}

export interface HostBuild {
  readonly host: HostRecord;
  readonly status: "ok" | "failed" | "skipped";
  readonly reason?: string;
  /** Local store paths of the host's closure, sorted. */
  readonly storePaths: readonly string[];
  /** Local store paths this run built. */
  readonly built: readonly string[];
  readonly warnings: readonly string[];
  readonly output: readonly CapturedOutput[];
}

export async function fleetBuild(options: FleetBuildOptions): Promise<{ storeRoot: string; hosts: HostBuild[] }> {
  const storeRoot = resolveRoot(options.storeRoot, process.env["FLEET_STORE_DIR"], "~/.fleet/store", homedir(), { flag: "--store-root", env: "FLEET_STORE_DIR" });
  const fleet = loadFleet(options.fleetFile, options.scenarios);
  const selected = selectHosts(fleet.model.hosts, options.only);
  const hosts = fleet.hosts.filter((h) => selected.has(h.record.index) && lifecycleOf(h.record) !== "decommissioned");
  const empty = { storePaths: [], built: [], warnings: [], output: [] };
  const results = await mapLimit(hosts, options.jobs, async (loaded): Promise<HostBuild> => {
    const host = loaded.record;
    if (lifecycleOf(host) === "maintenance" && !options.includeMaintenance) return { host, status: "skipped", reason: "maintenance", ...empty };
    const early = loadFailure(loaded);
    if (early) return { host, status: "failed", reason: early.reason ?? "failed", ...empty };
    const hooked = await withHooks(
      "build",
      fleet.model,
      host,
      fleet.fleetDir,
      async (): Promise<Omit<HostBuild, "host" | "warnings" | "output">> => {
        try {
          const { closure, diagnostics } = await closureFor({
            modules: loaded.program!.modules,
            moduleSpans: loaded.program!.moduleSpans,
            roots: loaded.stack!.packages,
            fileDir: (file: string) => dirname(resolve(fleet.fleetDir, file)),
          });
          if (!closure || diagnostics.length > 0) return { status: "failed", reason: diagnostics[0]?.message ?? "closure failed", storePaths: [], built: [] };
          const storePaths = closure.paths.map((p) => storePath(storeRoot, p.base)).sort();
          if (options.dryRun) return { status: "ok", storePaths, built: [] };
          const r = await realise(closure, storeRoot);
          return { status: "ok", storePaths, built: r.built.map((b) => storePath(storeRoot, b)) };
        } catch (e) {
          return { status: "failed", reason: failureFromError(e).reason ?? "failed", storePaths: [], built: [] };
        }
      },
      (r) => r.status === "ok",
      options.onOutput,
    );
    if (!hooked.result) return { host, status: "failed", reason: hooked.aborted!, ...empty, output: hooked.output };
    return { host, ...hooked.result, warnings: hooked.warning ? [hooked.warning] : [], output: hooked.output };
  });
  return { storeRoot, hosts: results };
}
