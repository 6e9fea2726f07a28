import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import { existsSync, readFileSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { gzipSync } from "node:zlib";
import * as tar from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FleetError } from "../../src/fleet-error.js";
import type { RecordValue } from "../../src/lang/value.js";
import { closureFor, realise, storePath } from "../../src/store/index.js";
import { modulesOf, tempDir } from "./helpers.js";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

async function tarball(entries: { name: string; content?: string; mode?: number; type?: "directory" }[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) {
    if (e.type === "directory") pack.entry({ name: e.name, type: "directory", mode: 0o755 });
    else pack.entry({ name: e.name, mode: e.mode ?? 0o644 }, e.content ?? "");
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

let server: Server;
let baseUrl = "";
const served = new Map<string, Buffer>();
const hits = new Map<string, number>();

beforeAll(async () => {
  served.set("/hello.txt", Buffer.from("hello from the web\n"));
  served.set("/tool-1.0.tar.gz", gzipSync(await tarball([
    { name: "tool-1.0/", type: "directory" },
    { name: "tool-1.0/run.sh", content: "#!/bin/sh\necho tool\n", mode: 0o755 },
    { name: "tool-1.0/README", content: "docs\n" },
  ])));
  served.set("/flat.tar", await tarball([{ name: "a.txt", content: "A\n" }, { name: "b.txt", content: "B\n" }]));
  served.set("/evil.tar", await tarball([{ name: "../escape.txt", content: "x" }]));
  server = createServer((req, res) => {
    const body = served.get(req.url ?? "");
    hits.set(req.url ?? "", (hits.get(req.url ?? "") ?? 0) + 1);
    if (!body) {
      res.statusCode = 404;
      res.end("not found");
      return;
    }
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function closureOf(defs: Record<string, RecordValue>) {
  const { modules, moduleSpans } = modulesOf(defs);
  const r = await closureFor({ modules, moduleSpans, roots: Object.keys(defs), fileDir: () => "/" });
  expect(r.diagnostics).toEqual([]);
  return r.closure!;
}

const pkg = (file: string, command: string, hash = sha(served.get(file)!)) => ({
  pname: "fetched",
  version: "1",
  recipe: "std.shell",
  source: { type: "url", url: `${baseUrl}${file}`, sha256: hash },
  command,
});

describe("url sources", () => {
  it("fetches a plain file once, verifies it and gives it to the build as $src", async () => {
    const root = tempDir();
    const closure = await closureOf({ F: pkg("/hello.txt", 'basename "$src" > "$out/name"; cat "$src" > "$out/copy"') });
    const before = hits.get("/hello.txt") ?? 0;
    await realise(closure, root);
    const p = storePath(root, closure.byModule.get("F")!);
    expect(readFileSync(path.join(p, "copy"), "utf8")).toBe("hello from the web\n");
    expect(readFileSync(path.join(p, "name"), "utf8")).toBe("hello.txt\n");
    // Rebuilding (the path was lost) uses the cache, not the network.
    rmSync(p, { recursive: true });
    await realise(closure, root);
    expect(existsSync(path.join(p, "copy"))).toBe(true);
    expect((hits.get("/hello.txt") ?? 0) - before).toBe(1);
  });

  it("unpacks a .tar.gz into its single top-level directory", async () => {
    const root = tempDir();
    const closure = await closureOf({ T: pkg("/tool-1.0.tar.gz", 'ls "$src" > "$out/listing"; test -x "$src/run.sh"; "$src/run.sh" > "$out/ran"') });
    await realise(closure, root);
    const p = storePath(root, closure.byModule.get("T")!);
    expect(readFileSync(path.join(p, "listing"), "utf8")).toBe("README\nrun.sh\n");
    expect(readFileSync(path.join(p, "ran"), "utf8")).toBe("tool\n");
  });

  it("unpacks a .tar with several top-level entries as is", async () => {
    const root = tempDir();
    const closure = await closureOf({ T: pkg("/flat.tar", 'cat "$src/a.txt" "$src/b.txt" > "$out/ab"') });
    await realise(closure, root);
    expect(readFileSync(path.join(storePath(root, closure.byModule.get("T")!), "ab"), "utf8")).toBe("A\nB\n");
  });

  it("refuses a wrong sha256 with E10 naming the url, the expected and the actual hash, and caches nothing", async () => {
    const root = tempDir();
    const wrong = "0".repeat(64);
    const closure = await closureOf({ W: pkg("/hello.txt", 'cat "$src" > "$out/copy"', wrong) });
    const err = await realise(closure, root).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FleetError);
    const fe = err as FleetError;
    expect(fe.code).toBe("E10");
    expect(fe.message).toContain(`${baseUrl}/hello.txt`);
    expect(fe.message).toContain(wrong);
    expect(fe.message).toContain(sha(served.get("/hello.txt")!));
    expect(existsSync(path.join(root, ".sources", wrong))).toBe(false);
    expect(existsSync(storePath(root, closure.byModule.get("W")!))).toBe(false);
  });

  it("reports an HTTP error naming the url", async () => {
    const closure = await closureOf({ N: pkg("/hello.txt", "true", "1".repeat(64)) });
    const missing = { ...closure, builds: new Map([...closure.builds!].map(([k, v]) => [k, { ...v, source: { type: "url" as const, url: `${baseUrl}/missing.txt`, sha256: "1".repeat(64) } }])) };
    await expect(realise(missing, tempDir())).rejects.toThrow(/missing\.txt failed with HTTP 404/);
  });

  it("refuses an archive entry that escapes the source directory", async () => {
    const closure = await closureOf({ E: pkg("/evil.tar", "true") });
    await expect(realise(closure, tempDir())).rejects.toThrow(/outside its root/);
  });
});
