import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalTransport } from "../../src/transport/local.js";
import { transportConformance } from "./conformance.js";

transportConformance("LocalTransport", async () => {
  const root = mkdtempSync(join(tmpdir(), "fleet-conf-local-"));
  const make = (): LocalTransport => new LocalTransport({ root, target: "ssh://ops@local.test", user: "ops" });
  return {
    transport: make(),
    other: async () => make(),
    base: "/srv/conformance",
    cleanup: async () => rmSync(root, { recursive: true, force: true }),
  };
});
