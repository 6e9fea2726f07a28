/** `fleet info FLEET` and `fleet machines FLEET` (issue 14, ADR 181): the registry, and each machine's generation. */
import type { Command } from "commander";
import { fleetMachines, fleetRegistry, type MachineRow, type RegistryOptions } from "../../deploy/fleet-machines.js";
import { genName } from "../../deploy/outcome.js";
import { isRecordValue, type Value } from "../../lang/index.js";
import { hostNode, lifecycleOf, type HostRecord } from "../../plan/fleet-model.js";
import { ExitCode } from "../exit-code.js";
import { writeJsonDocument } from "../json-contract.js";
import { plainProblem } from "../json-problem.js";
import { addJobsFlag, addJsonFlag, addOnlyFlag, addScenarioFlag, addTargetFlags, transportOptions, type TargetFlagValues } from "../options.js";
import { processOutput } from "../output.js";
import { handleRefusal } from "../refusal.js";

interface RegistryFlags extends TargetFlagValues {
  json?: boolean;
  only?: string[];
  scenario: string[];
  tags?: string[];
  lifecycle?: string;
  jobs: number;
}

function registryOptions(file: string, flags: RegistryFlags): RegistryOptions {
  return {
    fleetFile: file,
    scenarios: flags.scenario,
    ...(flags.only !== undefined ? { only: flags.only } : {}),
    ...(flags.tags !== undefined ? { tags: flags.tags } : {}),
    ...(flags.lifecycle !== undefined ? { lifecycle: flags.lifecycle } : {}),
  };
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

function addFilterFlags(cmd: Command): Command {
  addScenarioFlag(cmd);
  addOnlyFlag(cmd);
  addJsonFlag(cmd);
  return cmd
    .option("--tags <tags>", "only hosts carrying every one of these tags, comma-separated", collect, [] as string[])
    .option("--lifecycle <state>", "only hosts in this lifecycle: active, maintenance or decommissioned");
}

function hostJson(h: HostRecord) {
  return { index: h.index + 1, machine: h.machine, stack: h.stack, target: h.target, tags: [...h.tags], lifecycle: lifecycleOf(h), file: h.file };
}

/** `path = value` lines, one per leaf, keys sorted (as `fleet eval` prints). */
function leaves(prefix: string, v: Value, into: string[]): void {
  if (Array.isArray(v)) {
    const items = v as readonly Value[];
    if (items.length === 0) into.push(`${prefix} = []`);
    items.forEach((x, i) => leaves(`${prefix}[${i}]`, x, into));
  } else if (isRecordValue(v)) {
    const keys = Object.keys(v).sort();
    if (keys.length === 0) into.push(`${prefix} = {}`);
    for (const k of keys) leaves(prefix === "" ? k : `${prefix}.${k}`, v[k] as Value, into);
  } else into.push(`${prefix} = ${JSON.stringify(v)}`);
}

export function registerInfo(program: Command): void {
  const cmd = program
    .command("info")
    .description("print the registry: every host record (machine, stack, target, tags, lifecycle, file) and the machines/globals model")
    .argument("<file>", "fleet file (defines module Fleet)");
  addFilterFlags(cmd);
  cmd.action((file: string, flags: RegistryFlags) => {
    const out = processOutput();
    let registry;
    try {
      registry = fleetRegistry(registryOptions(file, flags));
    } catch (e) {
      handleRefusal(out, e);
    }
    const { model, hosts } = registry;
    if (flags.json) {
      writeJsonDocument("info", true, {
        hosts: hosts.map(hostJson),
        machines: Object.fromEntries(model.machines),
        globals: model.globals,
        unique_fields: [...model.uniqueFields],
      });
      return;
    }
    out.out(`${hosts.length} host(s), ${model.machines.size} machine(s)`);
    for (const h of hosts) {
      out.out(`host ${h.index + 1}: ${hostNode(h)}`);
      out.out(`  machine: ${h.machine ?? "(none)"}`);
      out.out(`  stack: ${h.stack}`);
      out.out(`  target: ${h.target}`);
      out.out(`  tags: ${h.tags.length > 0 ? h.tags.join(", ") : "(none)"}`);
      out.out(`  lifecycle: ${lifecycleOf(h)}`);
      out.out(`  file: ${h.file}`);
    }
    const m: string[] = [];
    for (const [name, rec] of model.machines) leaves(name, rec, m);
    out.out(m.length > 0 ? "machines:" : "machines: (none)");
    for (const l of m) out.out(`  ${l}`);
    const g: string[] = [];
    leaves("", model.globals, g);
    const globals = g.filter((l) => l !== " = {}");
    out.out(globals.length > 0 ? "globals:" : "globals: (none)");
    for (const l of globals) out.out(`  ${l}`);
    if (model.uniqueFields.length > 0) out.out(`uniqueFields: ${model.uniqueFields.join(", ")}`);
  });
}

function generationCell(r: MachineRow): string {
  switch (r.state) {
    case "deployed":
      return genName(r.generation!);
    case "never-deployed":
      return "never deployed";
    case "not-contacted":
      return "-";
    case "failed":
      return "unreadable";
  }
}

/** Columns padded to their widest cell; the last column is not padded. */
function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join("  ").trimEnd());
}

export function registerMachines(program: Command): void {
  const cmd = program
    .command("machines")
    .description("a table of the fleet's machines: tags, lifecycle, and current generation read from each host")
    .argument("<file>", "fleet file (defines module Fleet)");
  addTargetFlags(cmd);
  addFilterFlags(cmd);
  addJobsFlag(cmd, "read");
  cmd.action(async (file: string, flags: RegistryFlags) => {
    const out = processOutput();
    let rows: MachineRow[];
    try {
      rows = await fleetMachines({
        ...registryOptions(file, flags),
        ...(flags.storeRoot !== undefined ? { storeRoot: flags.storeRoot } : {}),
        ...(flags.deploymentsRoot !== undefined ? { deploymentsRoot: flags.deploymentsRoot } : {}),
        ...transportOptions(flags),
        jobs: flags.jobs,
      });
    } catch (e) {
      handleRefusal(out, e);
    }
    if (flags.json) {
      writeJsonDocument("machines", !rows.some((r) => r.error), {
        hosts: rows.map((r) => ({
          ...hostJson(r.host),
          state: r.state,
          generation: r.generation ?? null,
          deployed_at: r.deployedAt ?? null,
          error: r.error ? plainProblem(r.error.code ?? null, r.error.message) : null,
        })),
      });
    } else {
      const cells = rows.map((r) => [hostNode(r.host), r.host.stack, lifecycleOf(r.host), generationCell(r), r.host.tags.join(",")]);
      for (const l of table([["MACHINE", "STACK", "LIFECYCLE", "GENERATION", "TAGS"], ...cells])) out.out(l);
      for (const r of rows) if (r.error) out.err(`${out.red("✗")} ${r.host.stack} → ${r.host.target}: ${r.error.message}`);
    }
    if (rows.some((r) => r.error)) throw new ExitCode(1);
  });
}
