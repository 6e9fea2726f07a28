/**
 * One HTTP/1.0 GET over a TCP stream to the target's loopback (health checks of kind `url`,
 * issue 11): over SSH the stream is a forwarded channel (ssh2 `forwardOut`), so the target needs
 * no curl. Only the status line is read.
 */
import type { Duplex } from "node:stream";

export type HttpProbe = { readonly status: number } | { readonly error: string };

export function httpGetOver(open: () => Promise<Duplex>, port: number, path: string, timeoutMs: number): Promise<HttpProbe> {
  return new Promise((resolve) => {
    let done = false;
    let stream: Duplex | undefined;
    const finish = (r: HttpProbe): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      stream?.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ error: `no answer within ${timeoutMs / 1000}s` }), timeoutMs);
    open().then(
      (s) => {
        stream = s;
        if (done) return void s.destroy();
        let head = "";
        s.on("data", (b: Buffer) => {
          head += b.toString("latin1");
          const m = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(head);
          if (m) finish({ status: Number(m[1]) });
          else if (head.includes("\r\n") || head.length > 1024) finish({ error: "not an HTTP answer" });
        });
        s.on("error", (e: Error) => finish({ error: e.message }));
        s.on("close", () => finish({ error: head === "" ? "connection closed without an answer" : "not an HTTP answer" }));
        s.write(`GET ${path} HTTP/1.0\r\nHost: 127.0.0.1:${port}\r\nUser-Agent: fleet-health\r\nConnection: close\r\n\r\n`);
      },
      (e: unknown) => finish({ error: e instanceof Error ? e.message : String(e) }),
    );
  });
}
