import { isRecord, type KubernetesObject } from "./parsers/kubernetes.js";
import { valueAt } from "./workloads.js";

/** Labels as Kubernetes stores them: every value a string. */
export type Labels = Record<string, string>;

/** One `matchExpressions` entry of a `metav1.LabelSelector`. */
export interface LabelSelectorRequirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values: string[];
}

/** A `metav1.LabelSelector` read from YAML, or `invalid` when its shape is one the API server rejects. */
export type ParsedLabelSelector =
  | { kind: "selector"; matchLabels: Labels; matchExpressions: LabelSelectorRequirement[] }
  | { kind: "invalid"; reason: string };

const OPERATORS = new Set(["In", "NotIn", "Exists", "DoesNotExist"]);

/** YAML reads `version: 1` and `canary: true` as a number and a boolean; Kubernetes compares them as the strings written. */
function labelValue(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

/** Reads a `metav1.LabelSelector` (`matchLabels` and/or `matchExpressions`). */
export function parseLabelSelector(selector: unknown): ParsedLabelSelector {
  if (!isRecord(selector)) return { kind: "invalid", reason: "the selector is not a map" };
  const matchLabels: Labels = {};
  const rawLabels = selector["matchLabels"];
  if (rawLabels !== undefined && rawLabels !== null) {
    if (!isRecord(rawLabels)) return { kind: "invalid", reason: "matchLabels is not a map" };
    for (const [key, value] of Object.entries(rawLabels)) {
      const text = labelValue(value);
      if (text === undefined) return { kind: "invalid", reason: `matchLabels.${key} is not a string` };
      matchLabels[key] = text;
    }
  }
  const matchExpressions: LabelSelectorRequirement[] = [];
  const rawExpressions = selector["matchExpressions"];
  if (rawExpressions !== undefined && rawExpressions !== null) {
    if (!Array.isArray(rawExpressions)) return { kind: "invalid", reason: "matchExpressions is not a list" };
    for (const expression of rawExpressions) {
      if (!isRecord(expression) || typeof expression["key"] !== "string" || !OPERATORS.has(String(expression["operator"]))) {
        return { kind: "invalid", reason: "a matchExpressions entry lacks a key or a known operator" };
      }
      const operator = expression["operator"] as LabelSelectorRequirement["operator"];
      const rawValues = expression["values"];
      const values = Array.isArray(rawValues) ? rawValues.map(labelValue) : [];
      if (values.some((value) => value === undefined)) return { kind: "invalid", reason: "a matchExpressions value is not a string" };
      // The API server's validation: In/NotIn need values, Exists/DoesNotExist take none.
      const needsValues = operator === "In" || operator === "NotIn";
      if (needsValues !== values.length > 0) {
        return { kind: "invalid", reason: `operator ${operator} ${needsValues ? "needs" : "takes no"} values` };
      }
      matchExpressions.push({ key: expression["key"], operator, values: values as string[] });
    }
  }
  return { kind: "selector", matchLabels, matchExpressions };
}

function requirementMatches(requirement: LabelSelectorRequirement, labels: Labels): boolean {
  const present = Object.prototype.hasOwnProperty.call(labels, requirement.key);
  switch (requirement.operator) {
    case "In":
      return present && requirement.values.includes(labels[requirement.key] as string);
    case "NotIn":
      // As in apimachinery: a pod without the key satisfies NotIn.
      return !present || !requirement.values.includes(labels[requirement.key] as string);
    case "Exists":
      return present;
    case "DoesNotExist":
      return !present;
  }
}

/**
 * True when a `metav1.LabelSelector` (PodDisruptionBudget, Deployment, NetworkPolicy, ServiceMonitor...)
 * selects an object with these labels. As in Kubernetes, every `matchLabels` pair and every
 * `matchExpressions` requirement must hold; an empty selector (`{}`) selects everything; an absent
 * (`null`) or invalid selector selects nothing. Callers handle API quirks themselves (a
 * policy/v1beta1 PodDisruptionBudget's empty selector selected nothing).
 */
export function labelSelectorMatches(selector: unknown, labels: Labels): boolean {
  const parsed = parseLabelSelector(selector);
  if (parsed.kind === "invalid") return false;
  for (const [key, value] of Object.entries(parsed.matchLabels)) {
    if (labels[key] !== value) return false;
  }
  return parsed.matchExpressions.every((requirement) => requirementMatches(requirement, labels));
}

/**
 * True when a Service's (or ReplicationController's) plain `selector` map selects these labels: every
 * pair must be present. An absent or empty map selects nothing: such a Service has no selector and its
 * endpoints are managed by hand.
 */
export function mapSelectorMatches(selector: unknown, labels: Labels): boolean {
  if (!isRecord(selector)) return false;
  const entries = Object.entries(selector);
  if (entries.length === 0) return false;
  return entries.every(([key, value]) => {
    const text = labelValue(value);
    return text !== undefined && labels[key] === text;
  });
}

/** Labels written in a YAML map, with scalar values turned into the strings Kubernetes compares. */
export function labelsOf(value: unknown): Labels {
  const labels: Labels = {};
  if (!isRecord(value)) return labels;
  for (const [key, label] of Object.entries(value)) {
    const text = labelValue(label);
    if (text !== undefined) labels[key] = text;
  }
  return labels;
}

/** Where each kind with a pod template keeps the template's labels. */
const POD_TEMPLATE_LABELS: Record<string, string[]> = {
  Deployment: ["spec", "template", "metadata", "labels"],
  StatefulSet: ["spec", "template", "metadata", "labels"],
  DaemonSet: ["spec", "template", "metadata", "labels"],
  ReplicaSet: ["spec", "template", "metadata", "labels"],
  ReplicationController: ["spec", "template", "metadata", "labels"],
  Job: ["spec", "template", "metadata", "labels"],
  CronJob: ["spec", "jobTemplate", "spec", "template", "metadata", "labels"],
  Rollout: ["spec", "template", "metadata", "labels"],
};

/**
 * The labels the pods of an object carry, as far as the manifest tells. For kinds with a pod template,
 * the template's labels (falling back to `spec.selector.matchLabels` when a patch leaves the template
 * out); for a Pod, its own labels. For the operators' kinds, the labels their controllers stamp on the
 * pods they create: KServe puts `serving.kserve.io/inferenceservice: <name>` and `component: <component>`
 * (and in raw deployment mode `app: isvc.<name>-<component>`) over the InferenceService's labels and
 * the component's `labels`; Seldon Core v1 puts `seldon-deployment-id: <name>` and
 * `seldon-app: <name>-<predictor>` over the predictor's `labels` and the component spec's
 * `metadata.labels`. `component` names the KServe component (default `predictor`) or the Seldon
 * predictor (by name or index; default the first). Null for kinds that run no pods.
 */
export function podLabelsOf(object: KubernetesObject, component?: string | number): Labels | null {
  const templatePath = POD_TEMPLATE_LABELS[object.kind];
  if (templatePath) {
    const template = valueAt(object.value, templatePath);
    if (isRecord(template)) return labelsOf(template);
    return labelsOf(valueAt(object.value, ["spec", "selector", "matchLabels"]));
  }
  if (object.kind === "Pod") return { ...object.labels };
  const name = object.name ?? "";
  if (object.kind === "InferenceService") {
    const componentName = typeof component === "string" ? component : "predictor";
    return {
      ...object.labels,
      ...labelsOf(valueAt(object.value, ["spec", componentName, "labels"])),
      "serving.kserve.io/inferenceservice": name,
      component: componentName,
      app: `isvc.${name}-${componentName}`,
    };
  }
  if (object.kind === "SeldonDeployment") {
    const predictors = valueAt(object.value, ["spec", "predictors"]);
    const list = Array.isArray(predictors) ? predictors : [];
    const predictor = typeof component === "string"
      ? list.find((candidate) => isRecord(candidate) && candidate["name"] === component)
      : list[component ?? 0];
    const predictorName = isRecord(predictor) && typeof predictor["name"] === "string" ? predictor["name"] : "";
    const componentLabels: Labels = {};
    const componentSpecs = isRecord(predictor) ? predictor["componentSpecs"] : undefined;
    if (Array.isArray(componentSpecs)) {
      for (const componentSpec of componentSpecs) Object.assign(componentLabels, labelsOf(valueAt(componentSpec, ["metadata", "labels"])));
    }
    return {
      ...labelsOf(isRecord(predictor) ? predictor["labels"] : undefined),
      ...componentLabels,
      "seldon-deployment-id": name,
      "seldon-app": predictorName ? `${name}-${predictorName}` : name,
    };
  }
  return null;
}

/** Objects without a namespace are applied into one (`kubectl -n`, kustomize `namespace:`), so they may be in any. */
export function sameNamespace(a: KubernetesObject, b: KubernetesObject): boolean {
  return a.namespace === undefined || b.namespace === undefined || a.namespace === b.namespace;
}

/**
 * The items whose plain selector map (`mapSelectorMatches`) selects given labels, in the items' order.
 * Each item is filed under one pair of its selector, so a lookup tests only the items filed under the
 * labels' own pairs: testing every Service against every workload was Services × workloads.
 */
export function mapSelectorIndex<T>(items: readonly T[], selectorOf: (item: T) => unknown): (labels: Labels) => T[] {
  const byPair = new Map<string, { position: number; item: T; selector: unknown }[]>();
  items.forEach((item, position) => {
    const selector = selectorOf(item);
    if (!isRecord(selector)) return;
    // A selector that cannot match (empty, or the first value not a label value) is filed nowhere.
    const first = Object.entries(selector)[0];
    const text = first ? labelValue(first[1]) : undefined;
    if (!first || text === undefined) return;
    const pair = `${first[0]}\u0000${text}`;
    const filed = byPair.get(pair);
    if (filed) filed.push({ position, item, selector });
    else byPair.set(pair, [{ position, item, selector }]);
  });
  return (labels) => {
    const matched: { position: number; item: T }[] = [];
    const visited = new Set<string>();
    for (const [key, value] of Object.entries(labels)) {
      const pair = `${key}\u0000${value}`;
      if (visited.has(pair)) continue;
      visited.add(pair);
      for (const entry of byPair.get(pair) ?? []) {
        if (mapSelectorMatches(entry.selector, labels)) matched.push(entry);
      }
    }
    return matched.sort((a, b) => a.position - b.position).map((entry) => entry.item);
  };
}
