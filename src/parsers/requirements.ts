import { parsePipRequirementsLine, type Requirement as LibraryRequirement } from "pip-requirements-js";
import type { SourceLocation } from "../model.js";

export interface VersionSpecifier {
  operator: string;
  version: string;
}

/**
 * One thing pip would install. `package` is a PEP 508 name with specifiers; `url` is a direct
 * reference (`name @ https://...` or a bare archive URL); `vcs` is `git+...`; `local` is a path to
 * a wheel, sdist or project folder.
 */
export interface Requirement {
  type: "package" | "url" | "vcs" | "local";
  name?: string;
  specifiers: VersionSpecifier[];
  url?: string;
  editable: boolean;
  hashes: string[];
  /** The requirement as written, without options and comments. */
  text: string;
  location: SourceLocation;
}

export interface RequirementsInclude {
  type: "requirements" | "constraints";
  /** The path as written, relative to the including file. */
  target: string;
  location: SourceLocation;
}

export interface RequirementsFile {
  path: string;
  requirements: Requirement[];
  includes: RequirementsInclude[];
  /** Lines pip would reject, with why. */
  errors: { message: string; location: SourceLocation }[];
}

// `name==1.2.3`, `name[extra]>=1,<2`: the common shapes, parsed without the PEG grammar, which
// costs about 0.3 ms a line (measured on 2,000 lines).
const SIMPLE_REQUIREMENT =
  /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?\s*((?:(?:===|==|~=|!=|<=|>=|<|>)\s*[A-Za-z0-9.*+!_-]+\s*,?\s*)*)$/;
const SPECIFIER = /(===|==|~=|!=|<=|>=|<|>)\s*([A-Za-z0-9.*+!_-]+)/g;
const VCS_PREFIX = /^(git|hg|svn|bzr)\+/;
const ARCHIVE = /\.(whl|tar\.gz|tgz|zip|tar\.bz2|tar)$/i;

export function parseRequirementText(text: string, location: SourceLocation, editable = false): Requirement | { error: string } {
  const base = { specifiers: [], editable, hashes: [], text, location };
  const trimmed = text.trim();
  if (VCS_PREFIX.test(trimmed)) {
    const egg = /[#&]egg=([A-Za-z0-9._-]+)/.exec(trimmed);
    return { ...base, type: "vcs", url: trimmed, ...(egg?.[1] ? { name: egg[1] } : {}) };
  }
  if (/^[a-z]+:\/\//i.test(trimmed)) return { ...base, type: "url", url: trimmed };
  if (/^(\.{1,2}\/|\/|~\/|file:)/.test(trimmed) || ARCHIVE.test(trimmed) || trimmed === ".") {
    return { ...base, type: "local", url: trimmed };
  }
  const simple = SIMPLE_REQUIREMENT.exec(trimmed);
  if (simple) {
    const specifiers: VersionSpecifier[] = [];
    for (const match of (simple[3] ?? "").matchAll(SPECIFIER)) {
      specifiers.push({ operator: match[1] as string, version: match[2] as string });
    }
    return { ...base, type: "package", name: simple[1] as string, specifiers };
  }
  let parsed: LibraryRequirement | null;
  try {
    parsed = parsePipRequirementsLine(trimmed);
  } catch (error) {
    const message = error instanceof Error ? error.message.replace(/^Failed to parse requirements file\.\s*/, "") : String(error);
    return { error: `not a valid requirement: ${message}` };
  }
  if (!parsed) return { error: "not a valid requirement" };
  if (parsed.type === "ProjectName") {
    return { ...base, type: "package", name: parsed.name, specifiers: parsed.versionSpec?.map((spec) => ({ operator: spec.operator, version: spec.version })) ?? [] };
  }
  if (parsed.type === "ProjectURL") {
    const type = VCS_PREFIX.test(parsed.url) ? "vcs" : parsed.url.startsWith("file:") ? "local" : "url";
    return { ...base, type, name: parsed.name, url: parsed.url };
  }
  return { error: "not a valid requirement" };
}

/** Options that take a value as the next word when written without `=`. */
const OPTIONS_WITH_VALUE = new Set([
  "-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--trusted-host", "--no-binary",
  "--only-binary", "--platform", "--python-version", "--implementation", "--abi", "--use-feature",
  "--progress-bar", "--prefix", "--root", "--target", "-t", "--src", "--upgrade-strategy", "--config-settings",
]);

/**
 * Parses a requirements or constraints file. Each line is judged on its own, so one line pip would
 * reject becomes an error for that line and the rest of the file is still read.
 */
export function parseRequirements(text: string, path: string): RequirementsFile {
  const file: RequirementsFile = { path, requirements: [], includes: [], errors: [] };
  const physical = text.split("\n");
  for (let index = 0; index < physical.length; index++) {
    const startLine = index + 1;
    let logical = physical[index] ?? "";
    while (logical.endsWith("\\") && index + 1 < physical.length) {
      logical = logical.slice(0, -1) + " " + (physical[++index] ?? "");
    }
    // A comment starts at `#` at the line start or after white space (a URL fragment `#egg=` is not one).
    const content = logical.replace(/(^|\s)#.*$/, "").trim();
    if (content === "") continue;
    const indent = logical.length - logical.trimStart().length;
    const location: SourceLocation = { line: startLine, column: indent + 1 };
    parseRequirementsLine(content, location, file);
  }
  return file;
}

function parseRequirementsLine(content: string, location: SourceLocation, file: RequirementsFile): void {
  const include = /^(-r|--requirement|-c|--constraint)(?:\s+|=)(\S+)/.exec(content);
  if (include) {
    const type = include[1] === "-r" || include[1] === "--requirement" ? "requirements" : "constraints";
    file.includes.push({ type, target: include[2] as string, location });
    return;
  }
  const editable = /^(-e|--editable)(?:\s+|=)(.+)$/.exec(content);
  if (editable) {
    pushRequirement(parseRequirementText(editable[2] as string, location, true), location, file);
    return;
  }
  if (content.startsWith("-")) return; // a global option such as --index-url or --no-binary
  // Per-requirement options (`--hash=sha256:...`, `--config-settings`) follow the requirement.
  const optionStart = content.search(/\s--?[A-Za-z]/);
  const requirementText = optionStart >= 0 ? content.slice(0, optionStart) : content;
  const options = optionStart >= 0 ? content.slice(optionStart) : "";
  const requirement = parseRequirementText(requirementText, location);
  if (!("error" in requirement)) {
    for (const hash of options.matchAll(/--hash[=\s]+(\S+)/g)) requirement.hashes.push(hash[1] as string);
  }
  pushRequirement(requirement, location, file);
}

function pushRequirement(requirement: Requirement | { error: string }, location: SourceLocation, file: RequirementsFile): void {
  if ("error" in requirement) file.errors.push({ message: requirement.error, location });
  else file.requirements.push(requirement);
}

/**
 * Splits the arguments of a `pip install` (already tokenised) into requirements, requirement and
 * constraint files, ignoring options. Used for Dockerfile RUN lines and shell scripts.
 */
export function parsePipInstallArguments(words: { text: string; location: SourceLocation }[]): {
  requirements: Requirement[];
  includes: RequirementsInclude[];
} {
  const requirements: Requirement[] = [];
  const includes: RequirementsInclude[] = [];
  for (let index = 0; index < words.length; index++) {
    const word = words[index] as { text: string; location: SourceLocation };
    const text = word.text;
    const includeFlag = /^(-r|--requirement|-c|--constraint)(?:=(.+))?$/.exec(text);
    if (includeFlag) {
      const target = includeFlag[2] ?? words[++index]?.text;
      if (target) {
        const type = includeFlag[1] === "-r" || includeFlag[1] === "--requirement" ? "requirements" : "constraints";
        includes.push({ type, target, location: word.location });
      }
      continue;
    }
    if (text === "-e" || text === "--editable") {
      const next = words[++index];
      if (next) {
        const requirement = parseRequirementText(next.text, next.location, true);
        if (!("error" in requirement)) requirements.push(requirement);
      }
      continue;
    }
    if (text.startsWith("-")) {
      if (OPTIONS_WITH_VALUE.has(text)) index++;
      continue;
    }
    if (text.startsWith("$")) continue; // a variable: its value is not known statically
    const requirement = parseRequirementText(text, word.location);
    if (!("error" in requirement)) requirements.push(requirement);
  }
  return { requirements, includes };
}

/** Normalised project name (PEP 503): lower case, runs of `-_.` as one `-`. */
export function normaliseName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}
