/** OpenSSH client configuration: parsing with locations, Host matching, and the hops of a route. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FleetError, UsageError } from "../../src/fleet-error.js";
import { hostPatternsMatch, loadSshConfig, parseSshConfig, resolveHostConfig, type SshConfig } from "../../src/transport/ssh-config.js";
import { resolveRoute, type RouteFlags } from "../../src/transport/ssh-route.js";
import { tempDir } from "../support/temp-dir.js";

const F = "/cfg/ssh_config";
const cfg = (text: string): SshConfig => ({ path: F, blocks: parseSshConfig(text, F) });

function usage(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error("expected a usage error");
}

function worldError(f: () => unknown): FleetError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FleetError);
    expect(e).not.toBeInstanceOf(UsageError);
    return e as FleetError;
  }
  throw new Error("expected a FleetError");
}

let home: string;
let savedHome: string | undefined;
beforeEach(() => {
  savedHome = process.env.HOME;
  home = tempDir("fleet-sshcfg-home-");
  process.env.HOME = home;
});
afterEach(() => {
  process.env.HOME = savedHome;
});

describe("ssh_config patterns", () => {
  it("match like OpenSSH: *, ? (exactly one), case-insensitive, a matching !negation vetoes", () => {
    expect(hostPatternsMatch(["*.example.com"], "web.EXAMPLE.com")).toBe(true);
    expect(hostPatternsMatch(["*.example.com"], "example.com")).toBe(false);
    expect(hostPatternsMatch(["web?"], "web1")).toBe(true);
    expect(hostPatternsMatch(["web?"], "web")).toBe(false);
    expect(hostPatternsMatch(["web?"], "web12")).toBe(false);
    expect(hostPatternsMatch(["*", "!db*"], "web")).toBe(true);
    expect(hostPatternsMatch(["*", "!db*"], "db1")).toBe(false);
    expect(hostPatternsMatch(["!db"], "web")).toBe(false);
  });

  it("first value obtained wins; IdentityFile accumulates; global lines apply to every host", () => {
    const c = cfg(
      [
        "IdentityFile ~/.ssh/global",
        "Host web",
        "  HostName 10.0.0.5",
        "  Port 2200",
        "  IdentityFile ~/.ssh/web",
        "Host w*",
        "  HostName ignored.example",
        "  User wuser",
        "  IdentityFile ~/.ssh/wild",
        "Host *",
        "  User fallback",
        "  Port 22",
      ].join("\n"),
    );
    const w = resolveHostConfig(c, "web");
    expect(w.hostName).toEqual({ value: "10.0.0.5", where: `${F}:3` });
    expect(w.port).toEqual({ value: 2200, where: `${F}:4` });
    expect(w.user).toEqual({ value: "wuser", where: `${F}:8` });
    expect(w.identityFiles.map((i) => i.value)).toEqual(["~/.ssh/global", "~/.ssh/web", "~/.ssh/wild"]);
    const d = resolveHostConfig(c, "db");
    expect(d.hostName).toBeUndefined();
    expect(d.user?.value).toBe("fallback");
    expect(d.identityFiles.map((i) => i.value)).toEqual(["~/.ssh/global"]);
  });

  it("a Host line with several patterns is an alias for each; keywords are case-insensitive; key=value works", () => {
    const c = cfg(["host web www", "  hostname=web.internal", "  PORT 2222", "Host \"db\"", "  HostName db.internal"].join("\n"));
    expect(resolveHostConfig(c, "www").hostName?.value).toBe("web.internal");
    expect(resolveHostConfig(c, "web").port?.value).toBe(2222);
    expect(resolveHostConfig(c, "db").hostName?.value).toBe("db.internal");
  });

  it("locates directives on the right line past comments, blanks and trailing comments", () => {
    const c = cfg(["# top", "", "Host a # the a host", "", "  # inside", "  HostName x", "\tUser u"].join("\n"));
    const a = resolveHostConfig(c, "a");
    expect(a.hostName?.where).toBe(`${F}:6`);
    expect(a.user?.where).toBe(`${F}:7`);
  });
});

describe("malformed configuration is a usage error located file:line", () => {
  it("bad values, missing values, Match blocks and unbalanced quotes", () => {
    expect(usage(() => cfg("Host a\n  Port http\n"))).toBe(`${F}:2: error: Port must be a number from 1 to 65535, not 'http'`);
    expect(usage(() => cfg("Host a\n  Port 70000\n"))).toMatch(/^\/cfg\/ssh_config:2: error: Port must be/);
    expect(usage(() => cfg("Host a\n\n  HostName\n"))).toBe(`${F}:3: error: HostName needs a value`);
    expect(usage(() => cfg("Host a\n  StrictHostKeyChecking maybe\n"))).toMatch(/:2: error: StrictHostKeyChecking must be yes, accept-new, no or ask/);
    expect(usage(() => cfg("Host a\n  User u\nMatch host a\n  User v\n"))).toBe(
      `${F}:3: error: Match blocks are not supported by fleet; use Host blocks, or --ssh-config none`,
    );
    expect(usage(() => cfg("Host a\n  HostName x\n  IdentityFile \"~/unclosed\n  User u\n"))).toBe(`${F}:3: error: unbalanced quote in SSH configuration`);
  });

  it("-F with a missing file is a usage error; -F none reads nothing", () => {
    expect(usage(() => loadSshConfig(join(home, "nope")))).toMatch(/^--ssh-config .*nope: no such file/);
    expect(loadSshConfig("none").blocks).toEqual([]);
  });

  it("Include reads files relative to ~/.ssh, with wildcards, in name order", () => {
    mkdirSync(join(home, ".ssh", "conf.d"), { recursive: true });
    writeFileSync(join(home, ".ssh", "conf.d", "b.conf"), "Host b\n  HostName b.internal\n");
    writeFileSync(join(home, ".ssh", "conf.d", "a.conf"), "Host a\n  HostName a.internal\n  Port nope\n");
    writeFileSync(join(home, ".ssh", "config"), "Include conf.d/b.conf\nHost c\n  HostName c.internal\n");
    const c = loadSshConfig();
    expect(resolveHostConfig(c, "b").hostName?.value).toBe("b.internal");
    expect(resolveHostConfig(c, "c").hostName?.value).toBe("c.internal");
    const f = join(home, "wild");
    writeFileSync(f, "Include conf.d/*.conf\n");
    expect(usage(() => loadSshConfig(f))).toBe(`${join(home, ".ssh", "conf.d", "a.conf")}:3: error: Port must be a number from 1 to 65535, not 'nope'`);
  });
});

describe("routes: hops, precedence and policies", () => {
  const flags: RouteFlags = { agent: "/agent.sock" };
  const bastionCfg = cfg(
    [
      "Host web",
      "  HostName 10.1.0.5",
      "  User ignored-for-the-target",
      "  Port 2022",
      "  ProxyJump jump@bastion:2200",
      "  IdentityFile ~/.ssh/web_%r",
      "  UserKnownHostsFile ~/.ssh/kh_web",
      "Host bastion",
      "  HostName 192.0.2.10",
      "  User ops",
      "  Port 22",
      "  StrictHostKeyChecking accept-new",
      "Host inner",
      "  ProxyJump bastion,web",
      "Host looper",
      "  ProxyJump looper",
    ].join("\n"),
  );

  it("a Host alias in the target: HostName, Port, ProxyJump; the target's user wins over User", () => {
    const hops = resolveRoute("ssh://deploy@web", flags, bastionCfg);
    expect(hops.map((h) => [h.label, h.user, h.host, h.port, h.isJump])).toEqual([
      ["jump host bastion", "jump", "192.0.2.10", 2200, true],
      ["ssh://deploy@web", "deploy", "10.1.0.5", 2022, false],
    ]);
    const [jump, web] = hops;
    expect(web!.keyFiles.map((k) => k.path)).toEqual([join(home, ".ssh", "web_deploy")]);
    expect(web!.knownHosts).toEqual([join(home, ".ssh", "kh_web")]);
    expect(web!.acceptNewHostKeys).toBe(false);
    expect(jump!.acceptNewHostKeys).toBe(true);
    expect(jump!.knownHosts).toEqual([join(home, ".ssh", "known_hosts")]);
    expect(jump!.keyFiles.map((k) => [k.path, k.named])).toEqual([
      [join(home, ".ssh", "id_ed25519"), false],
      [join(home, ".ssh", "id_ecdsa"), false],
      [join(home, ".ssh", "id_rsa"), false],
    ]);
    expect(web!.agent).toBe("/agent.sock");
  });

  it("command-line flags beat the URL, which beats ssh_config, which beats defaults", () => {
    const [jump, web] = resolveRoute(
      "ssh://deploy@web:2999",
      { key: "/k", knownHosts: "/kh", acceptNewHostKeys: true, connectTimeoutMs: 3000, agent: "/agent.sock" },
      bastionCfg,
    );
    expect(web!.port).toBe(2999);
    for (const h of [jump!, web!]) {
      expect(h.knownHosts).toEqual(["/kh"]);
      expect(h.keyFiles[0]).toEqual({ path: "/k", named: true, required: true });
      expect(h.agent).toBeUndefined();
      expect(h.acceptNewHostKeys).toBe(true);
      expect(h.connectTimeoutMs).toBe(3000);
    }
    // With no configuration at all: the name as written, port 22, ~/.ssh/known_hosts.
    const [plain] = resolveRoute("ssh://deploy@web", flags, cfg(""));
    expect([plain!.host, plain!.port, plain!.knownHosts, plain!.connectTimeoutMs]).toEqual(["web", 22, [join(home, ".ssh", "known_hosts")], 10_000]);
  });

  it("a comma-separated ProxyJump is passed through in order, each hop named as written", () => {
    const hops = resolveRoute("ssh://deploy@inner", flags, bastionCfg);
    // bastion, then web (reached through bastion, so web's own ProxyJump is not used), then inner.
    expect(hops.map((h) => [h.label, h.host, h.port])).toEqual([
      ["jump host bastion", "192.0.2.10", 22],
      ["jump host web", "10.1.0.5", 2022],
      ["ssh://deploy@inner", "inner", 22],
    ]);
    expect(hops[1]!.user).toBe("ignored-for-the-target");
  });

  it("a jump host's own ProxyJump is followed; ProxyJump none stops; a loop is a per-host error", () => {
    const c = cfg(["Host t", "  ProxyJump mid", "Host mid", "  ProxyJump edge", "Host edge", "  ProxyJump none"].join("\n"));
    expect(resolveRoute("ssh://u@t", flags, c).map((h) => h.label)).toEqual(["jump host edge", "jump host mid", "ssh://u@t"]);
    const e = worldError(() => resolveRoute("ssh://u@looper", flags, bastionCfg));
    expect(e.message).toMatch(/^more than 8 hops to reach ssh:\/\/u@looper \(\/cfg\/ssh_config:16: a ProxyJump loop\?\)/);
    expect(e.options.host).toBe("ssh://u@looper");
  });

  it("refuses StrictHostKeyChecking no, ProxyCommand and a malformed ProxyJump for the host they apply to only", () => {
    const c = cfg(
      ["Host lax", "  StrictHostKeyChecking no", "Host piped", "  ProxyCommand ssh -W %h:%p gw", "Host bad", "  ProxyJump a@b@c", "Host ok"].join("\n"),
    );
    expect(worldError(() => resolveRoute("ssh://u@lax", flags, c)).message).toBe(
      `${F}:2: StrictHostKeyChecking no is refused for ssh://u@lax: fleet never trusts an unchecked host key; use accept-new (or --accept-new-host-keys) to record new keys`,
    );
    // --accept-new-host-keys is the command line's answer and wins.
    expect(resolveRoute("ssh://u@lax", { ...flags, acceptNewHostKeys: true }, c)[0]!.acceptNewHostKeys).toBe(true);
    expect(worldError(() => resolveRoute("ssh://u@piped", flags, c)).message).toBe(`${F}:4: ProxyCommand is not supported by fleet (ssh://u@piped); use ProxyJump`);
    expect(worldError(() => resolveRoute("ssh://u@bad", flags, c)).message).toBe(
      `${F}:6: ProxyJump 'a@b@c' is not [user@]host[:port]; fix that line of the SSH configuration`,
    );
    expect(resolveRoute("ssh://u@ok", flags, c)).toHaveLength(1);
  });

  it("IdentitiesOnly, HostKeyAlias, ConnectTimeout and several UserKnownHostsFile", () => {
    const c = cfg(
      ["Host h", "  IdentitiesOnly yes", "  HostKeyAlias h.pinned", "  ConnectTimeout 4", "  UserKnownHostsFile /a /b", "  IdentityFile /k1", "  IdentityFile /k2"].join("\n"),
    );
    const [h] = resolveRoute("ssh://u@h", flags, c);
    expect(h!.identitiesOnly).toBe(true);
    expect(h!.hostKeyName).toBe("h.pinned");
    expect(h!.connectTimeoutMs).toBe(4000);
    expect(h!.knownHosts).toEqual(["/a", "/b"]);
    expect(h!.keyFiles.map((k) => k.path)).toEqual(["/k1", "/k2"]);
  });
});
