/**
 * The CLI's two streams and what they may hold besides text (ADR 225): colour when `--color`,
 * `NO_COLOR`, `FORCE_COLOR` / `CLICOLOR_FORCE` or the terminal say so, and whether the live
 * progress area (cursor movement) may be drawn on stderr.
 */

/** `--color auto|always|never` (a global flag). */
export type ColorChoice = "auto" | "always" | "never";
export const COLOR_CHOICES: readonly ColorChoice[] = ["auto", "always", "never"];

let colorChoice: ColorChoice = "auto";

/** Set once from the parsed `--color` flag, before a command's action runs. */
export function setColorChoice(c: ColorChoice): void {
  colorChoice = c;
}

export interface Output {
  out(line: string): void;
  err(line: string): void;
  /** Already-formatted text (diagnostics), newline added when missing. */
  errRaw(text: string): void;
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  readonly isTTY: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

const set = (v: string | undefined): boolean => v !== undefined && v !== "";

/** `TERM=dumb` (Emacs shells, some CI logs): a terminal that understands no escape sequence. */
function dumb(env: Env): boolean {
  return env["TERM"] === "dumb";
}

/**
 * The user asked for no escape sequences at all: `--color never`, or `NO_COLOR` under `auto`.
 * Then neither colour nor the live area is drawn.
 */
export function escapesRefused(env: Env = process.env, choice: ColorChoice = colorChoice): boolean {
  return choice === "never" || (choice === "auto" && set(env["NO_COLOR"]));
}

/**
 * Colour, in this order: `--color always|never`; `NO_COLOR`; `FORCE_COLOR` (`0`/`false`: off,
 * anything else: on) and `CLICOLOR_FORCE` (non-empty, not `0`: on); else only when both streams
 * are terminals other than `TERM=dumb`.
 */
export function colorWanted(
  streams: { readonly stdout: { readonly isTTY?: boolean }; readonly stderr: { readonly isTTY?: boolean } } = process,
  env: Env = process.env,
  choice: ColorChoice = colorChoice,
): boolean {
  if (choice !== "auto") return choice === "always";
  if (escapesRefused(env, choice)) return false;
  const force = env["FORCE_COLOR"];
  if (force !== undefined) return force !== "0" && force !== "false";
  if (set(env["CLICOLOR_FORCE"]) && env["CLICOLOR_FORCE"] !== "0") return true;
  return Boolean(streams.stdout.isTTY) && Boolean(streams.stderr.isTTY) && !dumb(env);
}

/** The live progress area: stderr is a terminal that takes cursor movement, and escapes are not refused. */
export function liveAreaWanted(stream: { readonly isTTY?: boolean } = process.stderr, env: Env = process.env, choice: ColorChoice = colorChoice): boolean {
  return Boolean(stream.isTTY) && !dumb(env) && !escapesRefused(env, choice);
}

export function processOutput(): Output {
  const c = colorWanted();
  const paint = (code: number) => (s: string) => (c ? `\u001b[${code}m${s}\u001b[0m` : s);
  return {
    out: (line) => void process.stdout.write(`${line}\n`),
    err: (line) => void process.stderr.write(`${line}\n`),
    errRaw: (text) => void process.stderr.write(text.endsWith("\n") ? text : `${text}\n`),
    green: paint(32),
    red: paint(31),
    yellow: paint(33),
    dim: paint(2),
    isTTY: Boolean(process.stderr.isTTY),
  };
}
