/** The schemas of the known module shapes (SPEC §1.6), as data the checker walks. */
export type Schema =
  | { readonly k: "str" | "int" | "bool" | "any" }
  /** A Str naming a package module (`deps`, `storeModules`, a service's `package`). */
  | { readonly k: "moduleName" }
  /** Str or a secret reference: a service environment value, a whole `configFiles` content. */
  | { readonly k: "secretOrStr" }
  /** Str, Int or Bool (`serviceConfig` values). */
  | { readonly k: "scalar" }
  /**
   * A whole number ≥ `min`, or (with `percent`) a string such as "10%" from `min`% to 100%:
   * rollout wave sizes and failure budgets (ADR 160).
   */
  | { readonly k: "count"; readonly min: 0 | 1; readonly percent: boolean }
  | { readonly k: "list"; readonly elem: Schema; readonly nonEmpty?: true }
  /** `plainCodes`: inside the Fleet module, still E1/E2/E3 rather than E14 (ADR 160). */
  | { readonly k: "rec"; readonly name: string; readonly fields: Readonly<Record<string, FieldSchema>>; readonly plainCodes?: true }
  /** A record with any keys; `values` constrains each value when given. */
  | { readonly k: "anyRec"; readonly values?: Schema }
  /** A Str that must be one of `values` (a host record's `lifecycle`). */
  | { readonly k: "oneOf"; readonly values: readonly string[] }
  /**
   * A record whose Str field `tag` picks the schema of the whole record (a flow step's `action`,
   * ADR 230): an unknown tag is reported with the known ones, then the record is checked as that variant.
   */
  | { readonly k: "tagged"; readonly name: string; readonly tag: string; readonly variants: Readonly<Record<string, Extract<Schema, { k: "rec" }>>> };

export interface FieldSchema {
  readonly s: Schema;
  readonly optional?: boolean;
}

const str: Schema = { k: "str" };
const int: Schema = { k: "int" };
const bool: Schema = { k: "bool" };
const any: Schema = { k: "any" };
const req = (s: Schema): FieldSchema => ({ s });
const opt = (s: Schema): FieldSchema => ({ s, optional: true });
const listOf = (elem: Schema): Schema => ({ k: "list", elem });

const fileEntry = (name: string, content: Schema): Schema => ({
  k: "rec",
  name,
  fields: { path: req(str), content: req(content), mode: opt(str), allowSpecialBits: opt(bool) },
});

export const RECIPES = ["std.files", "std.shell"] as const;
export const BACKENDS = ["systemd"] as const;

/** The package schema depends on its recipe; an unknown recipe allows either recipe's field. */
export function packageSchema(recipe: string | undefined): Schema {
  const fields: Record<string, FieldSchema> = {
    pname: req(str),
    version: req(str),
    recipe: req(str),
    source: opt({ k: "anyRec" }),
    deps: opt(listOf({ k: "moduleName" })),
  };
  if (recipe === "std.files") fields.files = req(listOf(fileEntry("file entry", str)));
  else if (recipe === "std.shell") fields.command = req(str);
  else {
    fields.files = opt(listOf(fileEntry("file entry", str)));
    fields.command = opt(str);
  }
  return { k: "rec", name: "package module", fields };
}

export const serviceSchema: Schema = {
  k: "rec",
  name: "service record",
  fields: {
    name: req(str),
    package: req({ k: "moduleName" }),
    binary: req(str),
    args: opt(listOf(str)),
    dependsOn: opt(listOf(str)),
    environment: opt({ k: "anyRec", values: { k: "secretOrStr" } }),
    serviceConfig: opt({ k: "anyRec", values: { k: "scalar" } }),
    enable: opt(bool),
    restartTriggers: opt(listOf(str)),
    reloadIfChanged: opt(bool),
  },
};

export const stackSchema: Schema = {
  k: "rec",
  name: "stack module",
  fields: {
    backend: req(str),
    storeModules: opt(listOf({ k: "moduleName" })),
    services: opt(listOf(serviceSchema)),
    configFiles: opt(listOf(fileEntry("configFiles entry", { k: "secretOrStr" }))),
    producesArtifacts: opt(
      listOf({ k: "rec", name: "producesArtifacts entry", fields: { name: req(str), kind: req(str), value: opt(str), fromCert: opt(str) } }),
    ),
    healthChecks: opt(
      listOf({
        k: "rec",
        name: "healthChecks entry",
        fields: {
          name: req(str),
          command: opt(str),
          systemd: opt(listOf(str)),
          url: opt(str),
          expectedStatus: opt(int),
          timeout: opt(int),
          interval: opt(int),
        },
      }),
    ),
    healthTimeout: opt(int),
    tls: opt({ k: "rec", name: "tls record", fields: { domains: req(listOf(str)) } }),
  },
};

export const LIFECYCLES = ["active", "maintenance", "decommissioned"] as const;
const lifecycle: Schema = { k: "oneOf", values: LIFECYCLES };

export const hostSchema: Schema = {
  k: "rec",
  name: "host record",
  fields: { file: req(str), stack: req(str), target: req(str), machine: opt(str), tags: opt(listOf(str)), sudo: opt(bool),
    lifecycle: opt(lifecycle) },
};

/** `rollout = { waves = [1, "10%"] maxFailed = "5%" soak = 30 }` (ADR 160). */
export const rolloutSchema: Schema = {
  k: "rec",
  name: "rollout record",
  plainCodes: true,
  fields: {
    waves: req({ k: "list", elem: { k: "count", min: 1, percent: true }, nonEmpty: true }),
    maxFailed: opt({ k: "count", min: 0, percent: true }),
    soak: opt({ k: "count", min: 0, percent: false }),
  },
};

/** The action types of a flow step (ADR 230); `deploy` is pleme-fleet's name for `apply`. */
export const FLOW_ACTIONS = ["build", "apply", "deploy", "diff", "status", "ping", "exec", "shell", "rollback", "reboot"] as const;

const action = (type: string, fields: Record<string, FieldSchema> = {}): Extract<Schema, { k: "rec" }> => ({
  k: "rec",
  name: `'${type}' action`,
  fields: { type: req(str), ...fields },
});
const applyFields = { activate: opt(bool), enable: opt(bool), scenario: opt(str), jobs: opt(int) };

export const flowActionSchema: Schema = {
  k: "tagged",
  name: "step action",
  tag: "type",
  variants: {
    build: action("build"),
    apply: action("apply", applyFields),
    deploy: action("deploy", applyFields),
    diff: action("diff"),
    status: action("status"),
    ping: action("ping"),
    exec: action("exec", { command: req({ k: "list", elem: str, nonEmpty: true }) }),
    shell: action("shell", { command: req(str) }),
    rollback: action("rollback", { activate: opt(bool), enable: opt(bool) }),
    reboot: action("reboot", { wait: opt(bool), waitTimeout: opt(int) }),
  },
};

export const flowStepSchema: Schema = {
  k: "rec",
  name: "flow step",
  fields: {
    id: req(str),
    action: req(flowActionSchema),
    targets: opt(listOf(str)),
    dependsOn: opt(listOf(str)),
    condition: opt({ k: "rec", name: "step condition", fields: { command: req(str) } }),
  },
};

/** `flows = { NAME = { description = "…" steps = [ … ] } }` (ADR 230). */
export const flowSchema: Schema = {
  k: "rec",
  name: "flow record",
  fields: { description: opt(str), steps: req({ k: "list", elem: flowStepSchema, nonEmpty: true }) },
};

const hookPair: Schema = { k: "rec", name: "hook record", fields: { pre: opt(str), post: opt(str) } };

/** `hooks = { apply = { pre post } … }`: one record per operation (ADR 234). */
export const hooksSchema: Schema = {
  k: "rec",
  name: "hooks record",
  fields: Object.fromEntries(["apply", "rollback", "build", "diff", "exec", "reboot"].map((op) => [op, opt(hookPair)])),
};

export const fleetSchema: Schema = {
  k: "rec",
  name: "Fleet module",
  fields: {
    hosts: req(listOf(hostSchema)),
    machines: opt({ k: "anyRec", values: { k: "anyRec" } }),
    globals: opt({ k: "anyRec" }),
    uniqueFields: opt(listOf(str)),
    hooks: opt(hooksSchema),
    rollout: opt(rolloutSchema),
    flows: opt({ k: "anyRec", values: flowSchema }),
  },
};

export { any as anySchema };
