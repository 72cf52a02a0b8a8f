import path from "node:path";
import type { ProjectFile } from "../model.js";
import type { MarkdownDocument, MarkdownLink } from "../parsers/markdown.js";
import type { ProjectModel } from "../project.js";
import { isDeployable, isTestPath } from "../paths.js";
import { defineRule } from "../rule.js";

interface RunbookLinkedOptions {
  runbookPatterns: string[];
}

/** Markdown files that are runbooks by their name or folder. A pattern without `/` matches a file name at any depth. */
export const DEFAULT_RUNBOOK_PATTERNS = [
  "*runbook*.{md,markdown}",
  "*run-book*.{md,markdown}",
  "*run_book*.{md,markdown}",
  "**/runbooks/**/*.{md,markdown}",
  "**/runbook/**/*.{md,markdown}",
  "*playbook*.{md,markdown}",
  "**/playbooks/**/*.{md,markdown}",
  "operations.{md,markdown}",
  "*oncall*.{md,markdown}",
  "*on-call*.{md,markdown}",
  "*on_call*.{md,markdown}",
];

/** Words that make a link a runbook link, whatever the file is called. */
const RUNBOOK_WORDS = /run[-_ ]?books?|play[-_ ]?books?|\bon[-_ ]?call\b/i;
/** Targets a runbook can be: documents, web pages, or a folder (no extension). */
const DOCUMENT_TARGET = /(^|\/)[^/.]*$|\.(md|markdown|rst|adoc|asciidoc|txt|html?|pdf)$/i;
const MARKDOWN_README = /^readme\.(md|markdown)$/i;
const OTHER_README = /^readme(\.(rst|txt|adoc|asciidoc|org|textile|rdoc))?$/i;
const MAX_BRACE_EXPANSION = 256;

/** `a{b,c}d` -> `abd`, `acd` (nested braces expand from the inside out). */
function expandBraces(pattern: string): string[] {
  const open = pattern.lastIndexOf("{");
  if (open < 0) return [pattern];
  const close = pattern.indexOf("}", open);
  if (close < 0) return [pattern];
  const head = pattern.slice(0, open);
  const tail = pattern.slice(close + 1);
  const expanded: string[] = [];
  for (const alternative of pattern.slice(open + 1, close).split(",")) {
    for (const item of expandBraces(`${head}${alternative}${tail}`)) {
      if (expanded.length >= MAX_BRACE_EXPANSION) return expanded;
      expanded.push(item);
    }
  }
  return expanded;
}

/** A glob as a case-insensitive RegExp over POSIX paths: `**` spans folders, `*` and `?` stay in one, `[...]` is a class. */
export function globToRegExp(glob: string): RegExp {
  const alternatives = expandBraces(glob).map((pattern) => {
    const anchored = pattern.includes("/") ? pattern.replace(/^\.?\//, "") : `**/${pattern}`;
    let source = "";
    for (let index = 0; index < anchored.length; index++) {
      const char = anchored[index] as string;
      if (char === "*") {
        if (anchored[index + 1] === "*") {
          if (anchored[index + 2] === "/") {
            source += "(?:.*/)?";
            index += 2;
          } else {
            source += ".*";
            index++;
          }
        } else {
          source += "[^/]*";
        }
      } else if (char === "?") {
        source += "[^/]";
      } else if (char === "[") {
        const close = anchored.indexOf("]", index + 2);
        if (close < 0) {
          source += "\\[";
          continue;
        }
        const body = anchored.slice(index + 1, close).replace(/^!/, "^").replace(/\\/g, "\\\\").replace(/]/g, "\\]");
        source += `[${body}]`;
        index = close;
      } else {
        source += char.replace(/[.+^${}()|\\]/g, "\\$&");
      }
    }
    return source;
  });
  return new RegExp(`^(?:${alternatives.join("|")})$`, "i");
}

/** The project's runbook files (outside test folders), shallowest first. */
export function runbookFiles(project: ProjectModel, patterns: string[] = DEFAULT_RUNBOOK_PATTERNS): string[] {
  const matchers = patterns.map((pattern) => globToRegExp(pattern));
  return project.files
    .filter((file) => !isTestPath(file.path) && matchers.some((regexp) => regexp.test(file.path)))
    .map((file) => file.path)
    .sort(byDepthThenName);
}

function depth(file: string): number {
  return file.split("/").length;
}

function byDepthThenName(a: string, b: string): number {
  return depth(a) - depth(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** The README operators open first: the top-level one, else the shallowest. */
function findReadme(project: ProjectModel): { readme?: ProjectFile; otherRootReadme?: ProjectFile } {
  const markdownReadmes = project.files
    .filter((file) => file.kind === "markdown" && MARKDOWN_README.test(path.posix.basename(file.path)))
    .sort((a, b) => byDepthThenName(a.path, b.path));
  const root = markdownReadmes.find((file) => !file.path.includes("/"));
  if (root) return { readme: root };
  const otherRootReadme = project.files.find((file) => !file.path.includes("/") && OTHER_README.test(file.path));
  if (otherRootReadme) return { otherRootReadme };
  const nonTest = markdownReadmes.filter((file) => !isTestPath(file.path));
  const readme = nonTest[0] ?? markdownReadmes[0];
  return readme ? { readme } : {};
}

function decode(target: string): string {
  try {
    return decodeURIComponent(target);
  } catch {
    return target;
  }
}

type LinkTarget =
  | { type: "ignore" }
  | { type: "external"; runbook: boolean }
  | { type: "outside"; target: string }
  | { type: "local"; resolved: string; target: string };

/** Where a README link points: an anchor, a URL, a path outside the project, or a project path. */
function resolveLink(readmePath: string, link: MarkdownLink): LinkTarget {
  const url = link.url.trim();
  if (url === "" || url.startsWith("#")) return { type: "ignore" };
  if (/^[a-z][a-z0-9+.-]*:/i.test(url) || url.startsWith("//")) {
    const web = /^(https?:)?\/\//i.test(url);
    return { type: "external", runbook: web && (RUNBOOK_WORDS.test(link.text) || RUNBOOK_WORDS.test(decode(url))) };
  }
  const target = decode(url.replace(/[#?].*$/, ""));
  if (target === "") return { type: "ignore" };
  // A leading `/` is the repository root, as on GitHub and GitLab.
  const joined = target.startsWith("/") ? target.slice(1) : path.posix.join(path.posix.dirname(readmePath), target);
  const resolved = path.posix.normalize(joined).replace(/\/+$/, "") || ".";
  if (resolved === ".." || resolved.startsWith("../")) return { type: "outside", target };
  return { type: "local", resolved, target };
}

function describePatterns(patterns: string[]): string {
  if (patterns.join("\n") === DEFAULT_RUNBOOK_PATTERNS.join("\n")) return "RUNBOOK.md, runbook*.md, docs/runbooks/*.md, playbook*.md, OPERATIONS.md and oncall*.md";
  return patterns.join(", ");
}

export default defineRule<RunbookLinkedOptions>({
  meta: {
    id: "runbook-linked",
    title: "Keep a runbook and link it from the README",
    section: "runbook",
    severity: "error",
    weight: 2,
    description:
      "Checks that the project has a runbook (RUNBOOK.md, docs/runbook.md, docs/runbooks/, playbook.md, OPERATIONS.md, oncall.md, or a runbook URL) and that the README links to it with a link that resolves.",
    options: {
      type: "object",
      additionalProperties: false,
      properties: {
        runbookPatterns: {
          type: "array",
          items: { type: "string", minLength: 1 },
          description: "Globs (relative to the project root, case-insensitive) naming runbook files; they replace the default list.",
        },
      },
    },
    defaultOptions: { runbookPatterns: DEFAULT_RUNBOOK_PATTERNS },
    messages: {
      noReadme:
        "The project has no README.md, so nothing points operators to a runbook. Add a README.md that says what the service does and links the runbook.",
      missing:
        "No runbook found: mlready looked for {{patterns}} and for a README link to a runbook URL. Write docs/runbook.md (how to deploy, roll back, and what to do when an alert fires) and link it from the README.",
      notLinked:
        "{{readme}} does not link to the runbook {{runbook}}. Add a link such as `[Runbook]({{link}})` so that the on-call engineer finds it from the README.",
      deadLink:
        "The runbook link to {{target}} points to {{resolved}}, which does not exist in the project{{hint}}. Fix the link or add the runbook there.",
      outsideRoot:
        "The runbook link to {{target}} leaves the project folder, so mlready does not read it and a copy of the project loses it. Keep the runbook inside the project (e.g. docs/runbook.md) or link its published URL.",
    },
  },
  check(context) {
    const { project, options } = context;
    const patterns = options.runbookPatterns ?? DEFAULT_RUNBOOK_PATTERNS;
    const matchers = patterns.map((pattern) => globToRegExp(pattern));
    const isRunbookPath = (file: string) => !isTestPath(file) && matchers.some((regexp) => regexp.test(file));
    const runbooks = runbookFiles(project, patterns);

    const { readme, otherRootReadme } = findReadme(project);
    if (!readme) {
      if (otherRootReadme) {
        context.skip(`the top-level README is ${otherRootReadme.path}; mlready reads links only from Markdown`);
        return;
      }
      if (!isDeployable(project) && runbooks.length === 0) {
        context.skip("nothing here is deployed (no Dockerfile, Kubernetes manifest, Helm chart, Kustomization or MLflow model) and there is no README or runbook");
        return;
      }
      context.report({ messageId: "noReadme" });
      if (runbooks.length === 0) context.report({ messageId: "missing", data: { patterns: describePatterns(patterns) } });
      return;
    }
    const document: MarkdownDocument | undefined = project.markdown.find((candidate) => candidate.path === readme.path);
    if (!document) {
      context.skip(`${readme.path} could not be read (too large or not text)`);
      return;
    }

    let linked = false;
    let brokenLinks = 0;
    for (const link of document.links) {
      const target = resolveLink(readme.path, link);
      if (target.type === "ignore") continue;
      if (target.type === "external") {
        if (target.runbook) linked = true;
        continue;
      }
      const named = RUNBOOK_WORDS.test(link.text) || RUNBOOK_WORDS.test(target.target);
      if (target.type === "outside") {
        if (!named) continue;
        brokenLinks++;
        context.report({ messageId: "outsideRoot", data: { target: target.target }, file: readme.path, at: link.location });
        continue;
      }
      const { resolved } = target;
      const patternNamed = isRunbookPath(resolved);
      // A link is a runbook link by its words (to a document or folder) or by the runbook name of its target.
      if (!patternNamed && !(named && DOCUMENT_TARGET.test(resolved))) continue;
      if (project.hasFile(resolved)) {
        linked = true;
        continue;
      }
      if (project.hasFolder(resolved)) {
        linked = true;
        continue;
      }
      brokenLinks++;
      const lower = resolved.toLowerCase();
      const sameButCase = project.files.find((file) => file.path.toLowerCase() === lower);
      const hint = sameButCase
        ? ` (the file is ${sameButCase.path}; links are case-sensitive)`
        : runbooks.length > 0 ? ` (the runbook found is ${runbooks[0]})` : "";
      context.report({ messageId: "deadLink", data: { target: link.url, resolved, hint }, file: readme.path, at: link.location });
    }

    if (linked || brokenLinks > 0) return;
    if (runbooks.length === 0) {
      if (!isDeployable(project)) {
        context.skip("nothing here is deployed (no Dockerfile, Kubernetes manifest, Helm chart, Kustomization or MLflow model) and there is no runbook");
        return;
      }
      context.report({ messageId: "missing", data: { patterns: describePatterns(patterns) } });
      return;
    }
    const runbook = runbooks[0] as string;
    const link = path.posix.relative(path.posix.dirname(readme.path), runbook);
    context.report({
      messageId: "notLinked",
      data: { readme: readme.path, runbook, link },
      file: readme.path,
      at: { line: 1, column: 1 },
    });
  },
});
