/**
 * Where a project says which model it serves. Registry rules (model-versioned, reproducible-training-run,
 * serving-training-parity...) read these instead of walking the artifacts themselves.
 *
 * Exports (kept stable for other rules):
 * - `findModelReferences(project)`: every model reference of the serving artifacts, in file order, deduplicated:
 *   KServe / Seldon `storageUri` / `modelUri` (via `project.modelDeployments`), container env vars (`MODEL_URI`,
 *   `MLFLOW_MODEL_URI`, `STORAGE_URI`, `HF_MODEL_ID`, `MODEL_ID`, `MODEL_NAME` when it is an `org/name` id) and args
 *   (`--model-uri`, `mlflow models serve -m`, `--model-id`, `--artifact-uri` of `mlflow artifacts download`,
 *   `huggingface-cli download <id>`), the same in Dockerfile ENV/ARG/RUN/CMD/ENTRYPOINT, Dockerfile `COPY`/`ADD`
 *   of model folders and files, and BentoML `bentofile.yaml` `models`. Test paths are left out.
 * - `ModelReference`: one reference; `kind` says how to judge it (see the type).
 * - `servedMlflowModels(project)`: the MLflow models a Dockerfile bakes in; when no Dockerfile copies one, every
 *   MLflow model outside test paths.
 * - `dvcOutputs(project)` / `isDvcTracked(project, path)`: paths DVC tracks (`*.dvc`, `dvc.yaml`/`dvc.lock` outs).
 * - `parseMlflowModelUri(uri)`: the parts of a `models:/` URI.
 * - `isVersionSegment(segment)`: whether one path segment of an object-store URI names a version.
 * - `MODEL_FILE_EXTENSION`: file names that hold serialized model weights.
 */
import path from "node:path";
import type { SourceLocation } from "./model.js";
import type { DockerfileModel } from "./parsers/dockerfile.js";
import type { MlflowModel } from "./parsers/mlmodel.js";
import { isRecord } from "./parsers/yaml.js";
import { isTestPath } from "./paths.js";
import { wholeContextOf } from "./build-context.js";
import { oncePer } from "./memo.js";
import type { ProjectModel } from "./project.js";
import { locateIn, type Workload, type WorkloadContainer } from "./workloads.js";

export type ModelReferenceKind =
  /** A URI with a scheme: `models:/`, `runs:/`, `s3://`, `gs://`, `pvc://`, `hf://`, `oci://`... */
  | "uri"
  /** A Hugging Face Hub id (`org/name`); `revision` holds the revision given beside it, if any. */
  | "huggingface"
  /** A folder or file that a Dockerfile copies into the image (`mlflowModels`, `dvcTracked`, `modelFiles` describe it). */
  | "baked"
  /** A BentoML model tag from `bentofile.yaml` (`name:version`). */
  | "bento"
  /** A value mlready cannot judge: a variable (`${MODEL_URI}`, `{{ .Values.x }}`), a `valueFrom`, or a local path. */
  | "opaque";

export interface ModelReference {
  kind: ModelReferenceKind;
  /** The value as written: the URI, the Hub id, the copied source path, the Bento tag. */
  value: string;
  /** Project-relative file and 1-based location of the value. */
  file: string;
  at: SourceLocation;
  /** Where it was found, for messages: "env `MODEL_URI` of container `api` in Deployment/churn-api". */
  where: string;
  /** `huggingface` only: the revision given beside the id (env `HF_REVISION`/`REVISION`, `--revision`, `hf://id:rev`). */
  revision?: string;
  /** `baked` only: the copied path resolved in the project (`.` for the whole build context). */
  folder?: string;
  /** `baked` only: MLflow models (`MLmodel` folders) inside the copied path. */
  mlflowModels?: MlflowModel[];
  /** `baked` only: the copied path is, or is inside, or holds a DVC-tracked output. */
  dvcTracked?: boolean;
  /** `baked` only: serialized model files (by extension) inside the copied path, project-relative. */
  modelFiles?: string[];
  /** `baked` only: the copied path exists in the project (false: ignored by git, or made at build time). */
  present?: boolean;
}

/** Env vars and ARGs whose value is a model URI. */
const URI_NAMES = new Set(["MODEL_URI", "MLFLOW_MODEL_URI", "STORAGE_URI", "MODEL_STORAGE_URI"]);
/** Env vars whose value is a Hugging Face id; `MODEL_ID`/`MODEL_NAME` only when they look like `org/name`. */
const HUB_NAMES = new Set(["HF_MODEL_ID", "HUGGINGFACE_MODEL_ID", "HF_MODEL"]);
const LOOSE_HUB_NAMES = new Set(["MODEL_ID", "MODEL_NAME"]);
const REVISION_NAMES = new Set(["HF_REVISION", "REVISION", "MODEL_REVISION", "HF_MODEL_REVISION"]);
const URI_FLAGS = new Set(["--model-uri", "--model_uri", "--storage-uri", "--storage_uri"]);
const HUB_FLAGS = new Set(["--model-id", "--model_id", "--hf-model-id"]);
const REVISION_FLAGS = new Set(["--revision", "--model-revision", "--model_revision"]);

/** Serialized model weights and pipelines. */
export const MODEL_FILE_EXTENSION = /\.(pkl|pickle|joblib|onnx|pt|pth|h5|hdf5|keras|safetensors|ckpt|gguf|tflite|mar|bst|cbm|mleap)$/i;
/** Folder names that hold models by convention: copied and DVC-tracked, or absent from the project (ignored), they are taken for a model. */
const MODEL_FOLDER_NAME = /^(models?|model[-_]artifacts?|artifacts?|weights|checkpoints?)$/i;

const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/;
const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/** A value that is not literal: shell, make or Helm variables, Kubernetes `$(VAR)`. */
function isTemplated(value: string): boolean {
  return /\$|\{\{|%\(/.test(value);
}

/** The parts of an MLflow `models:/` URI: `models:/name/3`, `models:/name/Production`, `models:/name@champion`. */
export function parseMlflowModelUri(uri: string): { name: string; version?: string; alias?: string } | null {
  const match = /^models:\/*([^/@]+)(?:@([^/]+)|\/([^/]+))?/i.exec(uri.trim());
  if (!match) return null;
  return {
    name: match[1] as string,
    ...(match[2] ? { alias: match[2] } : {}),
    ...(match[3] ? { version: match[3] } : {}),
  };
}

/**
 * True when one path segment of a URI names a version: `3`, `v3`, `1.0`, `2024-05-01`, `model-v3`,
 * `iris_20240501`, or a hash (8+ hex characters with a digit, e.g. an MLflow run id). File extensions are ignored.
 */
export function isVersionSegment(segment: string): boolean {
  const stem = segment.replace(/\.(tar\.gz|tgz|zip|[a-z]{2,12})$/i, "");
  if (/^v?\d+([._-]\d+)*$/i.test(stem)) return true;
  if (/(^|[-_.=])(v|version[-_=]?)?\d+(\.\d+)*$/i.test(stem)) return true;
  return /^[0-9a-f]{8,}$/i.test(stem) && /\d/.test(stem);
}

/** Paths DVC tracks: `outs` of `*.dvc` files and of `dvc.yaml` / `dvc.lock` stages, project-relative. */
export function dvcOutputs(project: ProjectModel): string[] {
  const outputs: string[] = [];
  for (const [file, documents] of project.yamlDocuments) {
    const base = path.posix.basename(file).toLowerCase();
    if (!(base.endsWith(".dvc") || base === "dvc.yaml" || base === "dvc.lock")) continue;
    const folder = path.posix.dirname(file);
    const add = (out: unknown) => {
      const written = typeof out === "string" ? out : isRecord(out) ? (typeof out["path"] === "string" ? out["path"] : Object.keys(out)[0]) : undefined;
      if (written) outputs.push(path.posix.normalize(path.posix.join(folder, written)).replace(/\/$/, ""));
    };
    for (const document of documents) {
      if (!isRecord(document.value)) continue;
      const outs = document.value["outs"];
      if (Array.isArray(outs)) outs.forEach(add);
      const stages = document.value["stages"];
      if (isRecord(stages)) {
        for (const stage of Object.values(stages)) {
          if (isRecord(stage) && Array.isArray(stage["outs"])) stage["outs"].forEach(add);
        }
      }
    }
  }
  return outputs;
}

function isInside(child: string, parent: string): boolean {
  return parent === "." || child === parent || child.startsWith(`${parent}/`);
}

/** True when `file` (project-relative) is a DVC output, lies inside one, or holds one; or has a `<file>.dvc` beside it. */
export function isDvcTracked(project: ProjectModel, file: string, outputs = dvcOutputs(project)): boolean {
  if (project.hasFile(`${file}.dvc`)) return true;
  return outputs.some((output) => isInside(file, output) || isInside(output, file));
}

interface Scope {
  file: string;
  where: string;
}

/** KServe's Hugging Face storage URI, `hf://org/name:revision`, as a Hub reference. */
function huggingfaceUri(uri: string, file: string, at: SourceLocation, where: string): ModelReference {
  const [id, revision] = uri.replace(/^hf:\/\//i, "").split(":") as [string, string | undefined];
  return { kind: "huggingface", value: id, file, at, where, ...(revision ? { revision } : {}) };
}

/** A literal value of a model env var or flag, made into a reference (or nothing, when it is not one). */
function referenceOf(value: string, variable: string, scope: Scope, at: SourceLocation, hub: false | "org-name" | "any"): ModelReference | null {
  const trimmed = value.trim();
  if (trimmed === "") return null;
  const base = { value: trimmed, file: scope.file, at, where: `${variable} ${scope.where}` };
  if (isTemplated(trimmed)) return { kind: "opaque", ...base };
  if (/^hf:\/\//i.test(trimmed)) return huggingfaceUri(trimmed, base.file, at, base.where);
  if (SCHEME.test(trimmed) && !/^[a-z]:\\/i.test(trimmed)) return { kind: "uri", ...base };
  // A Hub id: `org/name`, or a legacy single name (`gpt2`) where the variable can only hold a Hub id.
  if (hub && (HUB_ID.test(trimmed) || (hub === "any" && /^[A-Za-z0-9][\w.-]*$/.test(trimmed)))) return { kind: "huggingface", ...base };
  // A local path (`/mnt/models`) or a bare name: where a model was mounted, not which one.
  return { kind: "opaque", ...base };
}

interface Found {
  references: ModelReference[];
  revision?: { value: string };
  /** Literal values of the variables seen so far (Dockerfile ARG/ENV, container env), to resolve `${NAME}`. */
  variables: Map<string, string>;
}

/** Records a revision; `${NAME}` is resolved from the variables seen, and a revision already known is kept over an unresolved one. */
function setRevision(found: Found, value: string): void {
  const resolved = value.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, a: string | undefined, b: string | undefined) =>
    found.variables.get((a ?? b) as string) ?? whole);
  if (isTemplated(resolved) && found.revision) return;
  found.revision = { value: resolved };
}

/** Model references in one argv-like list of words (container args, a Dockerfile command). */
function scanWords(words: { text: string; at: SourceLocation }[], scope: Scope, found: Found): void {
  // `sh -c "mlflow models serve -m x"` gives one word holding a whole command line: split it.
  const tokens = words.flatMap((word) => word.text.trim().split(/\s+/).filter(Boolean).map((text) => ({ text, at: word.at })));
  const texts = tokens.map((token) => token.text);
  // `mlflow models serve -m <uri>` (not `python -m mlflow`), `mlflow artifacts download --artifact-uri <uri>`.
  const modelsSubcommand = texts.includes("mlflow") && texts.indexOf("models") > texts.indexOf("mlflow") ? texts.indexOf("models") : -1;
  const mlflow = texts.includes("mlflow");
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index] as { text: string; at: SourceLocation };
    const [flag, inline] = token.text.includes("=") && token.text.startsWith("-")
      ? [token.text.slice(0, token.text.indexOf("=")), token.text.slice(token.text.indexOf("=") + 1)]
      : [token.text, undefined];
    const next = () => inline ?? tokens[index + 1]?.text;
    // At the value: the same word for `--flag=value`, the next one otherwise.
    const valueAt = inline !== undefined ? token.at : tokens[index + 1]?.at ?? token.at;
    const strip = (value: string) => value.replace(/^["']|["']$/g, "");
    if (URI_FLAGS.has(flag) || (modelsSubcommand >= 0 && index > modelsSubcommand && flag === "-m") || (mlflow && flag === "--artifact-uri")) {
      const value = next();
      const reference = value ? referenceOf(strip(value), `\`${flag}\``, scope, valueAt, false) : null;
      if (reference) found.references.push(reference);
    } else if (HUB_FLAGS.has(flag)) {
      const value = next();
      const reference = value ? referenceOf(strip(value), `\`${flag}\``, scope, valueAt, "org-name") : null;
      if (reference) found.references.push(reference);
    } else if (REVISION_FLAGS.has(flag)) {
      const value = next();
      if (value) setRevision(found, strip(value));
    } else if ((token.text === "download" && texts[index - 1] === "huggingface-cli") || (token.text === "download" && texts[index - 1] === "hf")) {
      const value = tokens[index + 1]?.text;
      if (value && !value.startsWith("-")) {
        const reference = referenceOf(strip(value), `\`${texts[index - 1]} download\``, scope, tokens[index + 1]?.at ?? token.at, "org-name");
        if (reference) found.references.push(reference);
      }
    }
  }
}

/** One env var (k8s `env` item or Dockerfile ENV/ARG pair). */
function scanVariable(name: string, value: string | null | undefined, at: SourceLocation, scope: Scope, found: Found, from: string): void {
  const upper = name.toUpperCase();
  if (value) found.variables.set(name, value);
  if (REVISION_NAMES.has(upper)) {
    if (value) setRevision(found, value);
    return;
  }
  const variable = `${from} \`${name}\``;
  if (URI_NAMES.has(upper)) {
    if (value === null || value === undefined) {
      found.references.push({ kind: "opaque", value: "", file: scope.file, at, where: `${variable} ${scope.where}` });
      return;
    }
    const reference = referenceOf(value, variable, scope, at, false);
    if (reference) found.references.push(reference);
  } else if (HUB_NAMES.has(upper) || LOOSE_HUB_NAMES.has(upper)) {
    if (!value) return;
    const loose = LOOSE_HUB_NAMES.has(upper);
    if (loose && !HUB_ID.test(value.trim()) && !SCHEME.test(value.trim())) return;
    const reference = referenceOf(value, variable, scope, at, loose ? "org-name" : "any");
    if (reference) found.references.push(reference);
  }
}

/** Gives each Hub id of a container or Dockerfile the revision found beside it. */
function withRevision(found: Found): ModelReference[] {
  return found.references.map((reference) => {
    if (reference.kind !== "huggingface") return reference;
    return found.revision ? { ...reference, revision: found.revision.value } : reference;
  });
}

function containerReferences(workload: Workload, container: WorkloadContainer): ModelReference[] {
  const found: Found = { references: [], variables: new Map() };
  const where = `of container \`${container.name}\` in ${workload.label}`;
  const env = container.value["env"];
  if (Array.isArray(env)) {
    env.forEach((item, index) => {
      if (!isRecord(item) || typeof item["name"] !== "string") return;
      const valuePath = [...container.path, "env", index, "value"];
      const { file, at } = locateIn(workload.object, valuePath);
      const value = typeof item["value"] === "string" || typeof item["value"] === "number" ? String(item["value"]) : null;
      scanVariable(item["name"], value, at, { file, where }, found, "env");
    });
  }
  // The command and its args are one argv: `command: [mlflow]`, `args: [models, serve, -m, ...]`.
  const words = (["command", "args"] as const).flatMap((field) => {
    const list = container.value[field];
    if (!Array.isArray(list)) return [];
    return list.flatMap((item, index) => {
      if (typeof item !== "string") return [];
      const { file, at } = locateIn(workload.object, [...container.path, field, index]);
      return [{ text: item, at, file }];
    });
  });
  scanWords(words, { file: words[0]?.file ?? workload.object.file, where }, found);
  return withRevision(found);
}

function deploymentReferences(project: ProjectModel): ModelReference[] {
  const references: ModelReference[] = [];
  for (const deployment of project.modelDeployments) {
    if (!deployment.storageUri) continue;
    const key = deployment.object.kind === "SeldonDeployment" ? "modelUri" : "storageUri";
    const { file, at } = locateIn(deployment.object, [...deployment.path, key]);
    const value = deployment.storageUri.trim();
    const where = `\`${key}\` of ${deployment.label}`;
    if (isTemplated(value)) {
      references.push({ kind: "opaque", value, file, at, where });
      continue;
    }
    if (/^hf:\/\//i.test(value)) {
      references.push(huggingfaceUri(value, file, at, where));
      continue;
    }
    references.push({ kind: SCHEME.test(value) ? "uri" : "opaque", value, file, at, where });
  }
  return references;
}

/** Resolves a COPY source: relative to the root, else to the Dockerfile's folder; `.` is the whole build context (wholeContextOf). */
function resolveSource(project: ProjectModel, dockerfile: DockerfileModel, source: string): { folder: string; present: boolean } | null {
  const cleaned = source.replace(/^\.\/+/, "").replace(/\/+$/, "") || ".";
  if (/^[a-z]+:\/\//i.test(cleaned) || path.posix.isAbsolute(cleaned) || cleaned.startsWith("..")) return null;
  if (cleaned === ".") return { folder: wholeContextOf(project, dockerfile), present: true };
  const candidates = [path.posix.normalize(cleaned), path.posix.normalize(path.posix.join(path.posix.dirname(dockerfile.path), cleaned))];
  for (const candidate of candidates) {
    if (candidate === "." || project.hasFile(candidate) || project.hasFolder(candidate)) return { folder: candidate, present: true };
  }
  return { folder: candidates[0] as string, present: false };
}

/** A glob written in a COPY source (`models/*.pkl`), as a regular expression over project paths. */
function globPattern(glob: string): RegExp {
  const escaped = glob.replace(/^\.\/+/, "").replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*\*/g, "\u0000").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]").replace(/\u0000/g, ".*");
  return new RegExp(`^${escaped}(/.*)?$`);
}

/** The project's model files (by extension), outside test folders; listed once per project. */
const modelFilesOf = oncePer((project: ProjectModel): readonly string[] =>
  project.files.map((file) => file.path).filter((file) => MODEL_FILE_EXTENSION.test(file) && !isTestPath(file)));

/**
 * Lists items under their folder key and every folder above it, in the items' order, so that the items
 * inside a folder (`isInside`) are one lookup; `.` holds them all.
 */
function byEnclosingFolder<T>(items: readonly T[], folderOf: (item: T) => string): (folder: string) => readonly T[] {
  const inside = new Map<string, T[]>();
  const file = (key: string, item: T) => {
    const listed = inside.get(key);
    if (listed) listed.push(item);
    else inside.set(key, [item]);
  };
  for (const item of items) {
    const key = folderOf(item);
    const enclosing = new Set([key]);
    for (let index = key.indexOf("/"); index !== -1; index = key.indexOf("/", index + 1)) enclosing.add(key.slice(0, index));
    for (const folder of enclosing) file(folder, item);
  }
  return (folder) => (folder === "." ? items : (inside.get(folder) ?? []));
}

interface BakedIndex {
  mlflowModelsIn: (folder: string) => readonly MlflowModel[];
  modelFilesIn: (folder: string) => readonly string[];
}

/** MLflow models and model files by enclosing folder, once per project: filtering them all per COPY was Dockerfiles × models. */
const bakedIndexOf = oncePer((project: ProjectModel): BakedIndex => ({
  mlflowModelsIn: byEnclosingFolder(project.mlflowModels.filter((model) => !isTestPath(model.path)), (model) => model.folder),
  modelFilesIn: byEnclosingFolder(modelFilesOf(project), (file) => file),
}));

function bakedReferences(project: ProjectModel, dockerfile: DockerfileModel, outputs: string[]): ModelReference[] {
  const references: ModelReference[] = [];
  for (const instruction of dockerfile.instructions) {
    if (instruction.keyword !== "COPY" && instruction.keyword !== "ADD") continue;
    // A copy from another stage or image is not the build context.
    if (instruction.flags["from"] !== undefined) continue;
    const sources = instruction.words.slice(0, -1);
    for (const source of sources) {
      if (isTemplated(source.text) || source.text.startsWith("<<")) continue;
      const where = `\`${instruction.keyword} ${source.text}\` in ${dockerfile.path}`;
      if (/[*?]/.test(source.text)) {
        const pattern = globPattern(source.text);
        const matches = project.files.map((file) => file.path).filter((file) => pattern.test(file));
        const modelFiles = matches.filter((file) => MODEL_FILE_EXTENSION.test(file) && !isTestPath(file));
        const mlflowModels = project.mlflowModels.filter((model) => matches.includes(model.path));
        if (modelFiles.length === 0 && mlflowModels.length === 0) continue;
        references.push({
          kind: "baked", value: source.text, file: dockerfile.path, at: source.location, where, folder: source.text, present: true,
          mlflowModels, modelFiles, dvcTracked: modelFiles.length > 0 && modelFiles.every((file) => isDvcTracked(project, file, outputs)),
        });
        continue;
      }
      const resolved = resolveSource(project, dockerfile, source.text);
      if (!resolved) continue;
      const { folder, present } = resolved;
      const mlflowModels = [...bakedIndexOf(project).mlflowModelsIn(folder)];
      const modelFiles = [...bakedIndexOf(project).modelFilesIn(folder)];
      const modelLike = (file: string) => MODEL_FILE_EXTENSION.test(file) || MODEL_FOLDER_NAME.test(path.posix.basename(file));
      // Tracked itself (`models.dvc`, a stage output holding it), or holding a DVC output that is a model.
      const trackedItself = project.hasFile(`${folder}.dvc`) || outputs.some((output) => isInside(folder, output));
      const trackedModels = outputs.filter((output) => isInside(output, folder) && modelLike(output));
      const dvcTracked = trackedItself || trackedModels.length > 0;
      // The whole context (`COPY . .`) bakes in only what is clearly a model: MLflow folders and DVC-tracked models;
      // a copied folder also counts when it holds model files, or is named like a model folder and is tracked or absent.
      const isModel = folder === "."
        ? mlflowModels.length > 0 || trackedModels.length > 0
        : mlflowModels.length > 0 || modelFiles.length > 0 || trackedModels.length > 0 || (modelLike(folder) && (trackedItself || !present));
      if (!isModel) continue;
      references.push({ kind: "baked", value: source.text, file: dockerfile.path, at: source.location, where, folder, present, mlflowModels, modelFiles, dvcTracked });
    }
  }
  return references;
}

function dockerfileReferences(project: ProjectModel, dockerfile: DockerfileModel, outputs: string[]): ModelReference[] {
  const found: Found = { references: [], variables: new Map() };
  const scope: Scope = { file: dockerfile.path, where: `in ${dockerfile.path}` };
  for (const instruction of dockerfile.instructions) {
    if (instruction.keyword === "ENV" || instruction.keyword === "ARG") {
      for (const property of instruction.properties) {
        scanVariable(property.name, property.value, property.valueLocation ?? property.location, scope, found, instruction.keyword);
      }
    }
    for (const command of instruction.commands) {
      scanWords(command.words.map((word) => ({ text: word.text, at: word.location })), { ...scope, where: `of \`${instruction.keyword}\` in ${dockerfile.path}` }, found);
    }
  }
  return [...withRevision(found), ...bakedReferences(project, dockerfile, outputs)];
}

function bentoReferences(project: ProjectModel): ModelReference[] {
  const references: ModelReference[] = [];
  for (const [file, documents] of project.yamlDocuments) {
    if (!/(^|\/)bentofile\.ya?ml$/i.test(file)) continue;
    for (const document of documents) {
      const models = isRecord(document.value) ? document.value["models"] : undefined;
      if (!Array.isArray(models)) continue;
      models.forEach((model, index) => {
        const tag = typeof model === "string" ? model : isRecord(model) && typeof model["tag"] === "string" ? model["tag"] : undefined;
        if (!tag) return;
        const at = document.locate(typeof model === "string" ? ["models", index] : ["models", index, "tag"]);
        const where = `\`models\` of ${file}`;
        references.push({ kind: isTemplated(tag) ? "opaque" : "bento", value: tag, file, at, where });
      });
    }
  }
  return references;
}

/** Every model reference of the project's serving artifacts (see the top of this file), in file order, without duplicates. */
export function findModelReferences(project: ProjectModel): ModelReference[] {
  return [...referencesOnce(project)];
}

// Several registry rules ask for the same project's references: computed once, handed out as copies.
const referencesOnce = oncePer(collectModelReferences);

function collectModelReferences(project: ProjectModel): ModelReference[] {
  const outputs = dvcOutputs(project);
  const all: ModelReference[] = [
    ...deploymentReferences(project),
    ...project.workloads.flatMap((workload) => workload.containers.flatMap((container) => containerReferences(workload, container))),
    ...project.dockerfiles.flatMap((dockerfile) => dockerfileReferences(project, dockerfile, outputs)),
    ...bentoReferences(project),
  ];
  const seen = new Set<string>();
  return all
    .filter((reference) => !isTestPath(reference.file))
    .filter((reference) => {
      // kustomize overlays of one base, or two workloads of one file, give the same reference twice.
      const key = `${reference.file}:${reference.at.line}:${reference.at.column}:${reference.value}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.at.line - b.at.line || a.at.column - b.at.column));
}

/** The MLflow models a Dockerfile copies into the image; when none is copied, every MLflow model outside test paths. */
export function servedMlflowModels(project: ProjectModel, references = findModelReferences(project)): MlflowModel[] {
  const baked = [...new Set(references.flatMap((reference) => reference.mlflowModels ?? []))];
  return baked.length > 0 ? baked : project.mlflowModels.filter((model) => !isTestPath(model.path));
}
