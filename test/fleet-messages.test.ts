import { describe, expect, it } from "vitest";
import { FleetError, UsageError } from "../src/fleet-error.js";
import { fleetMessages } from "../src/fleet-messages.js";

describe("the operational error catalogue", () => {
  it("gives an error its id, its SPEC code in the headline, and its hint", () => {
    const e = new FleetError(fleetMessages.pinnedStorePathsMissing("WebStack", "gen-001", "ssh://deploy@web", "abc-x"), { host: "ssh://deploy@web" });
    expect(e.id).toBe("pinnedStorePathsMissing");
    expect(e.headline).toBe("[E12] cannot roll back WebStack to gen-001: pinned store path(s) missing on ssh://deploy@web: abc-x");
    expect(e.options).toEqual({ host: "ssh://deploy@web", hint: "apply that generation's configuration again to rebuild and push them" });
  });

  it("an error without a SPEC code has a bare headline; onHost keeps id, code and message", () => {
    const u = new UsageError(fleetMessages.onlyNeedsSelector());
    expect(u.headline).toBe("--only needs at least one machine, stack or @tag");
    const e = new FleetError(fleetMessages.neverDeployed("S", "t")).onHost("t");
    expect([e.id, e.code, e.message, e.options]).toEqual(["neverDeployed", "E12", "S was never deployed to t; nothing to roll back", { host: "t" }]);
  });
});
