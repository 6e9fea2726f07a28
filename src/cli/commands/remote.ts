/** `fleet ping FLEET` and `fleet exec FLEET --only … -- CMD ARGS…` (issue 14, ADR 182). */
import type { Command } from "commander";
import { fleetExec, fleetPing, type RemoteResult } from "../../deploy/fleet-exec.js";
import { FleetRefusal } from "../../load/fleet-load.js";
import { fleetReboot, type RebootResult } from "../../deploy/fleet-reboot.js";
import { fleetSsh } from "../../deploy/fleet-ssh.js";
import { FleetError, UsageError } from "../../fleet-error.js";
import { hostNode } from "../../plan/fleet-model.js";
import { ExitCode } from "../exit-code.js";
import { writeJsonDocument } from "../json-contract.js";
import { plainProblem } from "../json-problem.js";
import { addJobsFlag, addJsonFlag, addOnlyFlag, addTargetFlags, positiveInt, transportOptions, type TargetFlagValues } from "../options.js";
import { processOutput, type Output } from "../output.js";
import { outputJson } from "../json-report.js";
import { outputTail } from "../report.js";
import type { CapturedOutput } from "../../captured-output.js";
import { handleRefusal } from "../refusal.js";

interface RemoteFlags extends TargetFlagValues {
  json?: boolean;
  only?: string[];
  jobs: number;
  all?: boolean;
  prefix?: boolean;
}

function label(r: RemoteResult): string {
  return `${hostNode(r.host)} (${r.host.target})`;
}

function errorJson(r: RemoteResult) {
  return r.error ? plainProblem(r.error.code ?? null, r.error.message) : null;
}

function remoteCommand(program: Command, name: "ping" | "exec" | "reboot", description: string): Command {
  const cmd = program.command(name).description(description).argument("<file>", "fleet file (defines module Fleet)");
  addTargetFlags(cmd);
  addOnlyFlag(cmd);
  addJsonFlag(cmd);
  addJobsFlag(cmd, name === "ping" ? "connect to" : name === "reboot" ? "reboot" : "run on");
  return cmd;
}

function refuse(out: Output, e: unknown): never {
  if (e instanceof FleetRefusal) handleRefusal(out, e);
  throw e;
}

export function registerPing(program: Command): void {
  remoteCommand(program, "ping", "connect to each host (host key checked) and report the connect time and the remote user").action(
    async (file: string, flags: RemoteFlags) => {
      const out = processOutput();
      let results: RemoteResult[];
      try {
        results = await fleetPing({ fleetFile: file, ...transportOptions(flags), ...(flags.only ? { only: flags.only } : {}), jobs: flags.jobs, command: "ping" });
      } catch (e) {
        refuse(out, e);
      }
      const ok = (r: RemoteResult) => !r.error && r.code === 0;
      if (flags.json) {
        writeJsonDocument("ping", results.every(ok), {
          hosts: results.map((r) => ({
            machine: r.host.machine,
            stack: r.host.stack,
            target: r.host.target,
            reachable: ok(r),
            latency_ms: ok(r) ? r.durationMs : null,
            user: ok(r) ? (r.user ?? null) : null,
            error: errorJson(r) ?? (ok(r) ? null : plainProblem(null, `'id -un' exited ${r.code}`)),
          })),
        });
      } else {
        for (const r of results) {
          if (ok(r)) out.out(`${out.green("✓")} ${label(r)}: ${r.durationMs} ms, user ${r.user}`);
          else out.err(`${out.red("✗")} ${label(r)}: ${r.error?.message ?? `'id -un' exited ${r.code}`}`);
        }
        out.out(`fleet: ${results.filter(ok).length}/${results.length} host(s) reachable`);
      }
      if (!results.every(ok)) throw new ExitCode(1);
    },
  );
}

/** Under a host's line: its failed hooks' last lines and a failed post hook's ⚠ line (ADR 234). */
function hookLines(out: Output, name: string, warning: string | undefined, output: readonly CapturedOutput[] | undefined): void {
  for (const c of output ?? []) if (c.failed) for (const l of outputTail(c)) out.err(l);
  if (warning !== undefined) out.err(`${out.yellow("⚠")} ${name}: ${warning}`);
}

function lines(text: string): string[] {
  if (text === "") return [];
  return (text.endsWith("\n") ? text.slice(0, -1) : text).split("\n");
}

export function registerExec(program: Command): void {
  remoteCommand(program, "exec", "run a command on each selected host, in parallel up to --jobs; exit 1 if any host's command failed")
    .argument("[command...]", "the command and its arguments, after --")
    .option("--all", "allow running on every host of the fleet (without --only)")
    .option("--prefix", "prefix each output line with the host instead of grouping it under a header")
    .action(async (file: string, argv: string[], flags: RemoteFlags) => {
      const out = processOutput();
      let results: RemoteResult[];
      try {
        results = await fleetExec({
          fleetFile: file,
          ...transportOptions(flags),
          ...(flags.only ? { only: flags.only } : {}),
          jobs: flags.jobs,
          command: "exec",
          argv,
          all: Boolean(flags.all),
        });
      } catch (e) {
        refuse(out, e);
      }
      const ok = (r: RemoteResult) => !r.error && r.code === 0;
      if (flags.json) {
        writeJsonDocument("exec", results.every(ok), {
          hosts: results.map((r) => ({
            machine: r.host.machine,
            stack: r.host.stack,
            target: r.host.target,
            exit_code: r.code ?? null,
            stdout: r.stdout,
            stderr: r.stderr,
            duration_ms: r.durationMs,
            error: errorJson(r),
            warnings: r.warning !== undefined ? [r.warning] : [],
            output: (r.hookOutput ?? []).map(outputJson),
          })),
          summary: { total: results.length, ok: results.filter(ok).length, failed: results.filter((r) => !ok(r)).length },
        });
      } else {
        for (const r of results) {
          const node = hostNode(r.host);
          if (r.error) {
            out.err(`${out.red("✗")} ${label(r)}: ${r.error.message}`);
            hookLines(out, label(r), r.warning, r.hookOutput);
            continue;
          }
          if (flags.prefix) {
            for (const l of lines(r.stdout)) out.out(`${node}: ${l}`);
            for (const l of lines(r.stderr)) out.err(`${node}: ${l}`);
            if (r.code !== 0) out.err(`${out.red("✗")} ${label(r)}: exit ${r.code}`);
          } else {
            const mark = r.code === 0 ? out.green("✓") : out.red("✗");
            out.out(`${mark} ${label(r)}: exit ${r.code}, ${r.durationMs} ms`);
            for (const l of lines(r.stdout)) out.out(`  ${l}`);
            for (const l of lines(r.stderr)) out.err(`  ${node}: ${l}`);
          }
          hookLines(out, label(r), r.warning, r.hookOutput);
        }
        out.out(`fleet: ${results.filter(ok).length}/${results.length} host(s) succeeded`);
      }
      if (!results.every(ok)) throw new ExitCode(1);
    });
}

interface RebootFlags extends RemoteFlags {
  wait: boolean;
  waitTimeout: number;
}

export function registerReboot(program: Command): void {
  remoteCommand(program, "reboot", "reboot the selected hosts and wait until each answers again with a new boot id")
    .option("--all", "allow rebooting every host of the fleet (without --only)")
    .option("--no-wait", "only ask for the reboot; do not wait for the hosts to come back")
    .option("--wait-timeout <seconds>", "give up waiting for a host after this long (default 300)", positiveInt("--wait-timeout"), 300)
    .action(async (file: string, flags: RebootFlags) => {
      const out = processOutput();
      let results: RebootResult[];
      try {
        results = await fleetReboot({
          fleetFile: file,
          ...transportOptions(flags),
          ...(flags.only ? { only: flags.only } : {}),
          all: Boolean(flags.all),
          jobs: flags.jobs,
          wait: flags.wait,
          waitTimeoutMs: flags.waitTimeout * 1000,
        });
      } catch (e) {
        refuse(out, e);
      }
      if (flags.json) {
        writeJsonDocument("reboot", results.every((r) => r.ok), {
          hosts: results.map((r) => ({
            machine: r.host.machine,
            stack: r.host.stack,
            target: r.host.target,
            ok: r.ok,
            previous_boot_id: r.previousBootId ?? null,
            boot_id: r.bootId ?? null,
            duration_ms: r.durationMs,
            error: r.error !== undefined ? plainProblem(null, r.error) : null,
            warnings: r.warning !== undefined ? [r.warning] : [],
            output: (r.hookOutput ?? []).map(outputJson),
          })),
        });
      } else {
        for (const r of results) {
          const name = `${hostNode(r.host)} (${r.host.target})`;
          if (!r.ok) out.err(`${out.red("✗")} ${name}: ${r.error}`);
          else if (r.bootId === undefined) out.out(`${out.green("✓")} ${name}: reboot requested`);
          else out.out(`${out.green("✓")} ${name}: back in ${Math.round(r.durationMs / 1000)} s, boot id ${r.bootId}`);
          // A failed hook's last lines under the host's line, as apply shows them (ADR 143, ADR 234).
          hookLines(out, name, r.warning, r.hookOutput);
        }
        out.out(`fleet: ${results.filter((r) => r.ok).length}/${results.length} host(s) ${flags.wait ? "rebooted" : "asked to reboot"}`);
      }
      if (!results.every((r) => r.ok)) throw new ExitCode(1);
    });
}

export function registerSsh(program: Command): void {
  const cmd = program
    .command("ssh")
    .description("open an interactive shell on one host, with the connection settings of every other command")
    .argument("<file>", "fleet file (defines module Fleet)")
    .argument("<host>", "machine or stack name");
  addTargetFlags(cmd);
  cmd.action(async (file: string, host: string, flags: TargetFlagValues) => {
    const out = processOutput();
    let code: number;
    try {
      code = await fleetSsh({ fleetFile: file, host, ...transportOptions(flags) }, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
    } catch (e) {
      if (e instanceof FleetError && !(e instanceof UsageError)) {
        out.err(`${out.red("✗")} ${host}: ${e.headline}`);
        throw new ExitCode(255);
      }
      refuse(out, e);
    }
    if (code !== 0) throw new ExitCode(code);
  });
}
