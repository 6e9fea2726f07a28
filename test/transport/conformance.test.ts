import { rmSync } from "node:fs";
import { LocalTransport } from "../../src/transport/local.js";
import { transportConformance } from "./conformance.js";
import { tempDir } from "../support/temp-dir.js";

transportConformance("LocalTransport", async () => {
  const root = tempDir("fleet-conf-local-");
  const make = (): LocalTransport => new LocalTransport({ root, target: "ssh://ops@local.test", user: "ops" });
  return {
    transport: make(),
    other: async () => make(),
    base: "/srv/conformance",
    cleanup: async () => rmSync(root, { recursive: true, force: true }),
  };
});
