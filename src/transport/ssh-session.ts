/**
 * `fleet ssh`'s interactive session (issue 14, ADR 184): one shell on the target over the same
 * connection as every SSH operation (connectClient: keys, known_hosts, ssh_config, jump hosts),
 * with a pty when the operator's stdin is a terminal. The bytes go to the streams the caller
 * gives; resolves with the remote shell's exit status.
 */
import type { ClientChannel } from "ssh2";
import { FleetError } from "../fleet-error.js";
import { fleetMessages } from "../fleet-messages.js";
import { connectClient, type SshConnectOptions } from "./ssh-connect.js";

export interface SessionIo {
  readonly stdin: NodeJS.ReadStream;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
}

export async function interactiveSession(opts: SshConnectOptions, io: SessionIo): Promise<number> {
  const { client } = await connectClient(opts);
  const tty = Boolean(io.stdin.isTTY);
  const pty = tty ? { term: process.env["TERM"] ?? "xterm", cols: io.stdout.columns ?? 80, rows: io.stdout.rows ?? 24 } : false;
  let stream: ClientChannel;
  try {
    stream = await new Promise<ClientChannel>((resolve, reject) => {
      client.shell(pty, (err, s) => (err ? reject(new FleetError(fleetMessages.serverRefusedShell(opts.target, err.message))) : resolve(s)));
    });
  } catch (e) {
    client.end();
    throw e;
  }
  const resize = (): void => void stream.setWindow(io.stdout.rows ?? 24, io.stdout.columns ?? 80, 0, 0);
  if (tty) {
    io.stdin.setRawMode(true);
    io.stdout.on("resize", resize);
  }
  return new Promise<number>((resolve) => {
    let code = 255;
    stream.on("exit", (c: number | null) => {
      if (typeof c === "number") code = c;
    });
    stream.on("close", () => {
      if (tty) {
        io.stdin.setRawMode(false);
        io.stdout.off("resize", resize);
      }
      io.stdin.unpipe(stream);
      io.stdin.pause();
      client.end();
      resolve(code);
    });
    stream.pipe(io.stdout, { end: false });
    stream.stderr.pipe(io.stderr, { end: false });
    io.stdin.pipe(stream);
  });
}
