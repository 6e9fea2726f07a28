/**
 * Fleet against Ansible and raw `tar c | ssh host tar x` on loopback (issue 18): 10, 50 and 100
 * real OpenSSH servers on 127.0.0.1 (each its own sshd, logging in as the non-root test user with
 * its own $HOME by `SetEnv HOME=…`, so every host has its own store and deployments), no delay.
 * Every host receives the same ~5 MB / 200-file package (two std.files store paths), 10 config
 * files and a unit file. For each fleet size, every round from empty targets:
 *   - `ssh host true` and `tar c | ssh host tar x` of the same files, all hosts at once;
 *   - Ansible (when `ansible-playbook` exists and N ≤ --ansible-max): `ansible.builtin.copy` of the
 *     same directories, first run and no-change re-run, with forks = fleet's default jobs (10);
 *   - fleet (the built CLI, default --jobs): first deploy, no-change re-apply, one config file
 *     changed, rollback (checked: the changed file is back);
 * each timed wall-clock and in controller CPU (user + system of the command and what it waited for,
 * by GNU time; for Ansible plus its ControlPersist ssh masters, read from /proc before they are closed).
 * Usage: npx tsx bench/loopback.ts [--hosts 10,50,100] [--rounds 3] [--ansible-max 50]
 *        [--ansible-timeout 300] [--ansible-rounds R] [--file-kb 25] [--write]   (needs /usr/sbin/sshd, root).
 * `--write` replaces the "## Loopback (10/50/100 hosts)" section of BENCHMARKS.md.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { TEST_USER } from "../test/support/sshd.js";
import { configBody, configPaths, hostPcl, type PayloadShape } from "./support/bench-payload.js";
import { writeSection } from "./support/benchmarks-md.js";
import { ensureBuilt, loadNote, timeCommand, timeFleet } from "./support/run-cli.js";
import { allAtOnceTimed, arg, q, readdirNames, sshArgs, startHosts, tarToHost, writeKnownHosts, type BenchHost } from "./support/ssh-hosts.js";
import { median, ms, ratio } from "./support/stats.js";

const SIZES = arg("--hosts", "10,50,100").split(",").map(Number);
const ROUNDS = Number(arg("--rounds", "3"));
const ANSIBLE_MAX = Number(arg("--ansible-max", "50"));
const ANSIBLE_TIMEOUT_S = Number(arg("--ansible-timeout", "300"));
const FILE_KB = Number(arg("--file-kb", "25"));
/** Ansible takes minutes per run: it may be run in the first rounds only. */
const ANSIBLE_ROUNDS = Number(arg("--ansible-rounds", String(ROUNDS)));
/** fleet's default --jobs; Ansible gets the same number of forks. */
const JOBS = 10;
const SHAPE: PayloadShape = { packages: ["Libbench", "Appbench"], filesPerPackage: 100, fileBytes: FILE_KB * 1024, configFiles: 10, unitName: "bench-loopback.service" };
const SECTION = "Loopback (10/50/100 hosts)";

const tag = `fleet-bench-loopback-${process.pid}`;
const work = mkdtempSync(join(tmpdir(), "fleet-bench-loopback-"));
const ANSIBLE = spawnSync("/bin/sh", ["-c", "command -v ansible-playbook"]).status === 0;
/** The smallest size at which an Ansible run hit the timeout: larger sizes skip Ansible. */
let ansibleTimedOutAt: number | undefined;
const ansibleVersion = ANSIBLE ? execFileSync("ansible-playbook", ["--version"]).toString().split("\n")[0]!.trim() : "";

interface Sample {
  readonly wall: number;
  readonly cpu: number;
}

interface Row {
  readonly label: string;
  readonly wall: number;
  readonly cpu: number;
  /** Which Ansible row this one is compared with, if any. */
  readonly vsAnsible?: "first" | "again";
  readonly note?: string;
}

/** Ansible at one size: medians, or why not (a run killed at the timeout gives a lower bound). */
interface AnsibleResult {
  readonly first?: Sample;
  readonly again?: Sample;
  readonly skipped?: string;
  /** Which run hit --ansible-timeout: its wall time is more than the timeout. */
  readonly timedOut?: "first" | "again";
}

interface SizeResult {
  readonly n: number;
  readonly rows: Row[];
  readonly loadBefore: string;
  readonly loadAfter: string;
  readonly tar: number;
  readonly ansible: AnsibleResult;
  readonly fleet: { first: Sample; again: Sample; change: Sample; rollback: Sample; frontEnd: Sample };
  readonly bytes: number;
}

const med = (xs: readonly Sample[]): Sample => ({ wall: median(xs.map((x) => x.wall)), cpu: median(xs.map((x) => x.cpu)) });

/** Pids of the ssh ControlPersist masters using control sockets under `dir`. */
function sshMasters(dir: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // A master renames itself ("ssh: <control path> [mux]"), so match the comm and the path.
      const comm = readFileSync(`/proc/${name}/comm`, "utf8").trim();
      const cmd = readFileSync(`/proc/${name}/cmdline`, "utf8");
      if (comm === "ssh" && cmd.includes(dir)) pids.push(Number(name));
    } catch {
      /* process vanished */
    }
  }
  return pids;
}

const TICK_MS = 1000 / Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());

/** user + system CPU of a process (and its waited-for children), in ms. */
function procCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14–17 (utime stime cutime cstime) are at 11–14 after the comm.
    return [11, 12, 13, 14].reduce((a, k) => a + Number(f[k]), 0) * TICK_MS;
  } catch {
    return 0;
  }
}

/** Close (SIGTERM) the masters under `dir`, returning the CPU they used. */
function closeMasters(dir: string): number {
  let cpu = 0;
  for (const pid of sshMasters(dir)) {
    cpu += procCpuMs(pid);
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      /* already gone */
    }
  }
  return cpu;
}

async function runSize(n: number): Promise<SizeResult> {
  const hosts: BenchHost[] = [];
  const dir = join(work, `fleet-${n}`);
  const ansibleDir = join(dir, "ansible");
  const cpDir = join(ansibleDir, "cp");
  mkdirSync(join(dir, "hosts"), { recursive: true });
  chmodSync(work, 0o755);
  chmodSync(dir, 0o755);
  const loadBefore = loadNote();
  try {
    const key = await startHosts(dir, n, hosts);
    const knownHosts = join(dir, "known_hosts");
    writeKnownHosts(knownHosts, hosts, (h) => [h.port]);
    const writeHosts = (variant: number): void => {
      for (const h of hosts) writeFileSync(join(dir, "hosts", `h${h.i}.pcl`), hostPcl(SHAPE, h.i, h.managed, variant));
    };
    writeHosts(0);
    const fleetFile = join(dir, "fleet.pcl");
    writeFileSync(
      fleetFile,
      `module Fleet {\n  hosts = [\n${hosts.map((h) => `    { file = "hosts/h${h.i}.pcl" stack = "H${h.i}Stack" target = "ssh://${TEST_USER}@127.0.0.1:${h.port}" }`).join("\n")}\n  ]\n}\n`,
    );
    const common = ["--key", key, "--known-hosts", knownHosts, "-F", "none", "--store-root", `~/.${tag}/store`, "--deployments-root", `~/.${tag}/deployments`, "--runs-dir", join(dir, "runs")];
    const fleet = async (cmd: string): Promise<Sample> => {
      const r = await timeFleet([cmd, fleetFile, ...common], 0, true);
      return { wall: r.ms, cpu: r.cpuMs };
    };
    const fresh = (): void => {
      for (const h of hosts) {
        for (const d of [`.${tag}`, "tarx", "ansible-dst", ".ansible-tmp"]) rmSync(join(h.home, d), { recursive: true, force: true });
        rmSync(join(h.managed, "etc"), { recursive: true, force: true });
      }
    };
    // Build the closure locally once (first apply is then push + writes, not the build).
    fresh();
    await timeFleet(["apply", fleetFile, ...common]);
    const localStore = `/root/.${tag}/store`;
    const storePaths = readdirNames(localStore);
    // The same files for tar and Ansible: the local store paths plus a copy of the config files and unit.
    const src = join(dir, "src");
    mkdirSync(join(src, "store"), { recursive: true });
    for (const p of storePaths) cpSync(join(localStore, p), join(src, "store", p), { recursive: true });
    cpSync(join(hosts[0]!.managed, "etc"), join(src, "etc"), { recursive: true });
    const bytes = Number(execFileSync("du", ["-sb", src]).toString().split("\t")[0]);

    // Ansible: inventory, config and playbook, all state inside the bench's temp dir.
    let ansibleSkipped: string | undefined;
    if (!ANSIBLE) ansibleSkipped = "ansible-playbook not found";
    else if (n > ANSIBLE_MAX) ansibleSkipped = `N > --ansible-max ${ANSIBLE_MAX}`;
    else if (ansibleTimedOutAt !== undefined) ansibleSkipped = `a run already took over ${ANSIBLE_TIMEOUT_S} s at ${ansibleTimedOutAt} hosts`;
    let timedOut: "first" | "again" | undefined;
    const inventory = join(ansibleDir, "inventory.ini");
    const playbook = join(ansibleDir, "playbook.yml");
    const cfg = join(ansibleDir, "ansible.cfg");
    mkdirSync(join(ansibleDir, "local"), { recursive: true });
    mkdirSync(join(ansibleDir, "home"), { recursive: true });
    mkdirSync(cpDir, { recursive: true });
    writeFileSync(
      inventory,
      `[bench]\n${hosts.map((h) => `h${h.i} ansible_host=127.0.0.1 ansible_port=${h.port} ansible_remote_tmp=${h.home}/.ansible-tmp dst=${h.home}/ansible-dst`).join("\n")}\n\n[bench:vars]\nansible_user=${TEST_USER}\nansible_ssh_private_key_file=${key}\nansible_python_interpreter=/usr/bin/python3\n`,
    );
    writeFileSync(
      cfg,
      `[defaults]\nforks = ${JOBS}\nhost_key_checking = True\nlocal_tmp = ${join(ansibleDir, "local")}\nretry_files_enabled = False\n\n[ssh_connection]\npipelining = True\ncontrol_path_dir = ${cpDir}\nssh_common_args = -o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes\n`,
    );
    writeFileSync(
      playbook,
      `- hosts: bench\n  gather_facts: false\n  tasks:\n    - name: payload (the store paths, ${SHAPE.packages.length * (SHAPE.filesPerPackage + 2)} files)\n      ansible.builtin.copy:\n        src: ${src}/store/\n        dest: "{{ dst }}/store/"\n    - name: config files and unit\n      ansible.builtin.copy:\n        src: ${src}/etc/\n        dest: "{{ dst }}/etc/"\n`,
    );
    const ansibleEnv = {
      ...process.env,
      ANSIBLE_CONFIG: cfg,
      ANSIBLE_HOME: join(ansibleDir, "home"),
      ANSIBLE_LOCAL_TEMP: join(ansibleDir, "local"),
      ANSIBLE_NOCOLOR: "1",
    };
    /** One playbook run; `expectChanged`: whether every host must report changes (first) or none (re-run). */
    const ansible = async (expectChanged: boolean): Promise<Sample | "timeout"> => {
      const r = await timeCommand("ansible-playbook", ["-i", inventory, playbook], { cwd: ansibleDir, withCpu: true, env: ansibleEnv, timeoutMs: ANSIBLE_TIMEOUT_S * 1000 });
      const masters = closeMasters(cpDir);
      if (r.timedOut) return "timeout";
      if (r.code !== 0) throw new Error(`ansible-playbook exited ${r.code}\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-2000)}`);
      const recap = [...r.stdout.matchAll(/^(h\d+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)];
      if (recap.length !== n) throw new Error(`ansible recap names ${recap.length} of ${n} hosts\n${r.stdout.slice(-2000)}`);
      for (const m of recap) {
        if (m[4] !== "0" || m[5] !== "0") throw new Error(`ansible: ${m[0]}`);
        if (expectChanged !== (m[3] !== "0")) throw new Error(`ansible ${expectChanged ? "first run" : "re-run"}: ${m[0]}`);
      }
      return { wall: r.ms, cpu: r.cpuMs + masters };
    };

    const samples = {
      sshTrue: [] as Sample[],
      tar: [] as Sample[],
      ansibleFirst: [] as Sample[],
      ansibleAgain: [] as Sample[],
      first: [] as Sample[],
      again: [] as Sample[],
      change: [] as Sample[],
      rollback: [] as Sample[],
      frontEnd: [] as Sample[],
    };
    const last = hosts[hosts.length - 1]!;
    for (let r = 0; r < ROUNDS; r++) {
      fresh();
      writeHosts(0);
      const s = await allAtOnceTimed(
        hosts.map((h) => ["ssh", ...sshArgs(h, key, knownHosts), "true"].map(q).join(" ")),
        true,
      );
      samples.sshTrue.push({ wall: s.ms, cpu: s.cpuMs });
      const t = await allAtOnceTimed(
        hosts.map((h) => tarToHost(h, key, knownHosts, [[src, ["."]]])),
        true,
      );
      samples.tar.push({ wall: t.ms, cpu: t.cpuMs });
      if (ansibleSkipped === undefined && timedOut === undefined && r < ANSIBLE_ROUNDS) {
        const a = await ansible(true);
        if (a === "timeout") timedOut = "first";
        else {
          if (!existsSync(join(last.home, "ansible-dst/etc/bench/conf-00.conf"))) throw new Error("ansible: no config file on the last host");
          samples.ansibleFirst.push(a);
          const b = await ansible(false);
          if (b === "timeout") timedOut = "again";
          else samples.ansibleAgain.push(b);
        }
        if (timedOut !== undefined) {
          ansibleTimedOutAt = n;
          console.error(`${n} hosts: Ansible's ${timedOut === "first" ? "first run" : "no-change re-run"} took over ${ANSIBLE_TIMEOUT_S} s (killed) in round ${r + 1}`);
        }
      }
      // The front end alone (parse, evaluate, closure check against the built local store; no SSH).
      {
        const b = await timeFleet(["build", fleetFile, "--store-root", localStore], 0, true);
        samples.frontEnd.push({ wall: b.ms, cpu: b.cpuMs });
      }
      samples.first.push(await fleet("apply"));
      samples.again.push(await fleet("apply"));
      writeHosts(1);
      samples.change.push(await fleet("apply"));
      samples.rollback.push(await fleet("rollback"));
      for (const h of hosts) {
        const got = readFileSync(join(h.managed, configPaths(SHAPE)[0]!), "utf8");
        if (got !== configBody(0, 0)) throw new Error(`host ${h.i}: rollback left ${JSON.stringify(got)}`);
      }
    }
    console.error(`${n} host(s):`, JSON.stringify(samples));
    const tar = med(samples.tar);
    const fleetRes = { first: med(samples.first), again: med(samples.again), change: med(samples.change), rollback: med(samples.rollback), frontEnd: med(samples.frontEnd) };
    // A run killed at the timeout keeps no median of its kind: only "more than the timeout" (a lower bound).
    const ansibleRes: AnsibleResult =
      ansibleSkipped !== undefined
        ? { skipped: ansibleSkipped }
        : {
            ...(timedOut === "first" ? {} : { first: med(samples.ansibleFirst) }),
            ...(timedOut === undefined ? { again: med(samples.ansibleAgain) } : {}),
            ...(timedOut ? { timedOut } : {}),
          };
    const over = `more than ${ANSIBLE_TIMEOUT_S} s: killed at --ansible-timeout`;
    const ansibleRows: Row[] =
      ansibleRes.skipped !== undefined
        ? [{ label: "Ansible", wall: Number.NaN, cpu: Number.NaN, note: `skipped: ${ansibleRes.skipped}` }]
        : [
            ansibleRes.first ? { label: "Ansible, first run (empty targets)", ...ansibleRes.first } : { label: "Ansible, first run (empty targets)", wall: Number.NaN, cpu: Number.NaN, note: over },
            ansibleRes.again
              ? { label: "Ansible, no-change re-run", ...ansibleRes.again }
              : { label: "Ansible, no-change re-run", wall: Number.NaN, cpu: Number.NaN, note: timedOut === "again" ? over : "not run (the first run did not finish)" },
          ];
    const rows: Row[] = [
      { label: "`ssh host true`", ...med(samples.sshTrue) },
      { label: "`tar c | ssh host tar x` (same files)", ...tar },
      ...ansibleRows,
      { label: "fleet front end only: `fleet build` with the store built (no SSH)", ...fleetRes.frontEnd },
      { label: "fleet apply, first deploy (empty targets)", ...fleetRes.first, vsAnsible: "first" },
      { label: "fleet apply, no change", ...fleetRes.again, vsAnsible: "again" },
      { label: "fleet apply, one config file changed", ...fleetRes.change },
      { label: "fleet rollback", ...fleetRes.rollback },
    ];
    return { n, rows, loadBefore, loadAfter: loadNote(), tar: tar.wall, ansible: ansibleRes, fleet: fleetRes, bytes };
  } finally {
    closeMasters(cpDir);
    for (const h of hosts) await h.sshd.stop();
    rmSync(`/root/.${tag}`, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (x: number): string => (Number.isNaN(x) ? "—" : ms(x));

function sizeTable(r: SizeResult): string {
  const lines = [
    `### ${r.n} hosts`,
    "",
    `${r.loadBefore} before this size, ${r.loadAfter} after. Payload per host: ${(r.bytes / 1e6).toFixed(2)} MB on disk (\`du -sb\` of the store paths + config files).`,
    "",
    "| run | median wall | controller CPU | CPU per host | wall ÷ `tar \\| ssh` | wall ÷ Ansible (same kind of run) | CPU ÷ Ansible CPU |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const row of r.rows) {
    if (row.note) {
      lines.push(`| ${row.label} | ${row.note} | — | — | — | — | — |`);
      continue;
    }
    const a = row.vsAnsible ? r.ansible[row.vsAnsible] : undefined;
    const bound = row.vsAnsible !== undefined && r.ansible.timedOut === row.vsAnsible ? `< ${ratio(row.wall / (ANSIBLE_TIMEOUT_S * 1000))} (Ansible > ${ANSIBLE_TIMEOUT_S} s)` : "—";
    lines.push(
      `| ${row.label} | ${fmt(row.wall)} | ${fmt(row.cpu)} | ${fmt(row.cpu / r.n)} | ${row.label.startsWith("`tar") || row.label.startsWith("`ssh") ? "—" : ratio(row.wall / r.tar)} | ${a ? ratio(row.wall / a.wall) : bound} | ${a ? ratio(row.cpu / a.cpu) : "—"} |`,
    );
  }
  return lines.join("\n");
}

/** "fleet ÷ Ansible" cell for one kind of run: a ratio, a bound when Ansible hit the timeout, or why not. */
function vsAnsible(r: SizeResult, kind: "first" | "again"): string {
  const a = r.ansible[kind];
  const f = r.fleet[kind];
  if (a) return `${ratio(f.wall / a.wall)} (${(a.wall / f.wall).toFixed(1)}× faster)`;
  if (r.ansible.timedOut === kind) return `< ${ratio(f.wall / (ANSIBLE_TIMEOUT_S * 1000))} (> ${((ANSIBLE_TIMEOUT_S * 1000) / f.wall).toFixed(0)}× faster; Ansible > ${ANSIBLE_TIMEOUT_S} s)`;
  return `— (${r.ansible.skipped ?? "not run"})`;
}

function summary(results: readonly SizeResult[]): { table: string; verdicts: string[] } {
  // The flatness claim is from 10 hosts up; a smaller size (a smoke run) is shown but not the reference.
  const ref = results.find((r) => r.n === 10) ?? results[0]!;
  const lastR = results[results.length - 1]!;
  const per = (r: SizeResult): number => r.fleet.first.cpu / r.n;
  /** What each host beyond the reference size added: flat when the cost is linear plus a fixed part. */
  const marginal = (r: SizeResult): number => (r.fleet.first.cpu - ref.fleet.first.cpu) / (r.n - ref.n);
  const lines = [
    `| hosts | fleet first deploy: CPU per host | ÷ ${ref.n} hosts' | marginal CPU per host beyond ${ref.n} hosts ((CPU − CPU at ${ref.n}) / (N − ${ref.n})) | front end only: CPU per host | rollback ÷ no-change (wall) | fleet ÷ Ansible, first run (wall) | fleet ÷ Ansible, no change (wall) | Ansible first run: CPU per host |`,
    "|---|---|---|---|---|---|---|---|---|",
    ...results.map(
      (r) =>
        `| ${r.n} | ${ms(per(r))} | ${ratio(per(r) / per(ref))} | ${r.n > ref.n ? ms(marginal(r)) : "—"} | ${ms(r.fleet.frontEnd.cpu / r.n)} | ${ratio(r.fleet.rollback.wall / r.fleet.again.wall)} | ${vsAnsible(r, "first")} | ${vsAnsible(r, "again")} | ${r.ansible.first ? ms(r.ansible.first.cpu / r.n) : "—"} |`,
    ),
  ];
  const verdicts: string[] = [];
  if (lastR !== ref) {
    const k = per(lastR) / per(ref);
    verdicts.push(
      `- First-deploy controller CPU per host, ${lastR.n} vs ${ref.n} hosts: ${ms(per(lastR))} vs ${ms(per(ref))}, ${ratio(k)} — ${Math.abs(k - 1) <= 0.15 ? "flat (within ±15%)" : k > 1 ? "**not flat: it grows with the fleet**" : "**not flat: it falls with the fleet** (fixed per-run costs spread over more hosts)"}; each host beyond ${ref.n} added ${results
        .filter((r) => r.n > ref.n)
        .map((r) => `${ms(marginal(r))} (to ${r.n})`)
        .join(", ")} of controller CPU.`,
    );
  }
  const frontShare = (100 * lastR.fleet.frontEnd.cpu) / lastR.fleet.first.cpu;
  verdicts.push(
    `- The front end (parse + evaluate of the inline std.files content, \`fleet build\` row) is ${results.map((r) => `${((100 * r.fleet.frontEnd.cpu) / r.fleet.first.cpu).toFixed(0)}% (${r.n})`).join(", ")} of the first deploy's controller CPU (${frontShare >= 50 ? "most" : frontShare >= 30 ? "a large part" : "a small part"} of it at ${lastR.n} hosts: std.files content is inline in each host's PCL).`,
  );
  for (const r of results) {
    verdicts.push(
      `- ${r.n} hosts: rollback ${ratio(r.fleet.rollback.wall / r.fleet.again.wall)} the no-change apply (wall); first deploy ${ratio(r.fleet.first.wall / r.tar)} \`tar | ssh\`; fleet ÷ Ansible (wall): first run ${vsAnsible(r, "first")}, no change ${vsAnsible(r, "again")}${r.ansible.first ? `; Ansible's first run used ${(r.ansible.first.cpu / r.fleet.first.cpu).toFixed(1)}× fleet's controller CPU` : ""}.`,
    );
  }
  return { table: lines.join("\n"), verdicts };
}

async function main(): Promise<void> {
  await ensureBuilt();
  const loadBefore = loadNote();
  const results: SizeResult[] = [];
  /** Sizes whose run failed: reported, never silently left out. */
  const failed: string[] = [];
  try {
    for (const n of SIZES) {
      try {
        const r = await runSize(n);
        results.push(r);
        process.stdout.write(`${sizeTable(r)}\n\n`);
      } catch (e) {
        const msg = (e instanceof Error ? e.message : String(e)).split("\n").slice(0, 3).join(" ").slice(0, 400);
        console.error(`${n} hosts failed:`, e);
        failed.push(`- **${n} hosts: the run failed** (${loadNote()}): ${msg}`);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (!ANSIBLE) process.stdout.write("Ansible skipped: ansible-playbook not found.\n");
  if (results.length === 0) throw new Error(`every size failed:\n${failed.join("\n")}`);
  const skipped = results.filter((r) => r.ansible.skipped).map((r) => `${r.n} hosts (${r.ansible.skipped})`);
  const { table, verdicts } = summary(results);
  const payloadMb = (SHAPE.packages.length * SHAPE.filesPerPackage * SHAPE.fileBytes) / 1e6;
  const body = `\`npx tsx bench/loopback.ts --hosts ${SIZES.join(",")} --rounds ${ROUNDS}${ANSIBLE_MAX !== 50 ? ` --ansible-max ${ANSIBLE_MAX}` : ""}${ANSIBLE_TIMEOUT_S !== 300 ? ` --ansible-timeout ${ANSIBLE_TIMEOUT_S}` : ""}${ANSIBLE_ROUNDS !== ROUNDS ? ` --ansible-rounds ${ANSIBLE_ROUNDS}` : ""}${FILE_KB !== 25 ? ` --file-kb ${FILE_KB}` : ""} --write\` —
every target is its own OpenSSH sshd on 127.0.0.1 (login as the non-root \`${TEST_USER}\`, its own \`$HOME\` by
\`SetEnv HOME\`, so each host has its own store, deployments and Ansible remote temp dir), reached directly
(no delay proxy). Per host: ${SHAPE.packages.length} std.files store paths, ${SHAPE.packages.length * (SHAPE.filesPerPackage + 1)} files with ${SHAPE.packages.length * SHAPE.filesPerPackage} × ${FILE_KB} KiB of
deterministic text (${payloadMb.toFixed(1)} MB; the content is inline in each host's PCL file, and the \`.fleet-built\` markers
embed it again, see "payload on disk" per size), the same store paths on every host; ${SHAPE.configFiles} config files and a unit file
(written as config files; no systemd on the targets). The local store is built once per size before timing.
Each round starts from empty targets and runs, in this order: all hosts' \`ssh host true\` at once; all hosts'
\`tar c | ssh host tar x\` of the same store paths and config files at once; ${ANSIBLE ? `${ansibleVersion} (Debian's package)` : "Ansible (not installed: skipped)"}: a playbook
of two \`ansible.builtin.copy\` tasks (the store-path directory, the config directory) with \`forks = ${JOBS}\`,
\`pipelining = True\`, \`gather_facts: false\`, the default \`ssh_args\` (\`-C -o ControlMaster=auto -o ControlPersist=60s\`)
plus the same known_hosts with StrictHostKeyChecking, first run then no-change re-run (checked from the recap:
every host changed, then none); \`fleet build\` of the fleet against the built local store (the front end
alone: parse, evaluate, closure check; no SSH); then the built CLI with the default \`--jobs\` (${JOBS}; not passed):
first deploy, no-change re-apply, one config file changed, rollback (checked: the changed file is back on every
host). Median of ${ROUNDS} round${ROUNDS === 1 ? "" : "s"}${ANSIBLE_ROUNDS < ROUNDS ? ` (Ansible: its first ${ANSIBLE_ROUNDS === 1 ? "round only" : `${ANSIBLE_ROUNDS} rounds`}, each run minutes long; a run over ${ANSIBLE_TIMEOUT_S} s is killed and only bounds the ratio)` : ` (Ansible: a run over ${ANSIBLE_TIMEOUT_S} s is killed and only bounds the ratio)`}. Wall time is from spawn to exit. Controller CPU is user + system time by GNU
\`time\` of the command and every process it waited for (for \`ssh\`/\`tar\`: summed over the per-host shell
pipelines; for Ansible: ansible-playbook and its workers and ssh clients, plus the ControlPersist ssh
masters, whose CPU is read from \`/proc\` before they are closed after each run, so no run reuses a previous
run's connections). The sshds' CPU (the targets' side) is not in any controller figure, but it runs on the
same ${cpus().length} cores. ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, Node ${process.version}; shared machine: ${loadBefore} before, ${loadNote()} after.
${SIZES.some((n) => n < 10) ? `\nThe size${SIZES.filter((n) => n < 10).length > 1 ? "s" : ""} below 10 (${SIZES.filter((n) => n < 10).join(", ")} hosts) ${SIZES.filter((n) => n < 10).length > 1 ? "are" : "is"} there for Ansible, whose runs do not finish within the timeout at 10 hosts; the flatness reference is 10 hosts.\n` : ""}${skipped.length > 0 ? `\nAnsible was not run at: ${skipped.join("; ")}.\n` : ""}
${results.map(sizeTable).join("\n\n")}
${failed.length > 0 ? `\n${failed.join("\n")}\n` : ""}
### Summary

${table}

${verdicts.join("\n")}

Notes (read before quoting a number):
- Every figure shares ${cpus().length} cores with the targets' sshds (and with another engineer's tests: see the
  load averages), so wall times at 50 and 100 hosts are CPU-bound on both ends; controller CPU is the figure
  that does not depend on how busy the cores were, though a loaded machine still inflates it somewhat.
- fleet's controller CPU includes its SSH client (ssh2, in-process: key exchange and encryption of every byte
  pushed), node start-up and the front end (parsing ${SHAPE.packages.length * SHAPE.filesPerPackage} inline file contents per host): the "front end only" row says how
  much of the per-host CPU is the PCL, which grows with the payload because std.files content is inline.
- \`tar | ssh\` is the floor for moving the bytes (OpenSSH in C, no per-file work on the controller beyond tar).
- Ansible's \`copy\` of a directory handles each file on its own (a remote stat, a transfer and the copy module
  per file, each module a Python process on the target, over the multiplexed connection), so its time grows
  with the number of files (${SHAPE.packages.length * (SHAPE.filesPerPackage + 2)} per host here, markers included) more than with bytes; the no-change re-run
  still checksums every file on the target. \`synchronize\` (rsync) would be faster but was not allowed here.
`;
  process.stdout.write(`### Summary\n\n${table}\n\n${verdicts.join("\n")}\n`);
  if (process.argv.includes("--write")) writeSection(SECTION, body);
}

await main();
