/**
 * The one rule for the mode of a file fleet writes, config file or package file (ADR 136):
 * an octal string of three permission digits, optionally behind a `0` (`"644"`, `"0644"`), or
 * four digits whose first sets setuid (4), setgid (2) or sticky (1) (`"4755"`, `"04755"`). Those
 * special bits are refused unless the entry says `allowSpecialBits = true`.
 */

const MODE_TEXT = /^0?[0-7]{3,4}$/;

export type ModeCheck =
  | { readonly mode: number }
  | { readonly error: string; readonly hint: string };

const SPECIAL: readonly [number, string][] = [
  [0o4000, "setuid"],
  [0o2000, "setgid"],
  [0o1000, "sticky"],
];

/** `what` names the file for the message, e.g. `config file '/etc/x'`. */
export function checkFileMode(text: string, what: string, allowSpecialBits: boolean): ModeCheck {
  if (!MODE_TEXT.test(text)) {
    return { error: `mode '${text}' of ${what} is not an octal permission string`, hint: `write a mode such as "0644" or "0755"` };
  }
  const mode = Number.parseInt(text, 8);
  const bits = SPECIAL.filter(([b]) => (mode & b) !== 0).map(([, name]) => name);
  if (bits.length > 0 && !allowSpecialBits) {
    return {
      error: `mode '${text}' of ${what} sets the ${bits.join(" and ")} bit${bits.length > 1 ? "s" : ""}, which fleet refuses by default`,
      hint: `use a plain permission mode such as "0755", or add allowSpecialBits = true to this entry if the bit is really wanted`,
    };
  }
  return { mode };
}
