// When a written dependency names exactly one release: PEP 440 pins, VCS and archive refs, conda
// match specs. Pure functions on parsed requirements; the pinned-dependencies rule reports.
import path from "node:path";
import { valid as validVersion } from "@renovatebot/pep440";
import { isTestPath } from "./paths.js";
import type { CondaSpec } from "./parsers/conda.js";
import { normaliseName, type Requirement } from "./parsers/requirements.js";

/** `===anything`, or `==` with one valid PEP 440 version (so not `==1.*` and not `==latest`). */
export function isExactPin(requirement: Requirement): boolean {
  return requirement.specifiers.some(
    (specifier) => (specifier.operator === "===" && specifier.version !== "") || (specifier.operator === "==" && !specifier.version.includes("*") && validVersion(specifier.version) !== null),
  );
}

/** The requirement as written, without extras and markers: `pandas`, `scikit-learn>=1.4`, `numpy ^1.26` (Poetry). */
export function writtenAs(name: string, requirement: Requirement): string {
  const specifiers = requirement.specifiers.map((specifier) => `${specifier.operator}${specifier.version}`).join(",");
  if (specifiers === "") return name;
  return /^[=<>!~]/.test(specifiers) ? `${name}${specifiers}` : `${name} ${specifiers}`;
}

/** Conda packages whose release that matters is the minor one (see isCondaPin). */
const MINOR_VERSIONED = new Set(["python", "pytorch-cuda", "cuda-version"]);

/**
 * A conda spec names one release when its version is exact: `==1.26.4`, `1.26.4` after a space,
 * `=3.3=he6710b0_2` (with a build string conda matches the version exactly: what `conda env export`
 * writes), or `=1.26.4` without a build (conda reads `=1.26` as `1.26*`, every 1.26.x, so it
 * needs the full version: three parts, or a version with letters such as `2024a`).
 * Python is the exception: `python=3.11` pins the interpreter's minor release, which is what
 * wheels and the ABI depend on; its patch releases are bug fixes. So are the CUDA selector
 * metapackages, whose versions have two parts by design (`pytorch-cuda=12.1`, `cuda-version=12.2`).
 */
export function isCondaPin(spec: CondaSpec): boolean {
  const version = spec.version;
  if (version === "" || /[|,<>!~]/.test(version) || (spec.operator !== "=" && spec.operator !== "==")) return false;
  if (MINOR_VERSIONED.has(normaliseName(spec.name))) return /^\d+\.\d+(?:\.\d+[\w.]*)?(?:\.?\*)?$/.test(version);
  if (version.includes("*")) return false;
  if (spec.operator === "==" || (spec.build !== undefined && !spec.build.includes("*"))) return true;
  return version.split(".").length >= 3 || /[A-Za-z]/.test(version);
}

const FULL_COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i;
const VERSION_LIKE_TAG = /^(?:refs\/tags\/.+|(?:v|version-?|release-?|rel-?)?\d+(?:[._-]\d+)*(?:[.+_-]?[A-Za-z0-9]+)*)$/i;
export const HASH_FRAGMENT = /#(?:sha1|sha224|sha256|sha384|sha512|md5)=[0-9a-f]+/i;

export interface SourceUrlFinding {
  messageId: "vcsUnpinned" | "vcsTag";
  data: { name: string; url: string; ref: string };
}

/** Whether a VCS URL or a forge archive URL names a full commit; null when it does (or names one file). */
export function sourceUrlFinding(requirement: Requirement, name: string, allowVcsTags: boolean): SourceUrlFinding | null {
  const url = requirement.url ?? requirement.text;
  if (requirement.hashes.length > 0 || HASH_FRAGMENT.test(url)) return null;
  const ref = requirement.type === "vcs" ? vcsRef(url) : archiveRef(url);
  if (ref === undefined) return null; // a plain download URL of one file
  if (ref !== null && ref.includes("$")) return null; // set at build time
  if (ref !== null && FULL_COMMIT.test(ref)) return null;
  if (ref !== null && /^(svn|bzr)\+/.test(url) && /^\d+$/.test(ref)) return null; // a Subversion revision never changes
  // Shown without the fragment, the ref and any credentials (`https://${TOKEN}@host`, `user:password@`).
  let shownUrl = url.replace(/#.*$/, "").replace(/^([a-z+]+:\/\/)(?!git@)[^/@]*@/i, "$1");
  if (requirement.type === "vcs" && ref !== null) shownUrl = shownUrl.slice(0, shownUrl.length - ref.length - 1);
  const shortSha = ref !== null && /^[0-9a-f]{7,39}$/i.test(ref) && /[a-f]/i.test(ref);
  if (ref !== null && !shortSha && VERSION_LIKE_TAG.test(ref) && !/^refs\/heads\//.test(ref)) {
    if (allowVcsTags) return null;
    return { messageId: "vcsTag", data: { name, url: shownUrl, ref: `'${ref.replace(/^refs\/tags\//, "")}'` } };
  }
  const described =
    ref === null ? "no ref (the default branch)"
    : shortSha ? `short sha '${ref}'`
    : `branch '${ref.replace(/^refs\/heads\//, "")}'`;
  return { messageId: "vcsUnpinned", data: { name, url: shownUrl, ref: described } };
}

/** The `@ref` of a pip VCS URL (`git+https://host/org/repo.git@ref#egg=x`), or null when none is written. */
function vcsRef(url: string): string | null {
  const withoutFragment = url.replace(/^(git|hg|svn|bzr)\+/, "").replace(/#.*$/, "");
  const schemeEnd = withoutFragment.indexOf("://");
  // Credentials (`user:token@`, `${TOKEN}@`, `git@`) end at the last `@` before the first slash.
  const rest = (schemeEnd >= 0 ? withoutFragment.slice(schemeEnd + 3) : withoutFragment).replace(/^[^/]*@/, "");
  // The ref follows the last `@` of the repository path.
  const slash = rest.search(/[/:]/);
  if (slash < 0) return null;
  const repositoryPath = rest.slice(slash + 1);
  const at = repositoryPath.lastIndexOf("@");
  if (at < 0) return null;
  const ref = repositoryPath.slice(at + 1);
  return ref === "" ? null : ref;
}

/**
 * The ref of a source archive URL from a forge (GitHub, GitLab, Bitbucket), or undefined when the URL
 * is not such an archive (then it names one file, which does not move).
 */
function archiveRef(url: string): string | null | undefined {
  const clean = url.replace(/[?#].*$/, "");
  const patterns: RegExp[] = [
    /^https?:\/\/github\.com\/[^/]+\/[^/]+\/archive\/(.+?)\.(?:zip|tar\.gz|tgz)$/i,
    /^https?:\/\/(?:api\.)?github\.com\/(?:repos\/)?[^/]+\/[^/]+\/(?:tarball|zipball)(?:\/(.+))?$/i,
    /^https?:\/\/codeload\.github\.com\/[^/]+\/[^/]+\/(?:zip|tar\.gz|legacy\.tar\.gz|legacy\.zip)\/(.+)$/i,
    /^https?:\/\/gitlab\.[^/]+\/.+?\/-\/archive\/([^/]+)\/[^/]+$/i,
    /^https?:\/\/bitbucket\.org\/[^/]+\/[^/]+\/get\/(.+?)\.(?:zip|tar\.gz|tar\.bz2)$/i,
  ];
  for (const pattern of patterns) {
    const match = pattern.exec(clean);
    if (match) return match[1] ?? null;
  }
  return undefined;
}

/** A readable name for a requirement: its name, or for one written as a URL the repository or file name. */
export function requirementName(requirement: Requirement): string {
  if (requirement.name) return requirement.name;
  const url = requirement.url ?? requirement.text;
  const egg = /[#&]egg=([A-Za-z0-9._-]+)/.exec(url);
  if (egg?.[1]) return egg[1];
  const withoutRef = url.replace(/[?#].*$/, "").replace(/@[^/@]*$/, "");
  const parts = withoutRef.split("/").filter((part) => part !== "");
  // Forge archives name the repository before `/archive/`, `/tarball/`, `/-/archive/`, `/get/`.
  const marker = parts.findIndex((part, index) => index >= 3 && /^(?:archive|tarball|zipball|get|-)$/.test(part));
  const repository = marker > 0 ? parts[marker - 1] : parts[parts.length - 1];
  return (repository ?? url).replace(/\.git$/, "");
}

/** A glob of `[tool.uv.workspace] members` (`packages/*`, `libs/**`) as a regular expression. */
export function globToRegExp(glob: string): RegExp {
  const normalised = glob.replace(/^\.\//, "").replace(/\/$/, "");
  let pattern = "";
  for (let index = 0; index < normalised.length; index++) {
    const char = normalised[index] as string;
    if (char === "*" && normalised[index + 1] === "*") {
      pattern += ".*";
      index++;
    } else if (char === "*") pattern += "[^/]*";
    else if (char === "?") pattern += "[^/]";
    else pattern += char.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${pattern}$`);
}

/** Requirements of tooling that never reaches a deployed image: `requirements-dev.txt`, `dev-requirements.txt`, `requirements/test.txt`, `requirements_notebook.txt`. */
const TOOLING_NAME = /(?:^|[-_.])(?:dev|devel|develop|development|tests?|testing|lint|linting|docs?|typing|notebooks?|jupyter)(?:[-_.]|$)/i;

/** Tests and fixtures, dev containers and CI configuration: what they install never reaches a deployed image. */
export function isDevelopmentPath(file: string): boolean {
  return isTestPath(file) || /(?:^|\/)\.(?:devcontainer|github|gitlab|circleci)\//.test(file);
}

/**
 * A dependency file for developers rather than for the deployment: one at a development path, dev/test/lint/docs
 * requirements (`requirements-dev.txt`, `requirements/docs.txt`, `environment-dev.yml`), or a `docs/` folder's
 * requirements (what a Sphinx build installs).
 */
export function isDevelopmentFile(file: string): boolean {
  if (isDevelopmentPath(file) || /^docs?$/i.test(path.posix.basename(path.posix.dirname(file)))) return true;
  const base = path.posix.basename(file).replace(/\.(?:txt|in|ya?ml|toml)$/i, "");
  const stem = base.replace(/requirements|constraints|environment|conda/gi, "");
  const inRequirementsFolder = /^requirements$/i.test(path.posix.basename(path.posix.dirname(file)));
  return (stem !== base || inRequirementsFolder) && TOOLING_NAME.test(stem);
}
