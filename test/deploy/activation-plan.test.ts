/** The activation plan (ADR 190): a pure comparison of the generation activated and the one it replaces. */
import { describe, expect, it } from "vitest";
import { planActivation, postFlipCalls, preRemovalCalls } from "../../src/deploy/activation-plan.js";
import type { Manifest, ManifestFile, ManifestService } from "../../src/manifest/manifest.js";

const sha = (c: string): string => c.repeat(64).slice(0, 64);

function svc(name: string, extra: Partial<ManifestService> = {}): ManifestService {
  return { name, unit: `/etc/systemd/system/${name}.service`, package: name, store_path: `/store/aaa-${name}`, secrets: [], ...extra };
}

function gen(services: ManifestService[], files: Record<string, string>): Manifest {
  const list: ManifestFile[] = Object.entries(files).map(([path, c]) => ({ path, sha256: sha(c), mode: "0644", secret: false }));
  return {
    generation: 1, stack: "S", host: "h", machine: null, deployed_at: "", source_hash: "", backend: "systemd", dry_run: false,
    store_paths: [], services, files: list, artifacts: {}, artifact_refs: [], previous: null,
  };
}

const both = { activate: true, enable: true };
const units = { "/etc/systemd/system/web.service": "1", "/etc/systemd/system/api.service": "2" };
const web = svc("web", { restart_triggers: ["/etc/web.conf"] });
const api = svc("api");
const before = gen([web, api], { ...units, "/etc/web.conf": "a", "/etc/api.conf": "b" });

describe("planActivation", () => {
  it("first generation: every enabled service is started and enabled, the daemon reloaded; enable = false is left alone", () => {
    const p = planActivation(null, gen([web, api, svc("batch", { enable: false })], units), both);
    expect(p).toMatchObject({ started: ["web.service", "api.service"], enable: ["web.service", "api.service"], restarted: [], stopped: [], daemonReload: true });
  });

  it("no change: everything unchanged, no daemon-reload, no calls", () => {
    const p = planActivation(before, before, both);
    expect(p).toMatchObject({ unchanged: ["web.service", "api.service"], started: [], restarted: [], daemonReload: false });
    expect([...preRemovalCalls(p), ...postFlipCalls(p)]).toEqual([]);
  });

  it("a restart trigger changed: only that service restarts, without a daemon-reload", () => {
    const p = planActivation(before, gen([web, api], { ...units, "/etc/web.conf": "c", "/etc/api.conf": "b" }), both);
    expect(p).toMatchObject({ restarted: ["web.service"], unchanged: ["api.service"], daemonReload: false });
    expect(postFlipCalls(p)).toEqual([["restart", "web.service"]]);
  });

  it("a config file nobody lists as a trigger restarts nothing", () => {
    const p = planActivation(before, gen([web, api], { ...units, "/etc/web.conf": "a", "/etc/api.conf": "z" }), both);
    expect(p.restarted).toEqual([]);
  });

  it("unit bytes, env file or package store path changed: restart; reloadIfChanged: reload", () => {
    const next = gen([svc("web", { restart_triggers: ["/etc/web.conf"], reload_if_changed: true }), svc("api", { store_path: "/store/bbb-api" })], {
      ...units,
      "/etc/systemd/system/web.service": "9",
      "/etc/web.conf": "a",
    });
    const p = planActivation(before, next, both);
    expect(p).toMatchObject({ reloaded: ["web.service"], restarted: ["api.service"], daemonReload: true });
    expect(postFlipCalls(p)).toEqual([["daemon-reload"], ["restart", "api.service"], ["reload", "web.service"]]);
    const env = gen([web, api], { ...units, "/etc/web.conf": "a", "/etc/fleet/secrets/api.env": "e" });
    expect(planActivation(before, env, both).restarted).toEqual(["api.service"]);
  });

  it("a service that leaves is stopped and disabled before the deletions; the daemon is reloaded after", () => {
    const p = planActivation(before, gen([web], { "/etc/systemd/system/web.service": "1", "/etc/web.conf": "a" }), both);
    expect(p).toMatchObject({ stopped: ["api.service"], disable: ["api.service"], unchanged: ["web.service"], daemonReload: true });
    expect(preRemovalCalls(p)).toEqual([["stop", "api.service"], ["disable", "api.service"]]);
    expect(postFlipCalls(p)).toEqual([["daemon-reload"]]);
  });

  it("a service turned enable = false is stopped and disabled", () => {
    const p = planActivation(before, gen([web, svc("api", { enable: false })], { ...units, "/etc/web.conf": "a" }), both);
    expect(p.stopped).toEqual(["api.service"]);
  });

  it("--enable alone enables new and disables leaving services, starting or stopping none; neither flag: empty", () => {
    const p = planActivation(gen([api], units), gen([web], units), { activate: false, enable: true });
    expect(p).toMatchObject({ enable: ["web.service"], disable: ["api.service"], started: [], stopped: [], unchanged: [] });
    expect(postFlipCalls(planActivation(null, before, { activate: false, enable: false }))).toEqual([]);
  });
});
