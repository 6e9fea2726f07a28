/**
 * The host files of the SSH benchmarks (wan.ts, loopback.ts): the same std.files packages on every
 * host (module names differ, contents do not, so every host gets the same store paths), plus the
 * host's own config files and a unit file, written as config files under its managed directory.
 * File contents are deterministic pseudo-random text, inline in the PCL.
 */

export interface PayloadShape {
  /** Package names; each later package depends on the first. */
  readonly packages: readonly string[];
  readonly filesPerPackage: number;
  readonly fileBytes: number;
  readonly configFiles: number;
  /** Base name of the unit file under etc/systemd/system. */
  readonly unitName: string;
}

const cache = new Map<string, string>();

/** `bytes` characters of deterministic text seeded by `seed` (memoised: hosts share contents). */
export function payload(seed: string, bytes: number): string {
  const k = `${bytes}:${seed}`;
  const hit = cache.get(k);
  if (hit !== undefined) return hit;
  const chars: string[] = [];
  let x = 0;
  for (const c of seed) x = (x * 31 + c.charCodeAt(0)) >>> 0;
  while (chars.length < bytes) {
    x = (x * 1103515245 + 12345) >>> 0;
    chars.push("abcdefghijklmnopqrstuvwxyz0123456789"[x % 36]!);
  }
  const s = chars.join("");
  cache.set(k, s);
  return s;
}

export const configBody = (k: number, variant: number): string => `setting_${k} = ${k * 7 + (k === 0 ? variant : 0)}\nname = bench\n`;
export const UNIT = "[Unit]\nDescription=bench\n\n[Service]\nExecStart=/bin/true\n\n[Install]\nWantedBy=multi-user.target\n";

/** Relative paths (under the managed root) of the config files and the unit. */
export function configPaths(shape: PayloadShape): string[] {
  const paths = Array.from({ length: shape.configFiles }, (_, k) => `etc/bench/conf-${String(k).padStart(2, "0")}.conf`);
  paths.push(`etc/systemd/system/${shape.unitName}`);
  return paths;
}

/** One host file: the shape's packages (same store paths on every host), its own config files. */
export function hostPcl(shape: PayloadShape, i: number, managed: string, variant: number): string {
  const prefix = `H${i}`;
  const { packages } = shape;
  const pkgs = packages
    .map((name, p) => {
      const files = Array.from(
        { length: shape.filesPerPackage },
        (_, k) => `    { path = "share/${name.toLowerCase()}/f${k}.dat" content = "${payload(`${name}${k}`, shape.fileBytes)}" }`,
      ).join("\n");
      const deps = p === 0 ? "" : `  deps = ["${prefix}${packages[0]}"]\n`;
      return `module ${prefix}${name} {
  pname = "${name.toLowerCase()}"
  version = "1.0"
  recipe = "std.files"
${deps}  files = [
    { path = "bin/${name.toLowerCase()}" mode = "0755" content = "#!/bin/sh\\necho ${name}\\n" }
${files}
  ]
}
`;
    })
    .join("");
  const bodies = [...Array.from({ length: shape.configFiles }, (_, k) => configBody(k, variant)), UNIT];
  const configs = configPaths(shape).map((rel, k) => `    { path = "${managed}/${rel}" content = "${bodies[k]!.replace(/\n/g, "\\n")}" }`);
  return `${pkgs}module ${prefix}Stack {
  backend = "systemd"
  storeModules = [${packages.slice(1).map((p) => `"${prefix}${p}"`).join(", ")}]
  configFiles = [
${configs.join("\n")}
  ]
}
`;
}
