/** `fleet lsp`: the language server over stdio, loaded only when asked for (ADR 152). */
import type { Command } from "commander";

export function registerLsp(program: Command): void {
  program
    .command("lsp")
    .description("run the PCL language server over stdio (for editors)")
    .option("--stdio", "talk LSP over stdin/stdout (the default and only transport)")
    .action(async () => {
      const { startServer } = await import("../lsp/server.js");
      startServer();
      // The server runs until the client sends `exit` (vscode-languageserver then exits).
      await new Promise<never>(() => undefined);
    });
}
