/**
 * `fleet lsp`: a Language Server over stdio (ADR 152) on vscode-languageserver. Diagnostics as
 * `fleet check` gives them, on open and on every change; hover with the field's type and its
 * `why` chain; go to definition of `Module.field` references and of host `file`s; completion of
 * schema field names and module names; formatting through `fleet fmt`'s engine.
 */
import { dirname, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { TextDocument } from "vscode-languageserver-textdocument";
import {
  CompletionItemKind,
  createConnection,
  DiagnosticSeverity,
  MarkupKind,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type CompletionItem,
  type Connection,
  type Diagnostic as LspDiagnostic,
  type Location,
} from "vscode-languageserver/node";
import { resolveHostFile } from "../../load/fleet-load.js";
import { evaluateProgram, formatSource, why, type Span, type Value } from "../../lang/index.js";
import { cursorContext, describeSchema, moduleSchema, schemaAt } from "./cursor-context.js";
import { definesFleet, diskOrBuffer, documentDiagnostics, evaluationsOf, type ReadText } from "./program-context.js";

const pathOf = (uri: string): string | undefined => (uri.startsWith("file://") ? fileURLToPath(uri) : undefined);

/** The dotted name under the cursor (`Settings.port`), with its start and end offsets. */
function nameAt(text: string, offset: number): { name: string; start: number; end: number } | undefined {
  const isName = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_.-]/.test(c);
  let start = offset;
  while (start > 0 && isName(text[start - 1])) start--;
  let end = offset;
  while (isName(text[end])) end++;
  const name = text.slice(start, end).replace(/^\.+|\.+$/g, "");
  return /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$/.test(name) ? { name, start, end } : undefined;
}

/** A field name (followed by `=`, not `==`/`=>`) rather than a reference. */
const isFieldName = (text: string, end: number): boolean => /^\s*=(?![=>])/.test(text.slice(end));

const show = (v: Value | undefined): string => (v === undefined ? "(no value)" : JSON.stringify(v));

export function startServer(connection: Connection = createConnection(ProposedFeatures.all)): void {
  const documents = new TextDocuments(TextDocument);
  const read = (): ReadText => {
    const buffers = new Map<string, string>();
    for (const d of documents.all()) {
      const p = pathOf(d.uri);
      if (p !== undefined) buffers.set(p, d.getText());
    }
    return diskOrBuffer(buffers);
  };
  const rangeOf = (doc: TextDocument, span: Span) => ({ start: doc.positionAt(span.offset), end: doc.positionAt(span.offset + span.length) });
  const locationOf = (span: Span, reader: ReadText): Location => {
    const open = documents.all().find((d) => pathOf(d.uri) === span.file);
    const doc = open ?? TextDocument.create(pathToFileURL(span.file).href, "pcl", 0, reader(span.file) ?? "");
    return { uri: doc.uri, range: rangeOf(doc, span) };
  };

  const validate = (doc: TextDocument): void => {
    const path = pathOf(doc.uri);
    if (path === undefined) return;
    const diagnostics: LspDiagnostic[] = documentDiagnostics(path, read()).map((d) => ({
      range: rangeOf(doc, d.span),
      severity: DiagnosticSeverity.Error,
      code: d.code,
      source: "fleet",
      message: d.hint ? `${d.message}\nhint: ${d.hint}` : d.message,
    }));
    void connection.sendDiagnostics({ uri: doc.uri, diagnostics });
  };

  connection.onInitialize(() => ({
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      hoverProvider: true,
      definitionProvider: true,
      documentFormattingProvider: true,
      completionProvider: { triggerCharacters: ["."] },
    },
    serverInfo: { name: "fleet" },
  }));

  // Fired on open as well as on every change.
  documents.onDidChangeContent((e) => validate(e.document));
  documents.onDidClose((e) => void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] }));

  connection.onHover(({ textDocument, position }) => {
    const doc = documents.get(textDocument.uri);
    const path = pathOf(textDocument.uri);
    if (doc === undefined || path === undefined) return null;
    const text = doc.getText();
    const offset = doc.offsetAt(position);
    const at = nameAt(text, offset);
    if (at === undefined) return null;
    const ctx = cursorContext(text, at.start);
    let field = at.name;
    let type: string | undefined;
    if (isFieldName(text, at.end) && ctx?.decl !== undefined) {
      const steps = [...ctx.path, ...at.name.split(".")];
      if (ctx.decl.kind === "module") {
        const s = schemaAt(moduleSchema(text, ctx.decl.name), steps);
        if (s !== undefined) type = describeSchema(s);
        if (steps.includes("[]")) field = "";
        else field = `${ctx.decl.name}.${steps.join(".")}`;
      }
    } else if (!at.name.includes(".")) return null;
    const reader = read();
    const evaluation = evaluationsOf(path, reader)[0];
    const lines: string[] = [];
    if (field !== "" && evaluation !== undefined) {
      const r = why(evaluation.files, field, { injected: evaluation.injected });
      if (r.value !== undefined) {
        lines.push(`**${field}**${type ? `: \`${type}\`` : ""}`, "", `value: \`${show(r.value)}\``, "");
        r.chain.forEach((c, k) => {
          const where = `${relative(dirname(path), c.span.file) || c.span.file}:${doc.positionAt(c.span.offset).line + 1}`;
          lines.push(`- ${where}: ${c.origin}, priority ${c.priority}: \`${show(c.value)}\`${k === r.chain.length - 1 ? " (winner)" : ""}`);
        });
      }
    }
    if (lines.length === 0 && type !== undefined) lines.push(`**${at.name}**: \`${type}\``);
    if (lines.length === 0) return null;
    return { contents: { kind: MarkupKind.Markdown, value: lines.join("\n") } };
  });

  connection.onDefinition(({ textDocument, position }) => {
    const doc = documents.get(textDocument.uri);
    const path = pathOf(textDocument.uri);
    if (doc === undefined || path === undefined) return null;
    const text = doc.getText();
    const offset = doc.offsetAt(position);
    const reader = read();
    // A host record's `file = "hosts/x.pcl"` in a fleet file: the host file.
    if (definesFleet(text)) {
      const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
      const m = /\bfile\s*=\s*"([^"]*)"/g;
      const lineEnd = text.indexOf("\n", offset) < 0 ? text.length : text.indexOf("\n", offset);
      for (const hit of text.slice(lineStart, lineEnd).matchAll(m)) {
        const from = lineStart + (hit.index ?? 0);
        if (offset < from || offset > from + hit[0].length) continue;
        const r = resolveHostFile(dirname(path), hit[1] ?? "");
        if ("error" in r) return null;
        return { uri: pathToFileURL(r.abs).href, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } };
      }
    }
    const at = nameAt(text, offset);
    if (at === undefined || isFieldName(text, at.end)) return null;
    const evaluation = evaluationsOf(path, reader)[0];
    if (evaluation === undefined) return null;
    if (!at.name.includes(".")) {
      const span = evaluateProgram(evaluation.files, { injected: evaluation.injected }).moduleSpans.get(at.name);
      return span ? locationOf(span, reader) : null;
    }
    // `Module.field.sub`: where the field is given (every contribution, base first).
    const parts = at.name.split(".");
    for (let n = parts.length; n >= 2; n--) {
      const r = why(evaluation.files, parts.slice(0, n).join("."), { injected: evaluation.injected });
      if (r.chain.length > 0) return r.chain.map((c) => locationOf(c.span, reader));
    }
    const span = evaluateProgram(evaluation.files, { injected: evaluation.injected }).moduleSpans.get(parts[0] ?? "");
    return span ? locationOf(span, reader) : null;
  });

  connection.onCompletion(({ textDocument, position }) => {
    const doc = documents.get(textDocument.uri);
    const path = pathOf(textDocument.uri);
    if (doc === undefined || path === undefined) return [];
    const text = doc.getText();
    const ctx = cursorContext(text, doc.offsetAt(position));
    if (ctx === undefined) return [];
    const items: CompletionItem[] = [];
    if (ctx.atFieldName && ctx.decl?.kind === "module") {
      const s = schemaAt(moduleSchema(text, ctx.decl.name), ctx.path);
      if (s?.k === "rec") {
        for (const [name, f] of Object.entries(s.fields)) {
          items.push({ label: name, kind: CompletionItemKind.Field, detail: `${describeSchema(f.s)}${f.optional ? " (optional)" : ""}` });
        }
      }
      return items;
    }
    if (ctx.atFieldName) return items;
    // A value: module names of the program (its own and injected ones).
    const evaluation = evaluationsOf(path, read())[0];
    const names = new Set<string>();
    for (const m of text.matchAll(/(?:^|\n)\s*module\s+([A-Za-z_][A-Za-z0-9_-]*)/g)) if (m[1]) names.add(m[1]);
    for (const i of evaluation?.injected ?? []) names.add(i.name);
    for (const n of [...names].sort()) items.push({ label: n, kind: CompletionItemKind.Module });
    return items;
  });

  connection.onDocumentFormatting(({ textDocument }) => {
    const doc = documents.get(textDocument.uri);
    if (doc === undefined) return null;
    const r = formatSource({ path: pathOf(doc.uri) ?? doc.uri, text: doc.getText() });
    if (!r.ok || r.text === doc.getText()) return [];
    return [{ range: { start: { line: 0, character: 0 }, end: doc.positionAt(doc.getText().length) }, newText: r.text }];
  });

  documents.listen(connection);
  connection.listen();
}
