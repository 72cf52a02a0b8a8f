import { fromMarkdown } from "mdast-util-from-markdown";
import type { Nodes, Root } from "mdast";
import type { SourceLocation } from "../model.js";

export interface MarkdownHeading {
  depth: number;
  text: string;
  location: SourceLocation;
}

export interface MarkdownLink {
  url: string;
  text: string;
  location: SourceLocation;
}

export interface MarkdownCode {
  /** Fenced block language, or `inline` for `code spans`. */
  lang: string;
  value: string;
  location: SourceLocation;
}

export interface MarkdownDocument {
  path: string;
  headings: MarkdownHeading[];
  links: MarkdownLink[];
  code: MarkdownCode[];
}

function locationOf(node: Nodes): SourceLocation {
  const start = node.position?.start;
  const end = node.position?.end;
  return {
    line: start?.line ?? 1,
    column: start?.column ?? 1,
    ...(end ? { endLine: end.line, endColumn: end.column } : {}),
  };
}

function plainText(node: Nodes): string {
  if ("value" in node && typeof node.value === "string") return node.value;
  if ("children" in node) return node.children.map((child) => plainText(child as Nodes)).join("");
  return "";
}

export function parseMarkdown(text: string, path: string): MarkdownDocument {
  const tree: Root = fromMarkdown(text);
  const document: MarkdownDocument = { path, headings: [], links: [], code: [] };
  const definitions = new Map<string, string>();
  const references: { identifier: string; text: string; location: SourceLocation }[] = [];
  // An explicit stack, not recursion: a pathological nesting must not overflow the call stack.
  const stack: Nodes[] = [tree];
  while (stack.length > 0) {
    const node = stack.pop() as Nodes;
    switch (node.type) {
      case "heading":
        document.headings.push({ depth: node.depth, text: plainText(node).trim(), location: locationOf(node) });
        break;
      case "link":
        document.links.push({ url: node.url, text: plainText(node).trim(), location: locationOf(node) });
        break;
      case "definition":
        definitions.set(node.identifier, node.url);
        break;
      case "linkReference":
        references.push({ identifier: node.identifier, text: plainText(node).trim(), location: locationOf(node) });
        break;
      case "code":
        document.code.push({ lang: node.lang ?? "", value: node.value, location: locationOf(node) });
        break;
      case "inlineCode":
        document.code.push({ lang: "inline", value: node.value, location: locationOf(node) });
        break;
      case "html":
        for (const match of node.value.matchAll(/<a\s[^>]*href\s*=\s*["']([^"']+)["']/gi)) {
          document.links.push({ url: match[1] as string, text: "", location: locationOf(node) });
        }
        break;
      default:
        break;
    }
    if ("children" in node) {
      for (let index = node.children.length - 1; index >= 0; index--) stack.push(node.children[index] as Nodes);
    }
  }
  for (const reference of references) {
    const url = definitions.get(reference.identifier);
    if (url !== undefined) document.links.push({ url, text: reference.text, location: reference.location });
  }
  const byPosition = (a: { location: SourceLocation }, b: { location: SourceLocation }) =>
    a.location.line - b.location.line || a.location.column - b.location.column;
  document.headings.sort(byPosition);
  document.links.sort(byPosition);
  document.code.sort(byPosition);
  return document;
}
