// The environment an MLflow model was saved with (flavor library versions, the Python version, its
// requirements.txt, conda.yaml and python_env.yaml), and the Dockerfiles that serve a model folder.
// Pure functions on the parsed project; the registry rules report.
import path from "node:path";
import type { SourceLocation } from "./model.js";
import { condaEnvironmentOf, type CondaSpec } from "./parsers/conda.js";
import type { DockerfileModel } from "./parsers/dockerfile.js";
import type { MlflowModel } from "./parsers/mlmodel.js";
import { normaliseName, parseRequirements, type Requirement } from "./parsers/requirements.js";
import { isRecord, type YamlDocument } from "./parsers/yaml.js";
import { isTestPath } from "./paths.js";
import { wholeContextOf } from "./build-context.js";
import { firstByPath, oncePer } from "./memo.js";
import { isCondaPin, requirementName } from "./pinning.js";
import type { ProjectModel } from "./project.js";

/** A pip requirement of the model's environment, with the file it is written in. */
export interface ModelRequirement {
  file: string;
  requirement: Requirement;
}

/** A conda package of the model's `conda.yaml` (its `pip:` list is read as requirements). */
export interface ModelCondaSpec {
  file: string;
  spec: CondaSpec;
  location: SourceLocation;
}

/** A library version an MLmodel flavor records (`sklearn_version: 1.6.1` is scikit-learn 1.6.1). */
export interface FlavorVersion {
  /** PEP 503 normalised package name. */
  name: string;
  /** The key as written: `sklearn_version`. */
  key: string;
  version: string;
  location: SourceLocation;
}

export interface ModelEnvironment {
  model: MlflowModel;
  /** Environment files of the model folder that the project holds (requirements.txt, conda.yaml, python_env.yaml). */
  files: string[];
  /** The Python the model was saved with, from the pyfunc flavor, python_env.yaml or conda.yaml. */
  python?: { version: string; file: string; location: SourceLocation };
  flavorVersions: FlavorVersion[];
  /** Pip requirements: requirements.txt, then conda.yaml's `pip:` entries and python_env.yaml's dependencies not already in it. */
  requirements: ModelRequirement[];
  condaSpecs: ModelCondaSpec[];
}

/** Installer tooling MLflow writes as ranges on purpose (`pip<=25.0.1`); never part of what a model needs. */
export const INSTALLER_TOOLING = new Set(["pip", "setuptools", "wheel", "uv"]);

/** Flavor version keys whose prefix is not the package name on PyPI. */
const FLAVOR_KEY_PACKAGES: Record<string, string> = {
  sklearn: "scikit-learn",
  xgb: "xgboost",
  lgb: "lightgbm",
  pytorch: "torch",
  tf: "tensorflow",
  spark: "pyspark",
  paddle: "paddlepaddle",
  sentence_transformers: "sentence-transformers",
  spacy: "spacy",
};

/** `<x>_version` keys that describe a file format or the model, not a library. */
const NOT_PACKAGES = new Set(["python", "mlflow", "format", "model", "data", "schema", "serialization", "save_format", "opset", "spec", "config", "api", "signature"]);

/** The package a flavor version key names (`sklearn_version` -> `scikit-learn`), PEP 503 normalised; null for `python_version`. */
export function packageOfFlavorKey(key: string): string | null {
  const prefix = /^(.+)_version$/.exec(key)?.[1];
  if (!prefix || NOT_PACKAGES.has(prefix)) return null;
  return normaliseName(FLAVOR_KEY_PACKAGES[prefix] ?? prefix);
}

function besides(folder: string, file: string): string {
  return path.posix.normalize(path.posix.join(folder, file));
}

function firstDocument(project: ProjectModel, file: string): YamlDocument | undefined {
  return project.yamlDocuments.get(file)?.[0];
}

/** Where the model's pyfunc flavor says its environments are (`env: {conda: conda.yaml, virtualenv: python_env.yaml}`, or older `env: conda.yaml`). */
function environmentFileNames(model: MlflowModel): { conda: string; virtualenv: string } {
  const flavors = model.metadata["flavors"];
  const pyfunc = isRecord(flavors) ? flavors["python_function"] : undefined;
  const env = isRecord(pyfunc) ? pyfunc["env"] : undefined;
  if (typeof env === "string") return { conda: env, virtualenv: "python_env.yaml" };
  const conda = isRecord(env) && typeof env["conda"] === "string" ? env["conda"] : "conda.yaml";
  const virtualenv = isRecord(env) && typeof env["virtualenv"] === "string" ? env["virtualenv"] : "python_env.yaml";
  return { conda, virtualenv };
}

/** A version written as a string. An unquoted `3.10` is the YAML number 3.1: its text is lost, so it is not read. */
function versionText(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

export function modelEnvironmentOf(project: ProjectModel, model: MlflowModel): ModelEnvironment {
  const environment: ModelEnvironment = { model, files: [], flavorVersions: [], requirements: [], condaSpecs: [] };
  const flavors = model.metadata["flavors"];
  if (isRecord(flavors)) {
    for (const [flavor, settings] of Object.entries(flavors)) {
      if (!isRecord(settings)) continue;
      for (const [key, value] of Object.entries(settings)) {
        const version = versionText(value);
        if (!version || !key.endsWith("_version")) continue;
        const location = model.locate(["flavors", flavor, key]);
        if (key === "python_version" && flavor === "python_function") {
          environment.python = { version, file: model.path, location };
          continue;
        }
        const name = packageOfFlavorKey(key);
        if (name && !environment.flavorVersions.some((known) => known.name === name)) environment.flavorVersions.push({ name, key, version, location });
      }
    }
  }

  const requirementsPath = besides(model.folder, "requirements.txt");
  const requirementsFile = requirementsFilesByPath(project).get(requirementsPath);
  const seen = new Set<string>();
  const addRequirement = (file: string, requirement: Requirement) => {
    const key = normaliseName(requirementName(requirement));
    if (seen.has(key)) return;
    seen.add(key);
    environment.requirements.push({ file, requirement });
  };
  if (requirementsFile) {
    environment.files.push(requirementsPath);
    for (const requirement of requirementsFile.requirements) addRequirement(requirementsPath, requirement);
  }

  const names = environmentFileNames(model);
  const condaPath = besides(model.folder, names.conda);
  const condaDocument = firstDocument(project, condaPath);
  if (condaDocument) {
    environment.files.push(condaPath);
    const conda = condaEnvironmentOf(condaDocument, condaPath);
    for (const dependency of conda?.dependencies ?? []) {
      environment.condaSpecs.push({ file: condaPath, spec: dependency.spec, location: dependency.location });
      if (normaliseName(dependency.spec.name) === "python" && !environment.python && dependency.spec.version) {
        environment.python = { version: dependency.spec.version, file: condaPath, location: dependency.location };
      }
    }
    for (const requirement of conda?.pip?.requirements ?? []) addRequirement(condaPath, requirement);
  }

  const virtualenvPath = besides(model.folder, names.virtualenv);
  const virtualenvDocument = firstDocument(project, virtualenvPath);
  if (virtualenvDocument && isRecord(virtualenvDocument.value)) {
    environment.files.push(virtualenvPath);
    const value = virtualenvDocument.value;
    const python = versionText(value["python"]);
    if (python && !environment.python) environment.python = { version: python, file: virtualenvPath, location: virtualenvDocument.locate(["python"]) };
    const dependencies = Array.isArray(value["dependencies"]) ? value["dependencies"] : [];
    dependencies.forEach((line, index) => {
      if (typeof line !== "string") return;
      // `-r requirements.txt` names the file read above; other entries are requirement lines.
      for (const requirement of parseRequirements(line, virtualenvPath).requirements) {
        addRequirement(virtualenvPath, { ...requirement, location: virtualenvDocument.locate(["dependencies", index]) });
      }
    });
  }
  return environment;
}

/** The first requirements file of each path, indexed once per project: searching them all per model was models × files. */
const requirementsFilesByPath = oncePer((project: ProjectModel) => firstByPath(project.requirementsFiles));

/** A version the model's environment names for one package, and where. */
export interface TrainedVersion {
  version: string;
  /** For messages: `model/MLmodel (sklearn_version)`, `model/requirements.txt`. */
  source: string;
  /** A flavor version, a pip pin, or a conda package (which pip-installed images need not have). */
  from: "flavor" | "pip" | "conda";
}

/**
 * The exact version the model's environment names for each package (PEP 503 names): flavor versions
 * first (the library that wrote the model), then `==` pins of its requirements and conda packages.
 */
export function modelPackageVersions(environment: ModelEnvironment): Map<string, TrainedVersion> {
  const versions = new Map<string, TrainedVersion>();
  for (const flavor of environment.flavorVersions) versions.set(flavor.name, { version: flavor.version, source: `${environment.model.path} (${flavor.key})`, from: "flavor" });
  for (const { file, requirement } of environment.requirements) {
    if (requirement.type !== "package" || !requirement.name) continue;
    const name = normaliseName(requirement.name);
    const pin = requirement.specifiers.find((specifier) => specifier.operator === "==" || specifier.operator === "===");
    if (!pin || pin.version.includes("*") || versions.has(name)) continue;
    versions.set(name, { version: pin.version, source: file, from: "pip" });
  }
  for (const { file, spec } of environment.condaSpecs) {
    const name = normaliseName(spec.name);
    if (name === "python" || versions.has(name) || !isCondaPin(spec)) continue;
    versions.set(name, { version: spec.version, source: file, from: "conda" });
  }
  return versions;
}

/** `a/b` covers `a/b` and `a/b/c`; `.` covers everything. */
export function covers(folder: string, target: string): boolean {
  return folder === "." || folder === "" || target === folder || target.startsWith(`${folder}/`);
}

/**
 * Dockerfiles that copy a model folder into their image: a COPY/ADD (not `--from` a stage) whose source,
 * read from the Dockerfile's folder or the project root as build context, is the folder or holds it.
 * Dockerfiles in test folders are left out.
 */
export function dockerfilesServing(project: ProjectModel, modelFolder: string): DockerfileModel[] {
  const { dockerfiles, bySource } = copiedSourcesOf(project);
  // The sources that cover the folder are its ancestors (and itself): looked up instead of testing every Dockerfile.
  const positions = new Set<number>();
  const add = (source: string) => {
    for (const position of bySource.get(source) ?? []) positions.add(position);
  };
  add(".");
  add("");
  add(modelFolder);
  for (let index = modelFolder.indexOf("/"); index !== -1; index = modelFolder.indexOf("/", index + 1)) add(modelFolder.slice(0, index));
  return [...positions].sort((a, b) => a - b).map((position) => dockerfiles[position] as DockerfileModel);
}

/**
 * The Dockerfiles outside test folders, and by each project-relative path their COPY/ADD instructions (not `--from`
 * a stage) take from the build context (read from the Dockerfile's folder and from the project root), the positions
 * of the Dockerfiles that copy it. Computed once per project: a monorepo asks for every model against every Dockerfile.
 */
const copiedSourcesOf = oncePer((project: ProjectModel) => {
  const dockerfiles = project.dockerfiles.filter((dockerfile) => !isTestPath(dockerfile.path));
  const bySource = new Map<string, number[]>();
  dockerfiles.forEach((dockerfile, position) => {
    const contexts = [...new Set([path.posix.dirname(dockerfile.path), "."])];
    const sources = new Set<string>();
    for (const instruction of dockerfile.instructions) {
      if ((instruction.keyword !== "COPY" && instruction.keyword !== "ADD") || instruction.flags["from"] !== undefined) continue;
      for (const word of instruction.words.slice(0, -1)) {
        const source = word.text;
        if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source) || source.includes("$") || /[*?[]/.test(source)) continue;
        if ((source.replace(/^\.\/+/, "").replace(/\/+$/, "") || ".") === ".") {
          sources.add(wholeContextOf(project, dockerfile));
          continue;
        }
        for (const context of contexts) {
          const resolved = path.posix.normalize(path.posix.join(context, source.replace(/^\//, ""))).replace(/\/$/, "");
          if (!resolved.startsWith("..")) sources.add(resolved);
        }
      }
    }
    for (const source of sources) {
      const copying = bySource.get(source);
      if (copying) copying.push(position);
      else bySource.set(source, [position]);
    }
  });
  return { dockerfiles, bySource };
});
