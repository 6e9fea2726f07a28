import { describe, expect, it } from "vitest";
import { FleetError } from "../../src/fleet-error.js";
import { composeStack } from "../../src/stack/compose.js";
import { enabledUnits, renderSystemd } from "../../src/stack/render-systemd.js";
import type { RenderContext } from "../../src/stack/render-systemd.js";
import type { ComposedStack, RenderedFile } from "../../src/stack/types.js";
import type { RecordValue, Value } from "../../src/lang/value.js";
import { artifact, pkg, reverseKeys, secret, storePathOf, template, webModules } from "./fixtures.js";
import { expectGolden } from "./golden.js";

function compose(modules: Map<string, RecordValue>): ComposedStack {
  const r = composeStack(modules, "WebStack");
  expect(r.errors.map((e) => e.message)).toEqual([]);
  if (!r.stack) throw new Error("no stack");
  return r.stack;
}

function ctx(over: Partial<RenderContext> = {}): RenderContext {
  return { storePathOf, secrets: new Map(), artifacts: new Map(), ...over };
}

function file(files: RenderedFile[], path: string): RenderedFile {
  const f = files.find((x) => x.path === path);
  if (!f) throw new Error(`no ${path} among ${files.map((x) => x.path).join(", ")}`);
  return f;
}

const SECRETS = new Map([
  ["from_env:API_TOKEN", 'tok"en\\with$HOME\nand newline'],
  ["from_vault:db_pw", "hunter2"],
  ["from_file:/run/keys/tls", "-----KEY-----"],
]);

function secretStack(): Record<string, Value> {
  return {
    services: [
      {
        name: "api",
        package: "Api",
        binary: "api",
        args: ["--listen", "0.0.0.0:8080", "--motd", "hello world", "--price=$5 and 100%", 'say "hi"', ""],
        environment: {
          RUST_LOG: "info",
          GREETING: "hello world",
          DB_PASSWORD: secret("from_vault", "db_pw"),
          API_TOKEN: secret("from_env", "API_TOKEN"),
          PERCENT: "100%",
        },
      },
    ],
  };
}

describe("renderSystemd golden units", () => {
  it("renders a plain service", () => {
    const files = renderSystemd(compose(webModules()), ctx());
    expect(files.map((f) => [f.path, f.mode, f.secret])).toEqual([["/etc/systemd/system/api.service", 0o644, false]]);
    expectGolden("plain.service", file(files, "/etc/systemd/system/api.service").content.toString("utf8"));
  });

  it("renders dependsOn as After=/Requires= and lets serviceConfig override Restart", () => {
    const modules = webModules(
      {
        services: [
          { name: "db", package: "Db", binary: "postgres" },
          {
            name: "api",
            package: "Api",
            binary: "api",
            args: ["--port", "8080"],
            dependsOn: ["db", "network-online.target"],
            serviceConfig: { Restart: "always", RestartSec: 5, User: "api", NoNewPrivileges: true, PrivateTmp: false },
          },
        ],
      },
      { Db: pkg("db") },
    );
    const files = renderSystemd(compose(modules), ctx());
    expect(files.map((f) => f.path)).toEqual(["/etc/systemd/system/api.service", "/etc/systemd/system/db.service"]);
    const unit = file(files, "/etc/systemd/system/api.service").content.toString("utf8");
    expect(unit).toContain("After=db.service network-online.target\nRequires=db.service network-online.target\n");
    expect(unit).toContain("Restart=always\n");
    expect(unit).not.toContain("Restart=on-failure");
    expectGolden("depends-on-service-config.service", unit);
  });

  it("renders literal env in the unit and secret env in a 0600 env file", () => {
    const files = renderSystemd(compose(webModules(secretStack())), ctx({ secrets: SECRETS }));
    expect(files.map((f) => [f.path, f.mode, f.secret])).toEqual([
      ["/etc/fleet/secrets/api.env", 0o600, true],
      ["/etc/systemd/system/api.service", 0o644, false],
    ]);
    const unit = file(files, "/etc/systemd/system/api.service").content.toString("utf8");
    expect(unit).toContain("EnvironmentFile=/etc/fleet/secrets/api.env\n");
    expectGolden("literal-and-secret-env.service", unit);
    expect(file(files, "/etc/fleet/secrets/api.env").content.toString("utf8")).toBe(
      'API_TOKEN="tok\\"en\\\\with\\$HOME\nand newline"\n' + 'DB_PASSWORD="hunter2"\n',
    );
  });
});

describe("renderSystemd secrets", () => {
  it("never writes a secret value into a non-secret file", () => {
    const stack = compose(
      webModules({
        ...secretStack(),
        configFiles: [
          { path: "/etc/app/key.pem", content: secret("from_file", "/run/keys/tls") },
          { path: "/etc/app/app.toml", content: "listen = 8080\n" },
        ],
      }),
    );
    const files = renderSystemd(stack, ctx({ secrets: SECRETS }));
    const plain = files.filter((f) => !f.secret).map((f) => f.content.toString("utf8")).join("\n");
    for (const value of SECRETS.values()) {
      expect(plain).not.toContain(value);
      for (const line of value.split("\n")) expect(plain).not.toContain(line);
    }
    expect(files.filter((f) => f.secret).map((f) => f.path)).toEqual(["/etc/app/key.pem", "/etc/fleet/secrets/api.env"]);
  });

  it("writes a secret config file with mode 0600 unless a mode is given", () => {
    const stack = compose(
      webModules({
        configFiles: [
          { path: "/etc/app/a.key", content: secret("from_file", "/run/keys/tls") },
          { path: "/etc/app/b.key", content: secret("from_vault", "db_pw"), mode: "0640" },
        ],
      }),
    );
    const files = renderSystemd(stack, ctx({ secrets: SECRETS }));
    expect(file(files, "/etc/app/a.key")).toEqual({ path: "/etc/app/a.key", content: Buffer.from("-----KEY-----"), mode: 0o600, secret: true });
    expect(file(files, "/etc/app/b.key")).toMatchObject({ mode: 0o640, secret: true });
  });

  it("writes a literal config file with mode 0644 unless a mode is given", () => {
    const stack = compose(webModules({ configFiles: [{ path: "/etc/a", content: "a\n" }, { path: "/usr/local/bin/x", content: "#!/bin/sh\n", mode: "0755" }] }));
    const files = renderSystemd(stack, ctx());
    expect(file(files, "/etc/a")).toEqual({ path: "/etc/a", content: Buffer.from("a\n"), mode: 0o644, secret: false });
    expect(file(files, "/usr/local/bin/x").mode).toBe(0o755);
  });

  it("throws [E11] listing every unresolved secret rather than rendering without it", () => {
    const stack = compose(webModules(secretStack()));
    expect(() => renderSystemd(stack, ctx({ secrets: new Map([["from_vault:db_pw", "x"]]) }))).toThrow(
      expect.objectContaining({ code: "E11", message: "secret(s) not set: from_env:API_TOKEN" }),
    );
  });

  it("gives a service without secret entries no EnvironmentFile", () => {
    const files = renderSystemd(compose(webModules({ services: [{ name: "api", package: "Api", binary: "api", environment: { A: "1" } }] })), ctx());
    expect(files).toHaveLength(1);
    expect(files[0]?.content.toString()).not.toContain("EnvironmentFile");
  });
});

describe("renderSystemd artifacts", () => {
  const endpoint = artifact("app/endpoint");
  const stackWithArtifacts = (): ComposedStack =>
    compose(
      webModules({
        services: [
          {
            name: "api",
            package: "Api",
            binary: "api",
            args: ["--upstream", template("http://", endpoint, "/v1")],
            environment: { UPSTREAM: endpoint },
            serviceConfig: { WorkingDirectory: template("/srv/", endpoint) },
          },
        ],
        configFiles: [{ path: "/etc/api/upstream", content: template("upstream ", endpoint, "\n") }],
      }),
    );

  it("completes templates and references from the produced artifact values", () => {
    const files = renderSystemd(stackWithArtifacts(), ctx({ artifacts: new Map([["app/endpoint", "10.0.0.5:80"]]) }));
    const unit = file(files, "/etc/systemd/system/api.service").content.toString();
    expect(unit).toContain("--upstream http://10.0.0.5:80/v1\n");
    expect(unit).toContain("Environment=UPSTREAM=10.0.0.5:80\n");
    expect(unit).toContain("WorkingDirectory=/srv/10.0.0.5:80\n");
    expect(file(files, "/etc/api/upstream").content.toString()).toBe("upstream 10.0.0.5:80\n");
  });

  it("throws ARTIFACT-MISSING naming the artifact when its value is unknown", () => {
    let err: unknown;
    try {
      renderSystemd(stackWithArtifacts(), ctx());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FleetError);
    expect((err as FleetError).code).toBe("ARTIFACT-MISSING");
    expect((err as FleetError).message).toContain("'app/endpoint'");
  });
});

describe("renderSystemd determinism", () => {
  const rich = (): Record<string, Value> => ({
    ...secretStack(),
    services: [
      ...(secretStack()["services"] as Value[]),
      { name: "worker", package: "Api", binary: "worker", dependsOn: ["api"], serviceConfig: { User: "w", Nice: 5, Restart: "always" }, environment: { B: "2", A: "1" } },
    ],
    configFiles: [{ path: "/etc/z", content: "z" }, { path: "/etc/a", content: secret("from_file", "/run/keys/tls") }],
  });

  it("renders byte-identical files twice", () => {
    const a = renderSystemd(compose(webModules(rich())), ctx({ secrets: SECRETS }));
    const b = renderSystemd(compose(webModules(rich())), ctx({ secrets: SECRETS }));
    expect(b).toEqual(a);
  });

  it("renders byte-identical files whatever the key order of the evaluated records", () => {
    const a = renderSystemd(compose(webModules(rich())), ctx({ secrets: SECRETS }));
    const shuffled = new Map([...webModules(rich())].reverse().map(([k, v]) => [k, reverseKeys(v)] as const));
    const b = renderSystemd(compose(shuffled), ctx({ secrets: new Map([...SECRETS].reverse()) }));
    expect(b.map((f) => [f.path, f.content.toString("hex"), f.mode, f.secret])).toEqual(
      a.map((f) => [f.path, f.content.toString("hex"), f.mode, f.secret]),
    );
  });

  it("returns files sorted by path", () => {
    const files = renderSystemd(compose(webModules(rich())), ctx({ secrets: SECRETS }));
    const paths = files.map((f) => f.path);
    expect(paths).toEqual([...paths].sort());
    expect(paths).toEqual([
      "/etc/a",
      "/etc/fleet/secrets/api.env",
      "/etc/systemd/system/api.service",
      "/etc/systemd/system/worker.service",
      "/etc/z",
    ]);
  });
});

describe("renderSystemd enable = false", () => {
  it("still renders the unit but without an [Install] section, and leaves it out of enabledUnits", () => {
    const stack = compose(
      webModules({ services: [{ name: "api", package: "Api", binary: "api" }, { name: "batch", package: "Api", binary: "batch", enable: false }] }),
    );
    const files = renderSystemd(stack, ctx());
    expect(file(files, "/etc/systemd/system/batch.service").content.toString()).not.toContain("[Install]");
    expect(file(files, "/etc/systemd/system/api.service").content.toString()).toContain("[Install]\nWantedBy=multi-user.target\n");
    expect(enabledUnits(stack)).toEqual(["api.service"]);
  });
});

describe("renderSystemd refusals", () => {
  it("refuses a NUL character systemd cannot represent, without quoting a secret value", () => {
    const argStack = compose(webModules({ services: [{ name: "api", package: "Api", binary: "api", args: ["a\0b"] }] }));
    expect(() => renderSystemd(argStack, ctx())).toThrow("args[0] of service 'api' of stack 'WebStack' contains a NUL character, which systemd cannot represent; remove it");
    const secretStack = compose(webModules({ services: [{ name: "api", package: "Api", binary: "api", environment: { K: secret("from_env", "K") } }] }));
    let message = "";
    try {
      renderSystemd(secretStack, ctx({ secrets: new Map([["from_env:K", "top\0secret"]]) }));
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain("secret from_env:K (environment.K of service 'api')");
    expect(message).not.toContain("secret\0");
    expect(message).not.toContain("top");
  });

  it("refuses a serviceConfig value whose completed artifact holds a line break", () => {
    const stack = compose(webModules({ services: [{ name: "api", package: "Api", binary: "api", serviceConfig: { User: artifact("db/user") } }] }));
    expect(() => renderSystemd(stack, ctx({ artifacts: new Map([["db/user", "x\nExecStartPre=/bin/evil"]]) }))).toThrow(/contains a line break/);
  });
});
