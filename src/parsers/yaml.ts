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
  // Only the positions are kept, not yaml's syntax tree: it was most of the memory a project model holds, and
  // collecting it most of the garbage collector's time on large repositories (docs/performance.md).
  const rootAt = document.contents?.range?.[0] ?? 0;
  const root = document.contents ? positionsOf(document.contents, rootAt) : null;
  const locator = (atKey: boolean) => (path: ObjectPath): SourceLocation => position(nearestOffset(root, path, atKey));
  file.documents.push({ value, locate: locator(false), locateKey: locator(true) });
}

/** Where a mapping starts, and per entry with a scalar key: the key, the key's offset, the value's positions. */
class MapPositions {
  constructor(readonly at: number, readonly entries: unknown[]) {}
}

/** Where a sequence starts, and its items' positions. */
class SeqPositions {
  constructor(readonly at: number, readonly items: (Positions | null)[]) {}
}

/**
 * The positions `locate` needs, for a node: a number is the offset of a node with nothing to walk into (a
 * scalar, an alias). As a map value, null stands for a scalar or a missing value: locating into either gives
 * the entry's key. A node without a range (never parsed text) takes the document's start, as before.
 */
type Positions = number | MapPositions | SeqPositions;

function positionsOf(node: Node, rootAt: number): Positions {
  const at = node.range?.[0] ?? rootAt;
  if (isMap(node)) {
    const entries: unknown[] = [];
    for (const pair of node.items) {
      if (!isScalar(pair.key)) continue;
      const value = pair.value as Node | null;
      entries.push(pair.key.value, pair.key.range?.[0] ?? rootAt, !value || isScalar(value) ? null : positionsOf(value, rootAt));
    }
    return new MapPositions(at, entries);
  }
  if (isSeq(node)) return new SeqPositions(at, node.items.map((item) => (item ? positionsOf(item as Node, rootAt) : null)));
  return at;
}

/**
 * The offset of the node at `path`, or of its nearest ancestor that is written in the file. Scalars point at
 * their key; with `atKey`, the last step of the path, when it is a map entry, gives the key even for a collection.
 */
function nearestOffset(root: Positions | null, path: ObjectPath, atKey: boolean): number {
  if (root === null) return 0;
  let node: Positions = root;
  for (let index = 0; index < path.length; index++) {
    const key = path[index];
    if (node instanceof MapPositions) {
      const { entries } = node;
      let found = -1;
      // The first entry with this key (`===`, as a repeated key's first occurrence is the one yaml keeps).
      for (let entry = 0; entry < entries.length; entry += 3) {
        if (entries[entry] === key) {
          found = entry;
          break;
        }
      }
      if (found < 0) return node.at;
      const next = entries[found + 2] as Positions | null;
      if (next === null || (atKey && index === path.length - 1)) return entries[found + 1] as number;
      node = next;
    } else if (node instanceof SeqPositions && typeof key === "number") {
      const next = node.items[key];
      if (next === undefined || next === null) return node.at;
      node = next;
    } else {
      break;
    }
  }
  return typeof node === "number" ? node : node.at;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
