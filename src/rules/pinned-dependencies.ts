import path from "node:path";
import { valid as validVersion } from "@renovatebot/pep440";
import type { DockerfileModel, DockerInstruction } from "../parsers/dockerfile.js";
import type { PyprojectFile } from "../parsers/pyproject.js";
import {
  normaliseName,
  parsePipInstallArguments,
  type Requirement,
  type RequirementsFile,
  type RequirementsInclude,
} from "../parsers/requirements.js";
import { tokenizeShell, type ShellCommand } from "../parsers/shell.js";
import { LineIndex } from "../parsers/text.js";
import { resolveInclude, type ProjectModel } from "../project.js";
import { defineRule, type ReportDescriptor } from "../rule.js";

interface Options {
  allowVcsTags: boolean;
  ignore: string[];
  reportInstallerTooling: boolean;
}

/** The installer itself and its build backends: upgrading them is a bootstrap step, not a dependency of the model. */
const INSTALLER_TOOLING = new Set(["pip", "setuptools", "wheel", "uv"]);
const LOCK_FILES = ["uv.lock", "poetry.lock", "pdm.lock", "pylock.toml"];
const FULL_COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i;
const VERSION_LIKE_TAG = /^(?:refs\/tags\/.+|(?:v|version-?|release-?|rel-?)?\d+(?:[._-]\d+)*(?:[.+_-]?[A-Za-z0-9]+)*)$/i;
const HASH_FRAGMENT = /#(?:sha1|sha224|sha256|sha384|sha512|md5)=[0-9a-f]+/i;

/** A place pip installs from: a requirements file, or the arguments of one `pip install` in a Dockerfile. */
interface InstallSource {
  /** Project-relative path of the requirements file or Dockerfile. */
  file: string;
  requirements: Requirement[];
  includes: ResolvedInclude[];
  /** A `pip install` command rather than a requirements file. */
  command?: { noIndex: boolean };
}

type Report = (descriptor: ReportDescriptor) => void;

interface ResolvedInclude {
  type: RequirementsInclude["type"];
  /** Project-relative path of a parsed requirements file, or null when it is not in the project (a URL, a file made at build time). */
  target: string | null;
}

/** What every `pip install` that reads a source brings with it: exact pins, constraint files, and pins it cannot see. */
interface InstallContext {
  /** Normalised names pinned with `==`/`===` by a requirement or a constraint of the same install. */
  pinned: Set<string>;
  /** Constraint files (`-c`) of the same install, project-relative. */
  constraintFiles: Set<string>;
  /** A `-c` names a file that is not in the project (a URL, a file made at build time): its pins are unknown. */
  unknownConstraints: boolean;
}

export default defineRule<Options>({
  meta: {
    id: "pinned-dependencies",
    title: "Pin every Python dependency to one exact version",
    section: "container",
    severity: "error",
    weight: 3,
    description:
      "Every Python package installed into the image (requirements files, `pip install` in Dockerfiles, pyproject dependencies) is pinned with `==`, to a full VCS commit, or by a lock file, so that a rebuild installs exactly what was tested.",
    options: {
      type: "object",
      additionalProperties: false,
      properties: {
        allowVcsTags: {
          type: "boolean",
          description: "Accept a VCS URL pinned to a version tag (`@v1.2.0`) instead of a full commit sha.",
        },
        ignore: {
          type: "array",
          items: { type: "string", minLength: 1 },
          uniqueItems: true,
          description: "Package names never reported (compared after PEP 503 normalisation).",
        },
        reportInstallerTooling: {
          type: "boolean",
          description: "Also report unpinned pip, setuptools, wheel and uv in Dockerfile `pip install` commands.",
        },
      },
    },
    defaultOptions: { allowVcsTags: false, ignore: [], reportInstallerTooling: false },
    messages: {
      unpinned:
        "{{name}} is not pinned to one exact version (written '{{specifier}}'), so a rebuild can install a different release. Pin it with {{name}}==<version> (pip-compile or uv pip compile can generate pins).",
      unpinnedConstrained:
        "{{name}} is not pinned to one exact version (written '{{specifier}}') and the constraints file {{constraints}} does not pin it either. Add {{name}}==<version> to {{constraints}} or pin it here (pip-compile or uv pip compile can generate pins).",
      vcsUnpinned:
        "{{name}} is installed from {{url}} at {{ref}}, which does not name one fixed commit. Pin the URL to a full 40-character commit sha (…@<sha>).",
      vcsTag:
        "{{name}} is installed from {{url}} at tag {{ref}}, and tags can be moved. Pin the URL to the tag's full 40-character commit sha, or set allowVcsTags if you trust the tags.",
      pyprojectNoLock:
        "{{name}} is not pinned (written '{{specifier}}') and no lock file (uv.lock, poetry.lock, pdm.lock) sits beside {{file}}. Commit a lock file (uv lock, poetry lock or pdm lock) and build from it, or pin it with {{name}}==<version>.",
    },
  },
  check(context) {
    const options: Options = {
      allowVcsTags: context.options.allowVcsTags ?? false,
      ignore: context.options.ignore ?? [],
      reportInstallerTooling: context.options.reportInstallerTooling ?? false,
    };
    const ignored = new Set(options.ignore.map(normaliseName));
    const project = context.project;
    // `pip install "feast[gcp]~=0.30" "feast[aws]~=0.30"` is one unpinned package, reported once.
    const reported = new Set<string>();
    const report: Report = (descriptor) => {
      const key = `${descriptor.file}:${descriptor.at?.line}:${descriptor.messageId}:${descriptor.data?.["name"]}`;
      if (reported.has(key)) return;
      reported.add(key);
      context.report(descriptor);
    };

    const filesByPath = new Map(project.requirementsFiles.map((file) => [file.path, file]));
    const fileSources = new Map<string, InstallSource>();
    for (const requirementsFile of project.requirementsFiles) {
      fileSources.set(requirementsFile.path, fileSource(requirementsFile, filesByPath));
    }
    const commandSources = project.dockerfiles.flatMap((dockerfile) => pipInstallSources(dockerfile, filesByPath));

    // A file that something installs with -r is an install, whatever its name; one only ever read with -c is not.
    const requirementTargets = new Set<string>();
    const constraintTargets = new Set<string>();
    for (const source of [...fileSources.values(), ...commandSources]) {
      for (const include of source.includes) {
        if (include.target === null) continue;
        (include.type === "requirements" ? requirementTargets : constraintTargets).add(include.target);
      }
    }
    const isConstraintsOnly = (file: string): boolean => {
      if (requirementTargets.has(file)) return false;
      const base = path.posix.basename(file).toLowerCase();
      if (base.startsWith("constraints")) return true;
      return constraintTargets.has(file) && !base.startsWith("requirements") && path.posix.basename(path.posix.dirname(file)) !== "requirements";
    };

    // Each requirements file and each pip command is the root of one install; a file read by several
    // installs is pinned when any of them pins it (pip applies every -c and every == of an install to all of it).
    const contexts = new Map<string, InstallContext[]>();
    const commandContexts: InstallContext[] = [];
    const roots: { source: InstallSource; isCommand: boolean }[] = [
      ...[...fileSources.values()].map((source) => ({ source, isCommand: false })),
      ...commandSources.map((source) => ({ source, isCommand: true })),
    ];
    for (const { source, isCommand } of roots) {
      // A file without includes adds nothing beyond its own pins, which are checked directly.
      if (!isCommand && source.includes.length === 0) continue;
      const closure = installClosure(source, fileSources);
      if (isCommand) commandContexts.push(closure.context);
      for (const file of closure.files) {
        const existing = contexts.get(file);
        if (existing) existing.push(closure.context);
        else contexts.set(file, [closure.context]);
      }
    }

    let judged = 0;
    for (const source of fileSources.values()) {
      if (isConstraintsOnly(source.file)) continue;
      judged++;
      const installContext = unionOf([ownPins(source), ...(contexts.get(source.file) ?? [])]);
      for (const requirement of source.requirements) {
        judgeRequirement(report, options, ignored, requirement, source, installContext);
      }
    }
    commandSources.forEach((source, index) => {
      judged++;
      const installContext = commandContexts[index] ?? emptyContext();
      for (const requirement of source.requirements) {
        judgeRequirement(report, options, ignored, requirement, source, installContext);
      }
    });
    const compiledFolders = new Set(
      project.requirementsFiles
        .filter((file) => {
          const packages = file.requirements.filter((requirement) => requirement.type === "package");
          return packages.length > 0 && packages.every(isExactPin);
        })
        .map((file) => path.posix.dirname(file.path)),
    );
    for (const pyproject of project.pyprojects) {
      if (pyproject.dependencies.length === 0) continue;
      judged++;
      if (hasLock(pyproject, project, compiledFolders)) continue;
      for (const requirement of pyproject.dependencies) judgePyprojectDependency(report, options, ignored, requirement, pyproject.path);
    }

    if (judged === 0) {
      context.skip("The project has no requirements files, no pyproject.toml dependencies and no pip install in a Dockerfile.");
    }
  },
});

function emptyContext(): InstallContext {
  return { pinned: new Set(), constraintFiles: new Set(), unknownConstraints: false };
}

/** The exact pins a source makes itself (`numpy` and `numpy==1.26.4` on two lines of one file). */
function ownPins(source: InstallSource): InstallContext {
  const context = emptyContext();
  for (const requirement of source.requirements) {
    if (requirement.name && requirement.type === "package" && isExactPin(requirement)) context.pinned.add(normaliseName(requirement.name));
  }
  return context;
}

/** The installs that read one file, seen together: a package is pinned when any of them pins it. */
function unionOf(contexts: InstallContext[]): InstallContext {
  if (contexts.length === 1) return contexts[0] as InstallContext;
  const union = emptyContext();
  for (const context of contexts) {
    for (const name of context.pinned) union.pinned.add(name);
    for (const file of context.constraintFiles) union.constraintFiles.add(file);
    union.unknownConstraints ||= context.unknownConstraints;
  }
  return union;
}

function fileSource(requirementsFile: RequirementsFile, filesByPath: Map<string, RequirementsFile>): InstallSource {
  return {
    file: requirementsFile.path,
    requirements: requirementsFile.requirements,
    includes: requirementsFile.includes.map((include) => {
      const resolved = resolveInclude(requirementsFile.path, include.target);
      return { type: include.type, target: resolved !== null && filesByPath.has(resolved) ? resolved : null };
    }),
  };
}

/** `===anything`, or `==` with one valid PEP 440 version (so not `==1.*` and not `==latest`). */
function isExactPin(requirement: Requirement): boolean {
  return requirement.specifiers.some(
    (specifier) => (specifier.operator === "===" && specifier.version !== "") || (specifier.operator === "==" && !specifier.version.includes("*") && validVersion(specifier.version) !== null),
  );
}

/**
 * Walks the `-r`/`-c` graph of one install. Every file is visited once, so a `-r` cycle ends.
 * Files read through `-c` (and whatever they include) only add pins.
 */
function installClosure(root: InstallSource, fileSources: Map<string, InstallSource>): { files: string[]; context: InstallContext } {
  const context = emptyContext();
  const installed: string[] = [];
  const seen = new Set<string>();
  const pending: { source: InstallSource; constraint: boolean }[] = [{ source: root, constraint: false }];
  if (!root.command) seen.add(root.file);
  while (pending.length > 0) {
    const { source, constraint } = pending.pop() as { source: InstallSource; constraint: boolean };
    if (!source.command && !constraint) installed.push(source.file);
    for (const requirement of source.requirements) {
      if (requirement.name && requirement.type === "package" && isExactPin(requirement)) context.pinned.add(normaliseName(requirement.name));
    }
    for (const include of source.includes) {
      const asConstraint = constraint || include.type === "constraints";
      if (include.target === null) {
        if (include.type === "constraints") context.unknownConstraints = true;
        continue;
      }
      if (asConstraint) context.constraintFiles.add(include.target);
      const key = `${asConstraint ? "c" : "r"}:${include.target}`;
      if (seen.has(key) || (!asConstraint && seen.has(include.target))) continue;
      seen.add(key);
      if (!asConstraint) seen.add(include.target);
      const next = fileSources.get(include.target);
      if (next) pending.push({ source: next, constraint: asConstraint });
    }
  }
  return { files: installed, context };
}

/** The requirement as written, without extras and markers: `pandas`, `scikit-learn>=1.4`, `numpy ^1.26` (Poetry). */
function writtenAs(name: string, requirement: Requirement): string {
  const specifiers = requirement.specifiers.map((specifier) => `${specifier.operator}${specifier.version}`).join(",");
  if (specifiers === "") return name;
  return /^[=<>!~]/.test(specifiers) ? `${name}${specifiers}` : `${name} ${specifiers}`;
}

function judgeRequirement(
  report: Report,
  options: Options,
  ignored: Set<string>,
  requirement: Requirement,
  source: InstallSource,
  installContext: InstallContext,
): void {
  const name = requirement.name ?? nameFromUrl(requirement.url ?? requirement.text);
  if (ignored.has(normaliseName(name))) return;
  if (requirement.type === "local") return;
  if (requirement.type === "vcs" || requirement.type === "url") {
    judgeSourceUrl(report, options, requirement, name, source.file);
    return;
  }
  if (isExactPin(requirement)) return;
  const normalised = normaliseName(name);
  if (installContext.pinned.has(normalised) || installContext.unknownConstraints) return;
  if (source.command) {
    if (INSTALLER_TOOLING.has(normalised) && !options.reportInstallerTooling) return;
    // `--no-index` installs only from local wheel folders (--find-links), built by an earlier step.
    if (source.command.noIndex) return;
  }
  const constraints = [...installContext.constraintFiles].sort();
  const data = { name, specifier: writtenAs(name, requirement) };
  if (constraints.length > 0) {
    report({ messageId: "unpinnedConstrained", data: { ...data, constraints: constraints.join(" or ") }, file: source.file, at: requirement.location });
  } else {
    report({ messageId: "unpinned", data, file: source.file, at: requirement.location });
  }
}

function judgePyprojectDependency(report: Report, options: Options, ignored: Set<string>, requirement: Requirement, file: string): void {
  const name = requirement.name ?? nameFromUrl(requirement.url ?? requirement.text);
  if (ignored.has(normaliseName(name)) || requirement.type === "local") return;
  if (requirement.type === "vcs" || requirement.type === "url") {
    judgeSourceUrl(report, options, requirement, name, file);
    return;
  }
  if (isExactPin(requirement)) return;
  report({ messageId: "pyprojectNoLock", data: { name, specifier: writtenAs(name, requirement), file }, file, at: requirement.location });
}

/** Checks that a VCS URL or a forge archive URL names a full commit. */
function judgeSourceUrl(report: Report, options: Options, requirement: Requirement, name: string, file: string): void {
  const url = requirement.url ?? requirement.text;
  if (requirement.hashes.length > 0 || HASH_FRAGMENT.test(url)) return;
  const ref = requirement.type === "vcs" ? vcsRef(url) : archiveRef(url);
  if (ref === undefined) return; // a plain download URL of one file
  if (ref !== null && ref.includes("$")) return; // set at build time
  if (ref !== null && FULL_COMMIT.test(ref)) return;
  if (ref !== null && /^(svn|bzr)\+/.test(url) && /^\d+$/.test(ref)) return; // a Subversion revision never changes
  // Shown without the fragment, the ref and any credentials (`https://${TOKEN}@host`, `user:password@`).
  let shownUrl = url.replace(/#.*$/, "").replace(/^([a-z+]+:\/\/)(?!git@)[^/@]*@/i, "$1");
  if (requirement.type === "vcs" && ref !== null) shownUrl = shownUrl.slice(0, shownUrl.length - ref.length - 1);
  const shortSha = ref !== null && /^[0-9a-f]{7,39}$/i.test(ref) && /[a-f]/i.test(ref);
  if (ref !== null && !shortSha && VERSION_LIKE_TAG.test(ref) && !/^refs\/heads\//.test(ref)) {
    if (options.allowVcsTags) return;
    report({ messageId: "vcsTag", data: { name, url: shownUrl, ref: `'${ref.replace(/^refs\/tags\//, "")}'` }, file, at: requirement.location });
    return;
  }
  const described =
    ref === null ? "no ref (the default branch)"
    : shortSha ? `short sha '${ref}'`
    : `branch '${ref.replace(/^refs\/heads\//, "")}'`;
  report({ messageId: "vcsUnpinned", data: { name, url: shownUrl, ref: described }, file, at: requirement.location });
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

/** A readable name for a requirement written as a URL: the repository or file name. */
function nameFromUrl(url: string): string {
  const egg = /[#&]egg=([A-Za-z0-9._-]+)/.exec(url);
  if (egg?.[1]) return egg[1];
  const withoutRef = url.replace(/[?#].*$/, "").replace(/@[^/@]*$/, "");
  const parts = withoutRef.split("/").filter((part) => part !== "");
  // Forge archives name the repository before `/archive/`, `/tarball/`, `/-/archive/`, `/get/`.
  const marker = parts.findIndex((part, index) => index >= 3 && /^(?:archive|tarball|zipball|get|-)$/.test(part));
  const repository = marker > 0 ? parts[marker - 1] : parts[parts.length - 1];
  return (repository ?? url).replace(/\.git$/, "");
}

/** `compiledFolders`: folders holding a requirements file with packages, every one of them pinned. */
function hasLock(pyproject: PyprojectFile, project: ProjectModel, compiledFolders: Set<string>): boolean {
  const folder = path.posix.dirname(pyproject.path);
  const inFolder = (name: string) => (folder === "." ? name : `${folder}/${name}`);
  if (LOCK_FILES.some((lock) => project.hasFile(inFolder(lock)))) return true;
  // A requirements file compiled from the pyproject (uv pip compile, pip-compile, poetry export) is a lock too.
  if (compiledFolders.has(folder)) return true;
  // A member of a uv workspace is locked by the workspace root's uv.lock.
  return project.pyprojects.some((root) => {
    if (!root.uvWorkspaceMembers || root === pyproject) return false;
    const rootFolder = path.posix.dirname(root.path);
    const relative = rootFolder === "." ? folder : folder.startsWith(`${rootFolder}/`) ? folder.slice(rootFolder.length + 1) : null;
    if (relative === null || relative === ".") return false;
    const matches = (globs: string[] | undefined) => (globs ?? []).some((glob) => globToRegExp(glob).test(relative));
    return matches(root.uvWorkspaceMembers) && !matches(root.uvWorkspaceExclude) && project.hasFile(rootFolder === "." ? "uv.lock" : `${rootFolder}/uv.lock`);
  });
}

function globToRegExp(glob: string): RegExp {
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

// ---------------------------------------------------------------------------------------------
// Dockerfile `pip install` commands

interface PipInvocation {
  /** The words after `install` (or `wheel`/`download`). */
  args: ShellCommand["words"];
}

const PYTHON = /^python(?:\d+(?:\.\d+)?)?$/;
const PIP = /^pip(?:\d+(?:\.\d+)?)?$/;
/** pip's general options that take a value, which may come before the subcommand. */
const GENERAL_OPTIONS_WITH_VALUE = new Set([
  "--python", "--log", "--log-file", "--proxy", "--retries", "--timeout", "--exists-action", "--trusted-host",
  "--cert", "--client-cert", "--cache-dir", "--use-feature", "--use-deprecated", "--resume-retries", "--keyring-provider",
]);

/** Finds `pip install` (and `pip wheel`/`pip download`, which fetch what a later `--no-index` install uses) in one simple command. */
function pipInvocation(command: ShellCommand): PipInvocation | null {
  const words = command.words;
  let start = 0;
  // Prefixes that run the rest as a command: sudo, env, exec, time, nice, with their options and VAR=value.
  for (;;) {
    const text = words[start]?.text ?? "";
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(text)) start++;
    else if (["sudo", "env", "exec", "time", "nice", "nohup", "command"].includes(path.posix.basename(text))) {
      start++;
      while ((words[start]?.text ?? "").startsWith("-")) start++;
    } else break;
  }
  const program = path.posix.basename(words[start]?.text ?? "");
  let index: number;
  if (PIP.test(program)) index = start + 1;
  else if (PYTHON.test(program)) {
    let cursor = start + 1;
    while (cursor < words.length && words[cursor]?.text !== "-m" && (words[cursor]?.text ?? "").startsWith("-")) cursor++;
    if (words[cursor]?.text !== "-m" || words[cursor + 1]?.text !== "pip") return null;
    index = cursor + 2;
  } else if (program === "uv") {
    if (words[start + 1]?.text !== "pip") return null;
    index = start + 2;
  } else return null;
  // General options may precede the subcommand: `pip --no-cache-dir install`.
  while (index < words.length && (words[index]?.text ?? "").startsWith("-")) {
    index += GENERAL_OPTIONS_WITH_VALUE.has(words[index]?.text ?? "") ? 2 : 1;
  }
  const subcommand = words[index]?.text;
  if (subcommand !== "install" && subcommand !== "wheel" && subcommand !== "download") return null;
  return { args: words.slice(index + 1) };
}

/** Simple commands of a RUN instruction, with the script of `sh -c '...'` opened up. */
function runCommands(instruction: DockerInstruction): ShellCommand[] {
  const commands: ShellCommand[] = [];
  for (const command of instruction.commands) {
    commands.push(command);
    const words = command.words;
    const shell = path.posix.basename(words[0]?.text ?? "");
    if (!["sh", "bash", "dash", "ash", "zsh"].includes(shell)) continue;
    const flag = words.findIndex((word, index) => index > 0 && /^-[a-z]*c[a-z]*$/.test(word.text));
    const script = flag > 0 ? words[flag + 1] : undefined;
    if (!script) continue;
    // Locations inside the quoted script point at the script word itself.
    const inner = tokenizeShell(script.text, new LineIndex(script.text));
    for (const innerCommand of inner) {
      commands.push({
        location: script.location,
        words: innerCommand.words.map((word) => ({ text: word.text, location: script.location })),
      });
    }
  }
  return commands;
}

function pipInstallSources(dockerfile: DockerfileModel, filesByPath: Map<string, RequirementsFile>): InstallSource[] {
  const sources: InstallSource[] = [];
  const resolver = new ImagePathResolver(dockerfile, filesByPath);
  for (const instruction of dockerfile.instructions) {
    resolver.track(instruction);
    if (instruction.keyword !== "RUN") continue;
    for (const command of runCommands(instruction)) {
      const invocation = pipInvocation(command);
      if (!invocation) continue;
      const parsed = parsePipInstallArguments(invocation.args);
      sources.push({
        file: dockerfile.path,
        requirements: parsed.requirements,
        includes: parsed.includes.map((include) => ({ type: include.type, target: resolver.resolve(include.target, instruction.stageIndex) })),
        command: { noIndex: parsed.options.includes("--no-index") },
      });
    }
  }
  return sources;
}

/**
 * Maps a path inside the image (`/app/requirements.txt`, `requirements/prod.txt` after `WORKDIR /app`)
 * back to the project file it was copied from, through the stage's COPY/ADD instructions, or by
 * guessing the build context is the Dockerfile's folder or the project root.
 */
class ImagePathResolver {
  private readonly workdirs = new Map<number, string>();
  private readonly copies = new Map<number, { sources: string[]; destination: string }[]>();
  private readonly dockerfileFolder: string;

  constructor(
    dockerfile: DockerfileModel,
    private readonly filesByPath: Map<string, RequirementsFile>,
  ) {
    this.dockerfileFolder = path.posix.dirname(dockerfile.path);
  }

  track(instruction: DockerInstruction): void {
    const stage = instruction.stageIndex;
    const workdir = this.workdirs.get(stage) ?? "/";
    if (instruction.keyword === "WORKDIR") {
      const target = instruction.words[0]?.text ?? "";
      if (target && !target.includes("$")) this.workdirs.set(stage, path.posix.resolve(workdir, target));
    }
    if ((instruction.keyword === "COPY" || instruction.keyword === "ADD") && !instruction.flags["from"] && !instruction.execForm) {
      const words = instruction.words.map((word) => word.text);
      const destination = words.pop();
      if (!destination || words.length === 0) return;
      const absolute = path.posix.resolve(workdir, destination) + (destination.endsWith("/") || destination === "." ? "/" : "");
      const list = this.copies.get(stage) ?? [];
      list.push({ sources: words, destination: absolute });
      this.copies.set(stage, list);
    }
  }

  resolve(target: string, stage: number): string | null {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target) || target.includes("$")) return null;
    const workdir = this.workdirs.get(stage) ?? "/";
    const inImage = path.posix.resolve(workdir, target);
    const candidates: string[] = [];
    for (const copy of [...(this.copies.get(stage) ?? [])].reverse()) {
      for (const source of copy.sources) {
        const cleanSource = source.replace(/\/$/, "");
        if (copy.destination.endsWith("/")) {
          // `COPY requirements.txt /app/` or `COPY requirements/ /app/requirements/`
          const folder = copy.destination.slice(0, -1);
          if (inImage === `${folder}/${path.posix.basename(cleanSource)}`) candidates.push(cleanSource);
          if (inImage.startsWith(`${folder}/`)) candidates.push(path.posix.join(cleanSource, inImage.slice(folder.length + 1)));
        } else if (inImage === copy.destination) {
          candidates.push(cleanSource);
        } else if (inImage.startsWith(`${copy.destination}/`)) {
          candidates.push(path.posix.join(cleanSource, inImage.slice(copy.destination.length + 1)));
        }
      }
    }
    if (!path.posix.isAbsolute(target)) candidates.push(target);
    candidates.push(path.posix.basename(target));
    for (const candidate of candidates) {
      for (const context of [this.dockerfileFolder, "."]) {
        const resolved = path.posix.normalize(path.posix.join(context, candidate));
        if (!resolved.startsWith("..") && this.filesByPath.has(resolved)) return resolved;
      }
    }
    return null;
  }
}
