import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { composeStack } from "../../src/stack/compose.js";
import { renderSystemd } from "../../src/stack/render-systemd.js";
import { envFileLine, environmentAssignment, quoteExecArg } from "../../src/stack/systemd-quote.js";
import { pkg, secret, webModules } from "./fixtures.js";
import { tempDir } from "../support/temp-dir.js";

describe("quoteExecArg", () => {
  it("leaves safe words bare", () => {
    for (const w of ["--port", "8080", "0.0.0.0:8080", "/etc/app.conf", "a=b", "user@host", "x,y", "+1"]) expect(quoteExecArg(w)).toBe(w);
  });

  it("quotes and escapes everything systemd would split, unescape or expand", () => {
    expect(quoteExecArg("hello world")).toBe('"hello world"');
    expect(quoteExecArg("")).toBe('""');
    expect(quoteExecArg('say "hi"')).toBe('"say \\"hi\\""');
    expect(quoteExecArg("back\\slash")).toBe('"back\\\\slash"');
    expect(quoteExecArg("a\nb\tc\rd")).toBe('"a\\nb\\tc\\rd"');
    expect(quoteExecArg("$HOME")).toBe('"$$HOME"');
    expect(quoteExecArg("100%")).toBe('"100%%"');
    expect(quoteExecArg(";")).toBe('";"');
    expect(quoteExecArg("it's")).toBe('"it\'s"');
    expect(quoteExecArg("bell\u0007")).toBe('"bell\\x07"');
  });
});

describe("environmentAssignment", () => {
  it("quotes the whole assignment only when needed, doubling % but not $", () => {
    expect(environmentAssignment("A", "1")).toBe("A=1");
    expect(environmentAssignment("A", "")).toBe('"A="');
    expect(environmentAssignment("A", "a b")).toBe('"A=a b"');
    expect(environmentAssignment("A", "$x 5%")).toBe('"A=$x 5%%"');
    expect(environmentAssignment("A", 'q"\\\n')).toBe('"A=q\\"\\\\\\n"');
  });
});

describe("envFileLine", () => {
  it("always quotes, escapes \\ \" $, and writes a newline as itself (ADR 137)", () => {
    expect(envFileLine("K", "plain")).toBe('K="plain"');
    expect(envFileLine("K", 'a\\b"c$d\ne%f')).toBe('K="a\\\\b\\"c\\$d\ne%f"');
  });
});

/**
 * The strongest check available without a running systemd: `systemd-analyze verify` parses the
 * rendered units and complains about bad quoting, unknown escapes or unknown directives.
 */
describe("rendered units parse cleanly with systemd-analyze verify", () => {
  const hasAnalyzer = spawnSync("systemd-analyze", ["--version"]).status === 0;
  if (!hasAnalyzer && process.env["CI"] === "true") {
    it("needs systemd-analyze", () => {
      expect.fail("systemd-analyze is not installed; CI must provide it");
    });
    return;
  }

  it.skipIf(!hasAnalyzer)("accepts units with awkward args, env values and dependencies", () => {
    const dir = tempDir("fleet-units-");
    try {
      const store = join(dir, "store");
      for (const m of ["api", "db"]) {
        mkdirSync(join(store, m, "bin"), { recursive: true });
        writeFileSync(join(store, m, "bin", m), "#!/bin/sh\nexit 0\n");
        chmodSync(join(store, m, "bin", m), 0o755);
      }
      const r = composeStack(
        webModules(
          {
            services: [
              { name: "db", package: "Db", binary: "db", serviceConfig: { User: "postgres", RestartSec: 3 } },
              {
                name: "api",
                package: "Api",
                binary: "api",
                dependsOn: ["db", "network-online.target"],
                args: ["plain", "two words", "q\"uo'te", "back\\slash", "$HOME", "100%", "", ";", "line\nbreak", "tab\tx"],
                environment: { A: "a b", B: "$x 50%", C: 'q"\\', D: "", S: secret("from_env", "S") },
                serviceConfig: { Restart: "always", NoNewPrivileges: true },
              },
            ],
          },
          { Db: pkg("db") },
        ),
        "WebStack",
      );
      expect(r.errors).toEqual([]);
      if (!r.stack) return;
      const files = renderSystemd(r.stack, {
        storePathOf: (m) => join(store, m.toLowerCase()),
        secrets: new Map([["from_env:S", "s"]]),
        artifacts: new Map(),
      });
      const units: string[] = [];
      for (const f of files.filter((x) => x.path.endsWith(".service"))) {
        const p = join(dir, f.path.split("/").pop() ?? "x");
        writeFileSync(p, f.content);
        units.push(p);
      }
      const out = spawnSync("systemd-analyze", ["verify", "--man=no", ...units], { cwd: dir, encoding: "utf8", timeout: 30_000 });
      const complaints = `${out.stdout}${out.stderr}`
        .split("\n")
        // The sandbox has no /etc/fleet/secrets; that is about the target, not the syntax.
        .filter((l) => l.trim() !== "" && !l.includes("/etc/fleet/secrets"));
      expect(complaints).toEqual([]);
      expect(out.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

