/**
 * Quoting for the three places fleet writes user strings into systemd syntax (ADR 031).
 *
 * systemd unquotes `ExecStart=` words and `Environment=` assignments with C-style escapes, and
 * expands `%` specifiers in both; `ExecStart=` additionally expands `$VAR` at exec time. Words
 * made only of "safe" characters are written bare so common units stay readable.
 */

const SAFE_WORD = /^[A-Za-z0-9_@+=:,./-]+$/;

/** C-style escapes systemd's unquoting understands, for the characters that would break a line. */
function cEscape(s: string): string {
  let out = "";
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === "\\") out += "\\\\";
    else if (ch === '"') out += '\\"';
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out;
}

/** One argument of `ExecStart=`: `%` → `%%`, `$` → `$$`, quoted when not a safe bare word. */
export function quoteExecArg(arg: string): string {
  if (SAFE_WORD.test(arg)) return arg;
  return `"${cEscape(arg).replaceAll("%", "%%").replaceAll("$", "$$$$")}"`;
}

/** The value of one `Environment=` line: `KEY=value`, quoted whole when the value needs it. */
export function environmentAssignment(key: string, value: string): string {
  const assignment = `${key}=${value}`;
  if (value !== "" && SAFE_WORD.test(value)) return assignment;
  // `$` is literal in Environment= (no expansion), but `%` is a specifier.
  return `"${cEscape(assignment).replaceAll("%", "%%")}"`;
}

/**
 * One assignment of an `EnvironmentFile=` (SPEC §3, ADR 137): `KEY="value"` with `\`, `"` and `$`
 * escaped as `\\`, `\"`, `\$`. A newline is written as itself: systemd's env-file parser keeps
 * every byte inside double quotes but turns only `\"`, `\\`, `\``, `\$` back into one character
 * (`\n` would reach the service as a backslash and an `n`), so a multi-line value (a PEM key)
 * spans several lines of the file and is read back byte for byte. Specifiers are not expanded in
 * env files, so `%` stays. NUL is refused by the caller: no env file can hold it.
 */
export function envFileLine(key: string, value: string): string {
  const escaped = value.replace(/[\\"$]/g, (c) => `\\${c}`);
  return `${key}="${escaped}"`;
}
