/** A hermetic target and hand-made generations for per-host pipeline tests. */
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { HostApplyInput } from "../../src/deploy/host-apply.js";
import type { HostEvent } from "../../src/deploy/host-events.js";
import type { RenderedFile } from "../../src/stack/types.js";
import { LocalTransport } from "../../src/transport/local.js";
import type { StorePush } from "../../src/transport/transport.js";
import { treeHash, treeListing } from "../support/tree-hash.js";
import { tempDir } from "../support/temp-dir.js";

export const DEPLOYMENTS = "/var/lib/fleet/deployments";
export const STORE = "/var/lib/fleet/store";
export const STACK = "WebStack";
export const TARGET = "ssh://ops@web.internal";

export interface FileSpec {
  readonly content: string;
  readonly mode?: number;
  readonly secret?: boolean;
}

export type FileSet = Readonly<Record<string, string | FileSpec>>;

export function rendered(files: FileSet): RenderedFile[] {
  return Object.entries(files).map(([path, spec]) => {
    const s = typeof spec === "string" ? { content: spec } : spec;
    return { path, content: Buffer.from(s.content), mode: s.mode ?? (s.secret ? 0o600 : 0o644), secret: s.secret ?? false };
  });
}

export interface Host {
  readonly outer: string;
  /** Local directory standing for the target's `/`. */
  readonly root: string;
  readonly transport: LocalTransport;
  readonly events: HostEvent[];
  /** Tree hash of the target, excluding the deployments root (and the store). */
  tree(): string;
  listing(): string[];
  input(files: FileSet, extra?: Partial<HostApplyInput>): HostApplyInput;
  /** A complete local store path `<outer>/local-store/<base>`, returned as a push. */
  storePath(base: string, bytes?: number): StorePush;
}

export function makeHost(root?: string): Host {
  const outer = tempDir("fleet-host-");
  const hostRoot = root ?? join(outer, "target");
  mkdirSync(hostRoot, { recursive: true });
  const transport = new LocalTransport({ root: hostRoot, target: TARGET, user: "ops" });
  const events: HostEvent[] = [];
  const excluded = [DEPLOYMENTS.slice(1), STORE.slice(1)];
  return {
    outer,
    root: hostRoot,
    transport,
    events,
    tree: () => treeHash(hostRoot, excluded),
    listing: () => treeListing(hostRoot, excluded),
    input: (files, extra = {}) => ({
      transport,
      stack: STACK,
      target: TARGET,
      machine: "web",
      deploymentsRoot: DEPLOYMENTS,
      storeRoot: STORE,
      files: rendered(files),
      storePushes: [],
      storePaths: [],
      services: [],
      artifacts: {},
      artifactRefs: [],
      sourceHash: "0".repeat(64),
      backend: "systemd",
      dryRun: false,
      clock: () => new Date("2026-11-25T12:00:00.000Z"),
      holder: { host: hostname(), pid: process.pid, startedAt: "2026-11-25T12:00:00.000Z" },
      onEvent: (e) => events.push(e),
      ...extra,
    }),
    storePath: (base, bytes = 16) => {
      const p = join(outer, "local-store", base);
      mkdirSync(join(p, "bin"), { recursive: true });
      writeFileSync(join(p, "bin/app"), Buffer.alloc(bytes, 7));
      chmodSync(join(p, "bin/app"), 0o755);
      writeFileSync(join(p, ".fleet-built"), "");
      return { localPath: p, remotePath: `${STORE}/${base}` };
    },
  };
}

/** A typical first generation and a change of it: one edit, one mode change, one add, one removal. */
export const GEN1: FileSet = {
  "/etc/app/main.conf": "listen 80\n",
  "/etc/app/extra.conf": "x = 1\n",
  "/etc/app/old/legacy.conf": "legacy\n",
  "/etc/systemd/system/app.service": "[Service]\nExecStart=/bin/app\n",
  "/etc/app/run.sh": { content: "#!/bin/sh\n", mode: 0o755 },
};

export const GEN2: FileSet = {
  "/etc/app/main.conf": "listen 8080\n",
  "/etc/app/extra.conf": { content: "x = 1\n", mode: 0o600 },
  "/etc/app/conf.d/deep/new.conf": "new\n",
  "/etc/systemd/system/app.service": "[Service]\nExecStart=/bin/app\n",
  "/etc/app/run.sh": { content: "#!/bin/sh\n", mode: 0o755 },
};
