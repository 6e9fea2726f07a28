/** Replaces one "## Title" section of BENCHMARKS.md, leaving every other section as it is. */
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const PATH = new URL("../../BENCHMARKS.md", import.meta.url);

export function writeSection(title: string, body: string): void {
  const section = `## ${title}\n\n${body.trim()}\n`;
  const old = existsSync(PATH) ? readFileSync(PATH, "utf8") : "# Benchmarks\n";
  const escaped = title.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const re = new RegExp(`## ${escaped}\\n[\\s\\S]*?(?=\\n## |$)`);
  const next = re.test(old) ? old.replace(re, () => section) : `${old.trimEnd()}\n\n${section}`;
  writeFileSync(PATH, next.endsWith("\n") ? next : `${next}\n`);
}
