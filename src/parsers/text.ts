import type { SourceLocation } from "../model.js";

/** Maps string offsets to 1-based line/column. Built once per file, O(log n) per lookup. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
    }
  }

  position(offset: number): { line: number; column: number } {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= offset) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: offset - (this.starts[low] ?? 0) + 1 };
  }

  range(start: number, end: number): SourceLocation {
    const from = this.position(start);
    const to = this.position(end);
    return { line: from.line, column: from.column, endLine: to.line, endColumn: to.column };
  }
}

export type DecodedText =
  | { ok: true; text: string; replacedInvalidUtf8: boolean }
  | { ok: false; reason: string };

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
const utf8Lenient = new TextDecoder("utf-8", { fatal: false, ignoreBOM: false });

/**
 * Turns file bytes into text the parsers can read. A NUL byte in the first 8 KiB marks a binary
 * file (the heuristic git and grep use); invalid UTF-8 is read with replacement characters so that
 * a README with one Latin-1 byte is still checked.
 */
export function decodeText(bytes: Uint8Array): DecodedText {
  const head = bytes.subarray(0, 8192);
  if (head.includes(0)) return { ok: false, reason: "binary content (NUL bytes)" };
  try {
    return { ok: true, text: normaliseNewlines(utf8.decode(bytes)), replacedInvalidUtf8: false };
  } catch {
    return { ok: true, text: normaliseNewlines(utf8Lenient.decode(bytes)), replacedInvalidUtf8: true };
  }
}

function normaliseNewlines(text: string): string {
  return text.includes("\r") ? text.replace(/\r\n?/g, "\n") : text;
}
