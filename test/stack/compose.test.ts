import { describe, expect, it } from "vitest";
import { composeStack, DEFAULT_HEALTH_TIMEOUT_SECONDS } from "../../src/stack/compose.js";
import type { RecordValue, Value } from "../../src/lang/value.js";
import { artifact, modulesOf, pkg, secret, template, webModules } from "./fixtures.js";

function ok(modules: Map<string, RecordValue>, name = "WebStack") {
  const r = composeStack(modules, name);
  expect(r.errors.map((e) => e.message)).toEqual([]);
  if (!r.stack) throw new Error("no stack");
  return r.stack;
}

function errorsOf(modules: Map<string, RecordValue>, name = "WebStack"): string[] {
  const r = composeStack(modules, name);
  expect(r.stack).toBeUndefined();
  expect(r.errors.length).toBeGreaterThan(0);
  return r.errors.map((e) => e.headline);
}

describe("composeStack defaults", () => {
  it("fills every optional field of the stack and its services", () => {
    const s = ok(webModules());
    expect(s).toMatchObject({ name: "WebStack", backend: "systemd", packages: ["Api"], configFiles: [], producesArtifacts: [], healthChecks: [], tlsDomains: [], secretRefs: [], artifactRefs: [] });
    expect(s.services).toEqual([
      { name: "api", package: "Api", binary: "api", args: [], dependsOn: [], environment: {}, serviceConfig: {}, enable: true, restartTriggers: [], reloadIfChanged: false },
    ]);
  });

  it("defaults health check timeouts and intervals as nixfleet does and keeps given ones", () => {
    const s = ok(webModules({ healthChecks: [{ name: "up", command: "curl -f localhost" }, { name: "db", command: "true", timeout: 7 }, { name: "u", systemd: ["api.service"] }, { name: "h", url: "http://127.0.0.1:8080/health" }] }));
    expect(DEFAULT_HEALTH_TIMEOUT_SECONDS).toBe(60);
    expect(s.healthTimeout).toBe(60);
    expect(s.healthChecks).toEqual([
      { kind: "command", name: "up", command: "curl -f localhost", timeout: 5, interval: 10 },
      { kind: "command", name: "db", command: "true", timeout: 7, interval: 10 },
      { kind: "systemd", name: "u", units: ["api.service"], timeout: 5, interval: 10 },
      { kind: "http", name: "h", url: "http://127.0.0.1:8080/health", port: 8080, path: "/health", expectedStatus: 200, timeout: 3, interval: 5 },
    ]);
  });

  it("lists packages from storeModules and services, deduplicated and sorted", () => {
    const s = ok(
      webModules(
        {
          storeModules: ["Tools", "Api", "Tools"],
          services: [
            { name: "api", package: "Api", binary: "api" },
            { name: "worker", package: "Zeta", binary: "w" },
            { name: "cron", package: "Beta", binary: "c" },
          ],
        },
        { Zeta: pkg("zeta"), Beta: pkg("beta") },
      ),
    );
    expect(s.packages).toEqual(["Api", "Beta", "Tools", "Zeta"]);
  });

  it("parses config file modes as octal and sorts config files by path", () => {
    const s = ok(webModules({ configFiles: [{ path: "/etc/b", content: "b", mode: "0755" }, { path: "/etc/a", content: "a" }] }));
    expect(s.configFiles).toEqual([{ path: "/etc/a", content: "a" }, { path: "/etc/b", content: "b", mode: 0o755 }]);
  });

  it("collects secret and artifact references in source order, wherever they are", () => {
    const late = secret("from_vault", "db_pw", 900);
    const early = secret("from_env", "API_TOKEN", 100);
    const file = secret("from_file", "/run/keys/k", 500);
    const a1 = artifact("dns/zone", 300);
    const a2 = artifact("app/endpoint", 50);
    const a3 = artifact("app/port", 700);
    const s = ok(
      webModules({
        services: [
          { name: "api", package: "Api", binary: "api", args: [template("--dns=", a1)], environment: { Z: late, A: early, ENDPOINT: a2 } },
        ],
        configFiles: [{ path: "/etc/key", content: file }, { path: "/etc/port", content: template("port ", a3, "\n") }],
      }),
    );
    expect(s.secretRefs).toEqual([early, file, late]);
    expect(s.artifactRefs).toEqual([a2, a1, a3]);
  });

  it("keeps artifact templates in args, environment, serviceConfig and literal artifacts", () => {
    const ref = artifact("app/endpoint");
    const s = ok(
      webModules({
        services: [{ name: "api", package: "Api", binary: "api", args: [ref], environment: { E: template("x", ref) }, serviceConfig: { WorkingDirectory: ref } }],
        producesArtifacts: [{ name: "url", kind: "literal", value: template("https://", ref) }, { name: "tlsa", kind: "tlsa", fromCert: "example.com" }],
      }),
    );
    expect(s.services[0]?.args[0]).toBe(ref);
    expect(s.producesArtifacts).toEqual([
      { name: "url", kind: "literal", value: template("https://", ref) },
      { name: "tlsa", kind: "tlsa", fromCert: "example.com" },
    ]);
    expect(s.artifactRefs).toHaveLength(4);
  });
});

describe("composeStack errors", () => {
  it("names the missing stack module and lists the available ones", () => {
    const modules = webModules({}, { DbStack: { backend: "systemd" } });
    expect(errorsOf(modules, "Nope")).toEqual([
      "[E2] stack module 'Nope' is not defined; the stack modules defined are: DbStack, WebStack",
    ]);
    expect(errorsOf(modulesOf({ Api: pkg("api") }), "Nope")[0]).toContain("no stack module is defined");
  });

  it("refuses a module that is not a stack", () => {
    const [e] = errorsOf(webModules(), "Api");
    expect(e).toBe("module 'Api' is not a stack (it has no 'backend' field); the stack modules defined are: WebStack");
  });

  it("refuses a backend other than systemd and lists the supported ones", () => {
    expect(errorsOf(webModules({ backend: "docker" }))).toEqual([
      "stack 'WebStack' uses backend 'docker', which is not supported; supported backends: systemd",
    ]);
  });

  it("refuses a service package that names no package module", () => {
    const errs = errorsOf(webModules({ services: [{ name: "api", package: "Nope", binary: "api" }, { name: "x", package: "WebStack", binary: "x" }] }));
    expect(errs).toEqual([
      "service 'api' of stack 'WebStack' names package 'Nope', which is not a package module; define 'module Nope' with a recipe or fix the name",
      "service 'x' of stack 'WebStack' names package 'WebStack', which is not a package module; define 'module WebStack' with a recipe or fix the name",
    ]);
  });

  it("refuses storeModules that name no package module", () => {
    expect(errorsOf(webModules({ storeModules: ["Ghost"] }))[0]).toContain("names 'Ghost', which is not a package module");
  });

  it.each(["etc/app.conf", "/etc/../passwd", "/etc/./app.conf", "/etc//app.conf", "/etc/app/", "/", "", "./etc/x"])(
    "refuses the config file path %j",
    (path) => {
      const errs = errorsOf(webModules({ configFiles: [{ path, content: "x" }] }));
      expect(errs).toEqual([
        `[E6] config file path '${path}' of stack 'WebStack' is not absolute and normalised (no '..', '.', '//' or trailing '/'); write it like '/etc/app/app.conf'`,
      ]);
    },
  );

  it("refuses two config files with the same path", () => {
    const errs = errorsOf(webModules({ configFiles: [{ path: "/etc/a", content: "1" }, { path: "/etc/a", content: "2" }] }));
    expect(errs).toEqual(["[E3] stack 'WebStack' declares config file '/etc/a' twice; merge them into one entry"]);
  });

  it("refuses a config file where fleet writes a unit, an env file or TLS material", () => {
    const errs = errorsOf(
      webModules({
        tls: { domains: ["example.com"] },
        configFiles: [
          { path: "/etc/systemd/system/api.service", content: "x" },
          { path: "/etc/fleet/secrets/api.env", content: "x" },
          { path: "/etc/fleet/tls/example.com/privkey.pem", content: "x" },
        ],
      }),
    );
    expect(errs).toHaveLength(3);
    expect(errs[0]).toContain("is where fleet writes the unit of service 'api'");
    expect(errs[1]).toContain("the secret env file of service 'api'");
    expect(errs[2]).toContain("TLS material");
  });

  it("refuses two services with the same name", () => {
    const svc = { name: "api", package: "Api", binary: "api" };
    expect(errorsOf(webModules({ services: [svc, svc] }))).toEqual(["[E3] stack 'WebStack' defines service 'api' twice; rename or remove one"]);
  });

  it.each(["https://example.com", "*.example.com", "example.com.", "exa mple.com", "../etc", "example.com:443", "-bad.com", ""])(
    "refuses the TLS domain %j",
    (domain) => {
      const errs = errorsOf(webModules({ tls: { domains: [domain] } }));
      expect(errs[0]).toContain(`TLS domain '${domain}' of stack 'WebStack' is not a plain hostname`);
    },
  );

  it("refuses a duplicate artifact name", () => {
    const errs = errorsOf(webModules({ producesArtifacts: [{ name: "a", kind: "literal", value: "1" }, { name: "a", kind: "literal", value: "2" }] }));
    expect(errs).toEqual(["[E3] stack 'WebStack' declares artifact 'a' twice; rename or remove one"]);
  });

  it("refuses an artifact kind other than literal or tlsa", () => {
    const errs = errorsOf(webModules({ producesArtifacts: [{ name: "a", kind: "x509" }] }));
    expect(errs).toEqual(["artifact 'a' of stack 'WebStack' has kind 'x509', which is not supported; supported kinds: literal, tlsa"]);
  });

  it("refuses a literal artifact without a value and a tlsa artifact without a certificate domain", () => {
    const errs = errorsOf(webModules({ producesArtifacts: [{ name: "a", kind: "literal" }, { name: "b", kind: "tlsa" }, { name: "c", kind: "tlsa", fromCert: "../x" }] }));
    expect(errs).toHaveLength(3);
    expect(errs[0]).toContain("literal artifact 'a' of stack 'WebStack' has no 'value'");
    expect(errs[1]).toContain("tlsa artifact 'b' of stack 'WebStack' has no 'fromCert'");
    expect(errs[2]).toContain("reads certificate '../x', which is not a plain hostname");
  });

  it("reports a secret reference outside environment values and whole config file contents", () => {
    const errs = errorsOf(webModules({ services: [{ name: "api", package: "Api", binary: "api", args: [secret("from_env", "TOKEN")] }] }));
    expect(errs).toEqual([
      "secret reference from_env:TOKEN cannot be used in field 'services[api].args[0]' of stack 'WebStack'; secrets may only be service environment values or the whole content of a config file",
    ]);
  });

  it("reports every problem of a stack at once, not only the first", () => {
    const errs = errorsOf(webModules({ backend: "nomad", configFiles: [{ path: "rel", content: "x" }], tls: { domains: ["a b"] } }));
    expect(errs).toHaveLength(3);
  });

  it("returns errors, never throws, on values of unexpected shapes", () => {
    const odd: Value[] = [42, "str", [1], true, { services: "nope" }, { name: 1, package: [], binary: {} }, secret("from_env", "X"), artifact("a/b")];
    for (const v of odd) {
      const fields: Record<string, Value> = {
        services: [v],
        configFiles: [v],
        producesArtifacts: [v],
        healthChecks: [v],
        tls: v,
        storeModules: [v],
      };
      for (const [field, value] of Object.entries(fields)) {
        const r = composeStack(webModules({ [field]: value }), "WebStack");
        expect(r.errors.length, `${field} = ${JSON.stringify(value)}`).toBeGreaterThan(0);
        expect(r.stack).toBeUndefined();
      }
    }
    for (const stackField of ["services", "configFiles", "storeModules", "backend", "healthChecks", "producesArtifacts"]) {
      const r = composeStack(webModules({ [stackField]: 7 }), "WebStack");
      expect(r.errors.length).toBeGreaterThan(0);
    }
  });

  it("refuses service fields that would break the unit it renders", () => {
    const errs = errorsOf(
      webModules({
        services: [
          {
            name: "api/../x",
            package: "Api",
            binary: "../bin/sh",
            environment: { "BAD-KEY": "v" },
            serviceConfig: { ExecStart: "/bin/sh", "bad key": "x", User: "a\nExecStartPre=/bin/evil" },
            dependsOn: ["api/../x", "bad dep"],
          },
        ],
      }),
    );
    expect(errs.join("\n")).toMatch(/service name 'api\/\.\.\/x'/);
    expect(errs.join("\n")).toMatch(/binary' of stack 'WebStack' must be a file name/);
    expect(errs.join("\n")).toMatch(/environment variable name 'BAD-KEY'/);
    expect(errs.join("\n")).toMatch(/serviceConfig.ExecStart' of stack 'WebStack' is written by fleet itself/);
    expect(errs.join("\n")).toMatch(/not a systemd directive name/);
    expect(errs.join("\n")).toMatch(/contains a line break/);
    expect(errs.join("\n")).toMatch(/names 'bad dep', which is not a unit name/);
  });

  it("refuses an invalid config file mode and a non-positive health check timeout", () => {
    const errs = errorsOf(webModules({ configFiles: [{ path: "/etc/a", content: "x", mode: "rw-r--r--" }], healthChecks: [{ name: "h", command: "true", timeout: 0 }] }));
    expect(errs).toHaveLength(2);
    expect(errs[0]).toContain("[E6] mode 'rw-r--r--' of config file '/etc/a' of stack 'WebStack' is not an octal permission string");
    expect(errs[1]).toContain("give a positive number of seconds");
  });
});
