import { parseToml } from "./toml.js";
import type { SourceLocation } from "../model.js";
import { locateKey, sourceTable, type SourceTableKeys } from "./pyproject.js";
import { parseRequirementText, type Requirement } from "./requirements.js";
import { isRecord } from "./yaml.js";
import { LineIndex } from "./text.js";

/** A pipenv `Pipfile`. Each requirement's `text` is the entry as written (`requests = "*"`). */
export interface PipfileModel {
  path: string;
  /** `[packages]`: what `pipenv install --deploy` and `pipenv sync` install. */
  packages: Requirement[];
  /** `[dev-packages]`: installed only with `--dev`. */
  devPackages: Requirement[];
}

const PIPFILE_KEYS: SourceTableKeys = { refKeys: ["ref"], urlKey: "file", editableKey: "editable" };

export function parsePipfile(text: string, path: string): PipfileModel {
  const document = parseToml(text) as Record<string, unknown>;
  const lineIndex = new LineIndex(text);
  const lines = text.split("\n");
  const section = (table: string): Requirement[] => {
    const entries = document[table];
    if (!isRecord(entries)) return [];
    const header = new RegExp(`^[ \\t]*\\[[ \\t]*["']?${table}["']?[ \\t]*\\]`, "m").exec(text);
    const start = header?.index ?? 0;
    return Object.entries(entries).flatMap(([name, spec]) => {
      const location = locateKey(text, lineIndex, start, name) ?? { line: header ? lineIndex.position(start).line : 1, column: 1 };
      const written = (lines[location.line - 1] ?? name).trim();
      const requirement = pipfileRequirement(name, spec, location, written);
      return requirement ? [requirement] : [];
    });
  };
  return { path, packages: section("packages"), devPackages: section("dev-packages") };
}

/**
 * One `[packages]` entry: `"*"`, a PEP 440 specifier (`"==1.26.4"`, `">=2,<3"`), or a table with
 * `version`, `git`/`ref`, `path`, `file`, `editable`, `extras`, `markers`. A bare version
 * (`"2.31.0"`) is not a pin: pipenv ignores it and installs the latest release (pypa/pipenv#4971).
 */
function pipfileRequirement(name: string, spec: unknown, location: SourceLocation, written: string): Requirement | null {
  const table = isRecord(spec) ? spec : undefined;
  const source = sourceTable(name, table, location, PIPFILE_KEYS);
  if (source) return { ...source, text: written };
  const version = typeof spec === "string" ? spec.trim() : typeof table?.["version"] === "string" ? table["version"].trim() : "*";
  const base: Requirement = { type: "package", name, specifiers: [], editable: false, hashes: [], text: written, location };
  if (version === "*" || version === "" || !/^[=<>!~]/.test(version)) return base;
  const parsed = parseRequirementText(`${name}${version}`, location);
  return "error" in parsed ? base : { ...parsed, text: written };
}
