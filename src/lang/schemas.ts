/** The schemas of the known module shapes (SPEC §1.6), as data the checker walks. */
export type Schema =
  | { readonly k: "str" | "int" | "bool" | "any" }
  /** A Str naming a package module (`deps`, `storeModules`, a service's `package`). */
  | { readonly k: "moduleName" }
  /** Str or a secret reference: a service environment value, a whole `configFiles` content. */
  | { readonly k: "secretOrStr" }
  /** Str, Int or Bool (`serviceConfig` values). */
  | { readonly k: "scalar" }
  | { readonly k: "list"; readonly elem: Schema }
  | { readonly k: "rec"; readonly name: string; readonly fields: Readonly<Record<string, FieldSchema>> }
  /** A record with any keys; `values` constrains each value when given. */
  | { readonly k: "anyRec"; readonly values?: Schema };

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
  fields: { path: req(str), content: req(content), mode: opt(str) },
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

export const hostSchema: Schema = {
  k: "rec",
  name: "host record",
  fields: { file: req(str), stack: req(str), target: req(str), machine: opt(str), tags: opt(listOf(str)), sudo: opt(bool) },
};

export const fleetSchema: Schema = {
  k: "rec",
  name: "Fleet module",
  fields: {
    hosts: req(listOf(hostSchema)),
    machines: opt({ k: "anyRec", values: { k: "anyRec" } }),
    globals: opt({ k: "anyRec" }),
    uniqueFields: opt(listOf(str)),
    hooks: opt({ k: "anyRec" }),
  },
};

export { any as anySchema };
