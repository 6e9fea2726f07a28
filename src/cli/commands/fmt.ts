/**
 * `fleet fmt [FILE|DIR…] [--check] [--diff]` (ADR 150): rewrites PCL files in the canonical
 * layout. `--check` writes nothing and exits 1 listing the files that would change; `--diff`
 * writes nothing and prints a unified diff. A file the parser refuses is left as it is, its
 * diagnostics go to stderr, and the run exits 1.
 */
import type { Command } from "commander";
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from "diff";
import { renameSync, statSync, writeFileSync } from "node:fs";
import { formatSource, renderDiagnostics } from "../../lang/index.js";
import { ExitCode } from "../exit-code.js";
import { expandPclPaths, readSources } from "../pcl-input.js";

interface FmtOptions {
  check?: boolean;
  diff?: boolean;
}

function writeInPlace(path: string, text: string): void {
  const tmp = `${path}.fleet-fmt-${process.pid}`;
  writeFileSync(tmp, text, { mode: statSync(path).mode & 0o7777 });
  renameSync(tmp, path);
}

export function registerFmt(program: Command): void {
  program
    .command("fmt")
    .description("rewrite PCL files in the canonical layout (a directory means every .pcl file under it)")
    .argument("[paths...]", "PCL files or directories (default: the current directory)")
    .option("--check", "write nothing; list the files that would change and exit 1 if any")
    .option("--diff", "write nothing; print a unified diff of what would change")
    .action((paths: string[], opts: FmtOptions) => {
      const sources = readSources(expandPclPaths(paths.length > 0 ? paths : ["."]));
      let refused = false;
      let changed = 0;
      for (const file of sources) {
        const r = formatSource(file);
        if (!r.ok) {
          process.stderr.write(renderDiagnostics(r.diagnostics, [file]));
          refused = true;
          continue;
        }
        if (r.text === file.text) continue;
        changed++;
        if (opts.diff) process.stdout.write(createTwoFilesPatch(file.path, file.path, file.text, r.text, undefined, undefined, { context: 3, headerOptions: FILE_HEADERS_ONLY }));
        else if (opts.check) process.stdout.write(`${file.path}\n`);
        else writeInPlace(file.path, r.text);
      }
      if (refused || (opts.check && changed > 0)) throw new ExitCode(1);
    });
}
