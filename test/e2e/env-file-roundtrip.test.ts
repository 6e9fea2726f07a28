/**
 * Issue 12 item 9: a multi-line secret reaches the service byte for byte. `fleet apply` writes a
 * service's EnvironmentFile, and systemd's own env-file parser reads it back: the environment.d
 * generator shipped with systemd parses files with the same code as EnvironmentFile= (env-file.c)
 * and prints what it read, C-escaped, which this test decodes.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runFleet } from "../support/cli.js";
import { tempDir, writeTree } from "../support/fleet-fixture.js";

const GENERATOR = ["/usr/lib/systemd/user-environment-generators/30-systemd-environment-d-generator", "/lib/systemd/user-environment-generators/30-systemd-environment-d-generator"].find((p) =>
  existsSync(p),
);

const PEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n";
// Quotes, backslashes (also before a newline, which must not become a line continuation), a
// backtick, tab, CR, leading/trailing blanks, `#` and `;` at a line start, `%`, and a `$` that the
// generator (unlike EnvironmentFile=) would expand if a name followed it.
const ODD = '  say "hi" \\ back\\\nslash `tick` \t tab \r cr\n# not a comment\n; nor this\n100% $ end  ';

/** Undo the C escapes the generator prints (`\n`, `\t`, `\"`, `\\`, `\NNN`, `\xNN`, …). */
function cUnescape(s: string): string {
  const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", a: "\x07", b: "\b", f: "\f", v: "\v", "\\": "\\", '"': '"', "'": "'", "`": "`", $: "$", " ": " " };
  return s.replace(/\\(x[0-9a-fA-F]{2}|[0-7]{3}|.)/g, (_, e: string) => {
    if (e.startsWith("x") && e.length === 3) return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]{3}$/.test(e)) return String.fromCharCode(parseInt(e, 8));
    const c = simple[e];
    if (c === undefined) throw new Error(`unknown escape \\${e}`);
    return c;
  });
}

/** What systemd's parser reads from an env file: KEY → value (bytes decoded as UTF-8). */
function systemdReads(envFile: string): Map<string, string> {
  const home = tempDir("fleet-envd-");
  mkdirSync(join(home, "environment.d"));
  writeFileSync(join(home, "environment.d", "50-fleet.conf"), envFile);
  const r = spawnSync(GENERATOR!, [], { env: { XDG_CONFIG_HOME: home, HOME: "/nonexistent" }, encoding: "latin1" });
  expect(r.status, r.stderr).toBe(0);
  const out = new Map<string, string>();
  for (const line of r.stdout.split("\n")) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    const raw = m[2]!;
    const text = raw.startsWith('"') && raw.endsWith('"') ? cUnescape(raw.slice(1, -1)) : raw;
    out.set(m[1]!, Buffer.from(text, "latin1").toString("utf8"));
  }
  return out;
}

const HOST = `module P { pname = "p" version = "1.0" recipe = "std.files"
  files = [ { path = "bin/run" content = "#!/bin/sh\\n" mode = "0755" } ] }
module S {
  backend = "systemd"
  services = [ { name = "svc" package = "P" binary = "run"
    environment = { PEM = { from_env = "T_PEM" } ODD = { from_env = "T_ODD" } UNI = { from_env = "T_UNI" } } } ]
}
`;

describe.skipIf(!GENERATOR && process.env["CI"] !== "true")("EnvironmentFile round trip through systemd's parser", () => {
  it("needs systemd's environment.d generator (package systemd)", () => {
    expect(GENERATOR, "systemd's environment.d generator is not installed").toBeDefined();
  });

  it("a PEM key and every awkward character come back byte for byte", () => {
    const dir = tempDir("fleet-envfile-");
    writeTree(dir, {
      "fleet.pcl": `module Fleet { hosts = [ { file = "h.pcl" stack = "S" target = "ssh://root@env.test" } ] }\n`,
      "h.pcl": HOST,
    });
    const root = join(dir, "out");
    const r = runFleet(["apply", join(dir, "fleet.pcl"), "--dry-run", "--transport-root", root], {
      env: { FLEET_STORE_DIR: join(dir, "store"), T_PEM: PEM, T_ODD: ODD, T_UNI: "é ü → 🔑" },
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const envFile = readFileSync(join(root, "root@env.test", "etc/fleet/secrets/svc.env"), "utf8");
    expect(envFile).not.toContain("\\n"); // the old form systemd reads as backslash + n
    const read = systemdReads(envFile);
    expect(read.get("PEM")).toBe(PEM);
    expect(read.get("ODD")).toBe(ODD);
    expect(read.get("UNI")).toBe("é ü → 🔑");
  });
});
