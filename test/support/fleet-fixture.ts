import { mkdirSync, writeFileSync, cpSync } from "node:fs";
import { dirname, join } from "node:path";
import { REPO_ROOT } from "./cli.js";

export { tempDir } from "./temp-dir.js";
import { tempDir } from "./temp-dir.js";

/** Write files (relative path → text) under dir; returns dir. */
export function writeTree(dir: string, files: Readonly<Record<string, string>>): string {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

/** Copy an example folder into a temp dir so a test may edit it. */
export function copyExample(name: string): string {
  const dir = tempDir(`fleet-${name}-`);
  cpSync(join(REPO_ROOT, "examples", name), dir, { recursive: true });
  return dir;
}

export interface HostSpec {
  readonly stack: string;
  readonly target: string;
  readonly machine?: string;
  readonly tags?: readonly string[];
  /** The record's `lifecycle` field, written as given (ADR 180). */
  readonly lifecycle?: string;
  /** Config files: target path → content (PCL string body, already escaped). */
  readonly files?: Readonly<Record<string, string>>;
  /** Extra text placed inside the stack module (e.g. producesArtifacts = [...]). */
  readonly stackExtra?: string;
  /** Extra modules placed in the host file. */
  readonly extra?: string;
  /** A service using a std.files package, so the closure is not empty. */
  readonly service?: boolean;
}

export function hostPcl(h: HostSpec): string {
  const files = Object.entries(h.files ?? {})
    .map(([p, c]) => `    { path = "${p}" content = "${c}" }`)
    .join("\n");
  const svc = h.service
    ? `  services = [ { name = "${h.stack.toLowerCase()}" package = "${h.stack}Pkg" binary = "run" args = ["--flag"] } ]\n`
    : "";
  const pkg = h.service
    ? `module ${h.stack}Pkg { pname = "${h.stack.toLowerCase()}" version = "1.0" recipe = "std.files"\n  files = [ { path = "bin/run" content = "#!/bin/sh\\necho ${h.stack}\\n" mode = "0755" } ] }\n`
    : "";
  return `${pkg}module ${h.stack} {\n  backend = "systemd"\n${svc}  configFiles = [\n${files}\n  ]\n${h.stackExtra ?? ""}\n}\n${h.extra ?? ""}\n`;
}

/** Write a fleet (fleet.pcl + hosts/<stack>.pcl); returns the fleet file path. */
export function writeFleet(dir: string, hosts: readonly HostSpec[], fleetExtra = ""): string {
  const records = hosts
    .map((h) => {
      const machine = h.machine !== undefined ? ` machine = "${h.machine}"` : "";
      const tags = h.tags ? ` tags = [${h.tags.map((t) => `"${t}"`).join(", ")}]` : "";
      const lifecycle = h.lifecycle !== undefined ? ` lifecycle = "${h.lifecycle}"` : "";
      return `    { file = "hosts/${h.stack}.pcl" stack = "${h.stack}" target = "${h.target}"${machine}${tags}${lifecycle} }`;
    })
    .join("\n");
  const files: Record<string, string> = { "fleet.pcl": `module Fleet {\n  hosts = [\n${records}\n  ]\n${fleetExtra}\n}\n` };
  for (const h of hosts) files[`hosts/${h.stack}.pcl`] = hostPcl(h);
  writeTree(dir, files);
  return join(dir, "fleet.pcl");
}
