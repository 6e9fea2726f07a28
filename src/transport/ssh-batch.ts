/**
 * Batched requests for the remote shell (ADR 215): many reads in one script, an ordered write
 * sequence in one script, and the lock held by the shell itself (ADR 215). Each is one round trip.
 */
import { shellQuote } from "./ssh-exec.js";
import { fileType } from "./ssh-file-ops.js";
import { IN_SERVER } from "./ssh-shell.js";
import type { FileDigest, FileStat, LockHolder, ReadAhead, WriteStep } from "./transport.js";

/** What a read-ahead learnt; a path missing from a map was not learnt (read it for real). */
export interface ReadAheadAnswer {
  readonly stats: Map<string, FileStat | null>;
  readonly files: Map<string, Buffer | null>;
  readonly links: Map<string, string | null>;
  readonly dirs: Map<string, string[] | null>;
  readonly digests: Map<string, FileDigest | null>;
  readonly storePaths: Map<string, boolean>;
}

/** A link target that names a file of the link's own directory. */
export function plainName(link: string): boolean {
  return link !== "" && link !== "." && link !== ".." && !link.includes("/");
}

const DIGEST_BATCH = [
  'for p do if [ -f "$p" ] && [ ! -h "$p" ]; then echo F; else echo N; fi; done',
  "echo --",
  `for p do if [ -f "$p" ] && [ ! -h "$p" ]; then printf '%s\\0' "$p"; fi; done | xargs -0 -r stat -c %a --`,
  "echo --",
  `for p do if [ -f "$p" ] && [ ! -h "$p" ]; then printf '%s\\0' "$p"; fi; done | xargs -0 -r sha256sum --`,
  "echo ==",
].join("\n");

/** The script digestFiles runs (paths NUL-separated on stdin), and the read-ahead reuses. */
export const DIGEST_SCRIPT = `xargs -0 -r sh -c ${shellQuote(DIGEST_BATCH)} sh`;

/** Parse DIGEST_SCRIPT's output for `count` paths; null when it is not what it should be. */
export function parseDigests(text: string, count: number): (FileDigest | null)[] | null {
  const lines = text.split("\n");
  const result: (FileDigest | null)[] = [];
  let i = 0;
  while (result.length < count) {
    const markers: string[] = [];
    while (i < lines.length && lines[i] !== "--") markers.push(lines[i++]!);
    i++;
    const modes: string[] = [];
    while (i < lines.length && lines[i] !== "--") modes.push(lines[i++]!);
    i++;
    const hashes: string[] = [];
    while (i < lines.length && lines[i] !== "==") hashes.push(lines[i++]!);
    i++;
    const files = markers.filter((m) => m === "F").length;
    if (markers.length === 0 || modes.length !== files || hashes.length !== files) return null;
    let f = 0;
    for (const m of markers) {
      if (m === "N") {
        result.push(null);
        continue;
      }
      const h = hashes[f]!.replace(/^\\/, "").slice(0, 64);
      if (!/^[0-9a-f]{64}$/.test(h)) return null;
      result.push({ sha256: h, mode: parseInt(modes[f]!, 8) });
      f++;
    }
  }
  return result.length === count ? result : null;
}

/**
 * One script for every read of a ReadAhead. Output, in order: per file `S <hexmode> <size>` and
 * the bytes of a regular file, or `N` (absent) or `E` (not learnt: unreadable); per link `L <n>`
 * and n bytes of target (then the file it names, as above), or `N`/`E`; per directory `D` and
 * NUL-terminated names ending with an empty one, or `N`/`E`; per stat `S …`/`N`; per store path
 * `1`/`0`; then the digests as DIGEST_SCRIPT prints them and `DIGESTS <status>`.
 */
export function readAheadScript(r: ReadAhead): string {
  const q = (xs: readonly string[] | undefined): string => (xs ?? []).map(shellQuote).join(" ");
  const lines = [
    "st() { if [ -e \"$1\" ] || [ -h \"$1\" ]; then s=$(stat -c '%f %s' -- \"$1\" 2>/dev/null) || { echo E; return; }; printf 'S %s\\n' \"$s\"; else echo N; fi; }",
    "fi_() { if [ -e \"$1\" ] || [ -h \"$1\" ]; then s=$(stat -c '%f %s' -- \"$1\" 2>/dev/null) || { echo E; return; }; case $s in 8*) if [ ! -r \"$1\" ]; then echo E; return; fi; printf 'S %s\\n' \"$s\"; head -c \"${s#* }\" -- \"$1\" ;; *) printf 'S %s\\n' \"$s\" ;; esac; else echo N; fi; }",
    "li() { if [ -h \"$1\" ]; then l=$(readlink -- \"$1\") || { echo E; return; }; printf 'L %s\\n' \"$(printf '%s' \"$l\" | wc -c)\"; printf '%s' \"$l\"; case $l in */*|''|.|..) ;; *) fi_ \"${1%/*}/$l\" ;; esac; elif [ -e \"$1\" ]; then echo N; else echo N; fi; }",
    "di() { if [ -d \"$1\" ]; then if [ ! -r \"$1\" ] || [ ! -x \"$1\" ]; then echo E; return; fi; echo D; for f in \"$1\"/.[!.]* \"$1\"/..?* \"$1\"/*; do if [ -e \"$f\" ] || [ -h \"$f\" ]; then printf '%s\\0' \"${f##*/}\"; fi; done; printf '\\0'; elif [ -e \"$1\" ] || [ -h \"$1\" ]; then echo E; else echo N; fi; }",
    `for p in ${q(r.files)}; do fi_ "$p"; done`,
    `for p in ${q(r.links)}; do li "$p"; done`,
    `for p in ${q(r.dirs)}; do di "$p"; done`,
    `for p in ${q(r.stats)}; do st "$p"; done`,
    `for p in ${q(r.storePaths)}; do if [ -f "$p/.fleet-built" ]; then echo 1; else echo 0; fi; done`,
  ];
  if ((r.digests ?? []).length > 0) {
    lines.push(`printf '%s\\0' ${q(r.digests)} | ${DIGEST_SCRIPT} 2>/dev/null`, 'printf \'DIGESTS %s\\n\' "$?"');
  } else lines.push("echo 'DIGESTS 0'");
  return lines.join("\n");
}

class Cursor {
  private at = 0;
  constructor(private readonly b: Buffer) {}
  line(): string {
    const eol = this.b.indexOf(0x0a, this.at);
    if (eol < 0) throw new Error("short read-ahead answer");
    const l = this.b.subarray(this.at, eol).toString("utf8");
    this.at = eol + 1;
    return l;
  }
  bytes(n: number): Buffer {
    if (this.at + n > this.b.length) throw new Error("short read-ahead answer");
    const out = Buffer.from(this.b.subarray(this.at, this.at + n));
    this.at += n;
    return out;
  }
  name(): string {
    const z = this.b.indexOf(0, this.at);
    if (z < 0) throw new Error("short read-ahead answer");
    const n = this.b.subarray(this.at, z).toString("utf8");
    this.at = z + 1;
    return n;
  }
  rest(): string {
    return this.b.subarray(this.at).toString("utf8");
  }
}

function parseStat(l: string): FileStat {
  const m = /^S ([0-9a-f]+) (\d+)$/.exec(l);
  if (!m) throw new Error(`unexpected stat line '${l}'`);
  const raw = parseInt(m[1]!, 16);
  return { type: fileType(raw), mode: raw & 0o7777, size: Number(m[2]) };
}

/** Parse readAheadScript's output; throws when it does not match the request. */
export function parseReadAhead(r: ReadAhead, out: Buffer): ReadAheadAnswer {
  const a: ReadAheadAnswer = { stats: new Map(), files: new Map(), links: new Map(), dirs: new Map(), digests: new Map(), storePaths: new Map() };
  const c = new Cursor(out);
  const file = (p: string): void => {
    const l = c.line();
    if (l === "E") return;
    if (l === "N") {
      a.stats.set(p, null);
      a.files.set(p, null);
      return;
    }
    const st = parseStat(l);
    a.stats.set(p, st);
    if (st.type === "file") a.files.set(p, c.bytes(st.size));
  };
  for (const p of r.files ?? []) file(p);
  for (const p of r.links ?? []) {
    const l = c.line();
    if (l === "E") continue;
    if (l === "N") {
      a.links.set(p, null);
      continue;
    }
    const m = /^L (\d+)$/.exec(l);
    if (!m) throw new Error(`unexpected link line '${l}'`);
    const target = c.bytes(Number(m[1])).toString("utf8");
    a.links.set(p, target);
    if (plainName(target)) file(`${p.slice(0, p.lastIndexOf("/"))}/${target}`);
  }
  for (const p of r.dirs ?? []) {
    const l = c.line();
    if (l === "E") continue;
    if (l === "N") {
      a.dirs.set(p, null);
      continue;
    }
    if (l !== "D") throw new Error(`unexpected directory line '${l}'`);
    const names: string[] = [];
    for (let n = c.name(); n !== ""; n = c.name()) names.push(n);
    a.dirs.set(p, names.sort());
  }
  for (const p of r.stats ?? []) {
    const l = c.line();
    if (l === "E") continue;
    a.stats.set(p, l === "N" ? null : parseStat(l));
  }
  for (const p of r.storePaths ?? []) {
    const l = c.line();
    if (l !== "1" && l !== "0") throw new Error(`unexpected store path line '${l}'`);
    a.storePaths.set(p, l === "1");
  }
  const digests = r.digests ?? [];
  const rest = c.rest();
  const m = /(?:^|\n)DIGESTS (\d+)\n$/.exec(rest);
  if (!m) throw new Error("read-ahead answer has no digest status");
  if (digests.length > 0 && m[1] === "0") {
    const parsed = parseDigests(rest.slice(0, m.index + (m[0].startsWith("\n") ? 1 : 0)), digests.length);
    if (parsed !== null) digests.forEach((p, i) => a.digests.set(p, parsed[i]!));
  }
  return a;
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, "0");
}

/**
 * The steps as one script; the data of every write comes on stdin, one after another. Prints
 * `FAILED <i>` and exits 1 at the first step that fails; nothing after it runs. Each write is a
 * temp file, fsynced, given its mode, renamed over the path: as writeFileAtomic.
 */
export function writeSequenceScript(steps: readonly WriteStep[], temps: readonly string[]): { script: string; data: Buffer } {
  const lines = [
    "w() {",
    '  d=${1%/*}; d=${d:-/}',
    '  if [ ! -d "$d" ]; then mkdir -p -- "$d" || return 1; fi',
    '  if [ "$4" -gt 0 ]; then (umask 077; dd of="$2" bs="$4" count=1 iflag=fullblock conv=fsync status=none) || { rm -f -- "$2"; return 1; }',
    '  else (umask 077; dd of="$2" count=0 conv=fsync status=none) || { rm -f -- "$2"; return 1; }; fi',
    '  if [ "$(stat -c %s -- "$2")" != "$4" ]; then echo "short write of $1" >&2; rm -f -- "$2"; return 1; fi',
    '  chmod "$3" -- "$2" && mv -f -T -- "$2" "$1" || { rm -f -- "$2"; return 1; }',
    "}",
    "ln_() {",
    '  d=${1%/*}; d=${d:-/}',
    '  if [ ! -d "$d" ]; then mkdir -p -- "$d" || return 1; fi',
    '  ln -s -- "$3" "$2" && mv -f -T -- "$2" "$1" || { rm -f -- "$2"; return 1; }',
    "}",
  ];
  const data: Buffer[] = [];
  const bestEffort = steps.findIndex((s) => s.kind === "write" && s.bestEffort === true);
  // A best-effort write that fails early leaves its bytes unread on stdin: no write may follow it.
  if (bestEffort >= 0 && steps.slice(bestEffort + 1).some((s) => s.kind === "write")) {
    throw new Error("a best-effort write must be the last write of its sequence");
  }
  steps.forEach((s, i) => {
    const fail = `|| { echo 'FAILED ${i}'; exit 1; }`;
    if (s.kind === "write") {
      const call = `w ${shellQuote(s.path)} ${shellQuote(temps[i]!)} ${octal(s.mode)} ${s.data.length}`;
      // Its failure is reported on a line of its own (the last line of what it said) and the rest go on.
      if (s.bestEffort === true) lines.push(`if ! fw_e=$( { ${call}; } 2>&1 ); then printf 'SKIPPED ${i} %s\\n' "$(printf '%s\\n' "$fw_e" | tail -n 1)"; fi`);
      else lines.push(`${call} ${fail}`);
      data.push(s.data);
    } else if (s.kind === "symlink") lines.push(`ln_ ${shellQuote(s.path)} ${shellQuote(temps[i]!)} ${shellQuote(s.target)} ${fail}`);
    else if (s.kind === "remove") lines.push(`rm -f -- ${shellQuote(s.path)} ${fail}`);
    else lines.push(`for fw_d in ${s.dirs.map(shellQuote).join(" ")}; do rmdir -- "$fw_d" 2>/dev/null && continue; if [ -e "$fw_d" ] || [ -h "$fw_d" ]; then break; fi; done`);
  });
  return { script: lines.join("\n"), data: Buffer.concat(data) };
}

/** Exit status of the lock request when another live process holds the lock (as ssh-lock.ts). */
export const SHELL_LOCK_BUSY = 75;
/** Exit status of the lock request when asked not to create an absent directory. */
export const SHELL_LOCK_ABSENT = 3;

/**
 * The lock of ADR 052 held by the remote shell itself (ADR 215): flock on an fd of the server
 * shell (`fd`, one of 7–9), so it lives as long as the connection and takes no channel of its own.
 * Same protocol as lockScript: `BUSY <json>` + 75, or [`STALE <json>`] `LOCKED`.
 */
export function shellLockScript(dir: string, holder: LockHolder, fd: number, mustExist: boolean): string {
  const info = JSON.stringify({ host: holder.host, pid: holder.pid, startedAt: holder.startedAt });
  return [
    IN_SERVER,
    "fleet_lock() {",
    "  fl_d=$1",
    ...(mustExist ? [`  if [ ! -d "$fl_d" ]; then return ${SHELL_LOCK_ABSENT}; fi`] : []),
    '  mkdir -p "$fl_d" || return 1',
    '  ( : >>"$fl_d/lock" ) || return 1',
    "  fl_i=0",
    "  while :; do",
    `    exec ${fd}>>"$fl_d/lock"`,
    `    if ! flock -n ${fd}; then printf 'BUSY %s\\n' "$(cat "$fl_d/lock" 2>/dev/null)"; exec ${fd}>&-; return ${SHELL_LOCK_BUSY}; fi`,
    `    if [ "$(stat -L -c %d:%i /proc/$$/fd/${fd})" = "$(stat -c %d:%i "$fl_d/lock" 2>/dev/null)" ]; then break; fi`,
    `    exec ${fd}>&-`,
    '    fl_i=$((fl_i+1)); if [ $fl_i -ge 5 ]; then echo "lock file $fl_d/lock keeps being replaced" >&2; return 1; fi',
    "  done",
    '  fl_old=$(cat "$fl_d/lock")',
    "  if [ -n \"$fl_old\" ]; then printf 'STALE %s\\n' \"$fl_old\"; fi",
    `  printf '%s\\n' ${shellQuote(info)} > "$fl_d/lock"`,
    `  L${fd}="$fl_d/lock"`,
    "  echo LOCKED",
    "}",
    `fleet_lock ${shellQuote(dir)}`,
  ].join("\n");
}

/**
 * A write sequence that releases the lock on `fd` after its last step, in the same request: the
 * steps run in a subshell as usual, the release in the server shell, only when every step
 * succeeded (ADR 215).
 */
export function writeSequenceThenUnlockScript(sequence: string, dir: string, fd: number): string {
  return [IN_SERVER, "(", sequence, `) && { rm -f -- ${shellQuote(`${dir}/lock`)}; L${fd}=; exec ${fd}>&-; }`].join("\n");
}

/** Release: remove the lock file (as the lock session did) and close the fd, which frees the flock. */
export function shellUnlockScript(dir: string, fd: number): string {
  return [IN_SERVER, `rm -f -- ${shellQuote(`${dir}/lock`)}`, `L${fd}=`, `exec ${fd}>&-`].join("\n");
}
