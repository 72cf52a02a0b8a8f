import path from "node:path";
import { eq as versionsEqual, valid as validVersion } from "@renovatebot/pep440";
import { parseImageReference } from "../images.js";
import { condaInvocation, lockInvocation, pipInvocation, runCommandsOf, type RunCommand } from "../installs.js";
import type { SourceLocation } from "../model.js";
import { dockerfilesServing, INSTALLER_TOOLING, modelEnvironmentOf, modelPackageVersions, type ModelEnvironment } from "../model-env.js";
import { servedMlflowModels } from "../model-refs.js";
import { parseCondaSpec } from "../parsers/conda.js";
import type { DockerfileModel, DockerStage } from "../parsers/dockerfile.js";
import { normaliseName, parsePipInstallArguments, type Requirement } from "../parsers/requirements.js";
import { isCondaPin, writtenAs } from "../pinning.js";
import { resolveInclude, type ProjectModel } from "../project.js";
import { defineRule } from "../rule.js";

interface ServingTrainingParityOptions {
  /** Packages (any spelling) left out of the comparison. */
  ignorePackages: string[];
  /** Compare the base image's Python minor version with the model's. */
  checkPython: boolean;
}

/** One package the serving image installs, where it is written. */
interface ServedPackage {
  written: string;
  /** The one version installed, when the spec names exactly one. */
  version?: string;
  file: string;
  at: SourceLocation;
  /** Written with an environment marker (`; python_version < "3.12"`): installed only on some platforms. */
  hasMarker: boolean;
}

interface ServingImage {
  dockerfile: DockerfileModel;
  packages: Map<string, ServedPackage[]>;
  /** False when the image also installs from something mlready cannot read (a lock tool, a variable, a local project), so absence proves nothing. */
  complete: boolean;
  /** The first install command, where a missing package is reported. */
  installAt?: SourceLocation;
}

/** The model loader, not a library the model's objects need: serving code may load the pickle without it. */
const LOADERS = new Set(["mlflow", "mlflow-skinny"]);

function exactVersion(requirement: Requirement): string | undefined {
  const pin = requirement.specifiers.find((specifier) => specifier.operator === "===" || specifier.operator === "==");
  return pin && !pin.version.includes("*") ? pin.version : undefined;
}

/** Local version labels name builds of one release (`2.3.1+cpu`, `2.3.1+cu121`): the same library code. */
function sameVersion(written: string, trained: string): boolean {
  // A monorepo compares the same few pins thousands of times; PEP 440 parsing is the cost, so answers are kept.
  const key = `${written}\u0000${trained}`;
  let same = sameVersionCache.get(key);
  if (same === undefined) {
    if (sameVersionCache.size > 10_000) sameVersionCache.clear();
    sameVersionCache.set(key, (same = compareVersions(written, trained)));
  }
  return same;
}

const sameVersionCache = new Map<string, boolean>();

function compareVersions(written: string, trained: string): boolean {
  const left = written.replace(/\+.*$/, "");
  const right = trained.replace(/\+.*$/, "");
  if (validVersion(left) !== null && validVersion(right) !== null) return versionsEqual(left, right);
  return left === right;
}

/** What one Dockerfile installs with pip (its arguments and the requirements files it names, followed through `-r`/`-c`) and conda. */
function servingImageOf(project: ProjectModel, dockerfile: DockerfileModel, filesByPath: ReadonlyMap<string, ProjectModel["requirementsFiles"][number]>): ServingImage {
  const image: ServingImage = { dockerfile, packages: new Map(), complete: true };
  const seen = new Set<string>();
  const add = (name: string, served: ServedPackage) => {
    const key = `${served.file}:${served.at.line}:${served.at.column}:${name}`;
    if (seen.has(key)) return;
    seen.add(key);
    const normalised = normaliseName(name);
    image.packages.set(normalised, [...(image.packages.get(normalised) ?? []), served]);
  };
  /** The dependencies of a pyproject.toml the image installs; with a lock, only `==` pins say what is installed. */
  const addPyproject = (file: string | null, lockedOnly: boolean) => {
    const pyproject = file === null ? undefined : project.pyprojects.find((candidate) => candidate.path === file);
    for (const requirement of pyproject?.dependencies ?? []) {
      if (!lockedOnly || (requirement.type === "package" && exactVersion(requirement))) addRequirement(requirement, pyproject?.path as string);
    }
  };
  const addRequirement = (requirement: Requirement, file: string, run?: RunCommand) => {
    if (requirement.type === "local") {
      // `pip install .`: the project's own dependencies, read from its pyproject.toml; what else it pulls in is unknown.
      image.complete = false;
      const folder = (requirement.url ?? requirement.text).replace(/^file:(\/\/)?/, "").replace(/\[[^\]]*\]$/, "").replace(/\/$/, "");
      if (run && !/\.(?:whl|tar\.gz|zip|tgz)$/i.test(folder)) addPyproject(run.resolve(path.posix.join(folder, "pyproject.toml"), (candidate) => project.hasFile(candidate)), false);
      return;
    }
    if (!requirement.name) return;
    const version = requirement.type === "package" ? exactVersion(requirement) : undefined;
    const written = requirement.type === "package" ? writtenAs(requirement.name, requirement) : requirement.text;
    add(requirement.name, { written, ...(version ? { version } : {}), file, at: requirement.location, hasMarker: requirement.text.includes(";") });
  };
  const readFile = (start: string) => {
    const pending = [start];
    const visited = new Set<string>();
    while (pending.length > 0) {
      const file = pending.pop() as string;
      if (visited.has(file)) continue;
      visited.add(file);
      const requirementsFile = filesByPath.get(file);
      if (!requirementsFile) {
        image.complete = false;
        continue;
      }
      for (const requirement of requirementsFile.requirements) addRequirement(requirement, file);
      for (const include of requirementsFile.includes) {
        const target = resolveInclude(file, include.target);
        if (target === null) image.complete = false;
        else pending.push(target);
      }
    }
  };
  for (const run of runCommandsOf(dockerfile)) {
    const pip = pipInvocation(run);
    if (pip) {
      const args = parsePipInstallArguments(pip.args);
      // `pip install --upgrade pip` installs nothing the model needs.
      const installsLibraries = args.includes.length > 0 || args.variables.length > 0 ||
        args.requirements.some((requirement) => !requirement.name || !INSTALLER_TOOLING.has(normaliseName(requirement.name)));
      if (installsLibraries) image.installAt ??= run.instruction.location;
      if (args.variables.length > 0) image.complete = false;
      for (const requirement of args.requirements) addRequirement(requirement, dockerfile.path, run);
      for (const include of args.includes) {
        const target = run.resolve(include.target, (file) => project.hasFile(file));
        if (target === null) image.complete = false;
        else readFile(target);
      }
      continue;
    }
    const conda = condaInvocation(run);
    if (conda) {
      image.installAt ??= run.instruction.location;
      if (conda.files.length > 0) image.complete = false;
      for (const word of conda.specs) {
        const spec = parseCondaSpec(word.text.replace(/^["']|["']$/g, ""));
        if (!spec) continue;
        const version = isCondaPin(spec) ? spec.version : undefined;
        add(spec.name, { written: spec.text, ...(version ? { version } : {}), file: dockerfile.path, at: word.location, hasMarker: false });
      }
      continue;
    }
    const lock = lockInvocation(run);
    if (lock || /^(?:conda|mamba|micromamba)$/.test(run.program)) {
      image.installAt ??= run.instruction.location;
      image.complete = false;
      if (lock?.manifest === "pyproject.toml") addPyproject(run.resolve("pyproject.toml", (candidate) => project.hasFile(candidate)), true);
    }
  }
  return image;
}

/** The stage the image is built from in the end, through `FROM <earlier stage>`. */
function runtimeBase(dockerfile: DockerfileModel): DockerStage | undefined {
  let stage = dockerfile.stages[dockerfile.stages.length - 1];
  const visited = new Set<number>();
  while (stage?.from.stageRef && !visited.has(stage.index)) {
    visited.add(stage.index);
    const reference = stage.from.stageRef;
    stage = dockerfile.stages.find((candidate) => candidate.name === reference);
  }
  return stage;
}

/** Base images that bring no Python libraries of their own: a library the image does not install is really missing. */
const BARE_BASES = new Set(["python", "ubuntu", "debian", "alpine", "ubi", "ubi-minimal", "ubi8", "ubi9", "centos", "rockylinux", "almalinux", "amazonlinux", "fedora", "busybox"]);

function isBareBase(stage: DockerStage): boolean {
  const reference = parseImageReference(stage.from.image);
  return reference !== null && BARE_BASES.has(reference.repository.split("/").pop() ?? "");
}

/** The `major.minor` Python of an official-style python image (`python:3.11.9-slim`, `library/python:3.12`); null when unknown. */
function imagePython(stage: DockerStage): string | null {
  if (stage.from.unresolvedArgs.length > 0) return null;
  const reference = parseImageReference(stage.from.image);
  if (!reference || reference.repository.split("/").pop() !== "python") return null;
  const minor = /^(\d+\.\d+)(?:[.-]|$)/.exec(reference.tag ?? "");
  return minor?.[1] ?? null;
}

function minorOf(version: string): string | null {
  return /^(\d+\.\d+)/.exec(version)?.[1] ?? null;
}

export default defineRule<ServingTrainingParityOptions>({
  meta: {
    id: "serving-training-parity",
    title: "Serve the model with the library versions it was trained with",
    section: "registry",
    severity: "error",
    weight: 3,
    description:
      "The serving image installs the same versions of the libraries the model was saved with (MLmodel flavor versions such as sklearn_version, the model's " +
      "requirements.txt, conda.yaml and python_env.yaml), and its Python base image has the model's Python minor version. A pickled model loaded under " +
      "other library versions can fail to load or, worse, load and predict differently.",
    options: {
      type: "object",
      additionalProperties: false,
      properties: {
        ignorePackages: {
          type: "array",
          items: { type: "string" },
          uniqueItems: true,
          description: "Packages left out of the comparison (any spelling: `scikit_learn` is `scikit-learn`).",
        },
        checkPython: {
          type: "boolean",
          description: "Compare the Python minor version of a python:<version> base image with the model's python_version.",
        },
      },
    },
    defaultOptions: { ignorePackages: [], checkPython: true },
    messages: {
      versionMismatch:
        "The serving image installs {{served}}, but the model was saved with {{name}} {{trained}} ({{source}}). A model loaded under another {{name}} can " +
        "fail to unpickle or predict differently: install {{name}}=={{trained}}, or retrain and log the model with the serving version.",
      missing:
        "The serving image does not install {{name}}, which the model was saved with ({{name}} {{trained}}, {{source}}); the version it gets depends on what " +
        "other packages pull in. Add {{name}}=={{trained}} to the image's requirements.",
      pythonMismatch:
        "The base image {{image}} runs Python {{served}}, but the model was saved with Python {{trained}} ({{source}}). Pickles and compiled wheels depend on " +
        "the Python minor version: use a python:{{trained}} base image, or retrain under Python {{served}}.",
    },
  },
  check(context) {
    const { project, options } = context;
    // The models a Dockerfile bakes in; when none does, every MLflow model outside test folders.
    const models = servedMlflowModels(project);
    if (models.length === 0) {
      context.skip("no model environment to compare: no MLflow model (MLmodel) outside test folders");
      return;
    }
    const ignored = new Set(options.ignorePackages.map(normaliseName));
    const pairs: { environment: ModelEnvironment; images: ServingImage[] }[] = [];
    // One image per Dockerfile, however many models it serves (a monorepo's `COPY . .` images serve them all).
    const filesByPath = new Map(project.requirementsFiles.map((file) => [file.path, file]));
    const imageCache = new Map<DockerfileModel, ServingImage>();
    const imageOf = (dockerfile: DockerfileModel): ServingImage => {
      let image = imageCache.get(dockerfile);
      if (!image) imageCache.set(dockerfile, (image = servingImageOf(project, dockerfile, filesByPath)));
      return image;
    };
    const baseCache = new Map<DockerfileModel, { base: DockerStage | undefined; servedPython: string | null; bareBase: boolean }>();
    const baseOf = (dockerfile: DockerfileModel) => {
      let facts = baseCache.get(dockerfile);
      if (!facts) {
        const base = runtimeBase(dockerfile);
        facts = { base, servedPython: base ? imagePython(base) : null, bareBase: base ? isBareBase(base) : false };
        baseCache.set(dockerfile, facts);
      }
      return facts;
    };
    let environments = 0;
    for (const model of models) {
      const environment = modelEnvironmentOf(project, model);
      if (!environment.python && modelPackageVersions(environment).size === 0) continue;
      environments++;
      const images = dockerfilesServing(project, model.folder).map(imageOf);
      if (images.length > 0) pairs.push({ environment, images });
    }
    if (environments === 0) {
      context.skip("no model environment to compare: the MLflow models record no library or Python versions (flavor versions, requirements.txt, conda.yaml, python_env.yaml)");
      return;
    }
    if (pairs.length === 0) {
      context.skip("no serving image to compare: no Dockerfile copies an MLflow model folder into its image");
      return;
    }
    let compared = 0;
    const reported = new Set<string>();
    const report = (messageId: string, data: Record<string, string>, file: string, at: SourceLocation) => {
      const key = JSON.stringify([messageId, file, at.line, at.column, data["name"] ?? ""]);
      if (reported.has(key)) return;
      reported.add(key);
      context.report({ messageId, data, file, at });
    };
    for (const { environment, images } of pairs) {
      const trainedVersions = modelPackageVersions(environment);
      for (const image of images) {
        const file = image.dockerfile.path;
        const { base, servedPython, bareBase } = baseOf(image.dockerfile);
        const trainedPython = environment.python ? minorOf(environment.python.version) : null;
        if (options.checkPython && base && servedPython && trainedPython) {
          compared++;
          if (servedPython !== trainedPython) {
            report("pythonMismatch", {
              image: base.from.image, served: servedPython, trained: trainedPython,
              source: `${environment.python?.file ?? environment.model.path}: ${environment.python?.version ?? ""}`,
            }, file, base.from.location);
          }
        }
        for (const [name, trained] of trainedVersions) {
          if (INSTALLER_TOOLING.has(name) || ignored.has(name)) continue;
          const served = image.packages.get(name);
          if (!served) {
            if (image.complete && image.installAt && base && bareBase && trained.from !== "conda" && !LOADERS.has(name)) {
              compared++;
              report("missing", { name, trained: trained.version, source: trained.source }, file, image.installAt);
            }
            continue;
          }
          compared++;
          // `numpy==1.26.4; python_version < "3.12"` beside another numpy line: the one that matches is the one installed.
          const anyMatch = served.some((place) => place.version !== undefined && sameVersion(place.version, trained.version));
          for (const place of served) {
            if (place.version !== undefined && sameVersion(place.version, trained.version)) continue;
            if (anyMatch && place.hasMarker) continue;
            const shown = place.version !== undefined ? `'${place.written}'` : `'${place.written}' (any version pip resolves)`;
            report("versionMismatch", { name, served: shown, trained: trained.version, source: trained.source }, place.file, place.at);
          }
        }
      }
    }
    if (compared === 0) {
      context.skip("nothing to compare: the serving image's base is not a python:<version> image and it installs none of the model's libraries in a way mlready can read");
    }
  },
});
