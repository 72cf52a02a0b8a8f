import type { SourceLocation } from "../model.js";
import { parseRequirements, type Requirement, type RequirementsInclude } from "./requirements.js";
import { isRecord, type YamlDocument } from "./yaml.js";

/**
 * A conda match spec, as written in `environment.yml` or on a `conda install` line:
 * `numpy`, `numpy=1.26.4`, `numpy==1.26.4`, `numpy=1.26.4=py311_0`, `numpy 1.26.4 py311_0`,
 * `numpy>=1.26,<2`, `conda-forge::numpy=1.26.4`, `numpy[version='>=1.26']`.
 */
export interface CondaSpec {
  name: string;
  channel?: string;
  /**
   * `=` is conda's fuzzy match (`=1.26` is every 1.26.x); `==` (also a bare version after a space) is
   * exact; `>=`, `<`, `!=`, `~=`... are ranges; `""` when no version is written.
   */
  operator: string;
  /** The version as written, possibly with `*`, `|` or `,`. */
  version: string;
  build?: string;
  /** The spec as written. */
  text: string;
}

const NAME = /^([A-Za-z0-9_][A-Za-z0-9_.+-]*)/;

export function parseCondaSpec(written: string): CondaSpec | null {
  const text = written.trim();
  let rest = text;
  let channel: string | undefined;
  const channelMatch = /^([^\s:=<>!~[\]]+(?:\/[^\s:=<>!~[\]]+)*)::/.exec(rest);
  if (channelMatch) {
    channel = channelMatch[1] as string;
    rest = rest.slice(channelMatch[0].length);
  }
  const name = NAME.exec(rest)?.[1];
  if (!name) return null;
  rest = rest.slice(name.length);
  const base = { name, text, ...(channel ? { channel } : {}) };
  // `numpy[version='>=1.26', build=py311*]`
  const bracket = /^\[([^\]]*)\]/.exec(rest);
  if (bracket) {
    const keys = Object.fromEntries(
      [...(bracket[1] as string).matchAll(/([a-z_]+)\s*=\s*(?:'([^']*)'|"([^"]*)"|([^,\s]*))/g)].map((match) => [match[1], match[2] ?? match[3] ?? match[4] ?? ""]),
    );
    rest = rest.slice(bracket[0].length).trim();
    if (rest === "" && typeof keys["version"] === "string") {
      const inner = parseVersionPart(keys["version"]);
      return { ...base, ...inner, ...(keys["build"] ? { build: keys["build"] } : {}) };
    }
  }
  rest = rest.trim();
  if (rest === "") return { ...base, operator: "", version: "" };
  // `numpy 1.26.4 py311_0`: a version after a space is an exact match unless it has an operator or `*`.
  if (!/^[=<>!~]/.test(rest)) {
    const [version, build] = rest.split(/\s+/) as [string, string | undefined];
    const parsed = parseVersionPart(version);
    return { ...base, ...(parsed.operator === "=" ? { operator: "==", version: parsed.version } : parsed), ...(build ? { build } : {}) };
  }
  // `=1.26.4=py311_0`, `==1.26.4`, `>=1.26,<2`
  const exact = /^(==?)([^=\s]+)(?:[=\s]+(\S+))?$/.exec(rest);
  if (exact) return { ...base, operator: exact[1] as string, version: exact[2] as string, ...(exact[3] ? { build: exact[3] } : {}) };
  const operator = /^(>=|<=|!=|~=|>|<)/.exec(rest)?.[1] ?? "";
  return { ...base, operator, version: rest.slice(operator.length).trim() };
}

function parseVersionPart(text: string): { operator: string; version: string } {
  const match = /^(===?|>=|<=|!=|~=|>|<|=)?\s*(.*)$/.exec(text.trim()) as RegExpExecArray;
  return { operator: match[1] ?? "=", version: (match[2] ?? "").trim() };
}

export interface CondaDependency {
  spec: CondaSpec;
  location: SourceLocation;
}

/** A conda environment file (`environment.yml`, an MLflow model's `conda.yaml`). */
export interface CondaEnvironment {
  path: string;
  channels: string[];
  /** Conda packages of `dependencies:`. */
  dependencies: CondaDependency[];
  /** The `pip:` list, read line by line as a requirements file (`-r` paths are relative to the environment file). */
  pip: { requirements: Requirement[]; includes: RequirementsInclude[] } | null;
  /** Entries that are neither a match spec nor a `pip:` list. */
  errors: { message: string; location: SourceLocation }[];
}

/** The environment a YAML document describes, or null when it has no `dependencies:` list. */
export function condaEnvironmentOf(document: YamlDocument, path: string): CondaEnvironment | null {
  const value = document.value;
  if (!isRecord(value) || !Array.isArray(value["dependencies"])) return null;
  const environment: CondaEnvironment = {
    path,
    channels: Array.isArray(value["channels"]) ? value["channels"].filter((channel): channel is string => typeof channel === "string") : [],
    dependencies: [],
    pip: null,
    errors: [],
  };
  (value["dependencies"] as unknown[]).forEach((entry, index) => {
    const location = document.locate(["dependencies", index]);
    if (typeof entry === "string" || typeof entry === "number") {
      const spec = parseCondaSpec(String(entry));
      if (spec) environment.dependencies.push({ spec, location });
      else environment.errors.push({ message: `not a conda package spec: ${String(entry)}`, location });
      return;
    }
    if (isRecord(entry) && Array.isArray(entry["pip"])) {
      const pip = environment.pip ?? { requirements: [], includes: [] };
      environment.pip = pip;
      (entry["pip"] as unknown[]).forEach((line, lineIndex) => {
        if (typeof line !== "string") return;
        const at = document.locate(["dependencies", index, "pip", lineIndex]);
        // Each entry is one line of a requirements file; its positions are those of the YAML entry.
        const parsed = parseRequirements(line, path);
        for (const requirement of parsed.requirements) pip.requirements.push({ ...requirement, location: at });
        for (const include of parsed.includes) pip.includes.push({ ...include, location: at });
        for (const error of parsed.errors) environment.errors.push({ message: error.message, location: at });
      });
    }
  });
  return environment;
}
