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
  /** `[text](url)`, `[text][ref]`, `<https://...>` or an HTML `<a href>`. */
  kind?: "inline" | "reference" | "autolink" | "html";
}

export interface MarkdownCode {
  /** Fenced block language, or `inline` for `code spans`. */
  lang: string;
  value: string;
  location: SourceLocation;
  /** Line of the value's first line: the line after the opening fence for fenced blocks. */
  contentLine?: number;
}

/** A paragraph of prose (also inside list items and block quotes), as plain text; line breaks are kept. */
export interface MarkdownParagraph {
  text: string;
  location: SourceLocation;
}

export interface MarkdownDocument {
  path: string;
  headings: MarkdownHeading[];
  links: MarkdownLink[];
  code: MarkdownCode[];
  paragraphs: MarkdownParagraph[];
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

function plainText(root: Nodes): string {
  // Iterative, like the main walk: deep nesting must not overflow the stack.
  let text = "";
  const stack: Nodes[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as Nodes;
    if ("value" in node && typeof node.value === "string") text += node.value;
    else if ("children" in node) for (let index = node.children.length - 1; index >= 0; index--) stack.push(node.children[index] as Nodes);
  }
  return text;
}

const HTML_ANCHOR = /<a\s[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))[^>]*>/gi;

/** Anchors written as HTML; their text runs to `</a>` inside the same HTML chunk, when it closes there. */
function htmlAnchors(value: string, start: SourceLocation, siblingText: string | undefined): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  for (const match of value.matchAll(HTML_ANCHOR)) {
    const index = match.index ?? 0;
    const before = value.slice(0, index);
    const newlines = before.split("\n").length - 1;
    const column = newlines === 0 ? start.column + index : index - before.lastIndexOf("\n");
    const after = value.slice(index + match[0].length);
    const close = after.search(/<\/a\s*>/i);
    const text = close >= 0 ? after.slice(0, close).replace(/<[^>]*>/g, "").replace(/\s+/g, " ").trim() : (siblingText ?? "");
    links.push({ url: (match[1] ?? match[2] ?? match[3] ?? "").trim(), text, location: { line: start.line + newlines, column }, kind: "html" });
  }
  return links;
}

/** Lines longer than this are not prose anyone wrote by hand. */
const LONG_LINE = 10_000;

/**
 * micromark resolves emphasis in time quadratic in the `*`/`_` delimiters of a paragraph: one 100,000-character
 * line of `*a` took 38 s. In lines longer than LONG_LINE, those delimiters become spaces (same length, so every
 * position stays right) and carry no emphasis.
 */
function defuseEmphasisRuns(text: string): string {
  if (text.length <= LONG_LINE) return text;
  return text.replace(new RegExp(`^[^\\n]{${LONG_LINE + 1},}$`, "gm"), (line) => line.replace(/[*_]/g, " "));
}

function isFenced(text: string, node: Nodes): boolean {
  const offset = node.position?.start.offset;
  if (offset === undefined) return false;
  const opening = text.slice(offset, offset + 3);
  return opening === "```" || opening === "~~~";
}

/**
 * Parses CommonMark into what rules read: headings, paragraphs, links (inline, reference, autolinks and
 * HTML anchors, each at its own line) and code (fenced, indented and inline). Never throws on odd input:
 * micromark accepts any string, and the tree is walked without recursion.
 */
export function parseMarkdown(text: string, path: string): MarkdownDocument {
  const tree: Root = fromMarkdown(defuseEmphasisRuns(text));
  const document: MarkdownDocument = { path, headings: [], links: [], code: [], paragraphs: [] };
  const definitions = new Map<string, string>();
  const references: { identifier: string; text: string; location: SourceLocation }[] = [];
  /** Text between an inline `<a href>` and its `</a>`, which micromark gives as sibling nodes. */
  const anchorText = new Map<Nodes, string>();
  // An explicit stack, not recursion: a pathological nesting must not overflow the call stack.
  const stack: Nodes[] = [tree];
  while (stack.length > 0) {
    const node = stack.pop() as Nodes;
    switch (node.type) {
      case "heading":
        document.headings.push({ depth: node.depth, text: plainText(node).trim(), location: locationOf(node) });
        break;
      case "paragraph":
        document.paragraphs.push({ text: plainText(node).trim(), location: locationOf(node) });
        break;
      case "link": {
        const label = plainText(node).trim();
        const autolink = label === node.url || label === node.url.replace(/^mailto:/, "");
        document.links.push({ url: node.url, text: label, location: locationOf(node), kind: autolink ? "autolink" : "inline" });
        break;
      }
      case "definition":
        definitions.set(node.identifier, node.url);
        break;
      case "linkReference":
        references.push({ identifier: node.identifier, text: plainText(node).trim(), location: locationOf(node) });
        break;
      case "code": {
        const location = locationOf(node);
        document.code.push({ lang: node.lang ?? "", value: node.value, location, contentLine: isFenced(text, node) ? location.line + 1 : location.line });
        break;
      }
      case "inlineCode": {
        const location = locationOf(node);
        document.code.push({ lang: "inline", value: node.value, location, contentLine: location.line });
        break;
      }
      case "html":
        document.links.push(...htmlAnchors(node.value, locationOf(node), anchorText.get(node)));
        break;
      default:
        break;
    }
    if ("children" in node) {
      const children = node.children as Nodes[];
      children.forEach((child, index) => {
        if (child.type !== "html" || !/^<a\s/i.test(child.value) || /<\/a\s*>/i.test(child.value)) return;
        let label = "";
        for (let next = index + 1; next < children.length; next++) {
          const sibling = children[next] as Nodes;
          if (sibling.type === "html") {
            if (/^<\/a\s*>/i.test(sibling.value)) break;
            continue;
          }
          label += plainText(sibling);
        }
        anchorText.set(child, label.replace(/\s+/g, " ").trim());
      });
      for (let index = children.length - 1; index >= 0; index--) stack.push(children[index] as Nodes);
    }
  }
  for (const reference of references) {
    const url = definitions.get(reference.identifier);
    if (url !== undefined) document.links.push({ url, text: reference.text, location: reference.location, kind: "reference" });
  }
  const byPosition = (a: { location: SourceLocation }, b: { location: SourceLocation }) =>
    a.location.line - b.location.line || a.location.column - b.location.column;
  document.headings.sort(byPosition);
  document.links.sort(byPosition);
  document.code.sort(byPosition);
  document.paragraphs.sort(byPosition);
  return document;
}
