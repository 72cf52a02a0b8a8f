import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Document, type Node } from "yaml";
import type { SourceLocation } from "../model.js";

export type ObjectPath = (string | number)[];

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  name?: string;
  namespace?: string;
  labels: Record<string, string>;
  /** The object as plain data (aliases expanded, capped). */
  value: Record<string, unknown>;
  file: string;
  /** Where the object starts: its first key. */
  location: SourceLocation;
  /** Where the value at `path` (relative to the object) is written; the nearest written ancestor when it is absent. */
  locate(path: ObjectPath): SourceLocation;
  /**
   * Like `locate`, but a map entry whose value is a collection is located at its key (`model:`), not at
   * its first child; a sequence item at its first key, as `locate` does. Always set by `parseKubernetes`.
   */
  locateKey?(path: ObjectPath): SourceLocation;
}

export interface KubernetesFile {
  path: string;
  objects: KubernetesObject[];
  errors: { message: string; location: SourceLocation }[];
  /** Documents not parsed because no rule reads their kind (CustomResourceDefinitions). */
  skippedDocuments: number;
}

/** Kinds that are large and that no rule reads: recognised by a cheap sniff and never parsed. */
const UNREAD_KINDS = new Set(["CustomResourceDefinition"]);
/** Cap on alias expansion, so that an alias bomb is a parse error and not an out-of-memory. */
export const MAX_ALIAS_COUNT = 1000;

const DOCUMENT_MARKER = /^---(?=[ \t]|$)[^\n]*$/gm;
const KIND_SNIFF = /^kind:[ \t]*["']?([A-Za-z0-9]+)/m;

interface Chunk {
  text: string;
  startLine: number;
}

function splitDocuments(text: string): Chunk[] {
  // YAML directives (%YAML, %TAG) apply across the marker: leave such files whole.
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

export function parseKubernetes(text: string, path: string): KubernetesFile {
  const file: KubernetesFile = { path, objects: [], errors: [], skippedDocuments: 0 };
  for (const chunk of splitDocuments(text)) {
    const sniffedKind = KIND_SNIFF.exec(chunk.text)?.[1];
    if (sniffedKind && UNREAD_KINDS.has(sniffedKind)) {
      file.skippedDocuments++;
      continue;
    }
    parseChunk(chunk, file);
  }
  return file;
}

function parseChunk(chunk: Chunk, file: KubernetesFile): void {
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
  if (!isRecord(value)) return;
  const root = document.contents;
  const locateIn = (prefix: ObjectPath, atKey = false) => (path: ObjectPath): SourceLocation => {
    const node = nearestNode(root, [...prefix, ...path], atKey);
    return node?.range ? position(node.range[0]) : position(root?.range?.[0] ?? 0);
  };
  collectObjects(value, [], locateIn, file);
}

type LocatorFactory = (prefix: ObjectPath, atKey?: boolean) => (path: ObjectPath) => SourceLocation;

function collectObjects(value: Record<string, unknown>, prefix: ObjectPath, locateIn: LocatorFactory, file: KubernetesFile): void {
  const apiVersion = value["apiVersion"];
  const kind = value["kind"];
  if (typeof apiVersion !== "string" || typeof kind !== "string") return;
  // `v1/List`, `PodList`...: a list holds `items`. A custom kind that merely ends in "List" and has no
  // `items` array (an `IPAllowList`) is an ordinary object.
  const items = value["items"];
  if (kind === "List" || (kind.endsWith("List") && Array.isArray(items))) {
    if (Array.isArray(items)) {
      items.forEach((item, index) => {
        if (isRecord(item)) collectObjects(item, [...prefix, "items", index], locateIn, file);
      });
    }
    return;
  }
  const metadata = isRecord(value["metadata"]) ? value["metadata"] : {};
  const labels: Record<string, string> = {};
  if (isRecord(metadata["labels"])) {
    for (const [key, label] of Object.entries(metadata["labels"])) labels[key] = String(label);
  }
  const locate = locateIn(prefix);
  file.objects.push({
    apiVersion,
    kind,
    ...(typeof metadata["name"] === "string" ? { name: metadata["name"] } : {}),
    ...(typeof metadata["namespace"] === "string" ? { namespace: metadata["namespace"] } : {}),
    labels,
    value,
    file: file.path,
    location: locate([]),
    locate,
    locateKey: locateIn(prefix, true),
  });
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
