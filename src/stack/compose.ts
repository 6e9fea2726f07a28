/**
 * Composition (SPEC §1.6, §3): the evaluated stack module of a host file, checked and
 * defaulted into a ComposedStack. Pure; every problem is returned, none is thrown.
 */
import { FleetError } from "../fleet-error.js";
import { codePointCompare, type ArtifactRef, type Diagnostic, elemSpan, fieldValueSpan, isRecordValue, type ModuleValues, type RecordValue, type SecretRef, type Span, type Value } from "../lang/index.js";
import { fleetMessages } from "../fleet-messages.js";
import { composeService, isPackageModule } from "./compose-service.js";
import { FieldReader } from "./field-reader.js";
import { envFilePath, isNormalisedAbsolutePath, nestedPaths, pathLengthProblem, unitPath } from "./target-path.js";
import { checkFileMode } from "../file-mode.js";
import { isPlainHostname, TLS_TARGET_DIR } from "./tls.js";
import type {
  ArtifactDecl,
  ComposedService,
  ComposedStack,
  ConfigFileSpec,
  HealthCheck,
} from "./types.js";

export const SUPPORTED_BACKENDS = ["systemd"] as const;
export const ARTIFACT_KINDS = ["literal", "tlsa"] as const;
/** ADR 030: long enough for a JVM or a database to come up, short enough to notice a hang. */

const ARTIFACT_NAME = /^[A-Za-z0-9_.-]+$/;

export interface ComposeResult {
  readonly stack?: ComposedStack;
  readonly errors: FleetError[];
  /** Located errors (only when composeStack was given the module's span). */
  readonly diagnostics?: Diagnostic[];
}

/** A stack module is recognised by its `backend` field (SPEC §1.6). */
export function isStackModule(m: Value | undefined): m is RecordValue {
  return isRecordValue(m) && "backend" in m;
}

export function stackModuleNames(modules: ModuleValues): string[] {
  return [...modules.keys()].filter((n) => isStackModule(modules.get(n))).sort(codePointCompare);
}

function available(modules: ModuleValues): string {
  const names = stackModuleNames(modules);
  return names.length > 0 ? `the stack modules defined are: ${names.join(", ")}` : "no stack module is defined";
}

export function composeStack(modules: ModuleValues, stackName: string, moduleSpan?: Span): ComposeResult {
  const mod = modules.get(stackName);
  if (mod === undefined) {
    return { errors: [new FleetError(fleetMessages.stackModuleNotDefined(stackName, available(modules)))] };
  }
  if (!isStackModule(mod)) {
    return {
      errors: [new FleetError(fleetMessages.moduleNotAStack(stackName, available(modules)))],
    };
  }
  const r = new FieldReader(stackName, moduleSpan);

  const backend = r.str(mod["backend"], "backend");
  if (backend !== undefined && !(SUPPORTED_BACKENDS as readonly string[]).includes(backend)) {
    r.fail(fleetMessages.unsupportedBackend(stackName, backend, SUPPORTED_BACKENDS.join(", ")));
  }

  const storeModules: string[] = [];
  (r.optionalList(mod["storeModules"], "storeModules") ?? []).forEach((v, i) => {
    const name = r.str(v, `storeModules[${i}]`);
    if (name === undefined) return;
    if (!isPackageModule(modules, name)) {
      r.fail(fleetMessages.storeModuleNotPackage(r.where(`storeModules[${i}]`), name));
    } else storeModules.push(name);
  });

  const services: ComposedService[] = [];
  (r.optionalList(mod["services"], "services") ?? []).forEach((v, i) => {
    const svc = composeService(r, modules, v, `services[${i}]`);
    if (!svc) return;
    if (services.some((s) => s.name === svc.name)) {
      r.fail(fleetMessages.serviceTwice(stackName, svc.name));
    } else services.push(svc);
  });

  const tlsDomains = composeTls(r, mod["tls"]);
  const configFiles = composeConfigFiles(r, mod["configFiles"], services, tlsDomains);
  const producesArtifacts = composeArtifacts(r, mod["producesArtifacts"]);
  const declaredPaths = new Set(configFiles.map((f) => f.path));
  for (const s of services) {
    for (const t of s.restartTriggers) {
      if (!declaredPaths.has(t)) {
        r.fail(fleetMessages.restartTriggerNotConfigFile(t, s.name, stackName));
      }
    }
  }
  const healthChecks = composeHealthChecks(r, mod["healthChecks"]);
  const healthTimeout = r.optionalInt(mod["healthTimeout"], "healthTimeout", DEFAULT_HEALTH_TIMEOUT_SECONDS);
  if (healthTimeout !== undefined && healthTimeout <= 0) r.fail(fleetMessages.notPositiveSeconds(r.where("healthTimeout"), healthTimeout));

  if (r.errors.length > 0 || r.diagnostics.length > 0) return { errors: r.errors, diagnostics: r.diagnostics };
  const packages = [...new Set([...storeModules, ...services.map((s) => s.package)])].sort(codePointCompare);
  return {
    stack: {
      name: stackName,
      backend: "systemd",
      packages,
      services,
      configFiles,
      producesArtifacts,
      healthChecks,
      healthTimeout: healthTimeout ?? DEFAULT_HEALTH_TIMEOUT_SECONDS,
      tlsDomains,
      secretRefs: inSourceOrder(r.secretRefs),
      artifactRefs: inSourceOrder(r.artifactRefs),
    },
    errors: [],
  };
}

function composeTls(r: FieldReader, raw: Value | undefined): string[] {
  if (raw === undefined) return [];
  const rec = r.record(raw, "tls");
  if (!rec) return [];
  const domains: string[] = [];
  if (rec["domains"] === undefined) {
    r.fail(fleetMessages.tlsDomainsMissing(r.where("tls.domains")));
    return domains;
  }
  (r.optionalList(rec["domains"], "tls.domains") ?? []).forEach((v, i) => {
    const d = r.str(v, `tls.domains[${i}]`);
    if (d === undefined) return;
    if (!isPlainHostname(d)) {
      r.fail(fleetMessages.stackTlsDomainNotHostname(d, r.stack));
    } else if (domains.includes(d)) {
      r.fail(fleetMessages.tlsDomainTwice(r.stack, d));
    } else domains.push(d);
  });
  return domains;
}

function composeConfigFiles(
  r: FieldReader,
  raw: Value | undefined,
  services: readonly ComposedService[],
  tlsDomains: readonly string[],
): ConfigFileSpec[] {
  // Paths fleet renders itself: a config file there would be silently overwritten by one of them.
  const generated = new Map<string, string>();
  for (const s of services) {
    generated.set(unitPath(s.name), `the unit of service '${s.name}'`);
    generated.set(envFilePath(s.name), `the secret env file of service '${s.name}'`);
  }
  const files: ConfigFileSpec[] = [];
  const spans = new Map<string, Span | undefined>();
  const fallback = r.moduleSpan;
  const list = r.optionalList(raw, "configFiles") ?? [];
  list.forEach((v, i) => {
    const field = `configFiles[${i}]`;
    const rec = r.record(v, field);
    if (!rec) return;
    const entrySpan = fallback && raw !== undefined ? elemSpan(raw, i, fallback) : undefined;
    const at = (key: string): Span | undefined => (entrySpan ? fieldValueSpan(rec, key, entrySpan) : undefined);
    const path = r.str(rec["path"], `${field}.path`);
    const content = r.stackStrOrSecret(rec["content"], `${field}.content`);
    let mode: number | undefined;
    if (rec["mode"] !== undefined) {
      const m = r.str(rec["mode"], `${field}.mode`);
      const allow = rec["allowSpecialBits"] === true;
      if (m !== undefined) {
        const checked = checkFileMode(m, `config file${path !== undefined ? ` '${path}'` : ""} of stack '${r.stack}'`, allow);
        if ("error" in checked) r.failAt(at("mode"), "E6", checked.error, checked.hint);
        else mode = checked.mode;
      }
    }
    if (path === undefined) return;
    if (!isNormalisedAbsolutePath(path)) {
      r.failAt(
        at("path"),
        "E6",
        `config file path '${path}' of stack '${r.stack}' is not absolute and normalised (no '..', '.', '//' or trailing '/')`,
        "write it like '/etc/app/app.conf'",
      );
      return;
    }
    const tooLong = pathLengthProblem(path);
    if (tooLong !== undefined) {
      r.failAt(at("path"), "E6", `config file path '${shortPath(path)}' of stack '${r.stack}' ${tooLong}`, "shorten it");
      return;
    }
    const clash = generated.get(path) ?? (tlsDomains.some((d) => path.startsWith(`${TLS_TARGET_DIR}/${d}/`)) ? "TLS material" : undefined);
    if (clash !== undefined) {
      r.failAt(at("path"), "E6", `config file path '${path}' of stack '${r.stack}' is where fleet writes ${clash}`, "choose another path");
      return;
    }
    if (files.some((f) => f.path === path)) {
      r.failAt(at("path"), "E3", `stack '${r.stack}' declares config file '${path}' twice`, "merge them into one entry");
      return;
    }
    spans.set(path, at("path"));
    if (content === undefined) return;
    files.push(mode === undefined ? { path, content } : { path, content, mode });
  });
  // A file that is a directory on the way to another managed file (ADR 132).
  for (const [dir, file] of nestedPaths([...files.map((f) => f.path), ...generated.keys()])) {
    const own = spans.has(file) ? file : dir;
    if (!spans.has(own)) continue;
    r.failAt(
      spans.get(own),
      "E6",
      `config file path '${dir}' of stack '${r.stack}' is also a directory on the way to '${file}'; a target cannot hold both`,
      "move one of them",
    );
  }
  return files.sort((a, b) => codePointCompare(a.path, b.path));
}

function composeArtifacts(r: FieldReader, raw: Value | undefined): ArtifactDecl[] {
  const decls: ArtifactDecl[] = [];
  (r.optionalList(raw, "producesArtifacts") ?? []).forEach((v, i) => {
    const field = `producesArtifacts[${i}]`;
    const rec = r.record(v, field);
    if (!rec) return;
    const name = r.str(rec["name"], `${field}.name`);
    const kind = r.str(rec["kind"], `${field}.kind`);
    if (name === undefined || kind === undefined) return;
    if (!ARTIFACT_NAME.test(name)) {
      r.fail(fleetMessages.artifactNameInvalid(name, r.stack));
      return;
    }
    if (decls.some((d) => d.name === name)) {
      r.fail(fleetMessages.artifactTwice(r.stack, name));
      return;
    }
    if (kind === "literal") {
      if (rec["value"] === undefined) {
        r.fail(fleetMessages.literalArtifactNoValue(name, r.stack));
        return;
      }
      const value = r.stackStr(rec["value"], `${field}.value`);
      if (value !== undefined) decls.push({ name, kind, value });
    } else if (kind === "tlsa") {
      if (rec["fromCert"] === undefined) {
        r.fail(fleetMessages.tlsaArtifactNoCert(name, r.stack));
        return;
      }
      const fromCert = r.str(rec["fromCert"], `${field}.fromCert`);
      if (fromCert === undefined) return;
      if (!isPlainHostname(fromCert)) {
        r.fail(fleetMessages.tlsaCertNotHostname(name, r.stack, fromCert));
        return;
      }
      decls.push({ name, kind, fromCert });
    } else {
      r.fail(fleetMessages.artifactKindUnsupported(name, r.stack, kind, ARTIFACT_KINDS.join(", ")));
    }
  });
  return decls;
}

/** nixfleet's defaults: timeout 3 s for http and 5 s otherwise, interval 5 s for http and 10 s otherwise. */
export const HEALTH_DEFAULTS = { http: { timeout: 3, interval: 5 }, other: { timeout: 5, interval: 10 } } as const;
export const DEFAULT_HEALTH_TIMEOUT_SECONDS = 60;

/** `http://127.0.0.1:8080/health` → port and path on the target's loopback; undefined if not such a URL. */
function loopbackUrl(url: string): { port: number; path: string } | undefined {
  const m = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(?::(\d{1,5}))?(\/[^\s#]*)?$/.exec(url);
  if (!m) return undefined;
  const port = m[2] === undefined ? 80 : Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { port, path: m[3] ?? "/" };
}

function composeHealthChecks(r: FieldReader, raw: Value | undefined): HealthCheck[] {
  const checks: HealthCheck[] = [];
  (r.optionalList(raw, "healthChecks") ?? []).forEach((v, i) => {
    const field = `healthChecks[${i}]`;
    const rec = r.record(v, field);
    if (!rec) return;
    const name = r.str(rec["name"], `${field}.name`);
    const kinds = (["command", "systemd", "url"] as const).filter((k) => rec[k] !== undefined);
    if (kinds.length !== 1) {
      r.fail(
        kinds.length === 0
          ? fleetMessages.healthCheckNoKind(r.where(field))
          : fleetMessages.healthCheckKinds(r.where(field), kinds.map((k) => `'${k}'`).join(" and ")),
      );
      return;
    }
    const kind = kinds[0]!;
    const d = kind === "url" ? HEALTH_DEFAULTS.http : HEALTH_DEFAULTS.other;
    const positive = (key: "timeout" | "interval", fallback: number): number | undefined => {
      const n = r.optionalInt(rec[key], `${field}.${key}`, fallback);
      if (n !== undefined && n <= 0) {
        r.fail(fleetMessages.notPositiveSeconds(r.where(`${field}.${key}`), n));
        return undefined;
      }
      return n;
    };
    const timeout = positive("timeout", d.timeout);
    const interval = positive("interval", d.interval);
    if (kind !== "url" && rec["expectedStatus"] !== undefined) {
      r.fail(fleetMessages.expectedStatusNotUrl(r.where(`${field}.expectedStatus`)));
      return;
    }
    if (name === undefined || timeout === undefined || interval === undefined) return;
    let check: HealthCheck | undefined;
    if (kind === "command") {
      const command = r.str(rec["command"], `${field}.command`);
      if (command !== undefined) check = { kind: "command", name, command, timeout, interval };
    } else if (kind === "systemd") {
      const units: string[] = [];
      (r.optionalList(rec["systemd"], `${field}.systemd`) ?? []).forEach((u, j) => {
        const unit = r.str(u, `${field}.systemd[${j}]`);
        if (unit === undefined) return;
        if (!/^[A-Za-z0-9:_.\\@-]+$/.test(unit)) r.fail(fleetMessages.healthUnitInvalid(r.where(`${field}.systemd[${j}]`), unit));
        else units.push(unit);
      });
      if (units.length === 0) r.fail(fleetMessages.healthNoUnits(r.where(`${field}.systemd`)));
      else check = { kind: "systemd", name, units, timeout, interval };
    } else {
      const url = r.str(rec["url"], `${field}.url`);
      const expectedStatus = r.optionalInt(rec["expectedStatus"], `${field}.expectedStatus`, 200);
      if (url === undefined || expectedStatus === undefined) return;
      const at = loopbackUrl(url);
      if (at === undefined) {
        r.fail(fleetMessages.healthUrlInvalid(r.where(`${field}.url`), url));
        return;
      }
      check = { kind: "http", name, url, ...at, expectedStatus, timeout, interval };
    }
    if (check === undefined) return;
    if (checks.some((c) => c.name === name)) {
      r.fail(fleetMessages.healthCheckTwice(r.stack, name));
      return;
    }
    checks.push(check);
  });
  return checks;
}

/**
 * Source order: by file in order of first appearance (a host file may read references through
 * the injected Fleet module of another file), then by offset. Stable, so equal spans keep
 * traversal order.
 */
function inSourceOrder<T extends SecretRef | ArtifactRef>(refs: readonly T[]): T[] {
  const fileRank = new Map<string, number>();
  for (const ref of refs) if (!fileRank.has(ref.span.file)) fileRank.set(ref.span.file, fileRank.size);
  const key = (s: Span): [number, number] => [fileRank.get(s.file) ?? 0, s.offset];
  return [...refs].sort((a, b) => {
    const [fa, oa] = key(a.span);
    const [fb, ob] = key(b.span);
    return fa - fb || oa - ob;
  });
}

/** A path as a message shows it: a very long one cut in the middle. */
function shortPath(p: string): string {
  return p.length <= 120 ? p : `${p.slice(0, 60)}…${p.slice(-40)}`;
}
