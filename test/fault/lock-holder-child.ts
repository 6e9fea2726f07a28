/**
 * Holds a stack's lock from a separate process until killed or until stdin ends.
 * Usage: node --import tsx lock-holder-child.ts <root> <dir>
 */
import { hostname } from "node:os";
import { LocalTransport } from "../../src/transport/local.js";

const [root, dir] = process.argv.slice(2) as [string, string];
const t = new LocalTransport({ root, target: "ssh://ops@web.internal", user: "ops" });
const lock = await t.acquireLock(dir, { host: hostname(), pid: process.pid, startedAt: "2026-11-25T09:30:00.000Z" });
process.stdout.write("LOCKED\n");
process.stdin.resume();
process.stdin.on("end", () => void lock.release().then(() => process.exit(0)));
