import { evaluateProgram, type EvaluateOptions, type ProgramResult } from "../../src/lang/index.js";

export function run(text: string, options?: EvaluateOptions): ProgramResult {
  return evaluateProgram([{ path: "t.pcl", text }], options);
}

/** The codes of a program's diagnostics, in order. */
export function codes(text: string, options?: EvaluateOptions): string[] {
  return run(text, options).diagnostics.map((d) => d.code);
}

export function mod(text: string, name: string, options?: EvaluateOptions): unknown {
  const r = run(text, options);
  if (r.diagnostics.length > 0) throw new Error(r.diagnostics.map((d) => `${d.code} ${d.message}`).join("\n"));
  return JSON.parse(JSON.stringify(r.modules.get(name)));
}
