// Bundles the CLI into one ES module so start-up does not pay for resolving hundreds of
// chevrotain/commander files (ADR 002). ssh2 stays external (optional native parts) and is
// loaded only when an ssh:// host is contacted: code splitting puts every dynamic import (the SSH
// transport) in its own chunk, because without it esbuild hoists the chunk's `import "ssh2"` to
// the top of the bundle and every command pays for loading ssh2 (ADR 080).
// The build goes to a private directory and is renamed into place, chunks first (their names
// carry a content hash, so an existing one is already right) and the entry last, so a CLI
// started while another build runs never reads half a file or a chunk that is not there yet.
import { build } from "esbuild";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";

const tmp = `dist/.build-${process.pid}`;
// `--prune` (the prepack script) also deletes chunks of earlier builds, so a tarball ships only
// the chunks its entry imports.
const prune = process.argv.includes("--prune");
rmSync(tmp, { recursive: true, force: true });
await build({
  entryPoints: { fleet: "src/cli/main.ts" },
  outdir: tmp,
  outExtension: { ".js": ".mjs" },
  chunkNames: "chunks/[name]-[hash]",
  splitting: true,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "external",
  external: ["ssh2", "cpu-features"],
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: "warning",
});
mkdirSync("dist/chunks", { recursive: true });
const built = existsSync(join(tmp, "chunks")) ? readdirSync(join(tmp, "chunks")) : [];
for (const name of built) renameSync(join(tmp, "chunks", name), join("dist/chunks", name));
if (prune) for (const name of readdirSync("dist/chunks")) if (!built.includes(name)) rmSync(join("dist/chunks", name));
renameSync(join(tmp, "fleet.mjs.map"), "dist/fleet.mjs.map");
renameSync(join(tmp, "fleet.mjs"), "dist/fleet.mjs");
rmSync(tmp, { recursive: true, force: true });
