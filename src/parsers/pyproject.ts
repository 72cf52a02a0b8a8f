import { parseToml } from "./toml.js";
import type { SourceLocation } from "../model.js";
import { parseRequirementText, type Requirement } from "./requirements.js";
import { LineIndex } from "./text.js";

export interface PyprojectFile {
  path: string;
  /** `[project] dependencies` and `[tool.poetry.dependencies]`, with the line each is written on. */
  dependencies: Requirement[];
  /** `[tool.uv.workspace] members` globs (relative to this file's folder), when this file is a uv workspace root. */
  uvWorkspaceMembers?: string[];
  /** `[tool.uv.workspace] exclude` globs. */
  uvWorkspaceExclude?: string[];
  /**
   * A distributable package: it names a build backend (`[build-system]`) and does not turn packaging
   * off (`[tool.poetry] package-mode = false`, `[tool.uv] package = false`, `[tool.pdm] distribution = false`).
   * Its ranges are a contract for whoever installs it; an application (no build backend) is what gets deployed.
   */
  isPackage: boolean;
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

function locate(text: string, lineIndex: LineIndex, needle: string, from: number): { location: SourceLocation; next: number } {
  const at = text.indexOf(needle, from);
  if (at < 0) return { location: { line: 1, column: 1 }, next: from };
  return { location: lineIndex.position(at), next: at + needle.length };
}

/**
 * Where the key `name = ...` of a TOML table is written, searching from the table's header on (bare or quoted key).
 * A scan, not a RegExp made from the key: a key may be tens of thousands of characters long, and RegExp then throws.
 */
export function locateKey(text: string, lineIndex: LineIndex, tableStart: number, name: string): SourceLocation | null {
  const isBlank = (char: string | undefined) => char === " " || char === "\t";
  const isQuote = (char: string | undefined) => char === '"' || char === "'";
  /** `NAME` at `at`, then an optional quote, blanks and `=`. */
  const keyAt = (at: number): boolean => {
    if (!text.startsWith(name, at)) return false;
    let cursor = at + name.length;
    if (isQuote(text[cursor])) cursor++;
    while (isBlank(text[cursor])) cursor++;
    return text[cursor] === "=";
  };
  for (let lineStart = tableStart; lineStart <= text.length; ) {
    let indentEnd = lineStart;
    while (isBlank(text[indentEnd])) indentEnd++;
    if (keyAt(indentEnd) || (isQuote(text[indentEnd]) && keyAt(indentEnd + 1))) return lineIndex.position(indentEnd);
    const lineEnd = text.indexOf("\n", lineStart);
    if (lineEnd < 0) break;
    lineStart = lineEnd + 1;
  }
  return null;
}

/**
 * Applies `[tool.uv.sources]`: a dependency uv takes from a path or a workspace member is local,
 * one from git is a VCS requirement, one from a URL is a URL requirement. Index sources change nothing.
 */
function applyUvSource(requirement: Requirement, sources: Record<string, unknown> | undefined): Requirement {
  if (!sources || !requirement.name || requirement.type !== "package") return requirement;
  const wanted = requirement.name.toLowerCase().replace(/[-_.]+/g, "-");
  const entry = Object.entries(sources).find(([name]) => name.toLowerCase().replace(/[-_.]+/g, "-") === wanted)?.[1];
  const tables = (Array.isArray(entry) ? entry : [entry]).filter((item): item is Record<string, unknown> => !!item && typeof item === "object");
  if (tables.length === 0) return requirement;
  if (tables.every((table) => typeof table["path"] === "string" || table["workspace"] === true)) {
    const where = tables.map((table) => (typeof table["path"] === "string" ? table["path"] : "workspace")).join(", ");
    return { ...requirement, type: "local", url: where, editable: tables.some((table) => table["editable"] === true) };
  }
  const table = tables[0] as Record<string, unknown>;
  if (tables.length === 1 && typeof table["git"] === "string") {
    const ref = [table["rev"], table["tag"], table["branch"]].find((value): value is string => typeof value === "string");
    return { ...requirement, type: "vcs", url: `git+${table["git"]}${ref ? `@${ref}` : ""}` };
  }
  if (tables.length === 1 && typeof table["url"] === "string") return { ...requirement, type: "url", url: table["url"] };
  return requirement;
}

/** How a dependency table names its source: Poetry (`rev`/`tag`/`branch`, `url`, `develop`) or a Pipfile (`ref`, `file`, `editable`). */
export interface SourceTableKeys {
  refKeys: string[];
  urlKey: string;
  editableKey: string;
}

const POETRY_KEYS: SourceTableKeys = { refKeys: ["rev", "tag", "branch"], urlKey: "url", editableKey: "develop" };

/** A dependency written as a table that takes it from a path, a git repository or a URL instead of an index. */
export function sourceTable(name: string, table: Record<string, unknown> | undefined, location: SourceLocation, keys: SourceTableKeys): Requirement | null {
  if (!table) return null;
  const base = { name, specifiers: [], editable: table[keys.editableKey] === true, hashes: [], location };
  if (typeof table["path"] === "string") return { ...base, type: "local", url: table["path"], text: `${name} @ ${table["path"]}` };
  if (typeof table["git"] === "string") {
    const ref = keys.refKeys.map((key) => table[key]).find((value): value is string => typeof value === "string");
    const git = table["git"].replace(/^git\+/, "");
    const url = `git+${git}${ref ? `@${ref}` : ""}`;
    return { ...base, type: "vcs", url, text: `${name} @ ${url}` };
  }
  const url = table[keys.urlKey];
  if (typeof url === "string") {
    const type = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !/^file:/i.test(url) ? "url" : "local";
    return { ...base, type, url, text: `${name} @ ${url}` };
  }
  return null;
}

export function parsePyproject(text: string, path: string): PyprojectFile {
  const document = parseToml(text) as Record<string, unknown>;
  const lineIndex = new LineIndex(text);
  const dependencies: Requirement[] = [];
  const project = document["project"] as Record<string, unknown> | undefined;
  const tool = document["tool"] as Record<string, unknown> | undefined;
  const uvTable = tool?.["uv"] as Record<string, unknown> | undefined;
  const uvSources = uvTable?.["sources"] && typeof uvTable["sources"] === "object" ? (uvTable["sources"] as Record<string, unknown>) : undefined;
  let cursor = 0;
  if (Array.isArray(project?.["dependencies"])) {
    const projectHeader = /^[ \t]*\[[ \t]*project[ \t]*\]/m.exec(text);
    const key = /^[ \t]*dependencies[ \t]*=/m.exec(text.slice(projectHeader?.index ?? 0));
    if (key) cursor = (projectHeader?.index ?? 0) + key.index;
    for (const entry of project["dependencies"] as unknown[]) {
      if (typeof entry !== "string") continue;
      // The TOML source holds the string escaped (`\"3.11\"`) when it contains quotes or backslashes.
      const escaped = JSON.stringify(entry).slice(1, -1);
      const needle = text.indexOf(entry, cursor) >= 0 ? entry : text.indexOf(escaped, cursor) >= 0 ? escaped : entry;
      const { location, next } = locate(text, lineIndex, needle, cursor);
      cursor = next;
      const requirement = parseRequirementText(entry, location);
      if (!("error" in requirement)) dependencies.push(applyUvSource(requirement, uvSources));
    }
  }
  const poetry = tool?.["poetry"] as Record<string, unknown> | undefined;
  const poetryDependencies = poetry?.["dependencies"];
  if (poetryDependencies && typeof poetryDependencies === "object") {
    // Keys are searched for from the table header on, so a name in the description is not taken for the key.
    const tableHeader = /^[ \t]*\[[ \t]*tool\.poetry\.dependencies[ \t]*\]/m.exec(text);
    const poetryHeader = /^[ \t]*\[[ \t]*tool\.poetry[ \t]*\]/m.exec(text);
    const tableStart = tableHeader?.index ?? poetryHeader?.index ?? Math.max(0, text.indexOf("dependencies"));
    for (const [name, spec] of Object.entries(poetryDependencies)) {
      if (name === "python") continue;
      const version = typeof spec === "string" ? spec : typeof (spec as Record<string, unknown>)["version"] === "string" ? String((spec as Record<string, unknown>)["version"]) : "";
      const location = locateKey(text, lineIndex, tableStart, name) ?? locate(text, lineIndex, name, text.indexOf("dependencies")).location;
      const table = spec && typeof spec === "object" && !Array.isArray(spec) ? (spec as Record<string, unknown>) : undefined;
      const source = sourceTable(name, table, location, POETRY_KEYS);
      if (source) {
        dependencies.push(source);
        continue;
      }
      // Poetry reads a bare version (`"2.2.1"`) as an exact pin, like `"==2.2.1"`.
      const exact = /^(?:==?)?\s*\d[\w.!+]*$/.test(version.trim()) ? version.trim().replace(/^==?\s*/, "") : null;
      dependencies.push({
        type: "package",
        name,
        specifiers: exact ? [{ operator: "==", version: exact }] : version ? [{ operator: version, version: "" }] : [],
        editable: false,
        hashes: [],
        text: `${name} ${version}`.trim(),
        location,
      });
    }
  }
  const pdm = tool?.["pdm"] as Record<string, unknown> | undefined;
  const packagingOff = poetry?.["package-mode"] === false || uvTable?.["package"] === false || pdm?.["distribution"] === false;
  const isPackage = document["build-system"] !== undefined && !packagingOff;
  const workspace = uvTable?.["workspace"] as Record<string, unknown> | undefined;
  if (workspace && typeof workspace === "object") {
    return { path, dependencies, isPackage, uvWorkspaceMembers: stringArray(workspace["members"]), uvWorkspaceExclude: stringArray(workspace["exclude"]) };
  }
  return { path, dependencies, isPackage };
}
