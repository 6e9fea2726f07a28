/**
 * Everything a host needs before its target is touched, shared by `apply` and `plan`: secrets
 * resolved locally, artifacts completed, TLS material read, the closure computed, and the files
 * rendered in target terms. Nothing here writes to a host.
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { FleetError } from "../fleet-error.js";
import { ioReason, isSystemError } from "../transport/io-error-message.js";
import type { ManifestService } from "../manifest/manifest.js";
import { SecretRef } from "../lang/index.js";
import { producedArtifacts } from "../stack/artifacts.js";
import { renderSystemd } from "../stack/render-systemd.js";
import { missingSecretsMessage, resolveSecrets } from "../stack/secrets.js";
import { tlsFiles } from "../stack/tls.js";
import type { ComposedStack, RenderedFile } from "../stack/types.js";
import { closureFor, storePath, type Closure } from "../store/index.js";
import type { LoadedHost } from "../load/fleet-load.js";
import type { HostOutcome } from "./outcome.js";
import { localSecretSources } from "./secret-sources.js";

export interface MaterialOptions {
  readonly tlsCerts?: string;
  readonly dryRun: boolean;
  readonly vault: ReadonlyMap<string, string> | undefined;
}

export interface HostMaterial {
  readonly stack: ComposedStack;
  /** Keyed `from_env:NAME`; held in memory only. */
  readonly secrets: ReadonlyMap<string, string>;
  /** Consumed artifacts, `machine/name` → value. */
  readonly artifactValues: ReadonlyMap<string, string>;
  /** Artifacts this host produces, name → value. */
  readonly produced: Record<string, string>;
  readonly tls: readonly RenderedFile[];
  readonly closure: Closure;
}

export type Failure = Omit<HostOutcome, "host" | "warnings" | "status"> & { readonly status: "failed" };

function fail(reason: string, extra: Partial<Failure> = {}): Failure {
  return { status: "failed", reason, ...extra };
}

export function failureFromError(e: unknown): Failure {
  if (e instanceof FleetError) return fail(e.headline, e.code !== undefined ? { code: e.code } : {});
  // A fault of this machine's file system (full disk, read-only or unreadable local store): a
  // per-host failure that says what failed, not an internal error (ADR 131).
  if (isSystemError(e)) return fail(`${e.syscall ?? "I/O"}${e.path !== undefined ? ` ${e.path}` : ""} failed: ${ioReason(e)}`);
  throw e;
}

/** The failure decided at load time (bad file path, language or compose errors). */
export function loadFailure(loaded: LoadedHost): Failure | undefined {
  const f = loaded.failure;
  if (!f) return undefined;
  return f.diagnostics.length > 0 ? fail(f.message, { diagnostics: f.diagnostics, sources: loaded.sources, code: f.diagnostics[0]!.code }) : fail(f.message);
}

export async function prepareMaterial(
  loaded: LoadedHost,
  fleetDir: string,
  artifactValues: ReadonlyMap<string, string>,
  options: MaterialOptions,
): Promise<HostMaterial | Failure> {
  const early = loadFailure(loaded);
  if (early) return early;
  const stack = loaded.stack!;
  const program = loaded.program!;
  try {
    const secrets = resolveSecrets(stack.secretRefs, localSecretSources(options.vault));
    if (secrets.missing.length > 0) return fail(`[E11] ${missingSecretsMessage(secrets.missing)}`, { code: "E11" });

    const certs = options.tlsCerts;
    const readCert = (rel: string): Buffer | undefined => {
      if (certs === undefined) return undefined;
      try {
        return readFileSync(join(certs, rel));
      } catch {
        return undefined;
      }
    };
    const produced = producedArtifacts(stack, { artifacts: artifactValues, ...(certs !== undefined ? { readTls: readCert } : {}) });

    let tls: RenderedFile[] = [];
    if (stack.tlsDomains.length > 0) {
      if (certs === undefined) {
        return fail(`stack '${stack.name}' declares tls domains (${stack.tlsDomains.join(", ")}) but no --tls-certs DIR was given`);
      }
      // A dry-run copies nothing, but a missing pair still fails the host as the real apply would
      // (ADR 071): the files are read to check them, then dropped.
      const files = tlsFiles(stack.tlsDomains, readCert);
      if (files instanceof FleetError) return failureFromError(files);
      if (!options.dryRun) tls = files;
    }

    const { closure, diagnostics } = await closureFor({
      modules: program.modules,
      moduleSpans: program.moduleSpans,
      roots: stack.packages,
      fileDir: (file: string) => dirname(resolve(fleetDir, file)),
    });
    if (!closure || diagnostics.length > 0) {
      return fail("", { diagnostics, sources: loaded.sources, code: diagnostics[0]?.code ?? "E7" });
    }
    return { stack, secrets: secrets.values, artifactValues, produced, tls, closure };
  } catch (e) {
    return failureFromError(e);
  }
}

export function isFailure(m: HostMaterial | Failure): m is Failure {
  return "status" in m;
}

export interface TargetFiles {
  /** Every managed file of the new generation, sorted by path. */
  readonly files: RenderedFile[];
  /** Absolute target store paths of the closure, sorted. */
  readonly storePaths: string[];
  readonly services: ManifestService[];
}

/** Render the host's files with store paths under the target's store root. */
export function renderTargetFiles(m: HostMaterial, targetStore: string): TargetFiles {
  const storePathOf = (module: string): string => storePath(targetStore, m.closure.byModule.get(module) ?? module);
  const rendered = renderSystemd(m.stack, { storePathOf, secrets: m.secrets, artifacts: m.artifactValues });
  const files = [...rendered, ...m.tls].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const storePaths = m.closure.paths.map((p) => storePath(targetStore, p.base)).sort();
  const services: ManifestService[] = m.stack.services.map((s) => ({
    name: s.name,
    unit: `/etc/systemd/system/${s.name}.service`,
    package: s.package,
    store_path: storePathOf(s.package),
    secrets: Object.keys(s.environment)
      .sort()
      .flatMap((key) => {
        const v = s.environment[key];
        return v instanceof SecretRef ? [{ key, kind: v.ref, name: v.name }] : [];
      }),
    ...(s.restartTriggers.length > 0 ? { restart_triggers: [...s.restartTriggers] } : {}),
    ...(s.reloadIfChanged ? { reload_if_changed: true as const } : {}),
    ...(s.enable ? {} : { enable: false as const }),
  }));
  return { files, storePaths, services };
}
