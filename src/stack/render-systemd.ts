/**
 * The systemd renderer (SPEC §3): a pure function from a composed stack, plus the values known
 * only at deploy time, to the managed files of one generation. Layout: ADR 032.
 */
import { FleetError } from "../fleet-error.js";
import { codePointCompare, SecretRef } from "../lang/index.js";
import { fleetMessages } from "../fleet-messages.js";
import { completeStr } from "./complete-template.js";
import type { ArtifactValues } from "./complete-template.js";
import { missingSecretsError } from "./secrets.js";
import { envFileLine, environmentAssignment, quoteExecArg } from "./systemd-quote.js";
import { envFilePath, unitPath } from "./target-path.js";
import { tlsFiles } from "./tls.js";
import type { TlsReader } from "./tls.js";
import type { ComposedService, ComposedStack, RenderedFile } from "./types.js";

/** The `--tls-certs` directory, as a reader; absent under --dry-run or without the flag. */
export interface TlsMaterial {
  readonly read: TlsReader;
}

export interface RenderContext {
  /** Absolute store path on the target of a package module (`<store-root>/<hash>-<pname>-<version>`). */
  readonly storePathOf: (module: string) => string;
  /** Resolved secrets keyed by `SecretRef.toString()` (`from_env:NAME`). */
  readonly secrets: ReadonlyMap<string, string>;
  /** Produced artifact values keyed by `machine/name`. */
  readonly artifacts: ArtifactValues;
  readonly tls?: TlsMaterial;
}

export const UNIT_MODE = 0o644;
export const CONFIG_FILE_MODE = 0o644;
export const SECRET_FILE_MODE = 0o600;

/** Fleet's defaults for `[Service]`; `serviceConfig` keys of the same name replace them. */
const SERVICE_DEFAULTS: Readonly<Record<string, string>> = { Restart: "on-failure", Type: "simple" };

const UNIT_SUFFIX = /\.(service|socket|target|mount|automount|swap|timer|path|slice|scope|device)$/;

/**
 * Every managed file of the stack, sorted by path. Throws FleetError: E11 when a secret is not
 * in `ctx.secrets`, ARTIFACT-MISSING when an artifact is not in `ctx.artifacts`, or a TLS error.
 */
export function renderSystemd(stack: ComposedStack, ctx: RenderContext): RenderedFile[] {
  const missing = stack.secretRefs.filter((ref) => !ctx.secrets.has(ref.toString()));
  if (missing.length > 0) throw missingSecretsError(missing);

  const files: RenderedFile[] = [];
  for (const service of stack.services) {
    files.push(text(unitPath(service.name), renderUnit(stack.name, service, ctx), UNIT_MODE, false));
    const envFile = renderEnvFile(service, ctx.secrets);
    if (envFile !== undefined) files.push(text(envFilePath(service.name), envFile, SECRET_FILE_MODE, true));
  }
  for (const file of stack.configFiles) {
    if (file.content instanceof SecretRef) {
      files.push(text(file.path, secretValue(file.content, ctx.secrets), file.mode ?? SECRET_FILE_MODE, true));
    } else {
      files.push(text(file.path, completeStr(file.content, ctx.artifacts), file.mode ?? CONFIG_FILE_MODE, false));
    }
  }
  if (ctx.tls !== undefined && stack.tlsDomains.length > 0) {
    const tls = tlsFiles(stack.tlsDomains, ctx.tls.read);
    if (tls instanceof FleetError) throw tls;
    files.push(...tls);
  }
  return files.sort((a, b) => codePointCompare(a.path, b.path));
}

/** Units activation may start and `--enable` may enable (ADR 033: `enable = false` is neither). */
export function enabledUnits(stack: ComposedStack): string[] {
  return stack.services.filter((s) => s.enable).map((s) => `${s.name}.service`);
}

function text(path: string, content: string, mode: number, secret: boolean): RenderedFile {
  return { path, content: Buffer.from(content, "utf8"), mode, secret };
}

function secretValue(ref: SecretRef, secrets: ReadonlyMap<string, string>): string {
  const value = secrets.get(ref.toString());
  if (value === undefined) throw missingSecretsError([ref]);
  return value;
}

/** systemd cannot represent a NUL byte in a unit or env file; say so instead of truncating. */
function noNul(value: string, what: string): string {
  if (value.includes("\0")) {
    throw new FleetError(fleetMessages.systemdValueHasNul(what));
  }
  return value;
}

function unitName(dep: string): string {
  return UNIT_SUFFIX.test(dep) ? dep : `${dep}.service`;
}

export function renderUnit(stackName: string, service: ComposedService, ctx: RenderContext): string {
  const lines: string[] = [
    `# Managed by fleet (stack ${stackName}); edits are replaced on the next apply.`,
    "[Unit]",
    `Description=${service.name} (fleet stack ${stackName})`,
  ];
  if (service.dependsOn.length > 0) {
    const deps = service.dependsOn.map(unitName).join(" ");
    lines.push(`After=${deps}`, `Requires=${deps}`);
  }

  const where = `service '${service.name}' of stack '${stackName}'`;
  const exec = `${ctx.storePathOf(service.package)}/bin/${service.binary}`;
  const args = service.args.map((a, i) => quoteExecArg(noNul(completeStr(a, ctx.artifacts), `args[${i}] of ${where}`)));
  lines.push("", "[Service]", `ExecStart=${[quoteExecArg(exec), ...args].join(" ")}`);

  let hasSecrets = false;
  for (const key of Object.keys(service.environment).sort(codePointCompare)) {
    const v = service.environment[key];
    if (v === undefined) continue;
    if (v instanceof SecretRef) hasSecrets = true;
    else lines.push(`Environment=${environmentAssignment(key, noNul(completeStr(v, ctx.artifacts), `environment.${key} of ${where}`))}`);
  }
  if (hasSecrets) lines.push(`EnvironmentFile=${envFilePath(service.name)}`);

  const directives: Record<string, string> = { ...SERVICE_DEFAULTS };
  for (const [key, v] of Object.entries(service.serviceConfig)) {
    const value = typeof v === "boolean" ? (v ? "yes" : "no") : typeof v === "number" ? String(v) : completeStr(v, ctx.artifacts);
    noNul(value, `serviceConfig.${key} of ${where}`);
    if (/[\r\n]/.test(value)) {
      throw new FleetError(fleetMessages.serviceConfigHasLineBreak(key, where));
    }
    directives[key] = value;
  }
  for (const key of Object.keys(directives).sort(codePointCompare)) lines.push(`${key}=${directives[key] ?? ""}`);

  if (service.enable) lines.push("", "[Install]", "WantedBy=multi-user.target");
  return `${lines.join("\n")}\n`;
}

/** The EnvironmentFile of a service, or undefined when it has no secret entries. */
export function renderEnvFile(service: ComposedService, secrets: ReadonlyMap<string, string>): string | undefined {
  const lines: string[] = [];
  for (const key of Object.keys(service.environment).sort(codePointCompare)) {
    const v = service.environment[key];
    if (v instanceof SecretRef) lines.push(envFileLine(key, noNul(secretValue(v, secrets), `secret ${v.toString()} (environment.${key} of service '${service.name}')`)));
  }
  return lines.length > 0 ? `${lines.join("\n")}\n` : undefined;
}
