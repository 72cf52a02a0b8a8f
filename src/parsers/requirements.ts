import { createRequire } from "node:module";
import type { Requirement as LibraryRequirement } from "pip-requirements-js";
import type { SourceLocation } from "../model.js";

/**
 * pip-requirements-js (and its grammar engine) loads in ~40 ms and only lines the regular-expression fast path
 * cannot read need it: it is required on first use, so most checks never load it.
 */
let pipRequirementsLineParser: ((line: string) => LibraryRequirement | null) | undefined;
function pipRequirementsLine(): (line: string) => LibraryRequirement | null {
  pipRequirementsLineParser ??= (createRequire(import.meta.url)("pip-requirements-js") as typeof import("pip-requirements-js")).parsePipRequirementsLine;
  return pipRequirementsLineParser;
}

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
// No two `\s*` may meet (`\s*,?\s*`): on a long run of spaces that backtracks quadratically (seconds a line).
const SIMPLE_REQUIREMENT =
  /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\]\s*)?((?:(?:===|==|~=|!=|<=|>=|<|>)\s*[A-Za-z0-9.*+!_-]+\s*(?:,\s*)?)*)$/;
const SPECIFIER = /(===|==|~=|!=|<=|>=|<|>)\s*([A-Za-z0-9.*+!_-]+)/g;
const VCS_PREFIX = /^(git|hg|svn|bzr)\+/;
const ARCHIVE = /\.(whl|tar\.gz|tgz|zip|tar\.bz2|tar\.xz|tar)$/i;
/** `name @ url` and `name[extra] @ url ; marker` (PEP 508 direct references). */
const DIRECT_REFERENCE = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\]\s*)?@\s*(\S+)\s*(?:;.*)?$/;
/** A variable pip expands in requirements files (`${NAME}`, POSIX names only). */
const PIP_VARIABLE = /\$\{[A-Za-z0-9_]+\}/;

function urlType(url: string): Requirement["type"] {
  if (VCS_PREFIX.test(url)) return "vcs";
  if (/^file:/i.test(url)) return "local";
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? "url" : "local";
}

/** True for a path to a project folder, wheel or sdist (`.`, `./pkg[extra]`, `src/pkg`, `dist/x.whl`). */
function looksLikePath(text: string): boolean {
  const withoutExtras = text.replace(/\[[^\]]*\]$/, "");
  if (/^(\.{1,2}([\\/]|$)|\/|~\/|[A-Za-z]:[\\/])/.test(withoutExtras)) return true;
  if (ARCHIVE.test(withoutExtras)) return true;
  // pip treats a word with a path separator that is not a valid requirement as a path (`src/pkg`).
  return /[\\/]/.test(withoutExtras) && !/[\s@;=<>!~]/.test(withoutExtras);
}

export function parseRequirementText(text: string, location: SourceLocation, editable = false): Requirement | { error: string } {
  const trimmed = text.trim();
  const base = { specifiers: [], editable, hashes: [], text: trimmed, location };
  if (VCS_PREFIX.test(trimmed)) {
    const egg = /[#&]egg=([A-Za-z0-9._-]+)/.exec(trimmed);
    return { ...base, type: "vcs", url: trimmed, ...(egg?.[1] ? { name: egg[1] } : {}) };
  }
  if (/^file:/i.test(trimmed)) {
    const egg = /[#&]egg=([A-Za-z0-9._-]+)/.exec(trimmed);
    return { ...base, type: "local", url: trimmed, ...(egg?.[1] ? { name: egg[1] } : {}) };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) return { ...base, type: "url", url: trimmed.replace(/\s+;.*$/, "") };
  const direct = DIRECT_REFERENCE.exec(trimmed);
  if (direct) {
    const url = direct[2] as string;
    return { ...base, type: urlType(url), name: direct[1] as string, url };
  }
  if (looksLikePath(trimmed)) return { ...base, type: "local", url: trimmed };
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
    parsed = pipRequirementsLine()(trimmed);
  } catch (error) {
    const message = error instanceof Error ? error.message.replace(/^Failed to parse requirements file\.\s*/, "") : String(error);
    return { error: `not a valid requirement: ${message}` };
  }
  if (!parsed) return { error: "not a valid requirement" };
  if (parsed.type === "ProjectName") {
    return { ...base, type: "package", name: parsed.name, specifiers: parsed.versionSpec?.map((spec) => ({ operator: spec.operator, version: spec.version })) ?? [] };
  }
  if (parsed.type === "ProjectURL") {
    return { ...base, type: urlType(parsed.url), name: parsed.name, url: parsed.url };
  }
  return { error: "not a valid requirement" };
}

/** Options of `pip install` and `uv pip install` that take a value as the next word when written without `=`. */
const OPTIONS_WITH_VALUE = new Set([
  "-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--trusted-host", "--no-binary",
  "--only-binary", "--platform", "--python-version", "--implementation", "--abi", "--use-feature",
  "--progress-bar", "--prefix", "--root", "--target", "-t", "--src", "--upgrade-strategy", "--config-settings",
  "-C", "--global-option", "--install-option", "--proxy", "--retries", "--timeout", "--exists-action",
  "--cert", "--client-cert", "--cache-dir", "--log", "--log-file", "--root-user-action", "--report",
  "--use-deprecated", "--python", "-p", "--keyring-provider", "--build", "-b", "--build-constraint",
  // pip wheel / pip download
  "-w", "--wheel-dir", "-d", "--dest", "--dist-dir",
  // uv pip install
  "--index", "--default-index", "--index-strategy", "--resolution", "--prerelease", "--exclude-newer",
  "--link-mode", "--extra", "--group", "--override", "--overrides", "--config-file", "--torch-backend",
  "--python-platform", "-P", "--upgrade-package", "--reinstall-package", "--no-build-isolation-package",
  "--refresh-package", "--no-binary-package", "--only-binary-package", "--allow-insecure-host",
]);

/**
 * Invalid lines read before the rest of a file is given up: each costs a full grammar parse (about
 * 1.5 ms), so a large file that is not a requirements file at all would otherwise take minutes.
 * pip itself stops at the first one.
 */
export const MAX_INVALID_REQUIREMENT_LINES = 50;

/**
 * Parses a requirements or constraints file. Each line is judged on its own, so one line pip would
 * reject becomes an error for that line and the rest of the file is still read (up to
 * MAX_INVALID_REQUIREMENT_LINES such lines).
 */
export function parseRequirements(text: string, path: string): RequirementsFile {
  const file: RequirementsFile = { path, requirements: [], includes: [], errors: [] };
  const physical = text.split("\n");
  for (let index = 0; index < physical.length; index++) {
    const startLine = index + 1;
    let logical = physical[index] ?? "";
    // pip joins continuations, but a comment line ends the joined line.
    while (logical.endsWith("\\") && index + 1 < physical.length && !/^\s*#/.test(physical[index + 1] ?? "")) {
      logical = logical.slice(0, -1) + " " + (physical[++index] ?? "");
    }
    if (logical.endsWith("\\")) logical = logical.slice(0, -1);
    // A comment starts at `#` at the line start or after white space (a URL fragment `#egg=` is not one).
    const content = logical.replace(/(^|\s)#.*$/, "").trim();
    if (content === "") continue;
    if (file.errors.length >= MAX_INVALID_REQUIREMENT_LINES) {
      file.errors.push({
        message: `not read from this line on: over ${MAX_INVALID_REQUIREMENT_LINES} lines pip would reject (is this really a requirements file?)`,
        location: { line: startLine, column: 1 },
      });
      break;
    }
    const indent = logical.length - logical.trimStart().length;
    const location: SourceLocation = { line: startLine, column: indent + 1 };
    parseRequirementsLine(content, location, file);
  }
  return file;
}

function parseRequirementsLine(content: string, location: SourceLocation, file: RequirementsFile): void {
  const include = /^(?:(-r|--requirement|-c|--constraint)(?:\s+|=)|(-r|-c)(?=[^\s=-]))(\S+)/.exec(content);
  if (include) {
    const flag = include[1] ?? include[2];
    const type = flag === "-r" || flag === "--requirement" ? "requirements" : "constraints";
    file.includes.push({ type, target: include[3] as string, location });
    return;
  }
  const editable = /^(-e|--editable)(?:\s+|=)(.+)$/.exec(content);
  if (editable) {
    const requirement = parseRequirementText(editable[2] as string, location, true);
    if (!("error" in requirement && PIP_VARIABLE.test(editable[2] as string))) pushRequirement(requirement, location, file);
    return;
  }
  if (content.startsWith("-")) return; // a global option such as --index-url or --no-binary
  // Per-requirement options (`--hash=sha256:...`, `--config-settings`) follow the requirement.
  const optionStart = content.search(/\s--?[A-Za-z]/);
  const requirementText = optionStart >= 0 ? content.slice(0, optionStart) : content;
  const options = optionStart >= 0 ? content.slice(optionStart) : "";
  const requirement = parseRequirementText(requirementText, location);
  // pip expands `${NAME}` from the environment before parsing: the value is unknown here, not an error.
  if ("error" in requirement && PIP_VARIABLE.test(requirementText)) return;
  if (!("error" in requirement)) {
    for (const hash of options.matchAll(/--hash[=\s]+(\S+)/g)) requirement.hashes.push(hash[1] as string);
  }
  pushRequirement(requirement, location, file);
}

function pushRequirement(requirement: Requirement | { error: string }, location: SourceLocation, file: RequirementsFile): void {
  if ("error" in requirement) file.errors.push({ message: requirement.error, location });
  else file.requirements.push(requirement);
}

/** What `parsePipInstallArguments` found in the arguments of one `pip install`. */
export interface PipInstallArguments {
  requirements: Requirement[];
  includes: RequirementsInclude[];
  /** Every option written, without its value (`--no-index`, `--upgrade`, `-U`). */
  options: string[];
  /** Words skipped because their value is only known at run time (`$PKG`, `torch==${VERSION}`). */
  variables: { text: string; location: SourceLocation }[];
}

const INCLUDE_FLAG = /^(-r|--requirements?|-c|--constraints?)(?:=(.+))?$/;

/**
 * Splits the arguments of a `pip install` (already tokenised) into requirements, requirement and
 * constraint files, ignoring options. Used for Dockerfile RUN lines and shell scripts. Also reads
 * `uv pip install` arguments (`--requirements`, `--constraints`).
 */
export function parsePipInstallArguments(words: { text: string; location: SourceLocation }[]): PipInstallArguments {
  const requirements: Requirement[] = [];
  const includes: RequirementsInclude[] = [];
  const options: string[] = [];
  const variables: PipInstallArguments["variables"] = [];
  for (let index = 0; index < words.length; index++) {
    const word = words[index] as { text: string; location: SourceLocation };
    const text = word.text;
    const includeFlag = INCLUDE_FLAG.exec(text) ?? /^(-r|-c)([^=-].*)$/.exec(text);
    if (includeFlag) {
      options.push(includeFlag[1] as string);
      const target = includeFlag[2] ?? words[++index]?.text;
      if (target) {
        const type = includeFlag[1]?.startsWith("-r") || includeFlag[1]?.startsWith("--requirement") ? "requirements" : "constraints";
        includes.push({ type, target, location: word.location });
      }
      continue;
    }
    const editable = /^(?:-e|--editable)(?:=?(.+))?$/.exec(text);
    if (editable && (text === "-e" || text === "--editable" || text.startsWith("--editable=") || !text.startsWith("--"))) {
      options.push("--editable");
      const next = editable[1] !== undefined ? { text: editable[1], location: word.location } : words[++index];
      if (next) {
        if (next.text.includes("$")) {
          variables.push(next);
          continue;
        }
        const requirement = parseRequirementText(next.text, next.location, true);
        if (!("error" in requirement)) requirements.push(requirement);
      }
      continue;
    }
    if (text.startsWith("-")) {
      const name = text.replace(/=.*$/, "");
      options.push(name);
      if (OPTIONS_WITH_VALUE.has(text)) index++;
      continue;
    }
    if (text.includes("$")) {
      variables.push(word); // a variable: its value is not known statically
      continue;
    }
    if (/^\d+$/.test(text)) continue; // a file descriptor left by a redirection such as `2>&1`
    const requirement = parseRequirementText(text, word.location);
    if (!("error" in requirement)) requirements.push(requirement);
  }
  return { requirements, includes, options, variables };
}

/** Normalised project name (PEP 503): lower case, runs of `-_.` as one `-`. */
export function normaliseName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}
