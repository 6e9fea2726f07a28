/**
 * Store push over one exec channel: a tar stream of the local store directories is unpacked by
 * `tar -x` into a temp dir beside the target store, then each path is renamed into place, so a
 * store path on the target is either absent or complete.
 */
import { createReadStream } from "node:fs";
import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import { Readable, Transform, type TransformCallback } from "node:stream";
import { basename, dirname, join } from "node:path";
import { pack as tarPack, type Pack } from "tar-stream";
import { shellQuote } from "./ssh-exec.js";
import type { StorePush } from "./transport.js";

const SMALL_FILE = 256 * 1024;
/** Channel writes are coalesced to this size: tar emits 512-byte headers and paddings. */
const COALESCE = 256 * 1024;

/** Batches small chunks into large ones so the channel sends few, full SSH packets. */
export function coalescer(onBytes: (n: number) => void): Transform {
  let parts: Buffer[] = [];
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      onBytes(chunk.length);
      parts.push(chunk);
      size += chunk.length;
      if (size >= COALESCE) {
        const out = Buffer.concat(parts, size);
        parts = [];
        size = 0;
        cb(null, out);
      } else cb();
    },
    flush(cb: TransformCallback) {
      cb(null, size ? Buffer.concat(parts, size) : undefined);
    },
  });
}

/** Items grouped by target parent directory: one tar stream and one rename pass per group. */
export function groupByRemoteParent(items: readonly StorePush[]): Map<string, StorePush[]> {
  const groups = new Map<string, StorePush[]>();
  for (const it of items) {
    const parent = dirname(it.remotePath);
    const g = groups.get(parent) ?? [];
    g.push(it);
    groups.set(parent, g);
  }
  return groups;
}

/**
 * The remote half. `tar -p --no-same-owner` keeps modes exactly (umask ignored) without trying
 * to chown to the local uids. A path that became complete meanwhile (another fleet process) is
 * left alone; the temp dir is removed on every exit.
 */
export function unpackScript(parent: string, bases: readonly string[], marker: string): string {
  const list = bases.map(shellQuote).join(" ");
  return [
    "set -e",
    `r=${shellQuote(parent)}`,
    'mkdir -p "$r"',
    't=$(mktemp -d "$r/.fleet-push-XXXXXX")',
    "trap 'chmod -R u+w \"$t\" 2>/dev/null || true; rm -rf \"$t\"' EXIT",
    'tar -x -p --no-same-owner -f - -C "$t"',
    `for b in ${list}; do`,
    `  if [ -f "$r/$b/${marker}" ]; then continue; fi`,
    '  if [ -e "$r/$b" ]; then chmod -R u+w "$r/$b" 2>/dev/null || true; rm -rf "$r/$b"; fi',
    `  mv -T "$t/$b" "$r/$b" || [ -f "$r/$b/${marker}" ]`,
    "done",
  ].join("\n");
}

function addEntry(pack: Pack, header: Parameters<Pack["entry"]>[0], body?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (body === undefined) {
      pack.entry(header, (err) => (err ? reject(err) : resolve()));
      return;
    }
    const entry = pack.entry(header, (err) => (err ? reject(err) : resolve()));
    const src = createReadStream(body);
    src.on("error", reject);
    src.pipe(entry);
  });
}

async function addTree(pack: Pack, localPath: string, name: string): Promise<void> {
  const st = await lstat(localPath);
  const mode = st.mode & 0o7777;
  if (st.isSymbolicLink()) {
    await addEntry(pack, { name, type: "symlink", linkname: await readlink(localPath), mode, mtime: st.mtime });
  } else if (st.isDirectory()) {
    await addEntry(pack, { name: `${name}/`, type: "directory", mode, mtime: st.mtime });
    for (const child of (await readdir(localPath)).sort()) {
      await addTree(pack, join(localPath, child), `${name}/${child}`);
    }
  } else if (st.isFile()) {
    // Small files are read whole: a stream per file costs more than the bytes themselves.
    if (st.size <= SMALL_FILE) {
      const data = await readFile(localPath);
      await new Promise<void>((resolve, reject) => {
        pack.entry({ name, type: "file", size: data.length, mode, mtime: st.mtime }, data, (err) => (err ? reject(err) : resolve()));
      });
    } else {
      await addEntry(pack, { name, type: "file", size: st.size, mode, mtime: st.mtime }, localPath);
    }
  }
  // Sockets, fifos and devices never belong in a store path; they are left out.
}

/** A tar stream of the items, each under its target base name. Errors surface on the stream. */
export function packStorePaths(items: readonly StorePush[]): Pack {
  const pack = tarPack();
  void (async () => {
    try {
      for (const it of items) await addTree(pack, it.localPath, basename(it.remotePath));
      pack.finalize();
    } catch (e) {
      pack.destroy(e as Error);
    }
  })();
  return pack;
}

/** The tar of one item without the end-of-archive blocks: segments concatenate into one archive. */
function packOne(item: StorePush): Readable {
  const END = 1024;
  let held: Buffer = Buffer.alloc(0);
  const strip = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      held = Buffer.concat([held, chunk]);
      if (held.length <= END) return cb();
      const out = held.subarray(0, held.length - END);
      held = Buffer.from(held.subarray(held.length - END));
      cb(null, out);
    },
    flush(cb: TransformCallback) {
      if (held.length !== END || held.some((b) => b !== 0)) cb(new Error(`packing ${item.localPath} gave a malformed tar stream`));
      else cb();
    },
  });
  const pack = packStorePaths([item]);
  pack.on("error", (e: Error) => strip.destroy(e));
  return pack.pipe(strip);
}

/** A store path is kept packed in memory for the run when at most this big (ADR 215). */
const SEGMENT_LIMIT = 64 * 1024 * 1024;
/** And while every kept pack together stays under this. */
const TOTAL_LIMIT = 512 * 1024 * 1024;
const packs = new Map<string, Promise<Buffer | null>>();
let kept = 0;

async function treeBytes(path: string, limit: number): Promise<number> {
  const st = await lstat(path);
  if (!st.isDirectory()) return st.size + 512;
  let total = 512;
  for (const child of await readdir(path)) {
    total += await treeBytes(join(path, child), limit - total);
    if (total > limit) return total;
  }
  return total;
}

/** The item's tar segment for this run, packed on first use; null when too big to keep. */
function segment(item: StorePush, onPack: () => void): Promise<Buffer | null> {
  const key = `${item.localPath}\0${basename(item.remotePath)}`;
  let p = packs.get(key);
  if (p === undefined) {
    p = (async () => {
      const estimate = await treeBytes(item.localPath, SEGMENT_LIMIT);
      if (estimate > SEGMENT_LIMIT || kept + estimate > TOTAL_LIMIT) return null;
      onPack();
      const parts: Buffer[] = [];
      for await (const c of packOne(item)) parts.push(c as Buffer);
      const b = Buffer.concat(parts);
      kept += b.length;
      return b;
    })();
    packs.set(key, p);
    p.catch(() => packs.delete(key));
  }
  return p;
}

/**
 * One tar stream of `items` for one host, from the run's packs (ADR 215): a store path sent to
 * many hosts is read and packed once. `onPack` is called for each item this call packs itself
 * (a kept pack, or a path too big to keep, packed again for every host).
 */
export function packedStream(items: readonly StorePush[], onPack: () => void = () => undefined): Readable {
  async function* gen(): AsyncGenerator<Buffer> {
    for (const it of items) {
      const seg = await segment(it, onPack);
      if (seg !== null) yield seg;
      else {
        onPack();
        for await (const c of packOne(it)) yield c as Buffer;
      }
    }
    yield Buffer.alloc(1024);
  }
  return Readable.from(gen(), { objectMode: false });
}

/** Forget the run's packs (tests). */
export function forgetPacks(): void {
  packs.clear();
  kept = 0;
}
