/**
 * Properties of the renderer over generated inputs: quoting round-trips to the exact strings the
 * user wrote (read back with a reference reading of systemd's unquoting rules), secrets never
 * reach a non-secret file, and record key order never changes a byte.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { composeStack } from "../../src/stack/compose.js";
import { renderSystemd } from "../../src/stack/render-systemd.js";
import { envFileLine, environmentAssignment, quoteExecArg } from "../../src/stack/systemd-quote.js";
import type { RecordValue, Value } from "../../src/lang/value.js";
import { secret, storePathOf, webModules } from "./fixtures.js";

const C_ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", '"': '"' };

/** systemd's word splitting with UNQUOTE|CUNESCAPE, for the subset of syntax fleet emits. */
function splitWords(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    if (line[i] === " ") {
      i++;
      continue;
    }
    let word = "";
    if (line[i] === '"') {
      i++;
      while (line[i] !== '"') {
        if (i >= line.length) throw new Error(`unterminated quote in ${line}`);
        if (line[i] === "\\") {
          const e = line[i + 1] ?? "";
          if (e === "x") {
            word += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
            i += 4;
            continue;
          }
          const c = C_ESCAPES[e];
          if (c === undefined) throw new Error(`unknown escape \\${e}`);
          word += c;
          i += 2;
          continue;
        }
        word += line[i];
        i++;
      }
      i++;
      if (i < line.length && line[i] !== " ") throw new Error("text glued to a quoted word");
    } else {
      while (i < line.length && line[i] !== " ") {
        if ('"\\\'$%;'.includes(line[i] ?? "")) throw new Error(`unescaped special in bare word ${line}`);
        word += line[i];
        i++;
      }
    }
    words.push(word);
  }
  return words;
}

const specifiers = (w: string) => w.replaceAll("%%", "%");
const dollars = (w: string) => w.replaceAll("$$", "$");

const anyText = fc.string({ unit: "binary", maxLength: 20 }).filter((s) => !s.includes("\0"));

describe("quoting round-trips", () => {
  it("ExecStart arguments come back as the exact argv", () => {
    fc.assert(
      fc.property(fc.array(anyText, { maxLength: 6 }), (args) => {
        const line = args.map(quoteExecArg).join(" ");
        expect(splitWords(line).map(specifiers).map(dollars)).toEqual(args);
      }),
    );
  });

  it("Environment= values come back exactly, with $ left literal", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}$/), anyText, (key, value) => {
        const words = splitWords(environmentAssignment(key, value)).map(specifiers);
        expect(words).toEqual([`${key}=${value}`]);
      }),
    );
  });

  it("env file lines come back exactly under systemd's double-quote rules (ADR 137)", () => {
    // systemd's env-file parser inside "…": `\` before one of " \ ` $ gives that character, before
    // a newline continues the line (gives nothing), before anything else stays a backslash;
    // every other byte, newline included, is kept. test/e2e/env-file-roundtrip runs the real one.
    const systemdUnquote = (body: string): string =>
      body.replace(/\\([\s\S])/g, (_, c: string) => ('"\\`$'.includes(c) ? c : c === "\n" ? "" : `\\${c}`));
    fc.assert(
      fc.property(anyText, (value) => {
        const line = envFileLine("K", value);
        const m = /^K="((?:[^"\\]|\\[\s\S])*)"$/.exec(line);
        expect(m).not.toBeNull();
        expect(systemdUnquote(m?.[1] ?? "")).toBe(value);
      }),
    );
  });
});

describe("rendering properties", () => {
  const envKey = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,6}$/);

  it("never writes a secret value into a non-secret file", () => {
    fc.assert(
      fc.property(
        fc.dictionary(envKey, fc.string({ maxLength: 12 }).map((s) => `SECRET-${s}`), { minKeys: 1, maxKeys: 4 }),
        fc.dictionary(envKey, fc.string({ maxLength: 12 }).filter((s) => !s.includes("SECRET")), { maxKeys: 4 }),
        (secretValues, literals) => {
          const environment: Record<string, Value> = { ...literals };
          const secrets = new Map<string, string>();
          for (const [key, value] of Object.entries(secretValues)) {
            environment[key] = secret("from_env", key);
            secrets.set(`from_env:${key}`, value);
          }
          const r = composeStack(webModules({ services: [{ name: "api", package: "Api", binary: "api", environment }] }), "WebStack");
          if (!r.stack) throw new Error(r.errors.map((e) => e.message).join("; "));
          const files = renderSystemd(r.stack, { storePathOf, secrets, artifacts: new Map() });
          for (const f of files.filter((x) => !x.secret)) expect(f.content.toString()).not.toContain("SECRET-");
          expect(files.filter((x) => x.secret).map((x) => [x.path, x.mode])).toEqual([["/etc/fleet/secrets/api.env", 0o600]]);
        },
      ),
      { numRuns: 50 },
    );
  });

  it("gives the same bytes for any key order of environment and serviceConfig", () => {
    const directiveKey = fc.stringMatching(/^[A-Z][A-Z0-9]{0,6}$/);
    const entries = fc.uniqueArray(fc.tuple(directiveKey, fc.string({ maxLength: 8 }).filter((s) => !/[\r\n\0]/.test(s))), { selector: (e) => e[0], maxLength: 6 });
    fc.assert(
      fc.property(entries, fc.func(fc.integer()), (pairs, order) => {
        const shuffled = [...pairs].sort((a, b) => order(a[0]) - order(b[0]) || (a[0] < b[0] ? -1 : 1));
        const render = (ps: (readonly [string, string])[]) => {
          const rec: RecordValue = Object.fromEntries(ps);
          const cfg: RecordValue = Object.fromEntries(ps.map(([k, v]) => [`X${k}`, v]));
          const r = composeStack(webModules({ services: [{ name: "api", package: "Api", binary: "api", environment: rec, serviceConfig: cfg }] }), "WebStack");
          if (!r.stack) throw new Error(r.errors.map((e) => e.message).join("; "));
          return renderSystemd(r.stack, { storePathOf, secrets: new Map(), artifacts: new Map() }).map((f) => f.content.toString("hex"));
        };
        expect(render(shuffled)).toEqual(render(pairs));
      }),
      { numRuns: 50 },
    );
  });
});
