// Bundles the CLI into one ES module so start-up does not pay for resolving hundreds of
// chevrotain/commander files (ADR 002). ssh2 stays external (optional native parts) and is
// loaded only when an ssh:// host is contacted. The bundle is written beside its final name and
// renamed into place, so a CLI started while another build runs never reads half a file.
import { build } from "esbuild";
import { renameSync } from "node:fs";

const tmp = `dist/.fleet-${process.pid}.mjs`;
await build({
  entryPoints: ["src/cli/main.ts"],
  outfile: tmp,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "external",
  external: ["ssh2", "cpu-features"],
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: "warning",
});
renameSync(`${tmp}.map`, "dist/fleet.mjs.map");
renameSync(tmp, "dist/fleet.mjs");
