/**
 * Validates `--json` documents against schemas/ (ADR 140). runFleet calls it on the stdout of
 * every run with `--json`, so every document the suite produces is checked against the schema of
 * its command; tests may call it directly too. A new command only needs `schemas/<name>.schema.json`.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { fileURLToPath } from "node:url";

export const SCHEMA_DIR = fileURLToPath(new URL("../../schemas", import.meta.url));

let validators: Map<string, ValidateFunction> | undefined;

/** Every `<name>.schema.json`, compiled once per test file. */
export function schemaValidators(): Map<string, ValidateFunction> {
  if (validators) return validators;
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  const files = readdirSync(SCHEMA_DIR).filter((f) => f.endsWith(".schema.json")).sort();
  for (const f of files) ajv.addSchema(JSON.parse(readFileSync(join(SCHEMA_DIR, f), "utf8")) as object, f);
  validators = new Map(files.map((f) => [f.replace(/\.schema\.json$/, ""), ajv.getSchema(f)!]));
  return validators;
}

/**
 * stdout must be exactly one canonical JSON document valid against its command's schema (the
 * error schema when the command was not recognised). Returns the parsed document.
 */
export function validateJsonOutput(stdout: string, context = ""): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    throw new Error(`--json output is not one JSON document${context}:\n${stdout.slice(0, 2000)}`);
  }
  if (!stdout.endsWith("}\n") || typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new Error(`--json output must be one JSON object ending in a newline${context}:\n${stdout.slice(0, 2000)}`);
  }
  const command = (doc as { command?: unknown }).command;
  const name = typeof command === "string" ? command : "error";
  const validate = schemaValidators().get(name);
  if (!validate) throw new Error(`no schema schemas/${name}.schema.json for a --json document of command '${name}'${context}`);
  if (!validate(doc)) {
    const errors = (validate.errors ?? []).map((e) => `  ${e.instancePath || "/"} ${e.message ?? ""} ${JSON.stringify(e.params)}`).join("\n");
    throw new Error(`--json output of '${name}' does not match schemas/${name}.schema.json${context}:\n${errors}\n${stdout.slice(0, 3000)}`);
  }
  return doc as Record<string, unknown>;
}
