import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runFleet } from "../support/cli.js";
import { tempDir, writeFleet } from "../support/fleet-fixture.js";
import { treeHash } from "../support/tree-hash.js";

/**
 * Bad input gets a clear error and leaves the host untouched: the whole target tree, deployments
 * included, hashes the same before and after the refused apply.
 */
describe("bad input leaves the target untouched", () => {
  const cases: { name: string; stackExtra?: string; files?: Record<string, string>; extra?: string; expect: RegExp }[] = [
    { name: "a config path with ..", files: { "/etc/app/../passwd": "x" }, expect: /\/etc\/app\/\.\.\/passwd/ },
    { name: "a relative config path", files: { "etc/app.conf": "x" }, expect: /etc\/app\.conf/ },
    {
      name: "a service naming a missing package",
      stackExtra: `  services = [ { name = "api" package = "Nope" binary = "api" } ]`,
      expect: /Nope/,
    },
    { name: "an unknown backend", stackExtra: "", extra: "", expect: /backend/ },
  ];

  const messages: string[] = [];
  afterAll(() => {
    if (process.env["FLEET_SHOW_MESSAGES"]) console.log(messages.join("\n"));
  });
  for (const c of cases) {
    it(`refuses ${c.name}`, () => {
      const dir = tempDir();
      const root = join(tempDir(), "out");
      const env = { FLEET_STORE_DIR: join(tempDir(), "store") };
      const fleet = writeFleet(dir, [{ stack: "App", target: "ssh://root@app.test", files: { "/etc/app/ok.conf": "v1" } }]);
      expect(runFleet(["apply", fleet, "--transport-root", root], { env }).code).toBe(0);
      const before = treeHash(root);

      writeFleet(dir, [{ stack: "App", target: "ssh://root@app.test", files: { "/etc/app/ok.conf": "v2", ...(c.files ?? {}) }, stackExtra: c.stackExtra ?? "" }]);
      if (c.name === "an unknown backend") {
        const host = join(dir, "hosts/App.pcl");
        writeFileSync(host, readFileSync(host, "utf8").replace(`backend = "systemd"`, `backend = "upstart"`));
      }
      const r = runFleet(["apply", fleet, "--transport-root", root], { env });
      expect(r.code).toBe(1);
      const line = r.stderr.split("\n")[0]!;
      expect(line).toMatch(/^✗ App → ssh:\/\/root@app\.test: /);
      expect(r.stderr).toMatch(c.expect);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
      expect(r.stdout).toBe("fleet: 0/1 host(s) deployed (1 failed)\n");
      expect(treeHash(root)).toBe(before);
      messages.push(r.stderr);
    });
  }
});
