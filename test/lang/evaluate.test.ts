import { describe, expect, it } from "vitest";
import { ArtifactRef, SecretRef, Template, why } from "../../src/lang/index.js";
import { codes, mod, run } from "./helpers.js";

describe("evaluation", () => {
  it("resolves references between modules regardless of order", () => {
    expect(mod("module A { x = B.y } module B { y = 2 }", "A")).toEqual({ x: 2 });
    expect(mod("module A { r = B } module B { y = 2 z = \"s\" }", "A")).toEqual({ r: { y: 2, z: "s" } });
  });

  it("interpolates Str, Int, Bool and List<Str>", () => {
    expect(mod('module A { s = "${1}-${true}-${["a", "b"]}-${ {k = "v"}.k }-${"n${"e"}st"}" }', "A")).toEqual({ s: "1-true-ab-v-nest" });
  });

  it("rejects interpolating a record or a list of Int (E1)", () => {
    expect(codes('module A { s = "${ {k = 1} }" }')).toEqual(["E1"]);
    expect(codes('module A { s = "${[1]}" }')).toEqual(["E1"]);
  });

  it("runs comprehensions over lists and over record values sorted by key", () => {
    expect(mod('module A { xs = [0, for x in [1, 2, 3] if x != 2 => x, 9] }', "A")).toEqual({ xs: [0, 1, 3, 9] });
    expect(mod("module A { xs = [for v in { b = 2, a = 1, c = 3 } => v] }", "A")).toEqual({ xs: [1, 2, 3] });
    expect(codes('module A { xs = [for v in { b = 2, a = "x" } => v] }')).toEqual(["E1"]);
  });

  it("lets a loop variable shadow a module", () => {
    expect(mod('module h { x = 1 } module A { xs = [for h in ["a"] => h] }', "A")).toEqual({ xs: ["a"] });
  });

  it("checks if conditions and branch types (E5)", () => {
    expect(mod("module A { x = if 1 == 1 then \"a\" else \"b\" }", "A")).toEqual({ x: "a" });
    expect(codes('module A { x = if "s" then 1 else 2 }')).toEqual(["E5"]);
    expect(codes('module A { x = if true then 1 else "2" }')).toEqual(["E5"]);
  });

  it("rejects mixed lists outside schemas, accepting [] as any list", () => {
    expect(codes('module A { xs = [1, "a"] }')).toEqual(["E1"]);
    expect(codes("module A { xs = [[], [1]] ys = [{a = 1}, {a = 2}] }")).toEqual([]);
    expect(codes("module A { xs = [{a = 1}, {b = 1}] }")).toEqual(["E1"]);
  });

  it("reports a reference cycle once, naming every field", () => {
    const r = run("module A { x = B.y } module B { y = A.x }");
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]?.code).toBe("E6");
    expect(r.diagnostics[0]?.message).toContain("A.x → B.y → A.x");
  });

  it("reports unknown modules and fields with a hint (E2)", () => {
    const r = run("module Settings { port = 1 } module A { x = Settings.prot }");
    expect(r.diagnostics.map((d) => [d.code, d.hint])).toEqual([["E2", "did you mean 'port'?"]]);
  });

  it("makes references and templates", () => {
    const r = run('module A { s = { from_env = "T" } a = { from_artifact = "m/n" } t = "x${A.a}y${"z"}" }');
    expect(r.diagnostics).toEqual([]);
    const a = r.modules.get("A");
    expect(a?.s).toBeInstanceOf(SecretRef);
    expect(a?.a).toBeInstanceOf(ArtifactRef);
    expect(a?.t).toBeInstanceOf(Template);
    expect(JSON.parse(JSON.stringify(a?.t))).toEqual({ template: ["x", { from_artifact: "m/n" }, "yz"] });
  });

  it("checks Setting types, including Path", () => {
    expect(codes('module A { p = Setting<Path>("./x", priority = 1) }')).toEqual([]);
    expect(codes('module A { p = Setting<Path>("x", priority = 1) }')).toEqual(["E1"]);
    expect(codes('module A { p = Setting<Int>("x", priority = 1) }')).toEqual(["E1"]);
  });
});

describe("scenarios and priorities", () => {
  const src = `module S { port = 80 db = { host = "a" port = 5 } }
scenario Prod { S.port = 443 S.db.host = "prod" }
scenario Big { S.port = Setting<Int>(9000, priority = 20) }
scenario Other { S.port = 444 }`;

  it("applies only requested scenarios, in any flag order", () => {
    expect(mod(src, "S")).toEqual({ port: 80, db: { host: "a", port: 5 } });
    expect(mod(src, "S", { scenarios: ["Prod"] })).toEqual({ port: 443, db: { host: "prod", port: 5 } });
    expect(mod(src, "S", { scenarios: ["Big", "Prod"] })).toEqual(mod(src, "S", { scenarios: ["Prod", "Big"] }));
    expect((mod(src, "S", { scenarios: ["Big", "Prod"] }) as { port: number }).port).toBe(9000);
  });

  it("reports two equal-priority winners that disagree as E4 naming both sites", () => {
    const r = run(src, { scenarios: ["Prod", "Other"] });
    expect(r.diagnostics.map((d) => d.code)).toEqual(["E4"]);
    expect(r.diagnostics[0]?.message).toContain("t.pcl:2:17");
    expect(r.diagnostics[0]?.labels).toHaveLength(1);
  });

  it("rejects a scenario assigning a field that does not exist (E2)", () => {
    expect(codes("module S { port = 1 } scenario P { S.prot = 2 }")).toEqual(["E2"]);
  });

  it("explains a value with why(), winner last", () => {
    const w = why([{ path: "t.pcl", text: src }], "S.port", { scenarios: ["Prod", "Big"] });
    expect(w.value).toBe(9000);
    expect(w.chain.map((c) => [c.origin, c.priority, c.value])).toEqual([
      ["base", 0, 80],
      ["scenario Prod", 10, 443],
      ["scenario Big (Setting)", 20, 9000],
    ]);
    const nested = why([{ path: "t.pcl", text: src }], "S.db.host", { scenarios: ["Prod"] });
    expect(nested.chain.map((c) => c.value)).toEqual(["a", "prod"]);
  });
});

describe("injected modules", () => {
  const fleet = {
    name: "Fleet",
    value: { machines: { web: { name: "web", isSelf: true, ip: "10.0.0.1" } }, globals: { domain: "example.org" } },
    unavailable: { self: { code: "E14" as const, message: "host record 1 has machine 'x', which is not in Fleet.machines" } },
  };

  it("reads injected values and type-checks uses of them", () => {
    const r = run('module A { ip = Fleet.machines.web.ip d = "${Fleet.globals.domain}" }', { injected: [fleet] });
    expect(r.diagnostics).toEqual([]);
    expect(r.modules.get("A")).toEqual({ ip: "10.0.0.1", d: "example.org" });
    expect(codes("module A { x = Fleet.globals.domian }", { injected: [fleet] })).toEqual(["E2"]);
  });

  it("reports reading an unavailable field with the given code at the use", () => {
    const r = run("module A { x = Fleet.self.ip }", { injected: [fleet] });
    expect(r.diagnostics.map((d) => [d.code, d.message, d.span.offset])).toEqual([["E14", fleet.unavailable.self.message, 15]]);
  });
});
