import type { SourceLocation } from "../model.js";
import { INFRASTRUCTURE_WORKLOAD_NAME, isInfrastructureImage } from "../images.js";
import { isRecord, type KubernetesObject, type ObjectPath } from "../parsers/kubernetes.js";
import { isTestPath } from "../paths.js";
import { parseQuantity } from "../quantity.js";
import { defineRule, type RuleContext } from "../rule.js";
import { labelsOf, mapSelectorIndex, mapSelectorMatches, podLabelsOf, sameNamespace, type Labels } from "../selectors.js";
import { isPatchObject, noWorkloadsReason, valueAt } from "../workloads.js";

interface ProgressiveDeliveryOptions {
  /** The largest share of traffic (percent) the first canary step may send to the new version. */
  maxFirstStepPercent: number;
  /** An Argo canary must pause or analyse between weight steps and before full promotion. */
  requirePause: boolean;
}

type Context = RuleContext<ProgressiveDeliveryOptions>;

/** Kinds that run a model or an API behind a Service; the rule is skipped without one. */
const SERVING_KINDS = new Set(["Deployment", "StatefulSet", "Rollout", "InferenceService", "SeldonDeployment"]);
/** Kinds a Service selects and whose pods a mechanism may cover. */
const POD_KINDS = new Set(["Deployment", "StatefulSet", "Rollout"]);
/** Pod labels that tell two copies of one app apart: the slot of a blue/green pair or the track of a canary. */
const SLOT_KEYS = new Set(["slot", "color", "colour", "version", "track", "variant", "app.kubernetes.io/version"]);

export default defineRule<ProgressiveDeliveryOptions>({
  meta: {
    id: "progressive-delivery",
    title: "Release new model versions by canary or blue-green",
    section: "rollout",
    severity: "error",
    weight: 3,
    description:
      "Every serving workload is released by a canary or blue-green mechanism (Argo Rollouts, Flagger, blue/green Deployments behind a Service, " +
      "weighted Istio, SMI or Gateway API routes, KServe canaryTrafficPercent, Seldon traffic weights), whose first step sends a small share of " +
      "traffic and, for Argo canaries, pauses or analyses before sending more. A rolling update puts a bad model in front of every user at once.",
    options: {
      type: "object",
      additionalProperties: false,
      properties: {
        maxFirstStepPercent: {
          type: "number",
          minimum: 0,
          maximum: 100,
          description:
            "Largest share of traffic (percent) the first canary step may send: Argo setWeight, Flagger stepWeight, KServe canaryTrafficPercent, " +
            "or the smaller weight of an Istio, SMI, Gateway API or Seldon split.",
        },
        requirePause: {
          type: "boolean",
          description: "Require a pause or analysis step after every setWeight step of an Argo Rollout canary, before more traffic moves.",
        },
      },
    },
    defaultOptions: { maxFirstStepPercent: 25, requirePause: true },
    messages: {
      noMechanism:
        "{{workload}} declares no canary or blue-green release, so {{how}} moves all traffic to each new version without trying it on a small share first; {{fix}}.",
      rolloutWithoutSteps:
        "Argo Rollout {{name}} has {{what}}, which is a plain rolling update; add `steps` (a small `setWeight` followed by `pause` or `analysis`) or use the `blueGreen` strategy.",
      firstStepTooLarge:
        "{{mechanism}} {{name}}: {{step}} {{weight}}% of traffic to the new version, above the {{max}}% limit; start with a smaller share and raise it step by step so that a bad model reaches fewer requests.",
      noPauseBetweenSteps:
        "Argo Rollout {{name}}: canary step {{index}} (`setWeight: {{weight}}`) is followed by `setWeight: {{next}}` with no pause or analysis in between, so traffic moves on before the canary is judged; add a `pause` with a duration or an `analysis` step after it.",
      noPauseBeforePromotion:
        "Argo Rollout {{name}}: the last canary step (`setWeight: {{weight}}`) is followed by full promotion with no pause or analysis, so the canary is never judged; end the steps with a `pause` with a duration or an `analysis` step.",
    },
  },
  check(ruleContext) {
    const context = reportingOnce(ruleContext);
    const { project } = context;
    const objects = project.objects.filter((object) => !isTestPath(object.file));
    const services = objects.filter((object) => object.kind === "Service" && object.apiVersion === "v1");
    const workloads = objects.filter((object) => SERVING_KINDS.has(object.kind) && isWhole(object, project.objects));
    const servicesSelecting = mapSelectorIndex(services, serviceSelector);
    const serving = workloads.filter((object) => (object.kind !== "Deployment" && object.kind !== "StatefulSet") || isServingPods(object, servicesSelecting));
    if (serving.length === 0) {
      context.skip(
        workloads.length > 0
          ? "only infrastructure (datastores, monitoring, controllers) or workers without a port or Service found: nothing serves requests"
          : noWorkloadsReason(project, "serving workloads", "no serving workloads (Deployments, StatefulSets, Argo Rollouts, InferenceServices, SeldonDeployments) found"),
      );
      return;
    }

    const podObjects = objects.filter((object) => POD_KINDS.has(object.kind) && isWhole(object, project.objects));
    const covered = new Set<KubernetesObject>();
    const cover = (targets: Iterable<KubernetesObject>) => {
      for (const target of targets) covered.add(target);
    };
    const byName = (kinds: string[], name: unknown, namespace: string | undefined) =>
      typeof name === "string" ? podObjects.filter((object) => kinds.includes(object.kind) && object.name === name && inNamespace(object, namespace)) : [];
    /** Pods behind a Service name: those its selector picks, or a workload of that name when the Service is not in the project. */
    const behindService = (name: string, namespace: string | undefined): KubernetesObject[] => {
      const named = services.filter((service) => service.name === name && inNamespace(service, namespace));
      if (named.length === 0) return byName(["Deployment", "StatefulSet", "Rollout"], name, namespace);
      return named.flatMap((service) => {
        const selector = serviceSelector(service);
        return selector ? podObjects.filter((object) => sameNamespace(object, service) && mapSelectorMatches(selector, podLabels(object))) : [];
      });
    };

    for (const object of objects) {
      if (object.kind === "Rollout" && object.apiVersion.startsWith("argoproj.io/")) {
        const targets = [object, ...byName(["Deployment"], valueAt(object.value, ["spec", "workloadRef", "name"]), object.namespace)];
        // A Rollout without steps is reported as such; the Deployment it takes over is not reported again.
        cover(targets);
        checkRollout(context, object);
      } else if (object.kind === "Canary" && object.apiVersion.startsWith("flagger.app/")) {
        if (checkFlaggerCanary(context, object)) cover(byName(["Deployment", "StatefulSet"], valueAt(object.value, ["spec", "targetRef", "name"]), object.namespace));
      } else if (object.kind === "VirtualService" && object.apiVersion.startsWith("networking.istio.io/")) {
        const hosts = checkVirtualService(context, object);
        for (const host of hosts) cover(behindService(...serviceOfHost(host, object.namespace)));
      } else if (object.kind === "TrafficSplit" && object.apiVersion.startsWith("split.smi-spec.io/")) {
        const names = checkTrafficSplit(context, object);
        for (const name of names) cover(behindService(name, object.namespace));
      } else if ((object.kind === "HTTPRoute" || object.kind === "GRPCRoute") && object.apiVersion.startsWith("gateway.networking.k8s.io/")) {
        const names = checkGatewayRoute(context, object);
        for (const name of names) cover(behindService(name, object.namespace));
      } else if (object.kind === "InferenceService") {
        if (checkInferenceService(context, object)) covered.add(object);
      } else if (object.kind === "SeldonDeployment") {
        if (checkSeldonDeployment(context, object)) covered.add(object);
      }
    }
    cover(slotPairs(services, podObjects));

    // Copies of one object in several files (a base and an overlay, the steps of a KServe canary) share their coverage.
    const coveredNames = [...covered].filter((object) => object.name !== undefined);
    const isCovered = (object: KubernetesObject) =>
      covered.has(object) || coveredNames.some((other) => other.kind === object.kind && other.name === object.name && sameNamespace(other, object));
    for (const object of serving) {
      if (object.kind === "Rollout" || isCovered(object)) continue;
      context.report({ messageId: "noMechanism", data: uncoveredData(object), file: object.file, at: object.locate(["kind"]) });
    }
  },
});

/**
 * The context with a report() that drops repeats: two kustomize overlays that build one base object give
 * two built objects that point at the same base line, and that line gets one finding.
 */
function reportingOnce(context: Context): Context {
  const reported = new Set<string>();
  return {
    project: context.project,
    options: context.options,
    skip: (reason) => context.skip(reason),
    report(descriptor) {
      const key = JSON.stringify([descriptor.messageId, descriptor.file, descriptor.at?.line, descriptor.at?.column, descriptor.data]);
      if (reported.has(key)) return;
      reported.add(key);
      context.report(descriptor);
    },
  };
}

/** A whole object, not a kustomize patch of one (see isPatchObject). */
function isWhole(object: KubernetesObject, objects: readonly KubernetesObject[]): boolean {
  return isRecord(object.value["spec"]) && !isPatchObject(object, objects);
}

function inNamespace(object: KubernetesObject, namespace: string | undefined): boolean {
  return object.namespace === undefined || namespace === undefined || object.namespace === namespace;
}

/** The Service and namespace an Istio host names: `ranker`, `ranker.search`, `ranker.search.svc.cluster.local`. */
function serviceOfHost(host: string, namespace: string | undefined): [string, string | undefined] {
  const labels = host.split(".");
  const inCluster = labels.length === 2 || (labels.length > 2 && labels[2] === "svc");
  return [labels[0] as string, inCluster ? labels[1] : namespace];
}

function podLabels(object: KubernetesObject): Labels {
  return podLabelsOf(object) ?? {};
}

/** A Service's selector; null when it has none (a Service without selector selects no pods). */
function serviceSelector(service: KubernetesObject): Labels | null {
  const selector = labelsOf(valueAt(service.value, ["spec", "selector"]));
  return Object.keys(selector).length > 0 ? selector : null;
}

/** Image name without registry, path and tag: `ghcr.io/acme/redis:7@sha256:...` -> `redis`. */
function containersOf(object: KubernetesObject): Record<string, unknown>[] {
  const containers = valueAt(object.value, ["spec", "template", "spec", "containers"]);
  return Array.isArray(containers) ? containers.filter(isRecord) : [];
}

/**
 * A Deployment or StatefulSet that serves requests and that the team releases: a Service selects it or it
 * declares a port, and not every container runs infrastructure software (a datastore, a monitoring agent, a controller).
 */
function isServingPods(object: KubernetesObject, servicesSelecting: (labels: Labels) => KubernetesObject[]): boolean {
  if (INFRASTRUCTURE_WORKLOAD_NAME.test(object.name ?? "")) return false;
  const containers = containersOf(object);
  const images = containers.map((container) => container["image"]).filter((image): image is string => typeof image === "string");
  if (images.length > 0 && images.every(isInfrastructureImage)) return false;
  const labels = podLabels(object);
  const selected = servicesSelecting(labels).some((service) => sameNamespace(service, object));
  return selected || containers.some((container) => Array.isArray(container["ports"]) && container["ports"].length > 0);
}

function uncoveredData(object: KubernetesObject): Record<string, string> {
  const name = object.name ?? "(unnamed)";
  if (object.kind === "InferenceService") {
    return {
      workload: `InferenceService ${name}`,
      how: "KServe",
      fix: "set `spec.predictor.canaryTrafficPercent` (for example 10) so that a new revision gets a small share first, and raise it once the revision is healthy",
    };
  }
  if (object.kind === "SeldonDeployment") {
    return {
      workload: `SeldonDeployment ${name}`,
      how: "an update of its predictor",
      fix: "add a canary predictor and split `traffic` between the predictors (for example 90 and 10), or a `shadow` predictor",
    };
  }
  const strategyType = valueAt(object.value, ["spec", object.kind === "StatefulSet" ? "updateStrategy" : "strategy", "type"]);
  return {
    workload: `${object.kind} ${name}`,
    how: typeof strategyType === "string" ? `its ${strategyType} strategy` : "its default rolling update",
    fix:
      "use an Argo Rollout with canary `steps` or `blueGreen`, a Flagger Canary whose `targetRef` names it, weighted routes to it " +
      "(Istio VirtualService, SMI TrafficSplit, Gateway API HTTPRoute), or blue/green Deployments told apart by a `slot` or `version` label behind one Service",
  };
}

function percentText(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

function numberOf(value: unknown): number | null {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "string" && /^\s*\d+(\.\d+)?\s*%?\s*$/.test(value)) return Number(value.replace("%", ""));
  return null;
}

function reportLargeStep(context: Context, object: KubernetesObject, mechanism: string, step: string, weight: number, at: SourceLocation): void {
  if (weight <= context.options.maxFirstStepPercent) return;
  context.report({
    messageId: "firstStepTooLarge",
    data: { mechanism, name: object.name ?? "(unnamed)", step, weight: percentText(weight), max: context.options.maxFirstStepPercent },
    file: object.file,
    at,
  });
}

/** A step that holds the canary while someone or something judges it: a pause (not of zero), an analysis, an experiment. */
function isGate(step: Record<string, unknown>): boolean {
  if ("analysis" in step || "experiment" in step) return true;
  if (!("pause" in step)) return false;
  const duration = isRecord(step["pause"]) ? step["pause"]["duration"] : undefined;
  return !(duration === 0 || (typeof duration === "string" && /^0+[smh]?$/.test(duration.trim())));
}

function checkRollout(context: Context, object: KubernetesObject): void {
  const strategy = valueAt(object.value, ["spec", "strategy"]);
  const name = object.name ?? "(unnamed)";
  if (isRecord(strategy) && isRecord(strategy["blueGreen"])) return;
  const canary = isRecord(strategy) ? strategy["canary"] : undefined;
  const steps = isRecord(canary) && Array.isArray(canary["steps"]) ? canary["steps"] : [];
  if (steps.length === 0) {
    context.report({
      messageId: "rolloutWithoutSteps",
      data: { name, what: isRecord(canary) ? "a canary strategy without steps" : "neither a canary nor a blueGreen strategy" },
      file: object.file,
      at: isRecord(canary) ? object.locateKey(["spec", "strategy", "canary"]) : object.locate(["kind"]),
    });
    return;
  }
  const stepsPath: ObjectPath = ["spec", "strategy", "canary", "steps"];
  const weightSteps = steps.flatMap((step, index) => {
    const weight = isRecord(step) ? numberOf(step["setWeight"]) : null;
    return weight === null ? [] : [{ index, weight }];
  });
  const first = weightSteps[0];
  if (first) {
    reportLargeStep(context, object, "Argo Rollout", "the first canary step sends", first.weight, object.locate([...stepsPath, first.index, "setWeight"]));
  }
  if (!context.options.requirePause) return;
  weightSteps.forEach((current, position) => {
    if (current.weight >= 100) return;
    const next = weightSteps[position + 1];
    const between = steps.slice(current.index + 1, next ? next.index : steps.length);
    if (between.some((step) => isRecord(step) && isGate(step))) return;
    const at = object.locate([...stepsPath, current.index, "setWeight"]);
    if (next) {
      context.report({
        messageId: "noPauseBetweenSteps",
        data: { name, index: current.index + 1, weight: current.weight, next: next.weight },
        file: object.file,
        at,
      });
    } else {
      context.report({ messageId: "noPauseBeforePromotion", data: { name, weight: current.weight }, file: object.file, at });
    }
  });
}

/** True when the Canary declares a progressive analysis (weights or iterations). */
function checkFlaggerCanary(context: Context, object: KubernetesObject): boolean {
  const key = isRecord(valueAt(object.value, ["spec", "analysis"])) ? "analysis" : "canaryAnalysis";
  const analysis = valueAt(object.value, ["spec", key]);
  if (!isRecord(analysis)) return false;
  const stepWeights = analysis["stepWeights"];
  const firstWeight = Array.isArray(stepWeights) ? numberOf(stepWeights[0]) : null;
  const stepWeight = numberOf(analysis["stepWeight"]);
  if (firstWeight !== null) {
    reportLargeStep(context, object, "Flagger Canary", "the first step (stepWeights[0]) sends", firstWeight, object.locate(["spec", key, "stepWeights", 0]));
  } else if (stepWeight !== null) {
    reportLargeStep(context, object, "Flagger Canary", "each step (stepWeight) sends", stepWeight, object.locate(["spec", key, "stepWeight"]));
  }
  return firstWeight !== null || stepWeight !== null || analysis["maxWeight"] !== undefined || analysis["iterations"] !== undefined;
}

interface WeightedBackend {
  name: string;
  weight: number;
  /** Where its weight is written (or would be). */
  weightPath: ObjectPath;
}

/**
 * Checks one traffic split (two or more backends, at least one weight written): its smallest share is the canary.
 * Returns the backend names when it is a split.
 */
function checkSplit(
  context: Context,
  object: KubernetesObject,
  mechanism: string,
  backendNoun: string,
  backends: WeightedBackend[],
  hasWrittenWeight: boolean,
): string[] {
  if (backends.length < 2 || !hasWrittenWeight) return [];
  const total = backends.reduce((sum, backend) => sum + backend.weight, 0);
  if (total > 0) {
    const canary = backends.reduce((smallest, backend) => (backend.weight < smallest.weight ? backend : smallest));
    reportLargeStep(context, object, mechanism, `the canary ${backendNoun} \`${canary.name}\` gets`, (canary.weight / total) * 100, object.locate(canary.weightPath));
  }
  return backends.map((backend) => backend.name);
}

/** Destination hosts of weighted Istio routes. */
function checkVirtualService(context: Context, object: KubernetesObject): string[] {
  const hosts: string[] = [];
  for (const protocol of ["http", "tcp", "tls"]) {
    const routes = valueAt(object.value, ["spec", protocol]);
    if (!Array.isArray(routes)) continue;
    routes.forEach((route, routeIndex) => {
      const destinations = isRecord(route) && Array.isArray(route["route"]) ? route["route"] : [];
      const backends: WeightedBackend[] = [];
      let written = false;
      destinations.forEach((destination, index) => {
        if (!isRecord(destination)) return;
        const host = valueAt(destination, ["destination", "host"]);
        const subset = valueAt(destination, ["destination", "subset"]);
        if (typeof host !== "string") return;
        if (destination["weight"] !== undefined) written = true;
        backends.push({
          name: typeof subset === "string" ? `${host}/${subset}` : host,
          weight: numberOf(destination["weight"]) ?? 0,
          weightPath: ["spec", protocol, routeIndex, "route", index, "weight"],
        });
      });
      if (checkSplit(context, object, "Istio VirtualService", "destination", backends, written).length > 0) {
        hosts.push(...backends.map((backend) => backend.name.split("/")[0] as string));
      }
    });
  }
  return hosts;
}

/** Root and backend Services of a weighted SMI TrafficSplit. */
function checkTrafficSplit(context: Context, object: KubernetesObject): string[] {
  const list = valueAt(object.value, ["spec", "backends"]);
  if (!Array.isArray(list)) return [];
  const backends: WeightedBackend[] = [];
  list.forEach((backend, index) => {
    if (!isRecord(backend) || typeof backend["service"] !== "string") return;
    backends.push({ name: backend["service"], weight: parseQuantity(backend["weight"]) ?? 0, weightPath: ["spec", "backends", index, "weight"] });
  });
  const names = checkSplit(context, object, "SMI TrafficSplit", "backend", backends, true);
  const root = valueAt(object.value, ["spec", "service"]);
  return names.length > 0 && typeof root === "string" ? [root, ...names] : names;
}

/** Service backends of weighted Gateway API route rules. */
function checkGatewayRoute(context: Context, object: KubernetesObject): string[] {
  const rules = valueAt(object.value, ["spec", "rules"]);
  if (!Array.isArray(rules)) return [];
  const names: string[] = [];
  rules.forEach((rule, ruleIndex) => {
    const refs = isRecord(rule) && Array.isArray(rule["backendRefs"]) ? rule["backendRefs"] : [];
    const backends: WeightedBackend[] = [];
    let written = false;
    refs.forEach((ref, index) => {
      if (!isRecord(ref) || typeof ref["name"] !== "string") return;
      if (ref["kind"] !== undefined && ref["kind"] !== "Service") return;
      if (ref["weight"] !== undefined) written = true;
      // A backendRef without weight has weight 1.
      backends.push({ name: ref["name"], weight: numberOf(ref["weight"]) ?? 1, weightPath: ["spec", "rules", ruleIndex, "backendRefs", index, "weight"] });
    });
    names.push(...checkSplit(context, object, `Gateway API ${object.kind}`, "backend", backends, written));
  });
  return names;
}

/** True when the InferenceService sends a share of traffic to a canary revision. */
function checkInferenceService(context: Context, object: KubernetesObject): boolean {
  // v1beta1 keeps it on the predictor; the v1alpha2 API had it on the spec.
  for (const path of [["spec", "predictor", "canaryTrafficPercent"], ["spec", "canaryTrafficPercent"]]) {
    const percent = numberOf(valueAt(object.value, path));
    if (percent === null) continue;
    reportLargeStep(context, object, "KServe InferenceService", "canaryTrafficPercent sends", percent, object.locate(path));
    return true;
  }
  return false;
}

/** True when two or more predictors share the traffic (or one shadows another). */
function checkSeldonDeployment(context: Context, object: KubernetesObject): boolean {
  const predictors = valueAt(object.value, ["spec", "predictors"]);
  if (!Array.isArray(predictors) || predictors.length < 2) return false;
  const backends: WeightedBackend[] = [];
  let written = false;
  let shadow = false;
  predictors.forEach((predictor, index) => {
    if (!isRecord(predictor)) return;
    if (predictor["shadow"] === true) {
      shadow = true;
      return;
    }
    if (predictor["traffic"] !== undefined) written = true;
    const name = typeof predictor["name"] === "string" ? predictor["name"] : String(index);
    backends.push({ name, weight: numberOf(predictor["traffic"]) ?? 0, weightPath: ["spec", "predictors", index, "traffic"] });
  });
  if (checkSplit(context, object, "SeldonDeployment", "predictor", backends, written).length > 0) return true;
  return shadow;
}

/**
 * Deployments (or StatefulSets) that are copies of one app told apart by a slot label (`slot: blue`/`green`,
 * `version: v1`/`v2`, `track: stable`/`canary`) and that one Service routes to: the Service selects the app and
 * either one slot (blue-green) or every slot (a canary sized by replicas).
 */
function slotPairs(services: KubernetesObject[], podObjects: KubernetesObject[]): KubernetesObject[] {
  const paired: KubernetesObject[] = [];
  const candidates = podObjects.filter((object) => object.kind !== "Rollout");
  for (const service of services) {
    const selector = serviceSelector(service);
    if (!selector) continue;
    const appSelector = Object.fromEntries(Object.entries(selector).filter(([key]) => !SLOT_KEYS.has(key)));
    if (Object.keys(appSelector).length === 0) continue;
    const copies = candidates.filter((object) => sameNamespace(object, service) && mapSelectorMatches(appSelector, podLabels(object)));
    if (!copies.some((object) => mapSelectorMatches(selector, podLabels(object)))) continue;
    for (const key of SLOT_KEYS) {
      const slotted = copies.filter((object) => podLabels(object)[key] !== undefined);
      const names = new Set(slotted.map((object) => object.name));
      if (new Set(slotted.map((object) => podLabels(object)[key])).size >= 2 && names.size >= 2) paired.push(...slotted);
    }
  }
  return paired;
}
