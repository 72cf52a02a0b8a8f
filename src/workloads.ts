import { isRecord, type KubernetesObject, type ObjectPath } from "./parsers/kubernetes.js";
import type { SourceLocation } from "./model.js";

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

/** Anything that runs pods: a Deployment's template, a KServe predictor, a Seldon predictor. */
export interface Workload {
  object: KubernetesObject;
  /** e.g. `Deployment/churn-api` or `InferenceService/churn/predictor`. */
  label: string;
  /** Path from the object root to the pod spec, or to the component holding the containers. */
  specPath: ObjectPath;
  containers: WorkloadContainer[];
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

/** Every workload of the project's Kubernetes objects, in file order. */
export function workloadsOf(objects: KubernetesObject[]): Workload[] {
  const workloads: Workload[] = [];
  for (const object of objects) {
    const label = `${object.kind}/${object.name || "(unnamed)"}`;
    const podSpecPath = POD_TEMPLATE_PATHS[object.kind];
    if (podSpecPath) {
      // An Argo Rollout with workloadRef borrows a Deployment's template and has no containers itself.
      const containers = containersAt(object, podSpecPath);
      if (containers.length) workloads.push({ object, label, specPath: podSpecPath, containers });
    } else if (object.kind === "InferenceService") {
      workloads.push(...kserveWorkloads(object, label));
    } else if (object.kind === "SeldonDeployment") {
      workloads.push(...seldonWorkloads(object, label));
    }
  }
  return workloads;
}

export { get as valueAt };
