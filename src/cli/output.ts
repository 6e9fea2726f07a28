/** The CLI's two streams, with colour only on a TTY and never under NO_COLOR. */
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

function colourOn(stream: NodeJS.WriteStream): boolean {
  return Boolean(stream.isTTY) && (process.env["NO_COLOR"] === undefined || process.env["NO_COLOR"] === "");
}

export function processOutput(): Output {
  const c = colourOn(process.stdout) && colourOn(process.stderr);
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
