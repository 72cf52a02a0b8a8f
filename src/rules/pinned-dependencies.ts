import path from "node:path";
import {
  condaInvocation,
  copiedFiles,
  lockInvocation,
  osPackageInvocation,
  pipInvocation,
  runCommandsOf,
  type LockInvocation,
  type RunCommand,
} from "../installs.js";
import { condaEnvironmentOf, parseCondaSpec, type CondaEnvironment, type CondaSpec } from "../parsers/conda.js";
import type { DockerfileModel } from "../parsers/dockerfile.js";
import type { PyprojectFile } from "../parsers/pyproject.js";
import {
  normaliseName,
  parsePipInstallArguments,
  type Requirement,
  type RequirementsFile,
  type RequirementsInclude,
} from "../parsers/requirements.js";
import type { SourceLocation } from "../model.js";
import { globToRegExp, HASH_FRAGMENT, isCondaPin, isDevelopmentFile, isDevelopmentPath, isExactPin, requirementName, sourceUrlFinding, writtenAs } from "../pinning.js";
import { resolveInclude, type ProjectModel } from "../project.js";
import { defineRule, type ReportDescriptor } from "../rule.js";

interface Options {
  allowVcsTags: boolean;
  ignore: string[];
  reportInstallerTooling: boolean;
  requireHashes: boolean;
  osPackages: boolean;
}

/** The installer itself and its build backends: upgrading them is a bootstrap step, not a dependency of the model. */
const INSTALLER_TOOLING = new Set(["pip", "setuptools", "wheel", "uv"]);
const LOCK_FILES = ["uv.lock", "poetry.lock", "pdm.lock", "pylock.toml"];
/** How to build from each lock instead of resolving the pyproject again. */
const LOCK_FIXES: Record<string, string> = {
  "uv.lock": "uv sync --locked, or uv export --frozen -o requirements.txt and pip install -r requirements.txt",
  "poetry.lock": "poetry install --no-root, or poetry export -o requirements.txt and pip install -r requirements.txt",
  "pdm.lock": "pdm sync, or pdm export -o requirements.txt and pip install -r requirements.txt",
  "pylock.toml": "uv pip sync pylock.toml",
};

/** A place pip installs from: a requirements file, a conda environment's `pip:` list, or one `pip install` in a Dockerfile. */
interface InstallSource {
  /** Project-relative path of the requirements file, environment file or Dockerfile. */
  file: string;
  requirements: Requirement[];
  includes: ResolvedInclude[];
  /** A `pip install` command rather than a file. */
  command?: { noIndex: boolean };
  /** A requirements file, where `--hash` can be written. */
  canHoldHashes: boolean;
}

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

/** `pip install .` (or `-e .`, `./service`, `-r pyproject.toml`) of a folder that has a pyproject.toml. */
interface ProjectInstall {
  pyproject: string;
  dockerfile: DockerfileModel;
  location: SourceLocation;
  text: string;
}

/** A lock tool's command in a Dockerfile, with the pyproject.toml or Pipfile it reads (null when unknown). */
interface LockCommand {
  run: RunCommand;
  dockerfile: DockerfileModel;
  invocation: LockInvocation;
  manifest: string | null;
}

interface State {
  report: (descriptor: ReportDescriptor) => void;
  options: Options;
  ignored: Set<string>;
}

export default defineRule<Options>({
  meta: {
    id: "pinned-dependencies",
    title: "Pin every Python dependency to one exact version",
    section: "container",
    severity: "error",
    weight: 3,
    description:
      "Every package installed into the image (requirements files, `pip install` and `conda install` in Dockerfiles, pyproject.toml, Pipfile and conda environment files) is pinned with `==`, to a full VCS commit, or by a lock file the build really uses, so that a rebuild installs exactly what was tested.",
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
          description: "Also report unpinned pip, setuptools, wheel and uv in Dockerfile `pip install` commands and conda environments.",
        },
        requireHashes: {
          type: "boolean",
          description: "Also report requirements-file entries without `--hash`, as `pip install --require-hashes` would reject them.",
        },
        osPackages: {
          type: "boolean",
          description: "Also report packages that `apt-get install`, `apk add`, `yum install` or `dnf install` install without a version.",
        },
      },
    },
    defaultOptions: { allowVcsTags: false, ignore: [], reportInstallerTooling: false, requireHashes: false, osPackages: false },
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
      lockNotUsed:
        "{{name}} is not pinned (written '{{specifier}}') and {{dockerfile}} line {{line}} installs {{file}} with '{{command}}', which resolves the ranges again and ignores {{lock}}. Build from the lock instead: {{fix}}.",
      lockNotEnforced:
        "'{{command}}' installs {{lock}} only while it still matches {{manifest}}; when it does not, it silently locks again and the image gets versions nobody reviewed. Use '{{strict}}' so that the build fails instead.",
      pipfileNoLock:
        "{{name}} is not pinned (written '{{specifier}}') and no Pipfile.lock sits beside {{file}}. Commit Pipfile.lock (pipenv lock) and install it with pipenv install --deploy or pipenv sync, or write {{name}} = \"==<version>\".",
      condaUnpinned:
        "{{name}} is not pinned to one exact version (written '{{specifier}}'{{reading}}), so conda can solve to a different release on the next build. Pin it with {{name}}==<version> (conda env export lists the installed versions), or commit a conda-lock.yml.",
      missingHash:
        "{{name}} has no --hash, and requireHashes is on: pip cannot check that it downloads the file that was tested. Generate hashes with pip-compile --generate-hashes or uv pip compile --generate-hashes.",
      osPackageUnpinned:
        "{{manager}} installs {{name}} without a version, so a rebuild can install a different release. Pin it ({{example}}), or turn osPackages off if a base image pinned by digest is your pin.",
    },
  },
  check(context) {
    const options: Options = {
      allowVcsTags: context.options.allowVcsTags ?? false,
      ignore: context.options.ignore ?? [],
      reportInstallerTooling: context.options.reportInstallerTooling ?? false,
      requireHashes: context.options.requireHashes ?? false,
      osPackages: context.options.osPackages ?? false,
    };
    const project = context.project;
    // `pip install "feast[gcp]~=0.30" "feast[aws]~=0.30"` is one unpinned package, reported once.
    const reported = new Set<string>();
    const state: State = {
      options,
      ignored: new Set(options.ignore.map(normaliseName)),
      report: (descriptor) => {
        const key = `${descriptor.file}:${descriptor.at?.line}:${descriptor.messageId}:${descriptor.data?.["name"]}`;
        if (reported.has(key)) return;
        reported.add(key);
        context.report(descriptor);
      },
    };

    // pip-compile sources (`*.in`) are read like requirements files but are judged only when an install reads them (`pip install -r requirements.in`).
    const compileSources = new Set(project.requirementsSources.map((file) => file.path));
    const filesByPath = new Map([...project.requirementsFiles, ...project.requirementsSources].map((file) => [file.path, file]));
    const isRequirementsFile = (file: string) => filesByPath.has(file);
    const fileSources = new Map<string, InstallSource>();
    for (const requirementsFile of filesByPath.values()) fileSources.set(requirementsFile.path, fileSource(requirementsFile, filesByPath));
    // A lock file that a Dockerfile copies is in the build context, even when it is not among the files read.
    const copied = new Set(project.dockerfiles.flatMap((dockerfile) => [...copiedFiles(dockerfile)]));
    const exists = (file: string) => project.hasFile(file) || copied.has(file);
    // conda-lock pins the conda and pip packages of the environment it was made from. Test and dev environments are not deployed.
    const deployedEnvironments = condaEnvironments(project).filter((environment) => !isDevelopmentFile(environment.path));
    const [lockedEnvironments, environments] = partition(deployedEnvironments, (environment) => exists(besides(environment.path, "conda-lock.yml")));
    const mlflowEnvironments = new Set(project.filesOfKind("mlflow-env").map((file) => file.path));
    const environmentSources = environments.flatMap((environment) =>
      environment.pip ? [environmentSource(environment, filesByPath, mlflowEnvironments.has(environment.path))] : [],
    );

    // One pass over every RUN command of every Dockerfile.
    const commandSources: InstallSource[] = [];
    const projectInstalls: ProjectInstall[] = [];
    const condaCommands: { file: string; specs: { spec: CondaSpec; location: SourceLocation }[] }[] = [];
    const condaSpecFiles = new Set<string>();
    const lockCommands: LockCommand[] = [];
    const pyprojectPaths = new Set(project.pyprojects.map((pyproject) => pyproject.path));
    let osPackageCommands = 0;
    for (const dockerfile of project.dockerfiles) {
      // Test images and dev containers are never deployed.
      if (isDevelopmentPath(dockerfile.path)) continue;
      for (const run of runCommandsOf(dockerfile)) {
        const pip = pipInvocation(run);
        if (pip) {
          const parsed = parsePipInstallArguments(pip.args);
          commandSources.push({
            file: dockerfile.path,
            requirements: parsed.requirements,
            includes: parsed.includes.map((include) => ({ type: include.type, target: run.resolve(include.target, isRequirementsFile) })),
            command: { noIndex: parsed.options.includes("--no-index") },
            canHoldHashes: false,
          });
          if (pip.subcommand === "install" && !parsed.options.includes("--no-deps")) {
            const installed = [
              // A folder, not a wheel, an sdist or a glob of them (`/wheels/*`): those carry their own metadata.
              ...parsed.requirements
                .filter((requirement) => requirement.type === "local" && !/[*?]|\.(?:whl|zip|tar\.gz|tgz|tar\.bz2)$/i.test(requirement.url ?? requirement.text))
                .map((requirement) => `${(requirement.url ?? requirement.text).replace(/^file:(?:\/\/)?/, "")}/pyproject.toml`),
              ...parsed.includes.filter((include) => path.posix.basename(include.target) === "pyproject.toml").map((include) => include.target),
            ];
            for (const target of installed) {
              const pyproject = run.resolve(target.replace(/\[[^\]]*\]/, ""), (file) => pyprojectPaths.has(file));
              const text = run.words.map((word) => word.text).join(" ");
              if (pyproject) projectInstalls.push({ pyproject, dockerfile, location: run.command.location, text });
            }
          }
          continue;
        }
        const conda = condaInvocation(run);
        if (conda) {
          const specs = conda.specs.flatMap((word) => {
            const spec = parseCondaSpec(word.text);
            return spec ? [{ spec, location: word.location }] : [];
          });
          condaCommands.push({ file: dockerfile.path, specs });
          for (const file of conda.files) {
            const target = run.resolve(file.text, isRequirementsFile);
            if (target) condaSpecFiles.add(target);
          }
          continue;
        }
        const lock = lockInvocation(run);
        if (lock) {
          const manifests = lock.manifest === "Pipfile" ? project.pipfiles.map((pipfile) => pipfile.path) : [...pyprojectPaths];
          // The tool reads the manifest of the folder it runs in; with one manifest in the project there is no doubt.
          const manifest = run.resolve(lock.manifest, (file) => manifests.includes(file)) ?? (manifests.length === 1 ? (manifests[0] as string) : null);
          lockCommands.push({ run, dockerfile, invocation: lock, manifest });
          continue;
        }
        if (options.osPackages) {
          const os = osPackageInvocation(run);
          if (!os) continue;
          osPackageCommands++;
          for (const unversioned of os.unversioned) {
            if (state.ignored.has(normaliseName(unversioned.name))) continue;
            state.report({
              messageId: "osPackageUnpinned",
              data: { manager: os.manager, name: unversioned.name, example: os.example },
              file: dockerfile.path,
              at: unversioned.word.location,
            });
          }
        }
      }
    }

    // A file that something installs with -r is an install, whatever its name; one only ever read with -c is not.
    const requirementTargets = new Set<string>();
    const constraintTargets = new Set<string>();
    for (const source of [...fileSources.values(), ...environmentSources, ...commandSources]) {
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
    // `conda install --file spec.txt` reads conda specs, not pip requirements.
    const isCondaSpecFile = (file: string) => condaSpecFiles.has(file) && !requirementTargets.has(file);

    // Each requirements file, environment `pip:` list and pip command is the root of one install; a file read by
    // several installs is pinned when any of them pins it (pip applies every -c and every == of an install to all of it).
    const contexts = new Map<string, InstallContext[]>();
    const rootContexts = new Map<InstallSource, InstallContext>();
    // Dev, test and docs requirements are judged only when an install of the deployment reads them (`-r requirements-dev.txt`).
    const deployed = new Set<string>();
    const isDeployedRoot = (source: InstallSource) => source.command !== undefined || !(isDevelopmentFile(source.file) || compileSources.has(source.file));
    for (const source of [...fileSources.values(), ...environmentSources, ...commandSources]) {
      // A file without includes adds nothing beyond its own pins, which are checked directly.
      if (!source.command && source.includes.length === 0) {
        if (isDeployedRoot(source)) deployed.add(source.file);
        continue;
      }
      const closure = installClosure(source, fileSources);
      rootContexts.set(source, closure.context);
      for (const file of closure.files) contexts.set(file, [...(contexts.get(file) ?? []), closure.context]);
      if (isDeployedRoot(source)) for (const file of [source.file, ...closure.files]) deployed.add(file);
    }

    let judged = osPackageCommands;
    for (const source of fileSources.values()) {
      if (isConstraintsOnly(source.file) || isCondaSpecFile(source.file) || !deployed.has(source.file)) continue;
      judged++;
      const installContext = unionOf([ownPins(source), ...(contexts.get(source.file) ?? [])]);
      for (const requirement of source.requirements) judgeRequirement(state, requirement, source, installContext);
    }
    for (const file of condaSpecFiles) {
      const requirementsFile = filesByPath.get(file);
      if (!requirementsFile || requirementTargets.has(file)) continue;
      judged++;
      for (const requirement of requirementsFile.requirements) {
        const spec = requirement.type === "package" ? parseCondaSpec(requirement.text) : null;
        if (spec) judgeCondaSpec(state, spec, file, requirement.location);
      }
    }
    for (const source of [...environmentSources, ...commandSources]) {
      judged++;
      const installContext = unionOf([ownPins(source), rootContexts.get(source) ?? emptyContext()]);
      for (const requirement of source.requirements) judgeRequirement(state, requirement, source, installContext);
    }
    judged += lockedEnvironments.length;
    for (const environment of environments) {
      judged++;
      for (const dependency of environment.dependencies) judgeCondaSpec(state, dependency.spec, environment.path, dependency.location);
    }
    for (const command of condaCommands) {
      judged++;
      for (const { spec, location } of command.specs) judgeCondaSpec(state, spec, command.file, location);
    }

    const compiled = compiledRequirements(project);
    const compiledFiles = new Set(compiled.values());
    // A Dockerfile that builds from a lock or a compiled requirements file does not resolve the pyproject's ranges by itself.
    // (`poetry install --no-root` before `pip install .`, or `pip install -r requirements.txt` compiled from it).
    const buildsFromLock = (install: ProjectInstall): boolean =>
      lockCommands.some((command) => command.dockerfile === install.dockerfile && command.manifest === install.pyproject) ||
      commandSources.some(
        (source) =>
          source.file === install.dockerfile.path &&
          source.includes.some((include) => include.target !== null && compiledFiles.has(include.target) && path.posix.dirname(include.target) === path.posix.dirname(install.pyproject)),
      );
    const installedManifests = new Set<string>([
      ...projectInstalls.map((install) => install.pyproject),
      ...lockCommands.flatMap((command) => (command.manifest === null ? [] : [command.manifest])),
    ]);
    for (const pyproject of project.pyprojects) {
      if (pyproject.dependencies.length === 0) continue;
      const lock = lockOf(pyproject, project, compiled, exists);
      // A package's ranges are its contract with whoever installs it (a library, a client SDK): they are
      // judged when an image of this project installs it, or when it is an application (no build backend).
      if (lock === null && !installedManifests.has(pyproject.path) && (pyproject.isPackage || isDevelopmentFile(pyproject.path))) continue;
      judged++;
      if (lock === null) {
        for (const requirement of pyproject.dependencies) {
          judgeManifestDependency(state, requirement, pyproject.path, (data) => ({ messageId: "pyprojectNoLock", data: { ...data, file: pyproject.path } }));
        }
        continue;
      }
      const bypass = projectInstalls.find((install) => install.pyproject === pyproject.path && !buildsFromLock(install));
      if (!bypass) continue;
      const lockName = path.posix.basename(lock);
      const fix = LOCK_FIXES[lockName] ?? `pip install -r ${lock}, then pip install --no-deps .`;
      for (const requirement of pyproject.dependencies) {
        judgeManifestDependency(state, requirement, pyproject.path, (data) => ({
          messageId: "lockNotUsed",
          data: { ...data, file: pyproject.path, dockerfile: bypass.dockerfile.path, line: bypass.location.line, command: bypass.text, lock, fix },
        }));
      }
    }

    for (const pipfile of project.pipfiles) {
      if (pipfile.packages.length === 0 || (isDevelopmentFile(pipfile.path) && !installedManifests.has(pipfile.path))) continue;
      judged++;
      if (exists(besides(pipfile.path, "Pipfile.lock"))) continue;
      for (const requirement of pipfile.packages) {
        judgeManifestDependency(state, requirement, pipfile.path, (data) => ({
          messageId: "pipfileNoLock",
          data: { ...data, specifier: requirement.text, file: pipfile.path },
        }));
      }
    }

    judgeLockCommands(state, exists, lockCommands);

    if (judged === 0) {
      context.skip("The project has no requirements files, pyproject.toml or Pipfile dependencies, conda environments, and no pip or conda install in a Dockerfile.");
    }
  },
});

function partition<T>(items: T[], predicate: (item: T) => boolean): [T[], T[]] {
  return [items.filter(predicate), items.filter((item) => !predicate(item))];
}

function besides(file: string, name: string): string {
  const folder = path.posix.dirname(file);
  return folder === "." ? name : `${folder}/${name}`;
}

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

function resolvedIncludes(fromFile: string, includes: RequirementsInclude[], filesByPath: Map<string, RequirementsFile>): ResolvedInclude[] {
  return includes.map((include) => {
    const resolved = resolveInclude(fromFile, include.target);
    return { type: include.type, target: resolved !== null && filesByPath.has(resolved) ? resolved : null };
  });
}

function fileSource(requirementsFile: RequirementsFile, filesByPath: Map<string, RequirementsFile>): InstallSource {
  return {
    file: requirementsFile.path,
    requirements: requirementsFile.requirements,
    includes: resolvedIncludes(requirementsFile.path, requirementsFile.includes, filesByPath),
    canHoldHashes: true,
  };
}

function environmentSource(environment: CondaEnvironment, filesByPath: Map<string, RequirementsFile>, isMlflowModel: boolean): InstallSource {
  const pip = environment.pip as NonNullable<CondaEnvironment["pip"]>;
  // MLflow writes one pip list to both conda.yaml and requirements.txt: a package is judged once, in requirements.txt.
  const sibling = isMlflowModel ? filesByPath.get(besides(environment.path, "requirements.txt")) : undefined;
  const inSibling = new Set((sibling?.requirements ?? []).map((requirement) => normaliseName(requirementName(requirement))));
  return {
    file: environment.path,
    requirements: pip.requirements.filter((requirement) => !inSibling.has(normaliseName(requirementName(requirement)))),
    includes: resolvedIncludes(environment.path, pip.includes, filesByPath),
    canHoldHashes: false,
  };
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
    const { source, constraint } = pending.pop() as (typeof pending)[number];
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

function judgeRequirement(state: State, requirement: Requirement, source: InstallSource, installContext: InstallContext): void {
  const name = requirementName(requirement);
  const normalised = normaliseName(name);
  if (state.ignored.has(normalised) || requirement.type === "local") return;
  const at = requirement.location;
  if (requirement.type === "vcs" || requirement.type === "url") {
    const finding = sourceUrlFinding(requirement, name, state.options.allowVcsTags);
    if (finding) state.report({ ...finding, file: source.file, at });
    else if (requirement.type === "url") judgeHash(state, requirement, name, source);
    return;
  }
  if (!isExactPin(requirement) && !installContext.pinned.has(normalised) && !installContext.unknownConstraints) {
    if (source.command && INSTALLER_TOOLING.has(normalised) && !state.options.reportInstallerTooling) return;
    // `--no-index` installs only from local wheel folders (--find-links), built by an earlier step.
    if (source.command?.noIndex) return;
    const constraints = [...installContext.constraintFiles].sort();
    const data = { name, specifier: writtenAs(name, requirement) };
    if (constraints.length > 0) {
      state.report({ messageId: "unpinnedConstrained", data: { ...data, constraints: constraints.join(" or ") }, file: source.file, at });
    } else {
      state.report({ messageId: "unpinned", data, file: source.file, at });
    }
    return;
  }
  judgeHash(state, requirement, name, source);
}

/** With requireHashes, a requirements-file entry pip would download needs a `--hash` (VCS checkouts and local paths cannot have one). */
function judgeHash(state: State, requirement: Requirement, name: string, source: InstallSource): void {
  if (!state.options.requireHashes || !source.canHoldHashes || requirement.editable) return;
  if (requirement.hashes.length > 0 || HASH_FRAGMENT.test(requirement.url ?? "")) return;
  state.report({ messageId: "missingHash", data: { name }, file: source.file, at: requirement.location });
}

/** A pyproject.toml or Pipfile dependency that no lock pins: exact pins and local paths pass, VCS refs must be commits. */
function judgeManifestDependency(
  state: State,
  requirement: Requirement,
  file: string,
  unpinned: (data: { name: string; specifier: string }) => Pick<ReportDescriptor, "messageId" | "data">,
): void {
  const name = requirementName(requirement);
  if (state.ignored.has(normaliseName(name)) || requirement.type === "local") return;
  if (requirement.type === "vcs" || requirement.type === "url") {
    const finding = sourceUrlFinding(requirement, name, state.options.allowVcsTags);
    if (finding) state.report({ ...finding, file, at: requirement.location });
    return;
  }
  if (isExactPin(requirement)) return;
  state.report({ ...unpinned({ name, specifier: writtenAs(name, requirement) }), file, at: requirement.location });
}

function judgeCondaSpec(state: State, spec: CondaSpec, file: string, at: SourceLocation): void {
  const normalised = normaliseName(spec.name);
  // Virtual packages (`__cuda`, `__glibc`) describe the host; they are never installed.
  if (spec.name.startsWith("__") || state.ignored.has(normalised) || isCondaPin(spec)) return;
  if (INSTALLER_TOOLING.has(normalised) && !state.options.reportInstallerTooling) return;
  // `=2.2` looks like a pin and is not one: say how conda reads it.
  const series = spec.operator === "=" && spec.build === undefined && /^[\w.]+$/.test(spec.version);
  const reading = series ? `, which conda reads as ${spec.version}.*` : "";
  state.report({ messageId: "condaUnpinned", data: { name: spec.name, specifier: spec.text, reading }, file, at });
}

/** `environment.yml`-like files and MLflow models' `conda.yaml` (not `python_env.yaml`, which only names requirements.txt). */
function condaEnvironments(project: ProjectModel): CondaEnvironment[] {
  return project.filesOfKind("conda-env", "mlflow-env").flatMap((file) => {
    if (file.kind === "mlflow-env" && !/^conda\.ya?ml$/i.test(path.posix.basename(file.path))) return [];
    return (project.yamlDocuments.get(file.path) ?? []).flatMap((document) => {
      const environment = condaEnvironmentOf(document, file.path);
      return environment ? [environment] : [];
    });
  });
}

/** Folders holding a requirements file with packages, every one of them pinned: what `uv pip compile` or `poetry export` write. */
function compiledRequirements(project: ProjectModel): Map<string, string> {
  const compiled = new Map<string, string>();
  for (const file of project.requirementsFiles) {
    const packages = file.requirements.filter((requirement) => requirement.type === "package");
    const folder = path.posix.dirname(file.path);
    if (packages.length > 0 && packages.every(isExactPin) && !compiled.has(folder)) compiled.set(folder, file.path);
  }
  return compiled;
}

/** The lock that pins a pyproject's ranges: a lock file beside it, a uv workspace root's uv.lock, or a compiled requirements file. */
function lockOf(pyproject: PyprojectFile, project: ProjectModel, compiled: Map<string, string>, exists: (file: string) => boolean): string | null {
  const folder = path.posix.dirname(pyproject.path);
  const lockFile = LOCK_FILES.map((lock) => besides(pyproject.path, lock)).find(exists);
  if (lockFile) return lockFile;
  const compiledFile = compiled.get(folder);
  if (compiledFile) return compiledFile;
  // A member of a uv workspace is locked by the workspace root's uv.lock.
  for (const root of project.pyprojects) {
    if (!root.uvWorkspaceMembers || root === pyproject) continue;
    const rootFolder = path.posix.dirname(root.path);
    const relative = rootFolder === "." ? folder : folder.startsWith(`${rootFolder}/`) ? folder.slice(rootFolder.length + 1) : null;
    if (relative === null || relative === ".") continue;
    const matches = (globs: string[] | undefined) => (globs ?? []).some((glob) => globToRegExp(glob).test(relative));
    const rootLock = besides(root.path, "uv.lock");
    if (matches(root.uvWorkspaceMembers) && !matches(root.uvWorkspaceExclude) && exists(rootLock)) return rootLock;
  }
  return null;
}

/** `uv sync`, `pdm install` and `pipenv install` without their strict flag, when the lock they would install exists. */
function judgeLockCommands(state: State, exists: (file: string) => boolean, commands: LockCommand[]): void {
  for (const { run, dockerfile, invocation, manifest } of commands) {
    if (invocation.mode !== "relock" || manifest === null) continue;
    const lock = besides(manifest, { uv: "uv.lock", pdm: "pdm.lock", pipenv: "Pipfile.lock", poetry: "poetry.lock" }[invocation.tool]);
    if (!exists(lock)) continue;
    state.report({
      messageId: "lockNotEnforced",
      data: { command: invocation.text, lock, manifest, strict: invocation.strict },
      file: dockerfile.path,
      at: run.command.location,
    });
  }
}
