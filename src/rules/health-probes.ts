import { HELM_VALUES_KIND } from "../helm.js";
import type { SourceLocation } from "../model.js";
import { translatePath } from "../kustomize.js";
import { isRecord, type KubernetesFile, type KubernetesObject, type ObjectPath } from "../parsers/kubernetes.js";
import { defineRule, type ReportDescriptor } from "../rule.js";
import { isPatchObject, isRendered, locateIn, valueAt, type Workload, type WorkloadContainer } from "../workloads.js";

interface HealthProbesOptions {
  /** The least time a model server gets to load its model before the kubelet may restart it. */
  minStartupSeconds: number;
}

type ProbeField = "readinessProbe" | "livenessProbe" | "startupProbe";
/** A probe and where it is written: a kustomize patch may write it for the container of another file. */
interface WrittenProbe {
  probe: Record<string, unknown>;
  object: KubernetesObject;
  container: WorkloadContainer;
}
type Probes = Partial<Record<ProbeField, WrittenProbe>>;

interface Traits {
  /** A container that serves requests: it must have readiness and liveness probes. */
  serving: boolean;
  /** Why it looks like a model server that loads a model at start (then its startup budget is checked). */
  evidence: string | undefined;
  /** A controller (the Seldon operator, a KServe serving runtime) writes its probes. */
  controllerProbed: boolean;
  readinessNeeded: boolean;
}

const PROBE_FIELDS: readonly ProbeField[] = ["readinessProbe", "livenessProbe", "startupProbe"];

/** What the API server fills in for a probe field left out (core/v1 defaults). */
const PROBE_DEFAULTS: Record<string, number> = {
  initialDelaySeconds: 0,
  periodSeconds: 10,
  timeoutSeconds: 1,
  successThreshold: 1,
  failureThreshold: 3,
};

/**
 * Kinds that run long-lived pods which may receive traffic. Jobs and CronJobs run to completion;
 * DaemonSets are node agents (log shippers, exporters, device plugins), not model servers; a Seldon
 * Core v2 Server runs the containers of its ServerConfig, which carry the probes.
 */
const SERVING_KINDS = new Set([
  "Deployment", "StatefulSet", "ReplicaSet", "ReplicationController", "Rollout", "Pod", "InferenceService", "SeldonDeployment",
]);

/** Kinds whose containers may leave the image to their controller; elsewhere an image-less container is a kustomize patch. */
const CONTROLLER_FILLED_KINDS = new Set(["InferenceService", "SeldonDeployment"]);

/**
 * Helpers that run next to the application: mesh and auth proxies, log shippers, config reloaders. They are
 * not the served application, so they need no probes of their own when the pod has another container.
 */
const SIDECAR_NAMES = new Set([
  "istio-proxy", "proxyv2", "linkerd-proxy", "envoy", "kube-rbac-proxy", "cloud-sql-proxy", "cloudsql-proxy", "gce-proxy",
  "fluent-bit", "fluentbit", "fluentd", "filebeat", "promtail", "vector", "otel-collector", "opentelemetry-collector",
  "opentelemetry-collector-contrib", "configmap-reload", "config-reloader", "prometheus-config-reloader",
]);

/** A sidecar by its container name or its image's last path segment (`quay.io/brancz/kube-rbac-proxy:v0.8.0`). */
function isSidecar(container: WorkloadContainer): boolean {
  const imageName = (container.image ?? "").toLowerCase().replace(/[@:][^/]*$/, "").split("/").pop() ?? "";
  return [container.name.toLowerCase(), imageName].some((name) => SIDECAR_NAMES.has(name));
}

/** Images of well-known model servers (matched against the whole image reference, lower-cased). */
const MODEL_SERVER_IMAGES: readonly RegExp[] = [
  /tritonserver/,
  /torchserve/,
  /tensorflow[/-]serving|(^|\/)tf-?serving/,
  /(^|\/)vllm[-/:]|(^|\/)vllm$/,
  /text-generation-inference|text-embeddings-inference/,
  /(^|\/)bentoml\//,
  /(^|\/)mlserver([:@]|$)/,
  /seldonio\/[a-z0-9-]*server/,
  /(^|\/)kserve\/[a-z0-9-]*server([:@]|$)/,
  /openvino\/model_server/,
  /(^|\/)ollama[:/@]|(^|\/)ollama$/,
  /(^|\/)sglang([:@]|$)/,
];

/** Commands of well-known model servers, matched against the container's command and args joined by spaces. */
const MODEL_SERVER_COMMANDS: readonly RegExp[] = [
  /\btritonserver\b/,
  /\btorchserve\b/,
  /\btensorflow_model_server\b/,
  /\bmlflow\s+models\s+serve\b/,
  /\bvllm\s+serve\b|\bvllm\.entrypoints\b/,
  /\btext-generation-launcher\b/,
  /\bbentoml\s+serve\b/,
  /(^|\s)serve\s+(run|deploy)\s/,
  /\bmlserver\s+start\b/,
  /\bseldon-core-microservice\b/,
  /-m\s+(sklearnserver|xgbserver|lgbserver|pmmlserver|paddleserver|huggingfaceserver|kserve)\b/,
  /\bollama\s+serve\b/,
  /\bsglang\.launch_server\b/,
  /\bllama-server\b/,
];

/** Arguments that hand the process a model to load (`--model`, `--model-repository`, `--model_base_path`...). */
const MODEL_ARGUMENT = /(^|\s)--model(?:[-_](?:id|path|dir|uri|repository|store|base[-_]path|name[-_]or[-_]path))?(?:=|\s|$)/;
/** Environment variables that hand the process a model to load. `MODEL_NAME` alone names a model, it does not load one. */
const MODEL_ENV_NAME = /^(?:[A-Z0-9]+_)?MODELS?_(?:URI|URL|PATH|DIR|DIRECTORY|REPOSITORY|REPO|STORE|LOCATION|FILE|BUCKET|NAME_OR_PATH)$|^(?:STORAGE_URI|HF_MODEL_ID|MODEL_ID)$/;
/** Mount paths where a model is placed (`/mnt/models` is KServe's, `/opt/ml/model` SageMaker's), or a Hugging Face cache. */
const MODEL_MOUNT_PATH = /(^|\/)(models?|model[-_]store|model[-_]repository)(\/|$)|(^|\/)huggingface(\/|$)/i;

function numberOf(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function probeValue(probe: Record<string, unknown>, field: string): number | undefined {
  return field in probe ? numberOf(probe[field]) : PROBE_DEFAULTS[field];
}

/** A probe with the API server's defaults filled in and keys sorted, to compare probes as Kubernetes runs them. */
function canonical(value: unknown, defaults?: Record<string, number>): unknown {
  if (Array.isArray(value)) return value.map((item) => canonical(item));
  if (!isRecord(value)) return value;
  const filled: Record<string, unknown> = { ...defaults, ...value };
  if (isRecord(filled["httpGet"])) filled["httpGet"] = { scheme: "HTTP", ...filled["httpGet"] };
  return Object.fromEntries(Object.keys(filled).sort().map((key) => [key, canonical(filled[key])]));
}

function sameProbe(first: Record<string, unknown>, second: Record<string, unknown>): boolean {
  return JSON.stringify(canonical(first, PROBE_DEFAULTS)) === JSON.stringify(canonical(second, PROBE_DEFAULTS));
}

/** Seconds a probe gives a starting container before the kubelet acts: initialDelaySeconds + failureThreshold × periodSeconds. */
function budgetOf(probe: Record<string, unknown>): { seconds: number; formula: string } | undefined {
  const initialDelay = probeValue(probe, "initialDelaySeconds");
  const failureThreshold = probeValue(probe, "failureThreshold");
  const period = probeValue(probe, "periodSeconds");
  if (initialDelay === undefined || failureThreshold === undefined || period === undefined) return undefined;
  return {
    seconds: initialDelay + failureThreshold * period,
    formula: `initialDelaySeconds ${initialDelay} + failureThreshold ${failureThreshold} × periodSeconds ${period}`,
  };
}

function textOf(value: unknown): string {
  return Array.isArray(value) ? value.filter((item) => typeof item === "string" || typeof item === "number").join(" ") : "";
}

/** Why a container looks like a model server that loads a model at start, or undefined. */
function modelServerEvidence(workload: Workload, container: WorkloadContainer): string | undefined {
  const { kind } = workload.object;
  if (kind === "InferenceService" && workload.specPath[1] === "predictor") return "it is a KServe predictor";
  if (kind === "SeldonDeployment") return "it is part of a Seldon deployment";
  const image = (container.image ?? "").toLowerCase();
  if (MODEL_SERVER_IMAGES.some((pattern) => pattern.test(image))) return `image \`${container.image}\``;
  const commandLine = `${textOf(container.value["command"])} ${textOf(container.value["args"])}`.trim();
  const command = MODEL_SERVER_COMMANDS.map((pattern) => pattern.exec(commandLine)?.[0]).find(Boolean);
  if (command) return `it runs \`${command.trim()}\``;
  const argument = MODEL_ARGUMENT.exec(commandLine)?.[0];
  if (argument) return `its arguments pass \`${argument.trim().replace(/=$/, "")}\``;
  const env = container.value["env"];
  if (Array.isArray(env)) {
    for (const variable of env) {
      if (!isRecord(variable) || typeof variable["name"] !== "string") continue;
      const value = variable["value"];
      if (MODEL_ENV_NAME.test(variable["name"]) || (typeof value === "string" && value.startsWith("models:/"))) {
        return `env \`${variable["name"]}\``;
      }
    }
  }
  const mounts = container.value["volumeMounts"];
  if (Array.isArray(mounts)) {
    for (const mount of mounts) {
      if (isRecord(mount) && typeof mount["mountPath"] === "string" && MODEL_MOUNT_PATH.test(mount["mountPath"])) {
        return `it mounts \`${mount["mountPath"]}\``;
      }
    }
  }
  return undefined;
}

/**
 * KServe's Serverless mode (the default; `Knative` in newer releases) runs each component as a Knative service,
 * which adds a TCP readiness probe when none is written. `RawDeployment`/`Standard` and `ModelMesh` do not.
 */
function knativeAddsReadiness(object: KubernetesObject): boolean {
  const mode = valueAt(object.value, ["metadata", "annotations", "serving.kserve.io/deploymentMode"]);
  return object.kind === "InferenceService" && (mode === undefined || mode === "Serverless" || mode === "Knative");
}

/**
 * Containers whose probes a controller writes: a Seldon predictor's graph containers (the operator adds TCP
 * probes), and a KServe component's `kserve-container` next to the `model:` shorthand (it overrides the serving
 * runtime's container, which brings the runtime's probes).
 */
function controllerProbedNames(workload: Workload): Set<string> {
  const names = new Set<string>();
  if (workload.object.kind === "InferenceService") {
    if (workload.containers.some((container) => container.role === "model")) names.add("kserve-container");
    return names;
  }
  if (workload.object.kind !== "SeldonDeployment") return names;
  const predictorIndex = workload.specPath[2];
  const pending: unknown[] = [valueAt(workload.object.value, ["spec", "predictors", predictorIndex ?? 0, "graph"])];
  while (pending.length > 0 && names.size < 1000) {
    const node = pending.pop();
    if (!isRecord(node)) continue;
    if (typeof node["name"] === "string") names.add(node["name"]);
    if (Array.isArray(node["children"])) pending.push(...node["children"]);
  }
  return names;
}

/** A kustomize strategic-merge patch: a container without image, or a Deployment-like object without selector. */
function isPatch(workload: Workload, container: WorkloadContainer, objects: readonly KubernetesObject[]): boolean {
  const { object } = workload;
  if (CONTROLLER_FILLED_KINDS.has(object.kind)) return false;
  return container.image === undefined || isPatchObject(object, objects);
}

function probesOf(object: KubernetesObject, container: WorkloadContainer): Probes {
  const probes: Probes = {};
  for (const field of PROBE_FIELDS) {
    const probe = container.value[field];
    if (isRecord(probe)) probes[field] = { probe, object, container };
  }
  return probes;
}

/** A bare Pod that runs to completion, or a Helm hook (`helm test` pods), serves nothing. */
function isOneShotPod(object: KubernetesObject): boolean {
  const restartPolicy = valueAt(object.value, ["spec", "restartPolicy"]);
  const hook = valueAt(object.value, ["metadata", "annotations", "helm.sh/hook"]);
  return restartPolicy === "Never" || restartPolicy === "OnFailure" || hook !== undefined;
}

function namespaceOf(object: KubernetesObject): string {
  return object.namespace && object.namespace !== "default" ? object.namespace : "";
}

/** The pod's metadata: the object's own for a Pod, the template's for a controller. */
function podMetadataPath(workload: Workload): (string | number)[] {
  return workload.object.kind === "Pod" ? ["metadata"] : [...workload.specPath.slice(0, -1), "metadata"];
}

/** A Service of the project, in the workload's namespace, whose selector matches the pod's labels. */
function selectedByService(workload: Workload, services: KubernetesObject[]): boolean {
  const labels = valueAt(workload.object.value, [...podMetadataPath(workload), "labels"]);
  if (!isRecord(labels)) return false;
  return services.some((service) => {
    const selector = valueAt(service.value, ["spec", "selector"]);
    if (!isRecord(selector) || Object.keys(selector).length === 0 || namespaceOf(service) !== namespaceOf(workload.object)) return false;
    return Object.entries(selector).every(([key, value]) => labels[key] !== undefined && String(labels[key]) === String(value));
  });
}

function declaresPorts(container: WorkloadContainer): boolean {
  const ports = container.value["ports"];
  return Array.isArray(ports) && ports.length > 0;
}

/** The pod's default container (`kubectl.kubernetes.io/default-container`, else the first), for pods whose containers declare no ports. */
function defaultContainerName(workload: Workload, containers: WorkloadContainer[]): string | undefined {
  const annotated = valueAt(workload.object.value, [...podMetadataPath(workload), "annotations", "kubectl.kubernetes.io/default-container"]);
  return typeof annotated === "string" && containers.some((container) => container.name === annotated) ? annotated : containers[0]?.name;
}

/** The path of the first scalar inside `value` (a probe's `port`, `path`...), to find the file that wrote it. */
function firstScalarPath(value: unknown, path: ObjectPath): ObjectPath | undefined {
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = firstScalarPath(item, [...path, index]);
      if (found) return found;
    }
    return undefined;
  }
  if (isRecord(value)) {
    for (const [key, item] of Object.entries(value)) {
      const found = firstScalarPath(item, [...path, key]);
      if (found) return found;
    }
    return undefined;
  }
  return value === undefined ? undefined : path;
}

/**
 * Where a probe is written: its key in a manifest. A built object (kustomize) may take the probe from an
 * overlay's patch: then the probe's key in that patch, as the patch file was read.
 */
function probeLocation(object: KubernetesObject, probePath: ObjectPath, files: KubernetesFile[]): { file: string; at: SourceLocation } {
  if (isRendered(object)) {
    const leaf = firstScalarPath(valueAt(object.value, probePath), probePath);
    const origin = locateIn(object, leaf ?? probePath);
    if (origin.file === object.file) return { file: object.file, at: object.locateKey(probePath) };
    // The patch object that holds the origin line: the last one of its file that starts before it.
    const patch = files.find((file) => file.path === origin.file)?.objects.filter((candidate) => candidate.location.line <= origin.at.line).pop();
    const translated = patch ? translatePath(object.value, patch.value, probePath, false) : undefined;
    return patch && translated?.complete ? { file: patch.file, at: patch.locateKey(translated.path) } : origin;
  }
  return { file: object.file, at: object.locateKey(probePath) };
}

/** Where a container is written; a chart template's container, at the line locateIn finds in the template. */
function containerLocation(workload: Workload, container: WorkloadContainer): { file: string; at: SourceLocation } {
  return workload.source === "helm" ? locateIn(workload.object, container.path) : { file: workload.object.file, at: container.location };
}

function subjectOf(container: WorkloadContainer): string {
  return `Container \`${container.name}\``;
}

export default defineRule<HealthProbesOptions>({
  meta: {
    id: "health-probes",
    title: "Give serving containers distinct readiness and liveness probes, and model servers time to load",
    section: "rollout",
    severity: "error",
    weight: 2,
    description:
      "Serving containers (of Deployments, StatefulSets, Rollouts, ReplicaSets, Pods, KServe and Seldon) have a readiness and a liveness probe " +
      "that are not the same, and a model server has a startupProbe (or a liveness delay) long enough to load its model. Without them traffic " +
      "reaches pods that cannot answer, hung servers are never restarted, and a slow model load restarts pods in a loop.",
    options: {
      type: "object",
      additionalProperties: false,
      properties: {
        minStartupSeconds: {
          type: "integer",
          minimum: 0,
          description:
            "Least time, in seconds, a model server may take to start before the kubelet may restart it: the startupProbe's " +
            "initialDelaySeconds + failureThreshold × periodSeconds, or the livenessProbe's when there is no startupProbe.",
        },
      },
    },
    defaultOptions: { minStartupSeconds: 60 },
    messages: {
      missingReadiness:
        "{{subject}} of {{workload}} has no readinessProbe, so Services send it requests and rollouts move on before it can answer them; " +
        "add a readinessProbe that succeeds only once the server can answer (for a model server: once the model is loaded).",
      missingLiveness:
        "{{subject}} of {{workload}} has no livenessProbe, so a hung server keeps its place and is never restarted; " +
        "add a livenessProbe on a cheap endpoint that fails only when the process is stuck.",
      identicalProbes:
        "{{subject}} of {{workload}} has identical readiness and liveness probes, so whenever it is not ready (loading a model, overloaded) " +
        "the kubelet also restarts it, which can loop; make the livenessProbe check only that the process responds, with more tolerance, and keep readiness for \"ready to serve\".",
      noStartupBudget:
        "{{subject}} of {{workload}} looks like a model server ({{evidence}}), but the kubelet may restart it after {{budget}}s of startup " +
        "({{formula}}), less than the {{minimum}}s a model load is allowed; {{fix}}.",
    },
  },
  check(context) {
    const { project, options } = context;
    const services = project.objects.filter((object) => object.kind === "Service");
    // A chart read from values.yaml (not rendered) shows only the probes values.yaml writes: its templates may
    // write others, so only what is written is judged (identical probes, startup budget), never what is missing.
    const workloads = project.workloads.filter((workload) =>
      (SERVING_KINDS.has(workload.object.kind) && !(workload.object.kind === "Pod" && isOneShotPod(workload.object))) ||
      (workload.object.kind === HELM_VALUES_KIND && workload.source === "helm-values"));

    // Probes written for the same container of the same object elsewhere (a base and its kustomize patches) count.
    const fragments = new Map<string, { probes: Probes; patch: boolean; source: WorkloadContainer }[]>();
    const fragmentKey = (object: KubernetesObject, container: WorkloadContainer) => `${object.kind}/${object.name ?? ""}/${container.name}`;
    for (const workload of workloads) {
      for (const container of workload.containers) {
        if (container.role !== "container" || !workload.object.name) continue;
        const key = fragmentKey(workload.object, container);
        fragments.set(key, [...(fragments.get(key) ?? []), { probes: probesOf(workload.object, container), patch: isPatch(workload, container, project.objects), source: container }]);
      }
    }
    const effectiveProbes = (workload: Workload, container: WorkloadContainer): Probes => {
      const probes = probesOf(workload.object, container);
      for (const fragment of fragments.get(fragmentKey(workload.object, container)) ?? []) {
        if (fragment.source === container || !(fragment.patch || isPatch(workload, container, project.objects))) continue;
        for (const field of PROBE_FIELDS) probes[field] ??= fragment.probes[field];
      }
      return probes;
    };

    const judged: { workload: Workload; container: WorkloadContainer; traits: Traits }[] = [];
    let servesModelShorthand = false;
    for (const workload of workloads) {
      const { object } = workload;
      if (workload.containers.some((container) => container.role === "model")) servesModelShorthand = true;
      const containers = workload.containers.filter((container) => container.role === "container" && !isPatch(workload, container, project.objects));
      // Sidecars are not the application, unless nothing else runs in the pod.
      const applications = containers.some((container) => !isSidecar(container))
        ? containers.filter((container) => !isSidecar(container))
        : containers;
      const mainContainer = applications.some(declaresPorts) ? undefined : defaultContainerName(workload, applications);
      const controllerProbed = controllerProbedNames(workload);
      const selected = selectedByService(workload, services);
      const evidence = new Map(containers.map((container) => [container.name, modelServerEvidence(workload, container)]));
      // A pod serves when it takes traffic: it declares ports, a Service selects it, it runs a model server, or
      // KServe/Seldon runs it. Others (load generators, queue workers, helper pods) have nothing to be ready for.
      const servingPod = object.kind !== HELM_VALUES_KIND && (CONTROLLER_FILLED_KINDS.has(object.kind) || selected ||
        applications.some(declaresPorts) || [...evidence.values()].some((reason) => reason !== undefined));
      for (const container of containers) {
        const reason = evidence.get(container.name);
        const serving = servingPod && applications.includes(container) &&
          (applications.length === 1 || declaresPorts(container) || container.name === mainContainer || reason !== undefined);
        judged.push({
          workload,
          container,
          traits: {
            serving,
            evidence: reason,
            controllerProbed: controllerProbed.has(container.name),
            // Rolling updates wait for readiness, so controllers always need it; a bare Pod only for its Service.
            readinessNeeded: object.kind === "Pod" ? selected : !knativeAddsReadiness(object),
          },
        });
      }
    }
    if (!servesModelShorthand && !judged.some((entry) => entry.traits.serving)) {
      const templates = project.filesOfKind("helm-template").length;
      context.skip(
        templates > 0
          ? "no serving workloads found outside Helm charts that were not rendered (their templates are not read)"
          : "no serving workloads (Deployments, StatefulSets, Rollouts, ReplicaSets, Pods behind a Service, InferenceServices, SeldonDeployments) found",
      );
      return;
    }
    // Two kustomize overlays of one base can give the same finding on the same base line: report it once.
    const reported = new Set<string>();
    const report = (descriptor: ReportDescriptor & { file: string; at: SourceLocation }) => {
      const key = JSON.stringify([descriptor.messageId, descriptor.file, descriptor.at.line, descriptor.at.column, descriptor.data]);
      if (reported.has(key)) return;
      reported.add(key);
      context.report(descriptor);
    };
    for (const { workload, container, traits } of judged) checkContainer(workload, container, effectiveProbes(workload, container), traits);

    function checkContainer(workload: Workload, container: WorkloadContainer, probes: Probes, traits: Traits): void {
      const data = { subject: subjectOf(container), workload: workload.label };
      const at = (field: ProbeField) => {
        const written = probes[field] as WrittenProbe;
        return probeLocation(written.object, [...written.container.path, field], project.kubernetesFiles);
      };
      if (traits.serving && !traits.controllerProbed) {
        if (!probes.readinessProbe && traits.readinessNeeded) {
          report({ messageId: "missingReadiness", data, ...containerLocation(workload, container) });
        }
        if (!probes.livenessProbe) {
          report({ messageId: "missingLiveness", data, ...containerLocation(workload, container) });
        }
      }
      const { readinessProbe, livenessProbe, startupProbe } = probes;
      if (readinessProbe && livenessProbe && sameProbe(readinessProbe.probe, livenessProbe.probe)) {
        report({ messageId: "identicalProbes", data, ...at("livenessProbe") });
      }
      // Without a liveness probe nothing restarts a slow starter; with a startupProbe, liveness waits for it.
      if (!traits.evidence || !livenessProbe) return;
      const guard: ProbeField = startupProbe ? "startupProbe" : "livenessProbe";
      const budget = budgetOf((startupProbe ?? livenessProbe).probe);
      if (!budget || budget.seconds >= options.minStartupSeconds) return;
      report({
        messageId: "noStartupBudget",
        data: {
          ...data,
          evidence: traits.evidence,
          budget: budget.seconds,
          formula: `${guard} ${budget.formula}`,
          minimum: options.minStartupSeconds,
          fix: startupProbe
            ? "raise the startupProbe's failureThreshold (or periodSeconds) so that it covers the model load"
            : "add a startupProbe whose failureThreshold × periodSeconds covers the model load (liveness waits for it), or raise the livenessProbe's initialDelaySeconds",
        },
        ...at(guard),
      });
    }
  },
});
