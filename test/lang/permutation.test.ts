import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalModulesJson, evaluateProgram, type SourceFile } from "../../src/lang/index.js";

const decls = [
  'module Api { pname = "api" version = "1.0" recipe = "std.files" files = [ { path = "bin/api" content = "x" mode = "0755" } ] }',
  'module WebStack { backend = "systemd" services = [ { name = "api" package = "Api" binary = "api" args = ["--port", "${Settings.port}"] environment = { PORT = "${Settings.port}", TOKEN = { from_env = "API_TOKEN" } } } ] configFiles = [ { path = "/etc/web/motd" content = "hosts ${Settings.hosts}\\n" } ] }',
  'module Settings { port = 8080 hosts = [ for h in Names.all if h != "b" => "${h}.example" ] db = { host = "db" port = 5432 } }',
  'module Names { all = [for n in Names.byKey => n] byKey = { z = "a", y = "b", x = "c" } }',
  'scenario Prod { Settings.port = 443 Settings.db.host = "prod-db" }',
  'scenario Big { Settings.port = Setting<Int>(9000, priority = 20) }',
  'module Artifacts { t = "ip=${ {from_artifact = "dns/ip"} } port=${Settings.port}" }',
];

describe("order independence", () => {
  it("gives byte-identical values for any split into files and any order of files and declarations", () => {
    const expected = (scenarios: string[]) => canonicalModulesJson(evaluateProgram([{ path: "all.pcl", text: decls.join("\n") }], { scenarios }).modules);
    const base = expected(["Prod", "Big"]);
    expect(base).toContain('"port": 9000');
    fc.assert(
      fc.property(fc.shuffledSubarray(decls.map((_, i) => i), { minLength: decls.length, maxLength: decls.length }), fc.array(fc.nat(3), { minLength: decls.length, maxLength: decls.length }), fc.boolean(), (order, fileOf, flip) => {
        const files: SourceFile[] = [0, 1, 2, 3].map((f) => ({ path: `f${f}.pcl`, text: order.filter((i) => fileOf[i] === f).map((i) => decls[i]).join("\n") }));
        const r = evaluateProgram(files, { scenarios: flip ? ["Big", "Prod"] : ["Prod", "Big"] });
        expect(r.diagnostics).toEqual([]);
        expect(canonicalModulesJson(r.modules)).toBe(base);
      }),
      { numRuns: 200 },
    );
  });
});
