/**
 * `fleet lsp` driven by a real LSP client over stdio (issue 16): the built CLI is started as an
 * editor would start it, and a vscode-jsonrpc connection sends initialize, didOpen, didChange,
 * hover, definition, completion and formatting, and reads publishDiagnostics.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from "vscode-jsonrpc/node";
import { FLEET_BIN } from "../support/cli.js";
import { REPO_ROOT } from "../support/cli.js";
import { tempDir } from "../support/temp-dir.js";

interface Diag {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  code: string;
  message: string;
}

let dir: string;
let child: ChildProcess;
let conn: MessageConnection;
const published = new Map<string, Diag[][]>();
const waiters: (() => void)[] = [];

const uri = (rel: string): string => pathToFileURL(join(dir, rel)).href;

/** The next diagnostics published for `u` after `since` earlier publications. */
async function diagnosticsFor(u: string, since: number): Promise<Diag[]> {
  for (let k = 0; k < 400; k++) {
    const list = published.get(u) ?? [];
    if (list.length > since) return list[since] as Diag[];
    await new Promise<void>((resolve) => {
      waiters.push(resolve);
      setTimeout(resolve, 100);
    });
  }
  throw new Error(`no diagnostics published for ${u}`);
}

function open(rel: string, text = readFileSync(join(dir, rel), "utf8")): void {
  void conn.sendNotification("textDocument/didOpen", { textDocument: { uri: uri(rel), languageId: "pcl", version: 1, text } });
}

beforeAll(async () => {
  dir = tempDir("fleet-lsp-");
  cpSync(join(REPO_ROOT, "examples"), dir, { recursive: true });
  child = spawn(process.execPath, [FLEET_BIN, "lsp", "--stdio"], { cwd: dir, stdio: ["pipe", "pipe", "pipe"] });
  conn = createMessageConnection(new StreamMessageReader(child.stdout as NonNullable<ChildProcess["stdout"]>), new StreamMessageWriter(child.stdin as NonNullable<ChildProcess["stdin"]>));
  conn.onNotification("textDocument/publishDiagnostics", (p: { uri: string; diagnostics: Diag[] }) => {
    published.set(p.uri, [...(published.get(p.uri) ?? []), p.diagnostics]);
    for (const w of waiters.splice(0)) w();
  });
  conn.listen();
  const init = (await conn.sendRequest("initialize", { processId: process.pid, rootUri: pathToFileURL(dir).href, capabilities: {} })) as {
    capabilities: Record<string, unknown>;
  };
  expect(init.capabilities).toMatchObject({ hoverProvider: true, definitionProvider: true, documentFormattingProvider: true });
  expect(init.capabilities["completionProvider"]).toBeDefined();
  await conn.sendNotification("initialized", {});
}, 120_000);

afterAll(async () => {
  if (conn !== undefined) {
    await conn.sendRequest("shutdown").catch(() => undefined);
    await conn.sendNotification("exit").catch(() => undefined);
    conn.dispose();
  }
  await new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", () => resolve());
    setTimeout(() => {
      child.kill();
      resolve();
    }, 5000);
  });
  rmSync(dir, { recursive: true, force: true });
});

describe("fleet lsp over stdio", () => {
  it("publishes no diagnostics for a host file checked with its fleet's injected Fleet module", async () => {
    open("mesh/hosts/node.pcl");
    expect(await diagnosticsFor(uri("mesh/hosts/node.pcl"), 0)).toEqual([]);
  });

  it("publishes located diagnostics on change, as fleet check reports them, and clears them when fixed", async () => {
    const u = uri("mesh/hosts/node.pcl");
    const text = readFileSync(join(dir, "mesh/hosts/node.pcl"), "utf8");
    const broken = text.replace("Fleet.self.ip", "Fleet.self.ipp");
    void conn.sendNotification("textDocument/didChange", { textDocument: { uri: u, version: 2 }, contentChanges: [{ text: broken }] });
    const diags = await diagnosticsFor(u, 1);
    expect(diags).toHaveLength(1);
    const d = diags[0] as Diag;
    expect(d.code).toBe("E2");
    const line = broken.split("\n")[d.range.start.line] ?? "";
    expect(line.slice(d.range.start.character, d.range.end.character)).toMatch(/ipp/);
    void conn.sendNotification("textDocument/didChange", { textDocument: { uri: u, version: 3 }, contentChanges: [{ text }] });
    expect(await diagnosticsFor(u, 2)).toEqual([]);
  });

  it("reports a syntax error in a file opened on its own with [E8] at its position", async () => {
    open("scenarios/broken.pcl", "module A {\n  x = \n}\n");
    const diags = await diagnosticsFor(uri("scenarios/broken.pcl"), 0);
    expect(diags.map((d) => d.code)).toEqual(["E8"]);
    expect(diags[0]?.range.start.line).toBe(2);
  });

  it("hover shows a field's type and its why chain, winner last", async () => {
    open("scenarios/web.pcl");
    const text = readFileSync(join(dir, "scenarios/web.pcl"), "utf8");
    const lines = text.split("\n");
    const line = lines.findIndex((l) => l.trim().startsWith("port = 8080"));
    const hover = (await conn.sendRequest("textDocument/hover", {
      textDocument: { uri: uri("scenarios/web.pcl") },
      position: { line, character: lines[line]?.indexOf("port") ?? 0 },
    })) as { contents: { value: string } };
    expect(hover.contents.value).toContain("**Settings.port**");
    expect(hover.contents.value).toContain("value: `8080`");
    expect(hover.contents.value).toMatch(/web\.pcl:\d+: base, priority 0: `8080` \(winner\)/);

    const backend = lines.findIndex((l) => l.trim().startsWith('backend = "systemd"'));
    const typed = (await conn.sendRequest("textDocument/hover", {
      textDocument: { uri: uri("scenarios/web.pcl") },
      position: { line: backend, character: (lines[backend]?.indexOf("backend") ?? 0) + 2 },
    })) as { contents: { value: string } };
    expect(typed.contents.value).toContain("**WebStack.backend**: `Str`");
  });

  it("go to definition: a Module.field reference jumps to the field, a host file to the file", async () => {
    open("quickstart/hosts/db.pcl");
    const text = readFileSync(join(dir, "quickstart/hosts/db.pcl"), "utf8");
    const lines = text.split("\n");
    const use = lines.findIndex((l) => l.includes("${DbSettings.port}"));
    const def = (await conn.sendRequest("textDocument/definition", {
      textDocument: { uri: uri("quickstart/hosts/db.pcl") },
      position: { line: use, character: (lines[use]?.indexOf("DbSettings.port") ?? 0) + 12 },
    })) as { uri: string; range: { start: { line: number; character: number } } }[];
    const portLine = lines.findIndex((l) => l.trim().startsWith("port = 5432"));
    // The field's contribution: its value where it is given.
    const at = lines[portLine]?.indexOf("5432") ?? -1;
    expect(def).toEqual([{ uri: uri("quickstart/hosts/db.pcl"), range: { start: { line: portLine, character: at }, end: { line: portLine, character: at + 4 } } }]);

    open("quickstart/fleet.pcl");
    const fleet = readFileSync(join(dir, "quickstart/fleet.pcl"), "utf8").split("\n");
    const fileLine = fleet.findIndex((l) => l.includes('file = "hosts/db.pcl"'));
    const host = (await conn.sendRequest("textDocument/definition", {
      textDocument: { uri: uri("quickstart/fleet.pcl") },
      position: { line: fileLine, character: (fleet[fileLine]?.indexOf("hosts/db") ?? 0) + 3 },
    })) as { uri: string };
    expect(host.uri).toBe(uri("quickstart/hosts/db.pcl"));
  });

  it("completes schema field names where a field goes and module names where a value goes", async () => {
    const text = 'module Api {\n  pname = "api"\n  version = "1"\n  recipe = "std.files"\n  \n}\nmodule S {\n  backend = "systemd"\n  services = [{ \n  }]\n  storeModules = [\n}\n';
    open("scenarios/typing.pcl", text);
    const labels = async (line: number, character: number): Promise<string[]> =>
      ((await conn.sendRequest("textDocument/completion", { textDocument: { uri: uri("scenarios/typing.pcl") }, position: { line, character } })) as { label: string }[]).map((i) => i.label).sort();
    expect(await labels(4, 2)).toEqual(["deps", "files", "pname", "recipe", "source", "version"]);
    expect(await labels(8, 16)).toEqual(["args", "binary", "dependsOn", "enable", "environment", "name", "package", "reloadIfChanged", "restartTriggers", "serviceConfig"]);
    expect(await labels(10, 18)).toEqual(["Api", "S"]);
  });

  it("formats a document through fmt", async () => {
    open("scenarios/ugly.pcl", "module A { x = 1 ; y = [ 1,2 ] }\n");
    const edits = (await conn.sendRequest("textDocument/formatting", {
      textDocument: { uri: uri("scenarios/ugly.pcl") },
      options: { tabSize: 2, insertSpaces: true },
    })) as { newText: string; range: unknown }[];
    expect(edits).toEqual([{ range: { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } }, newText: "module A {\n  x = 1\n  y = [1, 2]\n}\n" }]);
  });
});
