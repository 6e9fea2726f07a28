/**
 * ADR 105: the exec line means the same to every login shell, and the marker gate drops whatever
 * a start-up file printed. The line is run here by each shell as sshd would (`SHELL -c LINE`).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MarkerGate, newMarker, wrapScript } from "../../src/transport/ssh-wrap.js";

const SHELLS = ["/bin/sh", "/usr/bin/dash", "/bin/bash", "/usr/bin/fish", "/usr/bin/zsh"];
const present = SHELLS.filter((s) => existsSync(s));

/** Every quoting hazard of sh and fish at once, and every printable byte. */
const nasty = [
  `printf '%s\\n' "it's \\"q\\" \\\\ \\$HOME=$HOME %d %% \`printf x\`"`,
  `printf '%s' 'single \\ back' ; echo`,
  `v='é ü 日本'; echo "$v"`,
  `printf '%s\\n' '${Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i)).join("").replace(/'/g, "'\\''")}'`,
  "echo tab\there; echo last",
].join("\n");

describe("wrapScript", () => {
  it("fish, bash, dash and sh all run the script byte for byte, as /bin/sh would", () => {
    expect(present).toContain("/usr/bin/fish");
    const expected = execFileSync("/bin/sh", ["-c", nasty], { encoding: "utf8", env: { HOME: "/h", PATH: "/usr/bin:/bin" } });
    const m = newMarker();
    for (const shell of present) {
      const out = execFileSync(shell, ["-c", wrapScript(nasty, m)], { encoding: "utf8", env: { HOME: "/h", PATH: "/usr/bin:/bin" } });
      expect(out, shell).toBe(`${m}\n${expected}`);
    }
  });

  it("a new marker for every connection", () => {
    expect(newMarker()).toMatch(/^FLEET-[0-9a-f]{24}$/);
    expect(newMarker()).not.toBe(newMarker());
  });
});

describe("MarkerGate", () => {
  it("drops a greeting, and finds a marker split across chunks", () => {
    const g = new MarkerGate("FLEET-abc");
    expect(g.push(Buffer.from("Welcome to the host\nFLE")).length).toBe(0);
    expect(g.seen).toBe(false);
    expect(g.push(Buffer.from("ET-abc\nreal ")).toString()).toBe("real ");
    expect(g.seen).toBe(true);
    expect(g.preamble).toBe("Welcome to the host\n");
    expect(g.push(Buffer.from("output FLEET-abc\n")).toString()).toBe("output FLEET-abc\n");
  });

  it("keeps everything as the preamble when the marker never comes", () => {
    const g = new MarkerGate("FLEET-abc");
    g.push(Buffer.from("sudo: a password is required\n"));
    expect(g.seen).toBe(false);
    expect(g.preamble).toBe("sudo: a password is required\n");
  });
});
