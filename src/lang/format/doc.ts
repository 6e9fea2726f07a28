/**
 * A small Wadler-style pretty printer (ADR 150). A group is printed flat when it fits the
 * remaining width and holds no forced break, else broken (every `line` a new line). Comments
 * take part as documents: leading comments always stand on lines of their own; a trailing
 * comment is a line suffix, written at the end of the line it ends up on, and only a suffix with
 * more text after it inside a group keeps that group from being flat.
 */
import type { Comment } from "./trivia-tokens.js";

export type Doc =
  | string
  | readonly Doc[]
  | { readonly t: "raw"; readonly text: string }
  | { readonly t: "indent"; readonly doc: Doc }
  | { readonly t: "group"; readonly doc: Doc }
  | { readonly t: "line" }
  | { readonly t: "softline" }
  | { readonly t: "hardline" }
  | { readonly t: "blank" }
  | { readonly t: "ifBreak"; readonly broken: Doc; readonly flat: Doc }
  | { readonly t: "suffix"; readonly text: string }
  | { readonly t: "comments"; readonly comments: readonly Comment[] };

export const line: Doc = { t: "line" };
export const softline: Doc = { t: "softline" };
export const hardline: Doc = { t: "hardline" };
/** A blank line, unless the output is at the start of the file or just after an opening bracket. */
export const blank: Doc = { t: "blank" };
export const indent = (doc: Doc): Doc => ({ t: "indent", doc });
export const group = (doc: Doc): Doc => ({ t: "group", doc });
export const ifBreak = (broken: Doc, flat: Doc): Doc => ({ t: "ifBreak", broken, flat });
/** Source text written as is (string literal text: never re-indented or trimmed). */
export const raw = (text: string): Doc => ({ t: "raw", text });

const INDENT = "  ";

type Mode = "flat" | "break";

/** Whether `doc` printed flat takes at most `width` columns and has no forced line break. */
function fits(doc: Doc, width: number): boolean {
  let left = width;
  let suffixSeen = false;
  const stack: Doc[] = [doc];
  while (stack.length > 0) {
    const d = stack.pop() as Doc;
    if (typeof d === "string") {
      if (d.length > 0 && suffixSeen) return false;
      left -= d.length;
    } else if (Array.isArray(d)) {
      for (let k = d.length - 1; k >= 0; k--) stack.push(d[k] as Doc);
      continue;
    } else {
      const n = d as Exclude<Doc, string | readonly Doc[]>;
      switch (n.t) {
        case "raw":
          if (n.text.includes("\n")) return false;
          if (n.text.length > 0 && suffixSeen) return false;
          left -= n.text.length;
          break;
        case "indent":
        case "group":
          stack.push(n.doc);
          break;
        case "line":
          if (suffixSeen) return false;
          left -= 1;
          break;
        case "softline":
          break;
        case "hardline":
        case "blank":
        case "comments":
          return false;
        case "ifBreak":
          stack.push(n.flat);
          break;
        case "suffix":
          suffixSeen = true;
          break;
      }
    }
    if (left < 0) return false;
  }
  return true;
}

export function printDoc(doc: Doc, width: number): string {
  const lines: string[] = [];
  let cur = "";
  /** The current line holds only indentation. */
  let atLineStart = true;
  let curEndsRaw = false;
  let suffixes: string[] = [];

  const newline = (ind: number): void => {
    if (atLineStart && suffixes.length === 0) {
      cur = INDENT.repeat(ind);
      return;
    }
    let done = cur + suffixes.join("");
    if (!curEndsRaw || suffixes.length > 0) done = done.trimEnd();
    lines.push(done);
    suffixes = [];
    cur = INDENT.repeat(ind);
    atLineStart = true;
    curEndsRaw = false;
  };
  const text = (s: string, isRaw: boolean): void => {
    if (s.length === 0) return;
    const nl = s.lastIndexOf("\n");
    if (nl >= 0) {
      // A string literal with raw newlines: its lines go out exactly as written.
      const parts = (cur + s).split("\n");
      const lastPart = parts.pop() as string;
      // A pending trailing comment waits for the line the string ends on (never inside it).
      lines.push(...parts);
      cur = lastPart;
    } else cur += s;
    atLineStart = false;
    curEndsRaw = isRaw;
  };
  const column = (): number => cur.length;

  const stack: { ind: number; mode: Mode; doc: Doc }[] = [{ ind: 0, mode: "break", doc }];
  while (stack.length > 0) {
    const { ind, mode, doc: d } = stack.pop() as { ind: number; mode: Mode; doc: Doc };
    if (typeof d === "string") {
      text(d, false);
      continue;
    }
    if (Array.isArray(d)) {
      for (let k = d.length - 1; k >= 0; k--) stack.push({ ind, mode, doc: d[k] as Doc });
      continue;
    }
    const n = d as Exclude<Doc, string | readonly Doc[]>;
    switch (n.t) {
      case "raw":
        text(n.text, true);
        break;
      case "indent":
        stack.push({ ind: ind + 1, mode, doc: n.doc });
        break;
      case "group":
        stack.push({ ind, mode: fits(n.doc, width - column()) ? "flat" : "break", doc: n.doc });
        break;
      case "line":
        if (mode === "flat") text(" ", false);
        else newline(ind);
        break;
      case "softline":
        if (mode === "break") newline(ind);
        break;
      case "hardline":
        newline(ind);
        break;
      case "blank": {
        if (!atLineStart || suffixes.length > 0) newline(ind);
        const prev = lines[lines.length - 1];
        if (prev !== undefined && prev !== "" && !/[{[(]$/.test(prev)) {
          lines.push("");
        }
        cur = INDENT.repeat(ind);
        break;
      }
      case "ifBreak":
        stack.push({ ind, mode, doc: mode === "break" ? n.broken : n.flat });
        break;
      case "suffix":
        suffixes.push(` ${n.text}`);
        break;
      case "comments": {
        if (n.comments.length === 0) break;
        if (!atLineStart || suffixes.length > 0) newline(ind);
        for (const c of n.comments) {
          if (c.blankBefore) {
            const prev = lines[lines.length - 1];
            if (prev !== undefined && prev !== "" && !/[{[(]$/.test(prev)) lines.push("");
          }
          text(c.text, false);
          newline(ind);
        }
        break;
      }
    }
  }
  if (!atLineStart || suffixes.length > 0) newline(0);
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}
