/**
 * A userspace TCP delay proxy (the kernel here has no netem): one child process listens on a
 * port per upstream and holds every chunk for `delayMs` in each direction before passing it on,
 * in order (one delay queue per direction). 25 ms each way gives a 50 ms round-trip time.
 * Bandwidth is not limited; only latency is added.
 */
import { spawn, type ChildProcess } from "node:child_process";

const PROXY_SCRIPT = `
const net = require("node:net");
const delay = Number(process.argv[1]);
const ups = process.argv.slice(2).map(Number);
/** A sink that delivers chunks to 'to' delay ms after they arrived, in arrival order. */
function delayed(to) {
  const q = [];
  let timer = null;
  const flush = () => {
    timer = null;
    const now = performance.now();
    while (q.length > 0 && q[0].due <= now + 0.5) {
      const item = q.shift();
      if (item.end) to.end(); else to.write(item.buf);
    }
    if (q.length > 0) timer = setTimeout(flush, Math.max(0, q[0].due - performance.now()));
  };
  const push = (item) => {
    item.due = performance.now() + delay;
    q.push(item);
    if (timer === null) timer = setTimeout(flush, Math.max(0, q[0].due - performance.now()));
  };
  return { data: (buf) => push({ buf }), end: () => push({ end: true }) };
}
const out = [];
let ready = 0;
for (const up of ups) {
  const srv = net.createServer((client) => {
    client.setNoDelay(true);
    const server = net.connect(up, "127.0.0.1");
    server.setNoDelay(true);
    const toServer = delayed(server);
    const toClient = delayed(client);
    client.on("data", toServer.data);
    client.on("end", toServer.end);
    server.on("data", toClient.data);
    server.on("end", toClient.end);
    const kill = () => { client.destroy(); server.destroy(); };
    client.on("error", kill);
    server.on("error", kill);
    client.on("close", () => setTimeout(() => server.destroy(), delay + 5));
    server.on("close", () => setTimeout(() => client.destroy(), delay + 5));
  });
  srv.listen(0, "127.0.0.1", () => {
    out[ups.indexOf(up)] = srv.address().port;
    if (++ready === ups.length) process.stdout.write(JSON.stringify(out) + "\\n");
  });
}
`;

export interface DelayProxy {
  /** Listening port in front of each upstream port, in the order given. */
  readonly ports: readonly number[];
  stop(): Promise<void>;
}

export async function startDelayProxy(upstreamPorts: readonly number[], delayMs: number): Promise<DelayProxy> {
  const child: ChildProcess = spawn(process.execPath, ["-e", PROXY_SCRIPT, String(delayMs), ...upstreamPorts.map(String)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const ports = await new Promise<number[]>((resolve, reject) => {
    let buf = "";
    child.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      if (buf.includes("\n")) resolve(JSON.parse(buf.split("\n")[0]!) as number[]);
    });
    child.once("exit", (code) => reject(new Error(`delay proxy exited with ${code}`)));
  });
  return {
    ports,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}
