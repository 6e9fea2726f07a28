import { describe, expect, it } from "vitest";
import { codes, run } from "./helpers.js";

const pkg = 'module Api { pname = "api" version = "1" recipe = "std.shell" command = "true" }\n';

describe("schemas of known shapes", () => {
  it("recognises shapes", () => {
    const r = run(pkg + 'module W { backend = "systemd" } module D { x = 1 } module Fleet { hosts = [] }');
    expect(Object.fromEntries(r.shapes)).toEqual({ Api: "package", W: "stack", D: "data", Fleet: "fleet" });
  });

  it("accepts optional fields being absent in some list elements", () => {
    const src = `${pkg}module W { backend = "systemd" services = [
      { name = "a" package = "Api" binary = "a" }
      { name = "b" package = "Api" binary = "b" args = ["x"] environment = { K = "v" S = { from_env = "S" } } }
    ] }`;
    expect(codes(src)).toEqual([]);
  });

  it("reports unknown (E2 with hint), missing (E3) and mistyped (E1) fields", () => {
    const r = run(`${pkg}module W { backend = "systemd" services = [ { name = "a" pacakge = "Api" binary = 3 } ] }`);
    expect(r.diagnostics.map((d) => [d.code, d.hint])).toEqual([
      ["E2", "did you mean 'package'?"],
      ["E1", undefined],
    ]);
    expect(codes('module P { pname = "p" recipe = "std.files" }')).toEqual(["E3", "E3"]);
  });

  it("checks module names in deps, storeModules and package (E2/E7)", () => {
    expect(codes(`${pkg}module W { backend = "systemd" storeModules = ["Apu"] }`)).toEqual(["E2"]);
    expect(codes(`${pkg}module D { x = 1 } module W { backend = "systemd" storeModules = ["D"] }`)).toEqual(["E7"]);
    expect(codes('module A { pname = "a" version = "1" recipe = "std.shell" command = "" deps = ["A"] }')).toEqual(["E7"]);
  });

  it("rejects unknown recipes and backends (E6)", () => {
    expect(codes('module P { pname = "p" version = "1" recipe = "std.make" }')).toEqual(["E6"]);
    expect(codes('module W { backend = "runit" }')).toEqual(["E6"]);
  });

  it("places secrets only in environment values and whole configFiles content (E6 at the use)", () => {
    const ok = `${pkg}module S { t = { from_env = "T" } } module W { backend = "systemd"
      services = [ { name = "a" package = "Api" binary = "a" environment = { T = S.t } } ]
      configFiles = [ { path = "/etc/x" content = S.t } ] }`;
    expect(codes(ok)).toEqual([]);
    const badSrc = `module S { t = { from_env = "T" } } module W { backend = "systemd" configFiles = [ { path = S.t content = "x" } ] }`;
    const bad = run(badSrc);
    expect(bad.diagnostics.map((d) => d.code)).toEqual(["E6"]);
    expect(bad.diagnostics[0]?.span.offset).toBe(badSrc.indexOf("S.t content"));
    expect(bad.diagnostics[0]?.labels[0]?.span.offset).toBe(15);
    expect(codes('module P { pname = "p" version = "1" recipe = "std.shell" command = { from_env = "X" } }')).toEqual(["E6"]);
  });

  it("allows artifact references where a stack expects Str, never in a package", () => {
    expect(codes('module W { backend = "systemd" configFiles = [ { path = "/etc/a" content = "ip ${ {from_artifact = "m/a"} }" } ] }')).toEqual([]);
    expect(codes('module P { pname = "p" version = "1" recipe = "std.shell" command = { from_artifact = "m/a" } }')).toEqual(["E6"]);
  });

  it("reports every Fleet shape error as E14 naming the host record", () => {
    const r = run('module Fleet { hosts = [ { file = "a.pcl" stack = "A" targt = "ssh://x" } ] uniqueFields = "ip" }');
    expect(r.diagnostics.map((d) => d.code)).toEqual(["E14", "E14"]);
    expect(r.diagnostics[0]?.message).toBe("unknown field 'targt' on host record 1 of Fleet.hosts");
    expect(r.diagnostics[0]?.hint).toBe("did you mean 'target'?");
  });

  it("reports a duplicate module at the later definition with a label at the first", () => {
    const r = run("module A { x = 1 }\nmodule A { x = 2 }");
    expect(r.diagnostics.map((d) => [d.code, d.span.offset, d.labels[0]?.span.offset])).toEqual([["E3", 26, 7]]);
  });
});
