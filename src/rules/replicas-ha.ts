import type { SourceLocation } from "../model.js";
import { isRecord, type KubernetesObject, type ObjectPath } from "../parsers/kubernetes.js";
import { isTestPath } from "../paths.js";
import { defineRule } from "../rule.js";
import { labelSelectorMatches, mapSelectorIndex, podLabelsOf, sameNamespace, type Labels } from "../selectors.js";
import { HELM_VALUES_KIND } from "../helm.js";
import { isPatchObject, isRendered, locateIn, noWorkloadsReason, valueAt } from "../workloads.js";
import type { ProjectModel } from "../project.js";

interface ReplicasHaOptions {
  minReplicas: number;
  requirePdb: boolean;
}

/** Where a workload's replica count comes from, and where to report when it is too low. */
interface ReplicaCount {
  /**
   * The count; `unknown` when it cannot be judged (a `${REPLICAS}` placeholder); `inherited` when a
   * kustomize patch leaves it out and keeps whatever its base says.
   */
  count: number | "unknown" | "inherited";
  /** How the count came about, for the message: "`spec.replicas` is not set and defaults to 1". */
  why: string;
  /** What to change, for the message: "spec.replicas". */
  field: string;
  where: Where;
  /** The count is an autoscaler's floor, which overrides every `replicas`. */
  autoscaled?: boolean;
}

/** A file and a position in it. */
interface Where {
  file: string;
  at: SourceLocation;
}

/** A set of identical pods that serves requests: a Deployment, a KServe component, a Seldon predictor. */
interface ServingUnit {
  object: KubernetesObject;
  label: string;
  /** Objects of the same kind and name (a base and its kustomize patches, per-environment copies) judge together. */
  groupKey: string;
  /** A kustomize patch: judged only for what it writes. */
  partial: boolean;
  podLabels: Labels;
  /** The labels a PodDisruptionBudget for these pods should select, for the message. */
  selectorHint: Labels;
  replicas: ReplicaCount;
  /** Where to report a missing PodDisruptionBudget. */
  where: Where;
  /** A chart read from values.yaml: its templates may hold a PodDisruptionBudget mlready cannot see. */
  budgetUnknown?: boolean;
}

/** Kinds that keep identical replicas of one pod template behind a `spec.replicas`. */
const REPLICATED_KINDS = new Set(["Deployment", "StatefulSet", "Rollout"]);
/** KServe components on the request path; the explainer only answers `:explain` calls. */
const KSERVE_COMPONENTS = ["predictor", "transformer"];

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}

function plural(count: number): string {
  return `${count} replica${count === 1 ? "" : "s"}`;
}

/** Where a collection is written, at its key (`predictor:`), in the object's main file. */
function keyOf(object: KubernetesObject, path: ObjectPath): Where {
  return { file: object.file, at: object.locateKey(path) };
}

/** A count written at `path` (e.g. `spec.replicas`), or the API default when it is left out. */
function countAt(object: KubernetesObject, path: ObjectPath, fallback: number, name: string, defaultWhere: Where): ReplicaCount {
  const value = valueAt(object.value, path);
  if (value === undefined || value === null) {
    return { count: fallback, why: `\`${name}\` is not set and defaults to ${fallback}`, field: name, where: defaultWhere };
  }
  // A built object (kustomize, helm) may have its count from an overlay's patch or values.yaml: report there.
  return { count: isCount(value) ? value : "unknown", why: `\`${name}: ${String(value)}\``, field: name, where: locateIn(object, path) };
}

/** HorizontalPodAutoscalers and KEDA ScaledObjects decide the replica count of the workload they target. */
function autoscalerCount(autoscaler: KubernetesObject): ReplicaCount {
  const isKeda = autoscaler.kind === "ScaledObject";
  // KEDA scales to zero unless told otherwise; an HPA's minReplicas defaults to 1.
  const field = isKeda ? "minReplicaCount" : "minReplicas";
  const count = countAt(autoscaler, ["spec", field], isKeda ? 0 : 1, field, locateIn(autoscaler, ["kind"]));
  const name = autoscaler.name ?? "(unnamed)";
  return {
    ...count,
    autoscaled: true,
    why: `${autoscaler.kind} \`${name}\` ${count.why.replace(/^`([^`]*)` is not set and/, "sets no `$1`, which").replace(/^`/, "has `")}`,
    field: `${field} of ${autoscaler.kind} \`${name}\``,
  };
}

function autoscalerTargets(autoscaler: KubernetesObject, object: KubernetesObject): boolean {
  const target = valueAt(autoscaler.value, ["spec", "scaleTargetRef"]);
  if (!isRecord(target) || target["name"] !== object.name) return false;
  // KEDA's scaleTargetRef defaults to a Deployment.
  const kind = target["kind"] ?? (autoscaler.kind === "ScaledObject" ? "Deployment" : undefined);
  return kind === object.kind && sameNamespace(autoscaler, object);
}

function replicatedUnit(object: KubernetesObject, objects: KubernetesObject[], autoscalers: KubernetesObject[]): ServingUnit {
  const kindLine = locateIn(object, ["kind"]);
  const workloadRef = valueAt(object.value, ["spec", "workloadRef"]);
  const partial = isPatchObject(object, objects);
  const autoscaler = autoscalers.find((candidate) => autoscalerTargets(candidate, object));
  let replicas: ReplicaCount;
  if (autoscaler) {
    replicas = autoscalerCount(autoscaler);
  } else {
    replicas = countAt(object, ["spec", "replicas"], 1, "spec.replicas", kindLine);
    // A patch that leaves `replicas` out keeps whatever its base says.
    if (partial && valueAt(object.value, ["spec", "replicas"]) === undefined) replicas.count = "inherited";
  }
  // An Argo Rollout with workloadRef runs the referenced Deployment's pod template.
  let podLabels = podLabelsOf(object) ?? {};
  if (isRecord(workloadRef) && Object.keys(podLabels).length === 0) {
    const referenced = objects.find((candidate) =>
      candidate.kind === workloadRef["kind"] && candidate.name === workloadRef["name"] && sameNamespace(candidate, object));
    if (referenced) podLabels = podLabelsOf(referenced) ?? {};
  }
  const label = `${object.kind}/${object.name ?? "(unnamed)"}`;
  return { object, label, groupKey: label, partial, podLabels, selectorHint: podLabels, replicas, where: kindLine };
}

function kserveUnits(object: KubernetesObject): ServingUnit[] {
  const units: ServingUnit[] = [];
  const annotations = valueAt(object.value, ["metadata", "annotations"]);
  // In ModelMesh mode the predictor's model is loaded into the shared ModelMesh pods of its ServingRuntime,
  // which sets their replicas: the predictor runs no pods of its own and its minReplicas does not apply.
  const modelMesh = isRecord(annotations) && annotations["serving.kserve.io/deploymentMode"] === "ModelMesh";
  for (const component of KSERVE_COMPONENTS) {
    const spec = valueAt(object.value, ["spec", component]);
    if (!isRecord(spec) || (modelMesh && component === "predictor")) continue;
    const componentLine = keyOf(object, ["spec", component]);
    let replicas = countAt(object, ["spec", component, "minReplicas"], 1, `spec.${component}.minReplicas`, componentLine);
    // In serverless mode Knative's min-scale annotation on the InferenceService sets the floor when minReplicas is left out.
    const minScale = isRecord(annotations) ? annotations["autoscaling.knative.dev/min-scale"] ?? annotations["autoscaling.knative.dev/minScale"] : undefined;
    if (spec["minReplicas"] === undefined && minScale !== undefined) {
      const count = Number(minScale);
      replicas = { ...replicas, count: Number.isInteger(count) && count >= 0 ? count : "unknown", why: `annotation \`autoscaling.knative.dev/min-scale: ${String(minScale)}\`` };
    }
    const label = `InferenceService/${object.name ?? "(unnamed)"}/${component}`;
    // The `app` label exists in raw deployment mode only; these two are on every KServe pod.
    const selectorHint = { "serving.kserve.io/inferenceservice": object.name ?? "", component };
    units.push({ object, label, groupKey: label, partial: false, podLabels: podLabelsOf(object, component) ?? {}, selectorHint, replicas, where: componentLine });
  }
  return units;
}

/**
 * Seldon Core v1 runs one Deployment per component spec of a predictor: its replicas are the component
 * spec's `replicas`, else the predictor's, else `spec.replicas`, else 1; an `hpaSpec` sets the floor
 * instead. The predictor is as available as its least replicated component.
 */
function seldonUnits(object: KubernetesObject): ServingUnit[] {
  const predictors = valueAt(object.value, ["spec", "predictors"]);
  if (!Array.isArray(predictors)) return [];
  const units: ServingUnit[] = [];
  predictors.forEach((predictor, index) => {
    if (!isRecord(predictor) || predictor["shadow"] === true) return;
    const predictorPath: ObjectPath = ["spec", "predictors", index];
    const predictorLine = locateIn(object, predictorPath);
    const name = typeof predictor["name"] === "string" ? predictor["name"] : String(index);
    const predictorCount = (): ReplicaCount => {
      if (predictor["replicas"] !== undefined) return countAt(object, [...predictorPath, "replicas"], 1, "replicas", predictorLine);
      if (valueAt(object.value, ["spec", "replicas"]) !== undefined) return countAt(object, ["spec", "replicas"], 1, "spec.replicas", predictorLine);
      return { count: 1, why: `predictor \`${name}\` sets no \`replicas\`, which defaults to 1`, field: "replicas", where: predictorLine };
    };
    const counts: ReplicaCount[] = [];
    const componentSpecs = Array.isArray(predictor["componentSpecs"]) ? predictor["componentSpecs"] : [];
    componentSpecs.forEach((componentSpec, specIndex) => {
      if (!isRecord(componentSpec)) return;
      const specPath: ObjectPath = [...predictorPath, "componentSpecs", specIndex];
      if (isRecord(componentSpec["hpaSpec"])) {
        counts.push({ ...countAt(object, [...specPath, "hpaSpec", "minReplicas"], 1, "hpaSpec.minReplicas", keyOf(object, [...specPath, "hpaSpec"])), autoscaled: true });
      } else if (componentSpec["replicas"] !== undefined) {
        counts.push(countAt(object, [...specPath, "replicas"], 1, "replicas", predictorLine));
      } else {
        counts.push(predictorCount());
      }
    });
    if (counts.length === 0) counts.push(predictorCount());
    const known = counts.filter((count) => typeof count.count === "number");
    const lowest = known.length ? known.reduce((low, count) => ((count.count as number) < (low.count as number) ? count : low)) : (counts[0] as ReplicaCount);
    const label = `SeldonDeployment/${object.name ?? "(unnamed)"}/${name}`;
    const selectorHint = { "seldon-deployment-id": object.name ?? "" };
    units.push({ object, label, groupKey: label, partial: false, podLabels: podLabelsOf(object, index) ?? {}, selectorHint, replicas: lowest, where: predictorLine });
  });
  return units;
}

/**
 * A chart read from its values.yaml (helm is not on the PATH): `replicaCount` is `spec.replicas`, and
 * `autoscaling` with `enabled: true` sets the floor through `minReplicas`, as in `helm create` charts.
 * A chart whose values.yaml sets neither leaves the count to its templates: not judged.
 */
function helmValuesUnit(object: KubernetesObject): ServingUnit | null {
  const autoscaling = valueAt(object.value, ["spec", "autoscaling"]);
  let replicas: ReplicaCount;
  if (isRecord(autoscaling) && (autoscaling["enabled"] === true || autoscaling["enabled"] === "true")) {
    replicas = { ...countAt(object, ["spec", "autoscaling", "minReplicas"], 1, "autoscaling.minReplicas", keyOf(object, ["spec", "autoscaling"])), autoscaled: true };
  } else if (valueAt(object.value, ["spec", "replicas"]) !== undefined) {
    replicas = countAt(object, ["spec", "replicas"], 1, "replicaCount", keyOf(object, ["spec", "replicas"]));
  } else {
    return null;
  }
  replicas.field = `${replicas.field} in values.yaml`;
  const label = `${HELM_VALUES_KIND}/${object.name ?? "(unnamed)"}`;
  return { object, label, groupKey: label, partial: false, podLabels: {}, selectorHint: {}, replicas, where: replicas.where, budgetUnknown: true };
}

/** Deployments an Argo Rollout runs through `workloadRef`: Argo scales them down, the Rollout's replicas count. */
function referencedByRollout(objects: KubernetesObject[]): Set<KubernetesObject> {
  const referenced = new Set<KubernetesObject>();
  for (const rollout of objects) {
    if (rollout.kind !== "Rollout") continue;
    const workloadRef = valueAt(rollout.value, ["spec", "workloadRef"]);
    if (!isRecord(workloadRef)) continue;
    for (const object of objects) {
      if (object.kind === workloadRef["kind"] && object.name === workloadRef["name"] && sameNamespace(object, rollout)) referenced.add(object);
    }
  }
  return referenced;
}

function servingUnits(objects: KubernetesObject[]): ServingUnit[] {
  const autoscalers = objects.filter((object) => object.kind === "HorizontalPodAutoscaler" || object.kind === "ScaledObject");
  const rolloutTemplates = referencedByRollout(objects);
  const units: ServingUnit[] = [];
  for (const object of objects) {
    if (REPLICATED_KINDS.has(object.kind) && !rolloutTemplates.has(object)) units.push(replicatedUnit(object, objects, autoscalers));
    else if (object.kind === "InferenceService") units.push(...kserveUnits(object));
    else if (object.kind === "SeldonDeployment") units.push(...seldonUnits(object));
    else if (object.kind === HELM_VALUES_KIND && isRendered(object) && object.renderedBy.source === "helm-values") {
      const unit = helmValuesUnit(object);
      if (unit) units.push(unit);
    }
  }
  return units;
}

/** A PodDisruptionBudget that covers these pods. A policy/v1beta1 budget with an empty selector selected no pods. */
function hasDisruptionBudget(unit: ServingUnit, budgets: KubernetesObject[]): boolean {
  return budgets.some((budget) => {
    if (!sameNamespace(budget, unit.object)) return false;
    const selector = valueAt(budget.value, ["spec", "selector"]);
    const empty = isRecord(selector) && Object.keys(selector).every((key) => {
      const part = selector[key];
      return part === null || (Array.isArray(part) ? part.length === 0 : isRecord(part) && Object.keys(part).length === 0);
    });
    if (empty && budget.apiVersion === "policy/v1beta1") return false;
    return labelSelectorMatches(selector, unit.podLabels);
  });
}

/**
 * Whether the group's pods serve requests. KServe and Seldon always do. A Deployment, StatefulSet or
 * Rollout does when a Service selects its pods; one that no Service selects, in a project that has
 * Services, is a worker, a queue consumer or a load generator (kube-score judges the same way). A
 * project without Services (they live in a chart or another repository) cannot tell: every one counts.
 */
function isServing(group: ServingUnit[], services: KubernetesObject[], servicesSelecting: (labels: Labels) => KubernetesObject[]): boolean {
  if (services.length === 0) return true;
  return group.some((unit) =>
    !REPLICATED_KINDS.has(unit.object.kind) ||
    servicesSelecting(unit.podLabels).some((service) => sameNamespace(service, unit.object)));
}

function describeLabels(labels: Labels): string {
  const pairs = Object.entries(labels).map(([key, value]) => `${key}=${value}`);
  return pairs.length ? pairs.join(", ") : "its pod labels";
}

export default defineRule<ReplicasHaOptions>({
  meta: {
    id: "replicas-ha",
    title: "Run serving workloads with at least two replicas and a PodDisruptionBudget",
    section: "rollout",
    severity: "warning",
    weight: 1,
    description:
      "Every serving workload (Deployment, StatefulSet, Argo Rollout, KServe InferenceService, Seldon predictor) runs at least two " +
      "replicas, counting autoscaler floors, and a PodDisruptionBudget selects its pods. With one replica, a crash, an eviction or a " +
      "node drain takes the model offline.",
    options: {
      type: "object",
      additionalProperties: false,
      properties: {
        minReplicas: {
          type: "integer",
          minimum: 1,
          description: "The fewest replicas a serving workload may run (autoscaler floors included).",
        },
        requirePdb: {
          type: "boolean",
          description: "Require a PodDisruptionBudget that selects the pods of every replicated serving workload.",
        },
      },
    },
    defaultOptions: { minReplicas: 2, requirePdb: true },
    messages: {
      singleReplica:
        "{{workload}} may run only {{replicas}} ({{why}}), so {{risk}}; set {{field}} to at least {{minReplicas}}.",
      noPdb:
        "No PodDisruptionBudget selects the pods of {{workload}} ({{labels}}), so a node drain or cluster upgrade may evict all its replicas at once; add a PodDisruptionBudget with `maxUnavailable: 1` whose selector matches these labels.",
    },
  },
  check(context) {
    const { project, options } = context;
    // Charts read from values.yaml are workloads without an object in project.objects.
    const chartObjects = project.workloads.filter((workload) => workload.source === "helm-values").map((workload) => workload.object);
    const allUnits = servingUnits([...project.objects, ...chartObjects]);
    const units = allUnits.filter((unit) => !isTestPath(unit.object.file));
    if (units.length === 0) {
      context.skip(
        allUnits.length > 0
          ? "serving workloads are found only in test folders"
          : noWorkloadsReason(project, "serving workloads", "no serving workloads (Deployments, StatefulSets, Argo Rollouts, InferenceServices, SeldonDeployments) found"),
      );
      return;
    }
    const budgets = project.objects.filter((object) => object.kind === "PodDisruptionBudget");
    const services = project.objects.filter((object) => object.kind === "Service");
    const servicesSelecting = mapSelectorIndex(services, (service) => valueAt(service.value, ["spec", "selector"]));
    const groups = new Map<string, ServingUnit[]>();
    for (const unit of units) groups.set(unit.groupKey, [...(groups.get(unit.groupKey) ?? []), unit]);

    for (const group of groups.values()) {
      if (!isServing(group, services, servicesSelecting)) continue;
      // A base and its patches, or copies per environment: one that reaches the floor is enough.
      const judged = group.filter((unit) => unit.replicas.count !== "inherited");
      const replicated = judged.some((unit) => unit.replicas.count === "unknown" || (unit.replicas.count as number) >= options.minReplicas);
      if (judged.length > 0 && !replicated) {
        const reported = new Set<string>();
        for (const unit of judged) {
          const { replicas } = unit;
          // A base and its patch can share one autoscaler: one finding at its line.
          const where = `${replicas.where.file}:${replicas.where.at.line}`;
          if (reported.has(where)) continue;
          reported.add(where);
          context.report({
            messageId: "singleReplica",
            data: {
              workload: unit.label,
              replicas: plural(replicas.count as number),
              why: replicas.why,
              risk: replicas.count === 0
                ? "it scales to zero when idle and the next request waits for a pod to start and load the model"
                : "one crash, eviction or node drain takes it offline",
              field: replicas.field,
              minReplicas: options.minReplicas,
            },
            file: replicas.where.file,
            at: replicas.where.at,
          });
        }
        // A PodDisruptionBudget over a single replica either blocks every drain or protects nothing: replicas come first.
        continue;
      }
      if (!options.requirePdb || group.some((unit) => unit.budgetUnknown || hasDisruptionBudget(unit, budgets))) continue;
      // Two kustomize overlays that build one base object point at the same base line: one finding there.
      const reported = new Set<string>();
      for (const unit of group) {
        const where = `${unit.where.file}:${unit.where.at.line}`;
        if (unit.partial || reported.has(where)) continue;
        reported.add(where);
        context.report({
          messageId: "noPdb",
          data: { workload: unit.label, labels: describeLabels(unit.selectorHint) },
          file: unit.where.file,
          at: unit.where.at,
        });
      }
    }
  },
});
