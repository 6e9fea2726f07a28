/** Composition of one `services` entry (SPEC §1.6 service shape, §3). */
import { fleetMessages } from "../fleet-messages.js";
import { isRecordValue, type ModuleValues, type SecretRef, type Value } from "../lang/index.js";
import type { FieldReader } from "./field-reader.js";
import type { ComposedService, StackStr } from "./types.js";

/** A unit name fleet may write as `/etc/systemd/system/<name>.service`: no `/`, no `@` templates. */
export const SERVICE_NAME = /^[A-Za-z0-9_.:-]+$/;
/** What `dependsOn` may name: a fleet service, or any systemd unit with its suffix. */
const UNIT_NAME = /^[A-Za-z0-9_.:@\\-]+$/;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DIRECTIVE = /^[A-Z][A-Za-z0-9]*$/;
const BINARY = /^[A-Za-z0-9_.+-]+$/;
/** Directives fleet itself writes from other fields; setting them twice would break the unit. */
const RESERVED_DIRECTIVES: Readonly<Record<string, string>> = {
  ExecStart: "set 'package', 'binary' and 'args' instead",
  Environment: "set 'environment' instead",
  EnvironmentFile: "put secret references in 'environment' instead",
};

export const DEFAULT_SERVICE_ENABLE = true;

export function isPackageModule(modules: ModuleValues, name: string): boolean {
  const m = modules.get(name);
  return m !== undefined && isRecordValue(m) && "recipe" in m;
}

export function composeService(
  r: FieldReader,
  modules: ModuleValues,
  raw: Value,
  field: string,
): ComposedService | undefined {
  const rec = r.record(raw, field);
  if (!rec) return undefined;
  const name = r.str(rec["name"], `${field}.name`);
  if (name !== undefined && (!SERVICE_NAME.test(name) || name === "." || name === "..")) {
    r.fail(fleetMessages.serviceNameInvalid(name, r.stack));
  }
  const label = name !== undefined ? `services[${name}]` : field;

  const pkg = r.str(rec["package"], `${label}.package`);
  if (pkg !== undefined && !isPackageModule(modules, pkg)) {
    r.fail(fleetMessages.servicePackageNotPackage(name ?? field, r.stack, pkg));
  }

  const binary = r.str(rec["binary"], `${label}.binary`);
  if (binary !== undefined && (!BINARY.test(binary) || binary === "." || binary === "..")) {
    r.fail(fleetMessages.binaryNotFileName(r.where(`${label}.binary`), binary));
  }

  const args: StackStr[] = [];
  (r.optionalList(rec["args"], `${label}.args`) ?? []).forEach((a, i) => {
    const s = r.stackStr(a, `${label}.args[${i}]`);
    if (s !== undefined) args.push(s);
  });

  const dependsOn: string[] = [];
  (r.optionalList(rec["dependsOn"], `${label}.dependsOn`) ?? []).forEach((d, i) => {
    const dep = r.str(d, `${label}.dependsOn[${i}]`);
    if (dep === undefined) return;
    if (!UNIT_NAME.test(dep)) {
      r.fail(fleetMessages.dependsOnInvalid(r.where(`${label}.dependsOn[${i}]`), dep));
    } else if (dep === name || dep === `${name}.service`) {
      r.fail(fleetMessages.dependsOnSelf(dep, r.stack));
    } else if (!dependsOn.includes(dep)) {
      dependsOn.push(dep);
    }
  });

  const environment: Record<string, StackStr | SecretRef> = {};
  const envRec = r.optionalRecord(rec["environment"], `${label}.environment`) ?? {};
  for (const key of Object.keys(envRec).sort()) {
    const where = `${label}.environment.${key}`;
    if (!ENV_KEY.test(key)) {
      r.fail(fleetMessages.envNameInvalid(key, name ?? field, r.stack));
      continue;
    }
    const v = r.stackStrOrSecret(envRec[key], where);
    if (v !== undefined) environment[key] = v;
  }

  const serviceConfig: Record<string, StackStr | number | boolean> = {};
  const cfgRec = r.optionalRecord(rec["serviceConfig"], `${label}.serviceConfig`) ?? {};
  for (const key of Object.keys(cfgRec).sort()) {
    const where = `${label}.serviceConfig.${key}`;
    const reserved = RESERVED_DIRECTIVES[key];
    if (reserved !== undefined) {
      r.fail(fleetMessages.directiveReserved(r.where(where), reserved));
      continue;
    }
    if (!DIRECTIVE.test(key)) {
      r.fail(fleetMessages.directiveNameInvalid(r.where(where)));
      continue;
    }
    const v = cfgRec[key];
    if (typeof v === "number" && Number.isSafeInteger(v)) serviceConfig[key] = v;
    else if (typeof v === "boolean") serviceConfig[key] = v;
    else {
      const s = r.stackStr(v, where);
      if (typeof s === "string" && /[\r\n]/.test(s)) {
        r.fail(fleetMessages.directiveLineBreak(r.where(where)));
      } else if (s !== undefined) serviceConfig[key] = s;
    }
  }

  const enable = r.optionalBool(rec["enable"], `${label}.enable`, DEFAULT_SERVICE_ENABLE);
  const restartTriggers: string[] = [];
  (r.optionalList(rec["restartTriggers"], `${label}.restartTriggers`) ?? []).forEach((t, i) => {
    const p = r.str(t, `${label}.restartTriggers[${i}]`);
    if (p !== undefined && !restartTriggers.includes(p)) restartTriggers.push(p);
  });
  const reloadIfChanged = r.optionalBool(rec["reloadIfChanged"], `${label}.reloadIfChanged`, false);

  if (name === undefined || pkg === undefined || binary === undefined || enable === undefined || reloadIfChanged === undefined) return undefined;
  return { name, package: pkg, binary, args, dependsOn, environment, serviceConfig, enable, restartTriggers, reloadIfChanged };
}
