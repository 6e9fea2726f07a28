// Starts `fleet lsp` for PCL documents (diagnostics, hover, definition, completion, formatting).
"use strict";
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("fleet").get("path", "fleet");
  const run = { command, args: ["lsp", "--stdio"], transport: TransportKind.stdio };
  client = new LanguageClient("fleet", "fleet", { run, debug: run }, {
    documentSelector: [{ scheme: "file", language: "pcl" }],
  });
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
