/** The rig's rule for a machine that cannot run it: skip with a reason outside CI, fail under CI. */
import { describe, expect, it } from "vitest";
import { rigSkipReason, rigUnavailableReason, skipReasonFor } from "../support/systemd-rig.js";

describe("systemd rig prerequisites", () => {
  it("never skips under CI=true, and names what is missing elsewhere", () => {
    expect(skipReasonFor(true, "the systemd rig needs root")).toBeUndefined();
    expect(skipReasonFor(false, "the systemd rig needs root")).toBe("the systemd rig needs root");
    expect(skipReasonFor(false, undefined)).toBeUndefined();
    if (process.env.CI === "true") expect(rigSkipReason).toBeUndefined();
    else expect(rigSkipReason).toBe(rigUnavailableReason());
  });
});
