import { parse as parseToml } from "smol-toml";
import type { SourceLocation } from "../model.js";
import { parseRequirementText, type Requirement } from "./requirements.js";
import { LineIndex } from "./text.js";

export interface PyprojectFile {
  path: string;
  /** `[project] dependencies` and `[tool.poetry.dependencies]`, with the line each is written on. */
  dependencies: Requirement[];
}

function locate(text: string, lineIndex: LineIndex, needle: string, from: number): { location: SourceLocation; next: number } {
  const at = text.indexOf(needle, from);
  if (at < 0) return { location: { line: 1, column: 1 }, next: from };
  return { location: lineIndex.position(at), next: at + needle.length };
}

export function parsePyproject(text: string, path: string): PyprojectFile {
  const document = parseToml(text) as Record<string, unknown>;
  const lineIndex = new LineIndex(text);
  const dependencies: Requirement[] = [];
  const project = document["project"] as Record<string, unknown> | undefined;
  let cursor = 0;
  if (Array.isArray(project?.["dependencies"])) {
    for (const entry of project["dependencies"] as unknown[]) {
      if (typeof entry !== "string") continue;
      const { location, next } = locate(text, lineIndex, entry, cursor);
      cursor = next;
      const requirement = parseRequirementText(entry, location);
      if (!("error" in requirement)) dependencies.push(requirement);
    }
  }
  const poetry = (document["tool"] as Record<string, unknown> | undefined)?.["poetry"] as Record<string, unknown> | undefined;
  const poetryDependencies = poetry?.["dependencies"];
  if (poetryDependencies && typeof poetryDependencies === "object") {
    for (const [name, spec] of Object.entries(poetryDependencies)) {
      if (name === "python") continue;
      const version = typeof spec === "string" ? spec : typeof (spec as Record<string, unknown>)["version"] === "string" ? String((spec as Record<string, unknown>)["version"]) : "";
      const { location } = locate(text, lineIndex, name, text.indexOf("dependencies"));
      const exact = /^==?\s*\d[\w.]*$/.test(version) ? version.replace(/^==?\s*/, "") : null;
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
  return { path, dependencies };
}
