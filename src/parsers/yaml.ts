import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Document, type Node } from "yaml";
import type { SourceLocation } from "../model.js";

export type ObjectPath = (string | number)[];

/** Cap on alias expansion, so that an alias bomb is a parse error and not an out-of-memory. */
export const MAX_ALIAS_COUNT = 1000;

/** One YAML document as plain data, with a way back to where each value is written. */
export interface YamlDocument {
  value: unknown;
  /** Where the value at `path` is written; the nearest written ancestor when it is absent. Scalars point at their key. */
  locate(path: ObjectPath): SourceLocation;
  /** Like `locate`, but a map entry whose value is a collection is located at its key, not its first child. */
  locateKey(path: ObjectPath): SourceLocation;
}

export interface YamlFile {
  documents: YamlDocument[];
  errors: { message: string; location: SourceLocation }[];
  /** Documents the caller chose not to parse (see `skip`). */
  skippedDocuments: number;
}

interface Chunk {
  text: string;
  startLine: number;
}

const DOCUMENT_MARKER = /^---(?=[ \t]|$)[^\n]*$/gm;

/**
 * Splits a multi-document stream at `---` markers, so that each document can be sniffed (and
 * skipped) before the costly full parse. A `---` at column 0 always ends a document in YAML (block
 * scalars are indented), so the split is exact except in files with directives, kept whole.
 */
function splitDocuments(text: string): Chunk[] {
  if (/^%/m.test(text)) return [{ text, startLine: 1 }];
  const chunks: Chunk[] = [];
  let start = 0;
  let startLine = 1;
  let line = 1;
  let cursor = 0;
  for (const marker of text.matchAll(DOCUMENT_MARKER)) {
    const index = marker.index ?? 0;
    for (; cursor < index; cursor++) if (text.charCodeAt(cursor) === 10) line++;
    chunks.push({ text: text.slice(start, index), startLine });
    // Keep the marker line itself in the next chunk (content may follow `--- `).
    start = index;
    startLine = line;
  }
  chunks.push({ text: text.slice(start), startLine });
  // A chunk of only markers and comments is empty; content written after a marker (`--- {kind: ...}`) is not.
  return chunks.filter((chunk) => /[^\s]/.test(chunk.text.replace(/^(---[ \t]*(#[^\n]*)?|[ \t]*#[^\n]*)$/gm, "")));
}

/**
 * Parses every document of a YAML file. Errors (syntax, an alias bomb, nesting too deep) are
 * collected per document with their position; the other documents are still read.
 * `skip(documentText)` lets the caller leave out documents no rule reads, before they are parsed.
 */
export function parseYaml(text: string, skip?: (documentText: string) => boolean): YamlFile {
  const file: YamlFile = { documents: [], errors: [], skippedDocuments: 0 };
  for (const chunk of splitDocuments(text)) {
    if (skip?.(chunk.text)) {
      file.skippedDocuments++;
      continue;
    }
    parseChunk(chunk, file);
  }
  return file;
}

function parseChunk(chunk: Chunk, file: YamlFile): void {
  const lineCounter = new LineCounter();
  const lineOffset = chunk.startLine - 1;
  const position = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { line: line + lineOffset, column: col };
  };
  let document: Document.Parsed;
  let value: unknown;
  try {
    // `merge`: Kubernetes reads YAML with go-yaml, which expands `<<: *anchor` merge keys. `logLevel`: a parser never prints.
    document = parseDocument(chunk.text, { lineCounter, uniqueKeys: false, prettyErrors: false, merge: true, logLevel: "error" });
    const firstError = document.errors[0];
    if (firstError) {
      const detail = /call stack/i.test(firstError.message) ? "nesting too deep" : firstError.message.split("\n")[0];
      file.errors.push({ message: `invalid YAML: ${detail}`, location: position(firstError.pos[0]) });
      return;
    }
    value = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const reason = error instanceof RangeError && /call stack/i.test(error.message)
      ? "nesting too deep"
      : error instanceof Error ? error.message.split("\n")[0] : String(error);
    file.errors.push({ message: `YAML could not be read: ${reason}`, location: { line: chunk.startLine, column: 1 } });
    return;
  }
  const root = document.contents;
  const locator = (atKey: boolean) => (path: ObjectPath): SourceLocation => {
    const node = nearestNode(root, path, atKey);
    return node?.range ? position(node.range[0]) : position(root?.range?.[0] ?? 0);
  };
  file.documents.push({ value, locate: locator(false), locateKey: locator(true) });
}

/**
 * The node at `path`, or its nearest ancestor that is written in the file. With `atKey`, the last step
 * of the path, when it is a map entry, gives the entry's key even when the value is a collection.
 */
function nearestNode(root: Node | null, path: ObjectPath, atKey = false): Node | null {
  let node: Node | null = root;
  for (const [index, key] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && item.key.value === key);
      if (!pair) return node;
      // Point at the key for scalars (`image: x` -> the line of `image`), the value for collections.
      const next = pair.value as Node | null;
      if (!next || isScalar(next) || (atKey && index === path.length - 1)) return (pair.key as Node) ?? node;
      node = next;
    } else if (isSeq(node) && typeof key === "number") {
      const next = node.items[key] as Node | undefined;
      if (!next) return node;
      node = next;
    } else {
      return node;
    }
  }
  return node;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
