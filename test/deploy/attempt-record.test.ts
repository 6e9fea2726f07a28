import { fleetMessages } from "../../src/fleet-messages.js";
import { describe, expect, it } from "vitest";
import { recordFailedApply } from "../../src/deploy/attempt-record.js";
import { FleetError } from "../../src/fleet-error.js";
import { writePending } from "../../src/manifest/pending.js";
import { readRecord } from "../../src/manifest/records.js";
import { LocalTransport } from "../../src/transport/local.js";
import { tempDir } from "../support/temp-dir.js";

describe("the record of an apply that failed after writing its generation (ADR 220)", () => {
  const transport = () => new LocalTransport({ root: tempDir("fleet-att-"), target: "t", user: "root" });

  it("names the pending generation, the redacted reason and who", async () => {
    const t = transport();
    await writePending(t, "/d/S", { operation: "apply", to: 4, from: 3 });
    const e = new FleetError(fleetMessages.ioFailed("cannot write /etc/x (value hunter2-secret)", "no space left on device (ENOSPC)"));
    await recordFailedApply(t, "/d/S", e, (s) => s.split("hunter2-secret").join("[secret]"));
    const r = await readRecord(t, "/d/S", 4);
    expect(r?.outcome).toMatchObject({ outcome: "failed", reason: "cannot write /etc/x (value [secret]): no space left on device (ENOSPC)" });
    expect(r?.outcome?.by).toMatch(/.@./);
  });

  it("records nothing without a pending apply, and lets a bug through", async () => {
    const t = transport();
    await recordFailedApply(t, "/d/S", new FleetError(fleetMessages.ioFailed("x", "y")), (s) => s);
    expect(await readRecord(t, "/d/S", 1)).toBeNull();
    await writePending(t, "/d/S", { operation: "apply", to: 1, from: null });
    await recordFailedApply(t, "/d/S", new TypeError("a bug"), (s) => s);
    expect(await readRecord(t, "/d/S", 1)).toBeNull();
  });
});
