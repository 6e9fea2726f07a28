/**
 * Secrets end to end through the built CLI (SPEC §3, §5): planted canary values from every source
 * must land only in the 0600 env file and the secret config files, nowhere else fleet writes.
 */
import { randomBytes } from "node:crypto";
import { createHash } from "node:crypto";
import { existsSync, lstatSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { runFleet, type CliResult } from "../support/cli.js";
import { copyExample, tempDir, writeTree } from "../support/fleet-fixture.js";

const PREFIX = "s3cr3t-canary-";

function canary(kind: string): string {
  return `${PREFIX}${kind}-${randomBytes(6).toString("hex")}`;
}

/** Every regular file under `root` (symlinks are not followed), absolute paths. */
function filesUnder(root: string): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) out.push(p);
    }
  };
  walk(root);
  return out.sort();
}

/** Files under `root` whose bytes contain `needle`, relative to root. */
function filesContaining(root: string, needle: string): string[] {
  return filesUnder(root)
    .filter((p) => readFileSync(p).includes(needle))
    .map((p) => relative(root, p));
}

interface SecretsRun {
  readonly fleetFile: string;
  readonly vault: string;
  readonly env: Record<string, string>;
  readonly out: string;
  readonly store: string;
  readonly home: string;
  readonly canaries: { env: string; file: string; vault: string };
}

/** The secrets example with its from_file source moved into a temp dir and fresh canaries. */
function secretsRun(): SecretsRun {
  const dir = copyExample("secrets");
  const outside = tempDir("fleet-secret-sources-");
  const canaries = { env: canary("env"), file: canary("file"), vault: canary("vault") };
  const sessionKey = join(outside, "session-key");
  writeFileSync(sessionKey, `${canaries.file}\n`);
  const vault = join(outside, "vault.json");
  writeFileSync(vault, JSON.stringify({ db_pw: canaries.vault, unused: "x" }));
  const host = join(dir, "hosts/api.pcl");
  writeFileSync(host, readFileSync(host, "utf8").replaceAll("/tmp/fleet-secrets/session-key", sessionKey));
  const home = tempDir("fleet-home-");
  return {
    fleetFile: join(dir, "fleet.pcl"),
    vault,
    env: { API_TOKEN: canaries.env, HOME: home },
    out: join(tempDir(), "out"),
    store: join(tempDir("fleet-store-"), "store"),
    home,
    canaries,
  };
}

function apply(r: SecretsRun, extra: readonly string[] = []): CliResult {
  return runFleet(
    ["apply", r.fleetFile, "--transport-root", r.out, "--store-root", r.store, "--vault-secrets", r.vault, ...extra],
    { env: r.env },
  );
}

const HOST = "deploy@api.example.com";
const ENV_FILE = `${HOST}/etc/fleet/secrets/api.env`;

function modeOf(p: string): string {
  return (lstatSync(p).mode & 0o777).toString(8).padStart(4, "0");
}

/** Asserts the canaries are only where SPEC §3 allows, across every byte fleet wrote. */
function expectOnlyInSecretFiles(r: SecretsRun, outputs: readonly CliResult[]): void {
  const allowed: Record<keyof SecretsRun["canaries"], string[]> = {
    env: [`${HOST}/etc/api/token`, ENV_FILE],
    file: [`${HOST}/etc/api/session.key`, ENV_FILE],
    vault: [`${HOST}/etc/api/db-password`, ENV_FILE],
  };
  for (const [kind, value] of Object.entries(r.canaries) as [keyof SecretsRun["canaries"], string][]) {
    expect(filesContaining(r.out, value).sort(), `${kind} canary in the transport root`).toEqual(allowed[kind].sort());
    expect(filesContaining(r.store, value), `${kind} canary in the store`).toEqual([]);
    expect(filesContaining(r.home, value), `${kind} canary under $HOME`).toEqual([]);
    // A plain sha256 of the value must not leak either (manifests hold HMACs for secret files).
    const plain = createHash("sha256").update(value).digest("hex");
    expect(filesContaining(r.out, plain), `${kind} canary's plain hash`).toEqual([]);
  }
  for (const o of outputs) {
    expect(o.stdout).not.toContain(PREFIX);
    expect(o.stderr).not.toContain(PREFIX);
  }
}

describe("secrets from env, file and vault", () => {
  it("reach only the 0600 env file and the secret config files, never the store, manifests, files/ or output", () => {
    const r = secretsRun();
    const first = apply(r);
    expect(first.stderr).toBe("");
    expect(first.stdout).toBe(`✓ ApiStack → ssh://deploy@api.example.com\nfleet: 1/1 host(s) deployed\n`);
    expect(first.code).toBe(0);

    const envFile = join(r.out, ENV_FILE);
    expect(readFileSync(envFile, "utf8")).toBe(
      `API_TOKEN="${r.canaries.env}"\nDB_PASSWORD="${r.canaries.vault}"\nSESSION_KEY="${r.canaries.file}"\n`,
    );
    expect(modeOf(envFile)).toBe("0600");
    expect(readFileSync(join(r.out, HOST, "etc/api/db-password"), "utf8")).toBe(r.canaries.vault);
    expect(modeOf(join(r.out, HOST, "etc/api/db-password"))).toBe("0600");
    // from_file drops exactly one trailing newline.
    expect(readFileSync(join(r.out, HOST, "etc/api/session.key"), "utf8")).toBe(r.canaries.file);
    expect(modeOf(join(r.out, HOST, "etc/api/session.key"))).toBe("0600");
    // An explicit mode wins over the 0600 default.
    expect(readFileSync(join(r.out, HOST, "etc/api/token"), "utf8")).toBe(r.canaries.env);
    expect(modeOf(join(r.out, HOST, "etc/api/token"))).toBe("0640");

    const unit = readFileSync(join(r.out, HOST, "etc/systemd/system/api.service"), "utf8");
    expect(unit).toContain("EnvironmentFile=/etc/fleet/secrets/api.env\n");
    expect(unit).toContain("Environment=PORT=8080\n");

    const stackDir = join(r.out, HOST, "home/deploy/.fleet/deployments/ApiStack");
    const manifest = JSON.parse(readFileSync(join(stackDir, "gen-001.json"), "utf8")) as {
      files: { path: string; secret: boolean; sha256: string }[];
      services: { secrets: unknown[] }[];
    };
    const secretPaths = manifest.files.filter((f) => f.secret).map((f) => f.path);
    expect(secretPaths).toEqual(["/etc/api/db-password", "/etc/api/session.key", "/etc/api/token", "/etc/fleet/secrets/api.env"]);
    expect(manifest.services[0]!.secrets).toEqual([
      { key: "API_TOKEN", kind: "from_env", name: "API_TOKEN" },
      { key: "DB_PASSWORD", kind: "from_vault", name: "db_pw" },
      { key: "SESSION_KEY", kind: "from_file", name: expect.stringMatching(/session-key$/) as unknown as string },
    ]);
    // files/ holds the non-secret files only.
    const stored = readdirSync(join(stackDir, "files")).sort();
    expect(stored).toEqual(manifest.files.filter((f) => !f.secret).map((f) => f.sha256).sort());

    // A second apply that changes only a non-secret file, then a rollback.
    const host = r.fleetFile.replace(/fleet\.pcl$/, "hosts/api.pcl");
    writeFileSync(host, readFileSync(host, "utf8").replace('"listen 8080\\n"', '"listen 9090\\n"'));
    const second = apply(r);
    expect(second.code).toBe(0);
    expect(readFileSync(join(r.out, HOST, "etc/api/api.conf"), "utf8")).toBe("listen 9090\n");

    const back = runFleet(["rollback", r.fleetFile, "--transport-root", r.out, "--store-root", r.store], { env: r.env });
    expect(back.stderr).toBe("");
    expect(back.stdout).toBe("↩ ApiStack → gen-001 (was gen-002); 1 restored, 0 removed, 4 secret-skipped\nfleet: 1/1 host(s) rolled back\n");
    expect(back.code).toBe(0);
    expect(readFileSync(join(r.out, HOST, "etc/api/api.conf"), "utf8")).toBe("listen 8080\n");
    // Secret files are left as they are (their values were never stored).
    expect(readFileSync(envFile, "utf8")).toContain(r.canaries.vault);

    expectOnlyInSecretFiles(r, [first, second, back]);
  });

  it("are resolved under --dry-run too, with the same isolation", () => {
    const r = secretsRun();
    const res = apply(r, ["--dry-run"]);
    expect(res.code).toBe(0);
    expect(readFileSync(join(r.out, ENV_FILE), "utf8")).toContain(r.canaries.env);
    expect(existsSync(r.store)).toBe(false);
    expectOnlyInSecretFiles(r, [res]);
  });
});

describe("secrets and --json output", () => {
  it("never appear in the JSON of apply, plan, status, verify or eval", () => {
    const r = secretsRun();
    const outputs: CliResult[] = [apply(r, ["--json"])];
    expect(outputs[0]!.code).toBe(0);
    expect(JSON.parse(outputs[0]!.stdout)).toMatchObject({ command: "apply" });
    // Change a secret so the plan has a secret file to change.
    r.env["API_TOKEN"] = canary("env2");
    const targetFlags = ["--transport-root", r.out, "--store-root", r.store];
    outputs.push(runFleet(["plan", r.fleetFile, "--json", ...targetFlags, "--vault-secrets", r.vault], { env: r.env }));
    outputs.push(runFleet(["status", r.fleetFile, "--json", ...targetFlags], { env: r.env }));
    outputs.push(runFleet(["verify", r.fleetFile, "--json", ...targetFlags], { env: r.env }));
    outputs.push(runFleet(["eval", r.fleetFile.replace(/fleet\.pcl$/, "hosts/api.pcl"), "--json"], { env: r.env }));
    for (const o of outputs) {
      expect(o.code, o.stderr).toBe(0);
      expect(() => JSON.parse(o.stdout) as unknown).not.toThrow();
    }
    const plan = outputs[1]!.stdout;
    expect(plan).toContain('"secret": true');
    for (const o of outputs) {
      expect(o.stdout).not.toContain(PREFIX);
      expect(o.stderr).not.toContain(PREFIX);
    }
    // An [E11] failure in JSON names the reference, not a value.
    const e11 = runFleet(["apply", r.fleetFile, "--json", "--dry-run", "--transport-root", join(tempDir(), "out")], {
      env: { API_TOKEN: r.env["API_TOKEN"]!, HOME: r.home },
    });
    expect(e11.code).toBe(1);
    expect(e11.stdout).toContain("[E11] secret(s) not set: from_vault:db_pw");
    expect(e11.stdout + e11.stderr).not.toContain(PREFIX);
  });
});

const TARGET = (n: string): string => `ssh://ops@${n}.internal`;

/** Two hosts: `broken` references a vault entry and an env var (in that source order), `fine` none. */
function e11Fleet(): string {
  const dir = tempDir("fleet-e11-");
  writeTree(dir, {
    "fleet.pcl": `module Fleet {
  hosts = [
    { file = "hosts/broken.pcl" stack = "BrokenStack" target = "${TARGET("broken")}" }
    { file = "hosts/fine.pcl" stack = "FineStack" target = "${TARGET("fine")}" }
  ]
}
`,
    // Keys sort opposite to source order, so a sorted listing would be caught.
    "hosts/broken.pcl": `module App { pname = "app" version = "1" recipe = "std.files" files = [] }
module BrokenStack {
  backend = "systemd"
  services = [ { name = "app" package = "App" binary = "app"
    environment = { Z_DB = { from_vault = "db_pw" } A_TOKEN = { from_env = "FLEET_TEST_UNSET_API_TOKEN" } LEVEL = "info" } } ]
  configFiles = [
    { path = "/etc/app/conf" content = "x\\n" }
    { path = "/etc/app/pw" content = { from_vault = "db_pw" } }
    { path = "/etc/app/cert" content = { from_file = "/nonexistent/fleet-test/cert" } }
  ]
}
`,
    "hosts/fine.pcl": `module FineStack { backend = "systemd" configFiles = [ { path = "/etc/fine" content = "ok\\n" } ] }\n`,
  });
  return join(dir, "fleet.pcl");
}

describe("[E11] unresolved secrets", () => {
  const line =
    "✗ BrokenStack → ssh://ops@broken.internal: [E11] secret(s) not set: from_vault:db_pw, from_env:FLEET_TEST_UNSET_API_TOKEN, from_file:/nonexistent/fleet-test/cert\n";

  for (const dryRun of [true, false]) {
    it(`lists every missing reference of a host in source order, writes nothing there, deploys the others${dryRun ? " (--dry-run)" : ""}`, () => {
      const fleet = e11Fleet();
      const out = join(tempDir(), "out");
      const args = ["apply", fleet, "--transport-root", out, "--store-root", join(tempDir(), "store")];
      const r = runFleet(dryRun ? [...args, "--dry-run"] : args);
      expect(r.stderr).toBe(line);
      expect(r.stdout).toBe("✓ FineStack → ssh://ops@fine.internal\nfleet: 1/2 host(s) deployed\n");
      expect(r.code).toBe(1);
      expect(readdirSync(out)).toEqual(["ops@fine.internal"]);
    });
  }

  it("treats every vault reference as unresolved without --vault-secrets (not a usage error)", () => {
    const fleet = e11Fleet();
    const out = join(tempDir(), "out");
    const r = runFleet(["apply", fleet, "--dry-run", "--transport-root", out], {
      env: { FLEET_TEST_UNSET_API_TOKEN: "t" },
    });
    expect(r.stderr).toContain("[E11] secret(s) not set: from_vault:db_pw, from_file:/nonexistent/fleet-test/cert\n");
    expect(r.code).toBe(1);
  });

  it("resolves once the missing values are supplied", () => {
    const fleet = e11Fleet();
    const dir = tempDir();
    const vault = join(dir, "vault.json");
    writeFileSync(vault, JSON.stringify({ db_pw: "pw" }));
    const broken = fleet.replace(/fleet\.pcl$/, "hosts/broken.pcl");
    writeFileSync(broken, readFileSync(broken, "utf8").replace("/nonexistent/fleet-test/cert", vault));
    const r = runFleet(["apply", fleet, "--dry-run", "--transport-root", join(dir, "out"), "--vault-secrets", vault], {
      env: { FLEET_TEST_UNSET_API_TOKEN: "t" },
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });
});

describe("--vault-secrets FILE", () => {
  it("that does not exist is a usage error (exit 2) and touches nothing", () => {
    const fleet = e11Fleet();
    const out = join(tempDir(), "out");
    const r = runFleet(["apply", fleet, "--dry-run", "--transport-root", out, "--vault-secrets", join(tempDir(), "missing.json")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--vault-secrets file '.*missing\.json' does not exist/);
    expect(r.stdout).toBe("");
    expect(existsSync(out)).toBe(false);
  });

  const bad: Record<string, string> = {
    "a nested object": JSON.stringify({ db_pw: `${PREFIX}nested`, deeper: { k: "v" } }),
    "a number value": JSON.stringify({ db_pw: `${PREFIX}num`, n: 1 }),
    "a top-level array": JSON.stringify([`${PREFIX}arr`]),
    "invalid JSON": `{ "db_pw": "${PREFIX}invalid", }`,
  };
  for (const [what, text] of Object.entries(bad)) {
    it(`holding ${what} refuses the run before any host (exit 1) without quoting it`, () => {
      const fleet = e11Fleet();
      const dir = tempDir();
      const vault = join(dir, "vault.json");
      writeFileSync(vault, text);
      const out = join(dir, "out");
      const r = runFleet(["apply", fleet, "--dry-run", "--transport-root", out, "--vault-secrets", vault], {
        env: { FLEET_TEST_UNSET_API_TOKEN: "t" },
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("is not a flat JSON object of strings");
      expect(r.stderr).not.toContain(PREFIX);
      expect(r.stdout).not.toContain(PREFIX);
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(existsSync(out)).toBe(false);
    });
  }
});

describe("from_file", () => {
  it("keeps every byte but one trailing newline, and escapes the env file", () => {
    const dir = tempDir("fleet-from-file-");
    const secret = join(dir, "secret");
    writeFileSync(secret, 'a"b\\c$d\nline2\n\n');
    writeTree(dir, {
      "fleet.pcl": `module Fleet { hosts = [ { file = "h.pcl" stack = "S" target = "ssh://ops@h.internal" } ] }\n`,
      "h.pcl": `module P { pname = "p" version = "1" recipe = "std.files" files = [] }
module S { backend = "systemd"
  services = [ { name = "svc" package = "P" binary = "x" environment = { K = { from_file = "${secret}" } } } ]
  configFiles = [ { path = "/etc/s" content = { from_file = "${secret}" } } ] }
`,
    });
    const out = join(dir, "out");
    const r = runFleet(["apply", join(dir, "fleet.pcl"), "--dry-run", "--transport-root", out]);
    expect(r.code).toBe(0);
    expect(readFileSync(join(out, "ops@h.internal/etc/s"), "utf8")).toBe('a"b\\c$d\nline2\n');
    expect(readFileSync(join(out, "ops@h.internal/etc/fleet/secrets/svc.env"), "utf8")).toBe('K="a\\"b\\\\c\\$d\nline2\n"\n'); // newlines as themselves (ADR 137)
  });

  it("with a relative path is never read from the working directory: [E11]", () => {
    const dir = tempDir("fleet-from-file-rel-");
    writeTree(dir, {
      "rel/secret": `${PREFIX}relative\n`,
      "fleet.pcl": `module Fleet { hosts = [ { file = "h.pcl" stack = "S" target = "ssh://ops@h.internal" } ] }\n`,
      "h.pcl": `module S { backend = "systemd" configFiles = [ { path = "/etc/s" content = { from_file = "rel/secret" } } ] }\n`,
    });
    const out = join(dir, "out");
    const r = runFleet(["apply", join(dir, "fleet.pcl"), "--dry-run", "--transport-root", out], { cwd: dir });
    expect(r.stderr).toBe("✗ S → ssh://ops@h.internal: [E11] secret(s) not set: from_file:rel/secret\n");
    expect(r.code).toBe(1);
    expect(existsSync(out)).toBe(false);
  });
});

describe("a secret the target cannot represent", () => {
  it("fails the host naming the reference, never quoting the value, and writes nothing", () => {
    const dir = tempDir("fleet-secret-nul-");
    const secret = join(dir, "secret");
    writeFileSync(secret, `${PREFIX}nul\0after`);
    writeTree(dir, {
      "fleet.pcl": `module Fleet { hosts = [ { file = "h.pcl" stack = "S" target = "ssh://ops@h.internal" } ] }\n`,
      "h.pcl": `module P { pname = "p" version = "1" recipe = "std.files" files = [] }
module S { backend = "systemd"
  services = [ { name = "svc" package = "P" binary = "x" environment = { K = { from_file = "${secret}" } } } ] }
`,
    });
    const out = join(dir, "out");
    const r = runFleet(["apply", join(dir, "fleet.pcl"), "--dry-run", "--transport-root", out]);
    expect(r.stderr).toMatch(/^✗ S → ssh:\/\/ops@h\.internal: secret from_file:\S+ \(environment\.K of service 'svc'\) contains a NUL character/);
    expect(r.stderr + r.stdout).not.toContain(PREFIX);
    expect(r.code).toBe(1);
    expect(existsSync(out)).toBe(false);
  });
});
