/**
 * `fleet diff FLEET` (issue 14, ADR 233): per host, the store paths apply would add and remove
 * and a unified diff of each file it would change; `plan --diff`'s computation.
 */
import type { Command } from "commander";
import { fleetDiff, type HostDiff, type StorePathChange } from "../../deploy/fleet-diff.js";
import { genName } from "../../deploy/outcome.js";
import { ExitCode } from "../exit-code.js";
import { outputJson, } from "../json-report.js";
import { writeJsonDocument } from "../json-contract.js";
import { addJobsFlag, addJsonFlag, addOnlyFlag, addScenarioFlag, addTargetFlags, transportOptions, type TargetFlagValues } from "../options.js";
import { processOutput } from "../output.js";
import { diffLines } from "../plan-render.js";
import { handleRefusal } from "../refusal.js";
import { outputTail } from "../report.js";

interface DiffFlags extends TargetFlagValues {
  json?: boolean;
  only?: string[];
  jobs: number;
  scenario: string[];
  tlsCerts?: string;
  vaultSecrets?: string;
  includeMaintenance?: boolean;
}

/** `1234 B`, `12.3 KiB`, `4.5 MiB`; `size unknown` when the local store lacks the path. */
export function sizeText(n: number | null): string {
  if (n === null) return "size unknown";
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

function changes(h: HostDiff): number {
  return h.added.length + h.removed.length + h.files.length;
}

const storeJson = (c: StorePathChange) => ({ base: c.base, size: c.size });

export function registerDiff(program: Command): void {
  const cmd = program
    .command("diff")
    .description("show what apply would change per host: store paths added/removed and a unified diff of each changed file")
    .argument("<file>", "fleet file (defines module Fleet)");
  addTargetFlags(cmd);
  addScenarioFlag(cmd);
  addOnlyFlag(cmd);
  addJsonFlag(cmd);
  addJobsFlag(cmd, "read");
  cmd
    .option("--include-maintenance", "also compare hosts whose record says lifecycle = \"maintenance\"")
    .option("--tls-certs <dir>", "certificates, as for apply")
    .option("--vault-secrets <file>", "vault export, as for apply")
    .action(async (file: string, flags: DiffFlags) => {
      const out = processOutput();
      let hosts: HostDiff[];
      try {
        hosts = await fleetDiff({
          fleetFile: file,
          scenarios: flags.scenario,
          ...(flags.only !== undefined ? { only: flags.only } : {}),
          jobs: flags.jobs,
          ...(flags.storeRoot !== undefined ? { storeRoot: flags.storeRoot } : {}),
          ...(flags.deploymentsRoot !== undefined ? { deploymentsRoot: flags.deploymentsRoot } : {}),
          ...(flags.tlsCerts !== undefined ? { tlsCerts: flags.tlsCerts } : {}),
          ...(flags.vaultSecrets !== undefined ? { vaultSecrets: flags.vaultSecrets } : {}),
          ...transportOptions(flags),
          includeMaintenance: Boolean(flags.includeMaintenance),
        });
      } catch (e) {
        handleRefusal(out, e);
      }
      const ok = hosts.every((h) => h.status === "ready" || h.status === "skipped");
      if (flags.json) {
        writeJsonDocument("diff", ok, {
          hosts: hosts.map((h) => ({
            machine: h.record.machine,
            stack: h.record.stack,
            target: h.record.target,
            status: h.status,
            error: h.error ?? null,
            generation: h.generation,
            store_paths: { added: h.added.map(storeJson), removed: h.removed.map(storeJson) },
            files: h.files.map((d) => ({ path: d.path, kind: d.kind, secret: d.secret, binary: d.binary, diff: d.diff })),
            warnings: [...h.warnings],
            output: h.output.map(outputJson),
          })),
          summary: { total: hosts.length, changed: hosts.filter((h) => h.status === "ready" && changes(h) > 0).length, failed: hosts.filter((h) => h.status === "failed" || h.status === "blocked").length },
        });
      } else {
        for (const h of hosts) {
          const name = `${h.record.stack} → ${h.record.target}`;
          if (h.status !== "ready") {
            out.err(`${h.status === "failed" ? out.red("✗") : out.dim("⊘")} ${name}: ${h.error ?? h.status}`);
          } else {
            out.out(`${name} (${h.generation === null ? "never deployed" : `now ${genName(h.generation)}`})`);
            for (const p of h.added) out.out(`  + ${p.base} (${sizeText(p.size)})`);
            for (const p of h.removed) out.out(`  - ${p.base} (${sizeText(p.size)})`);
            for (const d of h.files) for (const l of diffLines(d)) out.out(l.startsWith("     ") ? `  ${l.trimStart()}` : l);
            if (changes(h) === 0) out.out("  (no change)");
          }
          for (const w of h.warnings) out.err(`${out.yellow("⚠")} ${name}: ${w}`);
          for (const c of h.output) if (c.failed) for (const l of outputTail(c)) out.err(l);
        }
        const changed = hosts.filter((h) => h.status === "ready" && changes(h) > 0).length;
        out.out(`fleet: ${changed}/${hosts.length} host(s) would change`);
      }
      if (!ok) throw new ExitCode(1);
    });
}
