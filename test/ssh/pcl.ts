/** Small fleets for the SSH scenarios: written once, run over both transports. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface ConfigFile {
  readonly path: string;
  /** PCL string body (already escaped), or a raw PCL expression when `raw` is set. */
  readonly content: string;
  readonly mode?: string;
  readonly raw?: boolean;
}

export interface HostDef {
  readonly stack: string;
  readonly target: string;
  readonly machine?: string;
  readonly files: readonly ConfigFile[];
  /**
   * Give the stack a std.files package in `storeModules`, so its closure is a real store path.
   * (No services: a unit goes to /etc/systemd/system, which the non-root test user cannot write.)
   */
  readonly pkg?: { readonly version: string };
  /** Extra fields inside the stack module. */
  readonly stackExtra?: string;
  /** Extra modules in the host file. */
  readonly extra?: string;
}

function hostText(h: HostDef): string {
  const files = h.files
    .map((f) => {
      const content = f.raw ? f.content : `"${f.content}"`;
      return `    { path = "${f.path}" content = ${content}${f.mode ? ` mode = "${f.mode}"` : ""} }`;
    })
    .join("\n");
  const name = h.stack.toLowerCase();
  const pkg = h.pkg
    ? `module ${h.stack}Pkg {
  pname = "${name}"
  version = "${h.pkg.version}"
  recipe = "std.files"
  files = [
    { path = "bin/run" mode = "0755" content = "#!/bin/sh\\necho ${h.stack} ${h.pkg.version}\\n" }
    { path = "share/${name}/data.txt" content = "${h.stack} data ${h.pkg.version}\\n" }
  ]
}
`
    : "";
  const svc = h.pkg ? `  storeModules = ["${h.stack}Pkg"]\n` : "";
  return `${pkg}module ${h.stack} {
  backend = "systemd"
${svc}  configFiles = [
${files}
  ]
${h.stackExtra ?? ""}
}
${h.extra ?? ""}
`;
}

/** Write `dir/fleet.pcl` and `dir/hosts/<Stack>.pcl`; returns the fleet file. */
export function writeFleetDir(dir: string, hosts: readonly HostDef[]): string {
  mkdirSync(join(dir, "hosts"), { recursive: true });
  const records = hosts
    .map((h) => `    { file = "hosts/${h.stack}.pcl" stack = "${h.stack}" target = "${h.target}"${h.machine ? ` machine = "${h.machine}"` : ""} }`)
    .join("\n");
  writeFileSync(join(dir, "fleet.pcl"), `module Fleet {\n  hosts = [\n${records}\n  ]\n}\n`);
  for (const h of hosts) writeFileSync(join(dir, "hosts", `${h.stack}.pcl`), hostText(h));
  return join(dir, "fleet.pcl");
}
