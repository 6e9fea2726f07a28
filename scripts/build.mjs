// Bundles the CLI into one ES module so start-up does not pay for resolving hundreds of
// chevrotain/commander files (ADR 002). Native and optional modules of ssh2 stay external.
import { build } from "esbuild";

await build({
  entryPoints: ["src/cli/main.ts"],
  outfile: "dist/fleet.mjs",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "linked",
  external: ["ssh2", "cpu-features"],
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: "warning",
});
