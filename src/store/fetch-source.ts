/**
 * Url sources (SPEC §2, ADR 024): fetched once into `<store-root>/.sources/<sha256>`, verified
 * before they are renamed into the cache (so the cache only ever holds verified bytes), and
 * presented to a build as `$src`: `.tar`/`.tar.gz`/`.tgz` unpacked (into its single top-level
 * directory when it has exactly one, as Nix does), anything else as the file itself.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { chmod, copyFile, lstat, mkdir, readdir, rename, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import * as tar from "tar-stream";
import { FleetError } from "../fleet-error.js";
import { fleetMessages } from "../fleet-messages.js";
import { urlFileName, unpackKindOf } from "./derivation.js";

export const SOURCES_DIR = ".sources";
let tmpCounter = 0;

/** The verified cached file for `url`, downloading it when the cache lacks it. */
export async function fetchToCache(storeRoot: string, url: string, sha256: string, describe: string): Promise<string> {
  const dir = path.join(storeRoot, SOURCES_DIR);
  const cached = path.join(dir, sha256);
  if (await exists(cached)) return cached;
  await mkdir(dir, { recursive: true });
  let bytes: Buffer;
  try {
    const res = await fetch(url);
    if (!res.ok) {
      throw new FleetError(fleetMessages.fetchHttpStatus(describe, url, res.status));
    }
    bytes = Buffer.from(await res.arrayBuffer());
  } catch (e) {
    if (e instanceof FleetError) throw e;
    const why = e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e);
    throw new FleetError(fleetMessages.fetchFailed(describe, url, why), { cause: e });
  }
  const actual = createHash("sha256").update(bytes).digest("hex");
  if (actual !== sha256) {
    throw new FleetError(fleetMessages.sourceHashMismatch(url, sha256, actual, describe));
  }
  const tmp = path.join(dir, `.tmp-${sha256}-${process.pid}-${tmpCounter++}`);
  await writeFile(tmp, bytes, { mode: 0o444 });
  await rename(tmp, cached);
  return cached;
}

/**
 * Put the source at `into` (a directory that does not exist yet) and return what `$src` names:
 * the unpacked tree, or the file under its url's file name.
 */
export async function presentUrlSource(cachedFile: string, url: string, into: string, describe: string): Promise<string> {
  await mkdir(into, { recursive: true });
  const kind = unpackKindOf(url);
  if (kind === "none") {
    const target = path.join(into, urlFileName(url));
    await copyFile(cachedFile, target);
    await chmod(target, 0o644);
    return target;
  }
  await unpackTar(cachedFile, kind === "tar.gz", into, `${describe}: archive ${url}`);
  const entries = await readdir(into);
  if (entries.length === 1) {
    const only = path.join(into, entries[0]!);
    if ((await lstat(only)).isDirectory()) return only;
  }
  return into;
}

async function unpackTar(file: string, gzip: boolean, dest: string, describe: string): Promise<void> {
  const extract = tar.extract();
  extract.on("entry", (header, stream, next) => {
    void (async () => {
      const rel = safeRelative(header.name);
      if (rel === undefined) {
        if (header.name.replace(/\/+$/, "") === "." || header.name === "./") {
          stream.resume();
          return;
        }
        throw new FleetError(fleetMessages.tarballEntryOutsideRoot(describe, header.name));
      }
      const target = path.join(dest, rel);
      await ensureRealParents(dest, rel, describe);
      const mode = (header.mode ?? 0o644) & 0o777;
      if (header.type === "directory") {
        await mkdir(target, { recursive: true });
        await chmod(target, mode | 0o700);
        stream.resume();
      } else if (header.type === "file" || header.type === "contiguous-file") {
        const chunks: Buffer[] = [];
        for await (const c of stream) chunks.push(c as Buffer);
        await rm(target, { force: true, recursive: true });
        await writeFile(target, Buffer.concat(chunks), { mode });
        await chmod(target, mode);
      } else if (header.type === "symlink") {
        await rm(target, { force: true, recursive: true });
        await symlink(header.linkname ?? "", target);
        stream.resume();
      } else {
        stream.resume();
        throw new FleetError(fleetMessages.tarballEntryTypeUnsupported(describe, header.name, header.type));
      }
    })().then(() => next(), (e: unknown) => next(e as Error));
  });
  try {
    if (gzip) await pipeline(createReadStream(file), createGunzip(), extract);
    else await pipeline(createReadStream(file), extract);
  } catch (e) {
    if (e instanceof FleetError) throw e;
    throw new FleetError(fleetMessages.cannotUnpackTarball(describe, e instanceof Error ? e.message : String(e)), { cause: e });
  }
}

function safeRelative(name: string): string | undefined {
  if (name.startsWith("/")) return undefined;
  const parts = name.split("/").filter((s) => s !== "" && s !== ".");
  if (parts.length === 0 || parts.includes("..")) return undefined;
  return parts.join("/");
}

/** Create the parents of `rel` under `dest`, refusing to write through a symlink. */
async function ensureRealParents(dest: string, rel: string, describe: string): Promise<void> {
  const parts = rel.split("/").slice(0, -1);
  let cur = dest;
  for (const p of parts) {
    cur = path.join(cur, p);
    const st = await lstat(cur).catch(() => undefined);
    if (st === undefined) await mkdir(cur, { mode: 0o755 });
    else if (!st.isDirectory()) {
      throw new FleetError(fleetMessages.tarballWritesThroughNonDirectory(describe, path.relative(dest, cur)));
    }
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}
