import { beforeAll, describe, expect, it } from "vitest";
import { FleetError } from "../../src/fleet-error.js";
import { composeStack } from "../../src/stack/compose.js";
import { producedArtifacts } from "../../src/stack/artifacts.js";
import type { ComposedStack } from "../../src/stack/types.js";
import type { Value } from "../../src/lang/value.js";
import { hasOpenssl, makeCert } from "./certs.js";
import type { TestCert } from "./certs.js";
import { artifact, template, webModules } from "./fixtures.js";

let cert: TestCert;
beforeAll(() => {
  expect(hasOpenssl(), "openssl is required to generate test certificates").toBe(true);
  cert = makeCert("www.example.com");
});

function stack(producesArtifacts: Value): ComposedStack {
  const r = composeStack(webModules({ producesArtifacts }), "WebStack");
  expect(r.errors).toEqual([]);
  if (!r.stack) throw new Error("no stack");
  return r.stack;
}

describe("producedArtifacts", () => {
  it("gives literal values and tlsa digests by name", () => {
    const s = stack([
      { name: "endpoint", kind: "literal", value: "10.0.0.5:80" },
      { name: "tlsa", kind: "tlsa", fromCert: "www.example.com" },
    ]);
    const reads: string[] = [];
    const out = producedArtifacts(s, {
      artifacts: new Map(),
      readTls: (rel) => {
        reads.push(rel);
        return rel === "www.example.com/fullchain.pem" ? Buffer.from(cert.pem) : undefined;
      },
    });
    expect(out).toEqual({ endpoint: "10.0.0.5:80", tlsa: cert.digest });
    expect(reads).toEqual(["www.example.com/fullchain.pem"]);
  });

  it("completes a literal that interpolates an artifact it consumes", () => {
    const s = stack([{ name: "url", kind: "literal", value: template("https://", artifact("db/host"), "/") }]);
    expect(producedArtifacts(s, { artifacts: new Map([["db/host", "db.internal"]]) })).toEqual({ url: "https://db.internal/" });
    expect(() => producedArtifacts(s, { artifacts: new Map() })).toThrow(expect.objectContaining({ code: "ARTIFACT-MISSING" }));
  });

  it("fails the producer when the certificate is missing or --tls-certs was not given", () => {
    const s = stack([{ name: "tlsa", kind: "tlsa", fromCert: "www.example.com" }]);
    expect(() => producedArtifacts(s, { artifacts: new Map(), readTls: () => undefined })).toThrow(
      "tlsa artifact 'tlsa' of stack 'WebStack' needs 'www.example.com/fullchain.pem', which is not in the --tls-certs directory; add the certificate chain",
    );
    expect(() => producedArtifacts(s, { artifacts: new Map() })).toThrow(FleetError);
    expect(() => producedArtifacts(s, { artifacts: new Map() })).toThrow(/pass --tls-certs DIR/);
  });
});
