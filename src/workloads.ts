import { isRecord, type KubernetesObject, type ObjectPath } from "./parsers/kubernetes.js";
import type { SourceLocation } from "./model.js";
import type { ProjectModel } from "./project.js";

/** A container of a workload, wherever the workload kind keeps it. */
export interface WorkloadContainer {
  name: string;
  image?: string;
  /** `container`, `initContainer`, or `model` for a KServe predictor's model-format shorthand. */
  role: "container" | "initContainer" | "model";
  value: Record<string, unknown>;
  /** Path from the object root to this container. */
  path: ObjectPath;
  location: SourceLocation;
}

/**
 * How a workload was read: `manifest` as written in a file; `kustomize` / `helm` from the output of
 * `kubectl kustomize` / `helm template`, mapped back to the files that define it; `helm-values` built
 * from a chart's values.yaml when the chart could not be rendered (see docs/kubernetes.md).
 */
export type WorkloadSource = "manifest" | "kustomize" | "helm" | "helm-values";

/** Anything that runs pods: a Deployment's template, a KServe predictor, a Seldon predictor. */
export interface Workload {
  object: KubernetesObject;
  /** e.g. `Deployment/churn-api` or `InferenceService/churn/predictor`. */
  label: string;
  /** Path from the object root to the pod spec, or to the component holding the containers. */
  specPath: ObjectPath;
  containers: WorkloadContainer[];
  /** How the workload was read; absent means `manifest`. */
  source?: WorkloadSource;
  /** The kustomization or chart folder that produced the workload (every source but `manifest`). */
  buildFolder?: string;
  /**
   * The Argo Rollout that runs this workload's pod template through `spec.workloadRef` (same kind and
   * name, same namespace when both name one). The workload is then usually scaled to zero and the Rollout
   * owns replicas and the rollout strategy; the pod template, containers and resources stay here.
   */
  rolloutRef?: KubernetesObject;
}

/**
 * An object that kustomize or helm built, or that mlready built from a chart's values.yaml. `file`,
 * `location` and `locate` point at the object's main source (the base manifest, the chart template,
 * values.yaml); `origin` finds the file that wrote one value, which may be another file (an overlay's
 * patch, values.yaml).
 */
export interface RenderedObject extends KubernetesObject {
  renderedBy: { source: Exclude<WorkloadSource, "manifest">; folder: string };
  origin(path: ObjectPath): { file: string; location: SourceLocation };
}

/** What a built object (kustomize or helm output) keeps of itself: everything but where it was written. */
export function identityOf(built: KubernetesObject): Pick<KubernetesObject, "apiVersion" | "kind" | "name" | "namespace" | "labels" | "value"> {
  return {
    apiVersion: built.apiVersion,
    kind: built.kind,
    ...(built.name !== undefined ? { name: built.name } : {}),
    ...(built.namespace !== undefined ? { namespace: built.namespace } : {}),
    labels: built.labels,
    value: built.value,
  };
}

export function isRendered(object: KubernetesObject): object is RenderedObject {
  return "renderedBy" in object && typeof (object as Partial<RenderedObject>).origin === "function";
}

/**
 * Where a finding about the value at `path` of `object` belongs: the file and line that wrote it. For a
 * manifest that is `object.file` and `object.locate(path)`; for a built object, possibly a patch or values.yaml.
 */
export function locateIn(object: KubernetesObject, path: ObjectPath): { file: string; at: SourceLocation } {
  if (isRendered(object)) {
    const origin = object.origin(path);
    return { file: origin.file, at: origin.location };
  }
  return { file: object.file, at: object.locate(path) };
}

const POD_TEMPLATE_PATHS: Record<string, ObjectPath> = {
  Deployment: ["spec", "template", "spec"],
  StatefulSet: ["spec", "template", "spec"],
  DaemonSet: ["spec", "template", "spec"],
  ReplicaSet: ["spec", "template", "spec"],
  ReplicationController: ["spec", "template", "spec"],
  Job: ["spec", "template", "spec"],
  CronJob: ["spec", "jobTemplate", "spec", "template", "spec"],
  Pod: ["spec"],
  Rollout: ["spec", "template", "spec"],
};

/** Seldon Core v2 (`mlops.seldon.io`): a Server's and a ServerConfig's pod spec. */
const SELDON_V2_POD_SPEC_PATHS: Record<string, ObjectPath> = {
  Server: ["spec", "podSpec"],
  ServerConfig: ["spec", "podSpec"],
};

function isSeldonV2(object: KubernetesObject): boolean {
  return object.apiVersion.startsWith("mlops.seldon.io/");
}

function get(value: unknown, path: ObjectPath): unknown {
  let current = value;
  for (const key of path) {
    if (Array.isArray(current) && typeof key === "number") current = current[key];
    else if (isRecord(current) && typeof key === "string") current = current[key];
    else return undefined;
  }
  return current;
}

function containersAt(object: KubernetesObject, specPath: ObjectPath): WorkloadContainer[] {
  const containers: WorkloadContainer[] = [];
  const spec = get(object.value, specPath);
  if (!isRecord(spec)) return containers;
  for (const [field, role] of [["initContainers", "initContainer"], ["containers", "container"]] as const) {
    const list = spec[field];
    if (!Array.isArray(list)) continue;
    list.forEach((container, index) => {
      if (!isRecord(container)) return;
      const path = [...specPath, field, index];
      containers.push({
        name: typeof container["name"] === "string" ? container["name"] : `${field}[${index}]`,
        ...(typeof container["image"] === "string" ? { image: container["image"] } : {}),
        role,
        value: container,
        path,
        location: object.locate(path),
      });
    });
  }
  return containers;
}

/** KServe's model-format shorthand (`model:`) and its framework-specific predecessors (`sklearn:`...). */
const KSERVE_MODEL_KEYS = new Set([
  "model", "sklearn", "xgboost", "tensorflow", "pytorch", "triton", "onnx", "pmml", "lightgbm", "paddle", "huggingface", "alibi", "art",
]);

/** KServe serves a model either with containers or with a `model:` shorthand that takes resources. */
function kserveWorkloads(object: KubernetesObject, label: string): Workload[] {
  const workloads: Workload[] = [];
  for (const component of ["predictor", "transformer", "explainer"]) {
    const specPath: ObjectPath = ["spec", component];
    const spec = get(object.value, specPath);
    if (!isRecord(spec)) continue;
    const containers = containersAt(object, specPath);
    for (const [key, value] of Object.entries(spec)) {
      if (key === "containers" || key === "initContainers" || !isRecord(value)) continue;
      // `model:`, or a framework key (`sklearn:`, `pytorch:`...) that holds a storageUri or runtime.
      if (KSERVE_MODEL_KEYS.has(key) || "storageUri" in value || "runtimeVersion" in value || "resources" in value) {
        const path = [...specPath, key];
        // At the `model:` key itself, not at its first field.
        const location = object.locateKey(path);
        containers.push({ name: key, role: "model", value, path, location });
      }
    }
    if (containers.length) workloads.push({ object, label: `${label}/${component}`, specPath, containers });
  }
  return workloads;
}

function seldonWorkloads(object: KubernetesObject, label: string): Workload[] {
  const predictors = get(object.value, ["spec", "predictors"]);
  if (!Array.isArray(predictors)) return [];
  const workloads: Workload[] = [];
  predictors.forEach((predictor, predictorIndex) => {
    const componentSpecs = isRecord(predictor) ? predictor["componentSpecs"] : undefined;
    if (!Array.isArray(componentSpecs)) return;
    componentSpecs.forEach((_, specIndex) => {
      const specPath: ObjectPath = ["spec", "predictors", predictorIndex, "componentSpecs", specIndex, "spec"];
      const containers = containersAt(object, specPath);
      const name = isRecord(predictor) && typeof predictor["name"] === "string" ? predictor["name"] : String(predictorIndex);
      if (containers.length) workloads.push({ object, label: `${label}/${name}`, specPath, containers });
    });
  });
  return workloads;
}

/** Rollouts with `spec.workloadRef`, by the `kind/name` they reference. */
function rolloutsByReference(objects: KubernetesObject[]): Map<string, KubernetesObject[]> {
  const byReference = new Map<string, KubernetesObject[]>();
  for (const object of objects) {
    if (object.kind !== "Rollout") continue;
    const reference = get(object.value, ["spec", "workloadRef"]);
    if (!isRecord(reference) || typeof reference["name"] !== "string") continue;
    const key = `${typeof reference["kind"] === "string" ? reference["kind"] : "Deployment"}/${reference["name"]}`;
    byReference.set(key, [...(byReference.get(key) ?? []), object]);
  }
  return byReference;
}

/** Every workload of the project's Kubernetes objects, in file order. */
export function workloadsOf(objects: KubernetesObject[]): Workload[] {
  const workloads: Workload[] = [];
  const rollouts = rolloutsByReference(objects);
  for (const object of objects) {
    const label = `${object.kind}/${object.name || "(unnamed)"}`;
    const found: Workload[] = [];
    const podSpecPath = POD_TEMPLATE_PATHS[object.kind] ?? (isSeldonV2(object) ? SELDON_V2_POD_SPEC_PATHS[object.kind] : undefined);
    if (podSpecPath) {
      // An Argo Rollout with workloadRef borrows a Deployment's template and has no containers itself:
      // the Deployment's workload names the Rollout in `rolloutRef`.
      const containers = containersAt(object, podSpecPath);
      if (containers.length) found.push({ object, label, specPath: podSpecPath, containers });
    } else if (object.kind === "InferenceService") {
      found.push(...kserveWorkloads(object, label));
    } else if (object.kind === "SeldonDeployment") {
      found.push(...seldonWorkloads(object, label));
    }
    const rolloutRef = rollouts.get(`${object.kind}/${object.name ?? ""}`)
      ?.find((rollout) => rollout.namespace === undefined || object.namespace === undefined || rollout.namespace === object.namespace);
    for (const workload of found) {
      workload.source = isRendered(object) ? object.renderedBy.source : "manifest";
      if (isRendered(object)) workload.buildFolder = object.renderedBy.folder;
      if (rolloutRef) workload.rolloutRef = rolloutRef;
      workloads.push(workload);
    }
  }
  return workloads;
}

/**
 * A model that a serving platform loads and serves, wherever it is declared: a Seldon Core v2 `Model`
 * (which runs on a Seldon `Server` and has no pod template of its own), a KServe InferenceService
 * predictor or TrainedModel, a SeldonDeployment graph node with `modelUri`. Registry rules read these.
 */
export interface ModelDeployment {
  object: KubernetesObject;
  /** e.g. `Model/iris` or `InferenceService/churn/predictor/model`. */
  label: string;
  /** Path from the object root to the model's spec. */
  path: ObjectPath;
  location: SourceLocation;
  /** Where the model artifact is loaded from (`gs://`, `s3://`, `hf://`, `models:/`...), when written. */
  storageUri?: string;
  /** Seldon v2 `spec.requirements` (capabilities a Server must offer), or KServe's `modelFormat.name`. */
  requirements: string[];
  /** Seldon v2 `spec.replicas`. */
  replicas?: number;
  /** Seldon v2 `spec.memory`: the memory the model needs on its Server. */
  memory?: string;
  /** Seldon v2 `spec.server` or KServe `runtime`: where the model must be served. */
  server?: string;
}

function stringAt(value: unknown, key: string): string | undefined {
  const field = isRecord(value) ? value[key] : undefined;
  return typeof field === "string" && field !== "" ? field : undefined;
}

function seldonGraphModels(object: KubernetesObject, label: string): ModelDeployment[] {
  const models: ModelDeployment[] = [];
  const visit = (node: unknown, path: ObjectPath, depth: number): void => {
    if (!isRecord(node) || depth > 50) return;
    const storageUri = stringAt(node, "modelUri");
    if (storageUri) {
      models.push({
        object, label: `${label}/${stringAt(node, "name") ?? "graph"}`, path, location: object.locate(path), storageUri,
        requirements: [stringAt(node, "implementation")].filter((value): value is string => value !== undefined),
      });
    }
    const children = node["children"];
    if (Array.isArray(children)) children.forEach((child, index) => visit(child, [...path, "children", index], depth + 1));
  };
  const predictors = get(object.value, ["spec", "predictors"]);
  if (Array.isArray(predictors)) predictors.forEach((_, index) => visit(get(object.value, ["spec", "predictors", index, "graph"]), ["spec", "predictors", index, "graph"], 0));
  return models;
}

/** Every model deployment of the project's Kubernetes objects, in file order. */
export function modelDeploymentsOf(objects: KubernetesObject[]): ModelDeployment[] {
  const models: ModelDeployment[] = [];
  for (const object of objects) {
    const label = `${object.kind}/${object.name || "(unnamed)"}`;
    if (object.kind === "Model" && isSeldonV2(object)) {
      const spec = get(object.value, ["spec"]);
      const requirements = isRecord(spec) && Array.isArray(spec["requirements"]) ? spec["requirements"].filter((item): item is string => typeof item === "string") : [];
      const replicas = isRecord(spec) && typeof spec["replicas"] === "number" ? spec["replicas"] : undefined;
      const memory = isRecord(spec) && (typeof spec["memory"] === "string" || typeof spec["memory"] === "number") ? String(spec["memory"]) : undefined;
      const storageUri = stringAt(spec, "storageUri");
      const server = stringAt(spec, "server");
      models.push({
        object, label, path: ["spec"], location: object.locateKey(["spec"]), requirements,
        ...(storageUri ? { storageUri } : {}), ...(replicas !== undefined ? { replicas } : {}), ...(memory ? { memory } : {}), ...(server ? { server } : {}),
      });
    } else if (object.kind === "InferenceService" || object.kind === "TrainedModel") {
      const modelPaths: ObjectPath[] = object.kind === "TrainedModel" ? [["spec", "model"]] : [];
      const predictor = get(object.value, ["spec", "predictor"]);
      if (isRecord(predictor)) {
        for (const [key, value] of Object.entries(predictor)) {
          if (isRecord(value) && (KSERVE_MODEL_KEYS.has(key) || "storageUri" in value)) modelPaths.push(["spec", "predictor", key]);
        }
      }
      for (const path of modelPaths) {
        const spec = get(object.value, path);
        if (!isRecord(spec)) continue;
        const storageUri = stringAt(spec, "storageUri");
        const format = stringAt(spec["modelFormat"], "name") ?? (path[2] !== "model" && typeof path[2] === "string" ? path[2] : stringAt(spec, "framework"));
        const server = stringAt(spec, "runtime");
        models.push({
          object, label: `${label}/${path.slice(1).join("/")}`, path, location: object.locateKey(path),
          requirements: format ? [format] : [], ...(storageUri ? { storageUri } : {}), ...(server ? { server } : {}),
        });
      }
    } else if (object.kind === "SeldonDeployment") {
      models.push(...seldonGraphModels(object, label));
    }
  }
  return models;
}

export { get as valueAt };

/** Kinds whose API object requires `spec.selector`. */
const SELECTOR_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Rollout"]);
const wholeObjectNames = new WeakMap<readonly KubernetesObject[], Set<string>>();

function hasSelector(object: KubernetesObject): boolean {
  return get(object.value, ["spec", "selector"]) !== undefined ||
    (object.kind === "Rollout" && isRecord(get(object.value, ["spec", "workloadRef"])));
}

/**
 * A kustomize strategic-merge patch of a Deployment-like object, read as a plain file: it has no
 * `spec.selector` (which the API requires of the whole object) and the project also holds the whole object
 * of that kind and name (its base). Such a patch is judged only for what it writes. A lone object without a
 * selector is what the user deploys, and is judged in full.
 */
export function isPatchObject(object: KubernetesObject, objects: readonly KubernetesObject[]): boolean {
  if (!SELECTOR_KINDS.has(object.kind) || hasSelector(object)) return false;
  let names = wholeObjectNames.get(objects);
  if (!names) {
    names = new Set(objects.filter((candidate) => SELECTOR_KINDS.has(candidate.kind) && hasSelector(candidate))
      .map((candidate) => `${candidate.kind}/${candidate.name ?? ""}`));
    wholeObjectNames.set(objects, names);
  }
  return names.has(`${object.kind}/${object.name ?? ""}`);
}

/**
 * Why a rule that found no `what` skips: unrendered Helm templates may hold them, else there are none
 * (`otherwise` says what was looked for).
 */
export function noWorkloadsReason(project: Pick<ProjectModel, "filesOfKind">, what: string, otherwise: string): string {
  return project.filesOfKind("helm-template").length > 0 ? `no ${what} found outside Helm templates (templates are not rendered)` : otherwise;
}
