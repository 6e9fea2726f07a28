/**
 * `man/fleet.1`, generated from the commander program's own help text (command-spec.ts) plus the
 * exit codes and environment variables, so that a command or flag added later appears in it
 * (ADR 151). `npm run man` rewrites the file; a test checks the committed one is current.
 */
import type { OptionSpec, ProgramSpec } from "./command-spec.js";

/** Text safe for roff: backslashes, hyphens, and a leading `.` or `'`. */
function roff(s: string): string {
  return s.replace(/\\/g, "\\e").replace(/-/g, "\\-").replace(/^([.'])/gm, "\\&$1");
}

function option(o: OptionSpec): string {
  return `.TP\n.B ${roff(o.term)}\n${roff(o.description)}\n`;
}

const EXIT_CODES: readonly [string, string][] = [
  ["0", "Success: every selected host deployed, rolled back or checked, or the files check and format cleanly."],
  ["1", "Failure: a located language error, a host that failed, drift found by verify, or files fmt --check would change."],
  ["2", "Usage error: an unknown command or flag, a missing or malformed argument, a missing input file, an unknown scenario. Nothing is touched."],
  ["70", "Internal error: a bug in fleet; the stack trace printed with it belongs in a report."],
];

const ENVIRONMENT: readonly [string, string][] = [
  ["FLEET_STORE_DIR", "The local store, when --store-root is not given (default ~/.fleet/store)."],
  ["FLEET_DEPLOYMENTS_DIR", "Where each host's gen-NNN.json manifests live, when --deployments-root is not given (default ~/.fleet/deployments)."],
  ["NO_COLOR", "When set to a non-empty value, no escape code is written: no colour and no live progress area (--color always still colours)."],
  ["FORCE_COLOR", "Colour the markers even off a terminal (0 or false turn colour off); the live progress area is still drawn only on a terminal."],
  ["CLICOLOR_FORCE", "Like FORCE_COLOR when set to a non-empty value other than 0."],
  ["TERM", "dumb: no escape codes at all (no colour, no live progress area)."],
  ["FLEET_DEPLOYER", "Who is recorded as having deployed or rolled back a generation (default user@hostname), shown by fleet status."],
];

export function manPage(spec: ProgramSpec, version: string): string {
  const out: string[] = [];
  out.push(`.\\" Generated from the ${spec.name} command line by \`npm run man\`; do not edit.`);
  out.push(`.TH ${spec.name.toUpperCase()} 1 "" "${spec.name} ${version}" "User Commands"`);
  out.push(".SH NAME", `${spec.name} \\- ${roff(spec.description)}`);
  out.push(".SH SYNOPSIS", `.B ${spec.name}`, "\\fIcommand\\fR [\\fIoptions\\fR] [\\fIarguments\\fR]");
  out.push(".br", `.B ${spec.name}`, "[\\fB\\-V\\fR | \\fB\\-h\\fR]");
  out.push(
    ".SH DESCRIPTION",
    roff(`${spec.name} reads a fleet of hosts described in PCL, a small typed language; checks it and reports every mistake with its location; orders the hosts so that producers of cross-host artifacts deploy before their consumers; builds what each host needs into a content-addressed store; pushes it over SSH; and switches each host to a new numbered generation atomically. ${spec.name} rollback puts every host back on its previous generation, byte for byte.`),
  );
  out.push(".SH OPTIONS");
  for (const o of spec.options) out.push(option(o).trimEnd());
  out.push(".SH COMMANDS");
  for (const c of spec.commands) {
    out.push(`.SS "${roff(`${spec.name} ${c.usage}`)}"`, roff(c.description));
    for (const a of c.arguments) out.push(`.TP\n.I ${roff(a.term)}\n${roff(a.description)}${a.choices.length > 0 ? roff(` (one of: ${a.choices.join(", ")})`) : ""}`);
    for (const o of c.options) out.push(option(o).trimEnd());
  }
  out.push(".SH EXIT STATUS");
  for (const [code, text] of EXIT_CODES) out.push(`.TP\n.B ${code}\n${roff(text)}`);
  out.push(".SH ENVIRONMENT");
  for (const [name, text] of ENVIRONMENT) out.push(`.TP\n.B ${name}\n${roff(text)}`);
  out.push(".SH FILES", ".TP", ".I ~/.fleet/store", "The content\\-addressed store.", ".TP", ".I ~/.fleet/deployments", "One directory per host with its numbered generation manifests.");
  out.push(".SH SEE ALSO", roff(`${spec.name} completion bash|zsh|fish prints a shell completion script. ${spec.name} lsp is the language server editors start.`));
  return `${out.join("\n")}\n`;
}
