import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FleetError } from "../../src/fleet-error.js";
import { canonicalJson } from "../../src/canonical-json.js";
import { currentGeneration, flipCurrent, listGenerations, nextGeneration, readCurrent } from "../../src/manifest/generations.js";
import { generationFileName, generationLabel, parseGenerationFileName } from "../../src/manifest/layout.js";
import { manifestBytes, modeString, parseManifest, type Manifest } from "../../src/manifest/manifest.js";
import { readPending, writePending } from "../../src/manifest/pending.js";
import { readRecord, updateRecord } from "../../src/manifest/records.js";
import { LocalTransport } from "../../src/transport/local.js";
import { tempDir } from "../support/temp-dir.js";

const sample: Manifest = {
  previous: 1,
  generation: 2,
  stack: "WebStack",
  host: "ssh://ops@web",
  machine: null,
  deployed_at: "2026-11-25T12:00:00.000Z",
  source_hash: "ab",
  backend: "systemd",
  dry_run: false,
  store_paths: ["/s/aaa-app-1"],
  services: [{ name: "api", unit: "/etc/systemd/system/api.service", package: "Api", store_path: "/s/aaa-app-1", secrets: [{ key: "PW", kind: "from_env", name: "API_PW" }] }],
  files: [{ path: "/etc/a", sha256: "a".repeat(64), mode: "0644", secret: false }],
  artifacts: { z: "1", a: "2" },
  artifact_refs: ["dns/zone"],
};

describe("manifest bytes", () => {
  it("are canonical JSON: sorted keys at every depth, 2-space indent, trailing newline", () => {
    const text = manifestBytes(sample).toString("utf8");
    expect(text).toBe(`{
  "artifact_refs": [
    "dns/zone"
  ],
  "artifacts": {
    "a": "2",
    "z": "1"
  },
  "backend": "systemd",
  "deployed_at": "2026-11-25T12:00:00.000Z",
  "dry_run": false,
  "files": [
    {
      "mode": "0644",
      "path": "/etc/a",
      "secret": false,
      "sha256": "${"a".repeat(64)}"
    }
  ],
  "generation": 2,
  "host": "ssh://ops@web",
  "machine": null,
  "previous": 1,
  "services": [
    {
      "name": "api",
      "package": "Api",
      "secrets": [
        {
          "key": "PW",
          "kind": "from_env",
          "name": "API_PW"
        }
      ],
      "store_path": "/s/aaa-app-1",
      "unit": "/etc/systemd/system/api.service"
    }
  ],
  "source_hash": "ab",
  "stack": "WebStack",
  "store_paths": [
    "/s/aaa-app-1"
  ]
}
`);
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] })).toBe('{\n  "a": [\n    {\n      "c": 2,\n      "d": 1\n    }\n  ],\n  "b": 1\n}\n');
  });

  it("round-trip through the validating reader", () => {
    expect(parseManifest(manifestBytes(sample), "gen-002.json")).toEqual(sample);
  });

  it.each([
    ["not JSON", "{"],
    ["a missing field", JSON.stringify({ ...sample, files: undefined })],
    ["a bad mode", JSON.stringify({ ...sample, files: [{ ...sample.files[0], mode: "644" }] })],
    ["a relative file path", JSON.stringify({ ...sample, files: [{ ...sample.files[0], path: "etc/a" }] })],
    ["a bad generation", JSON.stringify({ ...sample, generation: 0 })],
    ["an unknown secret kind", JSON.stringify({ ...sample, services: [{ ...sample.services[0], secrets: [{ key: "K", kind: "from_moon", name: "x" }] }] })],
  ])("refuses %s with a FleetError naming the file", (_, text) => {
    let err: unknown;
    try {
      parseManifest(text, "/d/S/gen-002.json");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FleetError);
    expect((err as FleetError).message).toMatch(/^manifest \/d\/S\/gen-002\.json is corrupt \(/);
  });

  it("writes modes as 4-digit octal strings", () => {
    expect(modeString(0o644)).toBe("0644");
    expect(modeString(0o4755)).toBe("4755");
  });
});

describe("generation numbers", () => {
  it("names generations with at least three zero-padded digits", () => {
    expect(generationFileName(1)).toBe("gen-001.json");
    expect(generationFileName(1234)).toBe("gen-1234.json");
    expect(generationLabel(12)).toBe("gen-012");
    expect(parseGenerationFileName("gen-007.json")).toBe(7);
    expect(parseGenerationFileName("gen-07.json")).toBeNull();
    expect(parseGenerationFileName("gen-000.json")).toBeNull();
    expect(parseGenerationFileName("gen-001.json.tmp")).toBeNull();
  });

  it("the next number is max(existing) + 1, whatever is current and whatever else lies there", async () => {
    const root = tempDir("fleet-gen-");
    const t = new LocalTransport({ root, target: "t", user: "root" });
    expect(await nextGeneration(t, "/d/S")).toBe(1);
    mkdirSync(join(root, "d/S/files"), { recursive: true });
    for (const n of ["gen-001.json", "gen-009.json", "gen-003.json", "gen-x.json", ".gen-010.json.fleet-tmp-1"]) writeFileSync(join(root, "d/S", n), "{}");
    symlinkSync("gen-003.json", join(root, "d/S/current"));
    expect(await listGenerations(t, "/d/S")).toEqual([1, 3, 9]);
    expect(await nextGeneration(t, "/d/S")).toBe(10);
    expect(await currentGeneration(t, "/d/S")).toBe(3);
  });

  it("flips current with a relative symlink and reads it back", async () => {
    const root = tempDir("fleet-gen-");
    const t = new LocalTransport({ root, target: "t", user: "root" });
    expect(await readCurrent(t, "/d/S")).toBeNull();
    await t.writeFileAtomic("/d/S/gen-002.json", manifestBytes(sample), 0o644);
    await flipCurrent(t, "/d/S", 2);
    expect(await t.readlink("/d/S/current")).toBe("gen-002.json");
    expect(await readCurrent(t, "/d/S")).toEqual(sample);
    await flipCurrent(t, "/d/S", 1);
    await expect(readCurrent(t, "/d/S")).rejects.toThrow(/gen-001\.json is missing/);
  });
});

describe("pending marker", () => {
  it("names the operation and both generations, and refuses a corrupt marker", async () => {
    const root = tempDir("fleet-gen-");
    const t = new LocalTransport({ root, target: "t", user: "root" });
    expect(await readPending(t, "/d/S")).toBeNull();
    await writePending(t, "/d/S", { operation: "apply", to: 3, from: null });
    expect(await readPending(t, "/d/S")).toEqual({ operation: "apply", to: 3, from: null });
    await t.writeFileAtomic("/d/S/pending", Buffer.from("{"), 0o644);
    await expect(readPending(t, "/d/S")).rejects.toThrow(FleetError);
  });
});

describe("deployed_by (ADR 221)", () => {
  it("is optional: a manifest without it (written before fleet recorded it) still parses; a non-string is corrupt", () => {
    const bytes = manifestBytes({ ...sample, deployed_by: "alice@laptop" });
    expect(parseManifest(bytes, "m").deployed_by).toBe("alice@laptop");
    expect(parseManifest(manifestBytes(sample), "m").deployed_by).toBeUndefined();
    const bad = JSON.stringify({ ...JSON.parse(manifestBytes(sample).toString()), deployed_by: 7 });
    expect(() => parseManifest(bad, "m")).toThrow(/deployed_by is not a string/);
  });
});

describe("generation records (ADR 220)", () => {
  it("merge health and outcome, and read a missing, corrupt or foreign record as absent", async () => {
    const root = tempDir("fleet-rec-");
    const t = new LocalTransport({ root, target: "t", user: "root" });
    expect(await readRecord(t, "/d/S", 2)).toBeNull();
    const health = { ok: false, at: "2026-12-02T08:00:00.000Z", checks: 1, failed_check: "x", detail: "failed after 3 attempts: exit 7" };
    await updateRecord(t, "/d/S", 2, { health });
    const outcome = { outcome: "rolled-back" as const, reason: "health check 'x' failed after 3 attempts: exit 7", at: "2026-12-02T08:00:01.000Z", by: "a@b" };
    await updateRecord(t, "/d/S", 2, { outcome });
    expect(await readRecord(t, "/d/S", 2)).toEqual({ generation: 2, health, outcome });
    await t.writeFileAtomic("/d/S/records/gen-003.json", Buffer.from("{"), 0o644);
    expect(await readRecord(t, "/d/S", 3)).toBeNull();
    await t.writeFileAtomic("/d/S/records/gen-004.json", Buffer.from(JSON.stringify({ generation: 5, health: null, outcome: null })), 0o644);
    expect(await readRecord(t, "/d/S", 4)).toBeNull();
  });
});
