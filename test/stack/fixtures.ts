/** Hand-built evaluated values, as the PCL front end would hand them to composition. */
import { ArtifactRef, SecretRef, Template } from "../../src/lang/value.js";
import type { RecordValue, SecretKind, Value } from "../../src/lang/value.js";

let nextOffset = 0;
/** References get increasing offsets in creation order unless one is given. */
export function secret(ref: SecretKind, name: string, offset = nextOffset++): SecretRef {
  return new SecretRef(ref, name, { file: "hosts/web.pcl", offset, length: 10 });
}

export function artifact(id: string, offset = nextOffset++): ArtifactRef {
  const [machine = "", name = ""] = id.split("/");
  return new ArtifactRef(machine, name, { file: "hosts/web.pcl", offset, length: 10 });
}

export function template(...parts: (string | ArtifactRef)[]): Template {
  return new Template(parts);
}

export function pkg(pname: string): RecordValue {
  return { pname, version: "1.0", recipe: "std.files", files: [] };
}

export function modulesOf(entries: Record<string, RecordValue>): Map<string, RecordValue> {
  return new Map(Object.entries(entries));
}

/** A one-service stack over package Api, plus whatever the test adds. */
export function webModules(stack: Record<string, Value> = {}, extra: Record<string, RecordValue> = {}): Map<string, RecordValue> {
  return modulesOf({
    Api: pkg("api"),
    Tools: pkg("tools"),
    WebStack: {
      backend: "systemd",
      services: [{ name: "api", package: "Api", binary: "api" }],
      ...stack,
    },
    ...extra,
  });
}

export const STORE = "/home/ops/.fleet/store";
export function storePathOf(module: string): string {
  return `${STORE}/aaaabbbbccccddddeeeeffffgggghhhh-${module.toLowerCase()}-1.0`;
}

/** Rebuilds every plain record with its keys in reverse insertion order. */
export function reverseKeys<T extends Value>(v: T): T {
  if (Array.isArray(v)) return v.map((x: Value) => reverseKeys(x)) as unknown as T;
  if (typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, Value> = {};
    for (const k of Object.keys(v).reverse()) out[k] = reverseKeys((v as RecordValue)[k] as Value);
    return out as T;
  }
  return v;
}
