/**
 * TLS material and the tlsa artifact through the built CLI (SPEC §3, §6), using the throwaway
 * certificate committed under examples/tls and examples/artifacts.
 */
import { execSync } from "node:child_process";
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, runFleet } from "../support/cli.js";
import { copyExample, tempDir } from "../support/fleet-fixture.js";

const SHOP = "deploy@shop.example.test";
const TLS_DIR = "etc/fleet/tls/shop.example.test";
const DEPLOYMENTS = "home/deploy/.fleet/deployments";

function modeOf(p: string): string {
  return (lstatSync(p).mode & 0o777).toString(8).padStart(4, "0");
}

function filesContaining(root: string, needle: Buffer | string): string[] {
  const hits: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && readFileSync(p).includes(needle)) hits.push(relative(root, p));
    }
  };
  if (existsSync(root)) walk(root);
  return hits.sort();
}

function roots(): { out: string; store: string } {
  const d = tempDir();
  return { out: join(d, "out"), store: join(d, "store") };
}

/** The example's certificates copied out, so a test may remove parts of them. */
function certsCopy(example: string): string {
  const dir = join(tempDir("fleet-certs-"), "certs");
  cpSync(join(REPO_ROOT, "examples", example, "certs"), dir, { recursive: true });
  return dir;
}

function shopApply(fleet: string, r: { out: string; store: string }, extra: readonly string[]) {
  return runFleet(["apply", fleet, "--transport-root", r.out, "--store-root", r.store, ...extra]);
}

describe("--tls-certs", () => {
  it("writes fullchain.pem 0644 and privkey.pem 0600 (a secret file, never under files/) to /etc/fleet/tls/<domain>/", () => {
    const dir = copyExample("tls");
    const certs = certsCopy("tls");
    const r = roots();
    const res = shopApply(join(dir, "fleet.pcl"), r, ["--tls-certs", certs]);
    expect(res.stderr).toBe("");
    expect(res.stdout).toBe("✓ ShopStack → ssh://deploy@shop.example.test\nfleet: 1/1 host(s) deployed\n");
    expect(res.code).toBe(0);

    const host = join(r.out, SHOP);
    const chain = readFileSync(join(certs, "shop.example.test/fullchain.pem"));
    const key = readFileSync(join(certs, "shop.example.test/privkey.pem"));
    expect(readFileSync(join(host, TLS_DIR, "fullchain.pem"))).toEqual(chain);
    expect(modeOf(join(host, TLS_DIR, "fullchain.pem"))).toBe("0644");
    expect(readFileSync(join(host, TLS_DIR, "privkey.pem"))).toEqual(key);
    expect(modeOf(join(host, TLS_DIR, "privkey.pem"))).toBe("0600");

    const manifest = JSON.parse(readFileSync(join(host, DEPLOYMENTS, "ShopStack/gen-001.json"), "utf8")) as {
      files: { path: string; secret: boolean; mode: string }[];
    };
    const tls = manifest.files.filter((f) => f.path.startsWith("/etc/fleet/tls/"));
    expect(tls.map((f) => [f.path, f.mode, f.secret])).toEqual([
      ["/etc/fleet/tls/shop.example.test/fullchain.pem", "0644", false],
      ["/etc/fleet/tls/shop.example.test/privkey.pem", "0600", true],
    ]);
    // The key's body is held by the live privkey.pem and by nothing else fleet wrote.
    const body = key.toString("utf8").split("\n")[1]!;
    expect(filesContaining(r.out, body)).toEqual([`${SHOP}/${TLS_DIR}/privkey.pem`]);
    expect(filesContaining(r.store, body)).toEqual([]);
    expect(filesContaining(join(host, DEPLOYMENTS), chain)).toHaveLength(1);

    // Rollback restores the chain byte for byte and counts the key as secret-skipped.
    const hostPcl = join(dir, "hosts/shop.pcl");
    writeFileSync(hostPcl, readFileSync(hostPcl, "utf8").replace("listen 443 ssl", "listen 8443 ssl"));
    writeFileSync(join(certs, "shop.example.test/fullchain.pem"), Buffer.concat([chain, chain]));
    expect(shopApply(join(dir, "fleet.pcl"), r, ["--tls-certs", certs]).code).toBe(0);
    const back = runFleet(["rollback", join(dir, "fleet.pcl"), "--transport-root", r.out, "--store-root", r.store]);
    expect(back.stdout).toBe("↩ ShopStack → gen-001 (was gen-002); 2 restored, 0 removed, 1 secret-skipped\nfleet: 1/1 host(s) rolled back\n");
    expect(readFileSync(join(host, TLS_DIR, "fullchain.pem"))).toEqual(chain);
  });

  it("a missing pair fails that host, naming each missing file, and writes nothing there", () => {
    const dir = copyExample("tls");
    const empty = tempDir("fleet-no-certs-");
    const r = roots();
    const res = shopApply(join(dir, "fleet.pcl"), r, ["--tls-certs", empty]);
    expect(res.stderr).toBe(
      "✗ ShopStack → ssh://deploy@shop.example.test: TLS files 'shop.example.test/fullchain.pem', 'shop.example.test/privkey.pem' not found in the --tls-certs directory; add the certificate chain and key for each domain\n",
    );
    expect(res.stdout).toBe("fleet: 0/1 host(s) deployed (1 failed)\n");
    expect(res.code).toBe(1);
    expect(existsSync(join(r.out, SHOP))).toBe(false);
  });

  it("a missing key alone fails that host, also under --dry-run", () => {
    const dir = copyExample("tls");
    const certs = certsCopy("tls");
    rmSync(join(certs, "shop.example.test/privkey.pem"));
    for (const extra of [[], ["--dry-run"]]) {
      const r = roots();
      const res = shopApply(join(dir, "fleet.pcl"), r, ["--tls-certs", certs, ...extra]);
      expect(res.stderr).toContain("TLS file 'shop.example.test/privkey.pem' not found in the --tls-certs directory");
      expect(res.code).toBe(1);
      expect(existsSync(join(r.out, SHOP))).toBe(false);
    }
  });

  it("a stack with tls and no --tls-certs fails that host", () => {
    const dir = copyExample("tls");
    const r = roots();
    const res = shopApply(join(dir, "fleet.pcl"), r, []);
    expect(res.stderr).toBe(
      "✗ ShopStack → ssh://deploy@shop.example.test: stack 'ShopStack' declares tls domains (shop.example.test) but no --tls-certs DIR was given\n",
    );
    expect(res.code).toBe(1);
    expect(existsSync(join(r.out, SHOP))).toBe(false);
  });

  it("a domain that is not a plain hostname fails that host before any write, also under --dry-run", () => {
    const dir = copyExample("tls");
    const certs = certsCopy("tls");
    mkdirSync(join(certs, "*.example.test"));
    cpSync(join(certs, "shop.example.test"), join(certs, "*.example.test"), { recursive: true });
    const hostPcl = join(dir, "hosts/shop.pcl");
    writeFileSync(hostPcl, readFileSync(hostPcl, "utf8").replace('domains = ["shop.example.test"]', 'domains = ["*.example.test"]'));
    for (const extra of [[], ["--dry-run"]]) {
      const r = roots();
      const res = shopApply(join(dir, "fleet.pcl"), r, ["--tls-certs", certs, ...extra]);
      expect(res.stderr).toMatch(/^✗ ShopStack → ssh:\/\/deploy@shop\.example\.test: TLS domain '\*\.example\.test' of stack 'ShopStack' is not a plain hostname; /);
      expect(res.code).toBe(1);
      expect(existsSync(join(r.out, SHOP))).toBe(false);
    }
  });

  it("copies nothing under --dry-run", () => {
    const dir = copyExample("tls");
    const r = roots();
    const res = shopApply(join(dir, "fleet.pcl"), r, ["--tls-certs", join(REPO_ROOT, "examples/tls/certs"), "--dry-run"]);
    expect(res.code).toBe(0);
    expect(existsSync(join(r.out, SHOP, "etc/fleet"))).toBe(false);
    expect(existsSync(join(r.out, SHOP, "etc/proxy/proxy.conf"))).toBe(true);
    const key = readFileSync(join(REPO_ROOT, "examples/tls/certs/shop.example.test/privkey.pem"), "utf8");
    expect(filesContaining(r.out, key.split("\n")[1]!)).toEqual([]);
  });
});

/** The TLSA "3 1 1" digest as an operator would compute it with openssl. */
function opensslDigest(fullchain: string): string {
  return execSync(`openssl x509 -pubkey -noout -in '${fullchain}' | openssl pkey -pubin -outform der | sha256sum`, {
    encoding: "utf8",
  }).split(" ")[0]!;
}

describe("a tlsa artifact", () => {
  const certs = join(REPO_ROOT, "examples/artifacts/certs");
  const digest = opensslDigest(join(certs, "www.example.test/fullchain.pem"));

  for (const dryRun of [false, true]) {
    it(`reaches its consumer as the certificate's SPKI digest, producer first${dryRun ? " (--dry-run computes it too)" : ""}`, () => {
      expect(digest).toMatch(/^[0-9a-f]{64}$/);
      const dir = copyExample("artifacts");
      const r = roots();
      const res = shopApply(join(dir, "fleet.pcl"), r, ["--tls-certs", certs, ...(dryRun ? ["--dry-run"] : [])]);
      expect(res.stderr).toBe("");
      expect(res.stdout).toBe(
        "✓ WebStack → ssh://deploy@www.example.test\n✓ DnsStack → ssh://deploy@ns1.example.test\nfleet: 2/2 host(s) deployed\n",
      );
      expect(res.code).toBe(0);
      const dns = join(r.out, "deploy@ns1.example.test");
      expect(readFileSync(join(dns, "etc/nsd/zones/example.test.zone"), "utf8")).toBe(
        `$ORIGIN example.test.\n$TTL 3600\nwww IN A 192.0.2.10\n_443._tcp.www IN TLSA 3 1 1 ${digest}\n`,
      );
      // The consumer records the references, the producer the values.
      const dnsManifest = JSON.parse(readFileSync(join(dns, DEPLOYMENTS, "DnsStack/gen-001.json"), "utf8")) as Record<string, unknown>;
      expect(dnsManifest["artifact_refs"]).toEqual(["web/www-address", "web/www-tlsa"]);
      expect(JSON.stringify(dnsManifest)).not.toContain(digest);
      const web = join(r.out, "deploy@www.example.test");
      const webManifest = JSON.parse(readFileSync(join(web, DEPLOYMENTS, "WebStack/gen-001.json"), "utf8")) as Record<string, unknown>;
      expect(webManifest["artifacts"]).toEqual({ "www-address": "192.0.2.10", "www-tlsa": digest });
      expect(existsSync(join(web, "etc/fleet/tls/www.example.test/privkey.pem"))).toBe(!dryRun);
      // The key never reaches the consumer.
      const keyBody = readFileSync(join(certs, "www.example.test/privkey.pem"), "utf8").split("\n")[1]!;
      expect(filesContaining(dns, keyBody)).toEqual([]);
    });
  }

  it("reaches a consumer deployed alone (--only) from the producer's current manifest, without --tls-certs", () => {
    const dir = copyExample("artifacts");
    const r = roots();
    expect(shopApply(join(dir, "fleet.pcl"), r, ["--tls-certs", certs, "--dry-run"]).code).toBe(0);
    const zone = join(r.out, "deploy@ns1.example.test/etc/nsd/zones/example.test.zone");
    writeFileSync(zone, "stale\n");
    const res = shopApply(join(dir, "fleet.pcl"), r, ["--only", "dns", "--dry-run"]);
    expect(res.stderr).toBe("");
    expect(res.stdout).toBe("✓ DnsStack → ssh://deploy@ns1.example.test\nfleet: 1/1 host(s) deployed\n");
    expect(readFileSync(zone, "utf8")).toContain(`_443._tcp.www IN TLSA 3 1 1 ${digest}\n`);
  });

  it("rolls back consumer before producer; the producer's key is secret-skipped", () => {
    const dir = copyExample("artifacts");
    const r = roots();
    for (let i = 0; i < 2; i++) expect(shopApply(join(dir, "fleet.pcl"), r, ["--tls-certs", certs]).code).toBe(0);
    const back = runFleet(["rollback", join(dir, "fleet.pcl"), "--transport-root", r.out, "--store-root", r.store]);
    expect(back.stderr).toBe("");
    expect(back.stdout).toBe(
      "↩ DnsStack → gen-001 (was gen-002); 0 restored, 0 removed\n" +
        "↩ WebStack → gen-001 (was gen-002); 0 restored, 0 removed, 1 secret-skipped\n" +
        "fleet: 2/2 host(s) rolled back\n",
    );
    expect(back.code).toBe(0);
  });

  it("without its certificate fails the producer and blocks the consumer", () => {
    const dir = copyExample("artifacts");
    const noChain = certsCopy("artifacts");
    rmSync(join(noChain, "www.example.test/fullchain.pem"));
    const r = roots();
    const res = shopApply(join(dir, "fleet.pcl"), r, ["--tls-certs", noChain, "--dry-run"]);
    expect(res.stderr).toBe(
      "✗ WebStack → ssh://deploy@www.example.test: tlsa artifact 'www-tlsa' of stack 'WebStack' needs 'www.example.test/fullchain.pem', which is not in the --tls-certs directory; add the certificate chain\n" +
        "⊘ DnsStack → ssh://deploy@ns1.example.test: blocked — upstream web:www-address unavailable\n",
    );
    expect(res.stdout).toBe("fleet: 0/2 host(s) deployed (1 failed, 1 blocked)\n");
    expect(res.code).toBe(1);
    expect(existsSync(r.out)).toBe(false);
  });

  it("a certificate file that is not PEM fails the producer, naming the file", () => {
    const dir = copyExample("artifacts");
    const bad = certsCopy("artifacts");
    writeFileSync(join(bad, "www.example.test/fullchain.pem"), "not a certificate\n");
    const res = shopApply(join(dir, "fleet.pcl"), roots(), ["--tls-certs", bad, "--dry-run"]);
    expect(res.stderr).toMatch(/^✗ WebStack → ssh:\/\/deploy@www\.example\.test: .*'www\.example\.test\/fullchain\.pem'.*PEM/m);
    expect(res.code).toBe(1);
  });
});

