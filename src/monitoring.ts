// What the monitoring rules read: Prometheus alert and recording rules (PrometheusRule objects,
// VictoriaMetrics VMRules, rule files held in ConfigMaps), what their PromQL watches (latency
// percentiles, error rate, model metrics), which Python dependencies a project installs, and which
// workloads serve requests.
import path from "node:path";
import { INFRASTRUCTURE_WORKLOAD_NAME, isInfrastructureImage } from "./images.js";
import type { SourceLocation } from "./model.js";
import { isRecord, type KubernetesObject } from "./parsers/kubernetes.js";
import { normaliseName, type Requirement } from "./parsers/requirements.js";
import { parseYaml } from "./parsers/yaml.js";
import { pipInvocation, runCommandsOf } from "./installs.js";
import { oncePer } from "./memo.js";
import type { DockerfileModel } from "./parsers/dockerfile.js";
import { parsePipInstallArguments } from "./parsers/requirements.js";
import { isTestPath } from "./paths.js";
import type { ProjectModel } from "./project.js";
import { mapSelectorIndex, podLabelsOf, sameNamespace } from "./selectors.js";
import { isPatchObject, valueAt, type Workload } from "./workloads.js";

// ---------------------------------------------------------------------------------------------
// Prometheus rules

/** One alerting or recording rule, where it is written. */
export interface PrometheusRule {
  type: "alert" | "record";
  /** The alert name or the recorded series name. */
  name: string;
  expr: string;
  file: string;
  location: SourceLocation;
  /** `PrometheusRule/churn-api`, `ConfigMap/prometheus-rules (alerts.yml)`. */
  source: string;
  /** Where the object that holds the rule starts. */
  objectLocation: SourceLocation;
}

/** Kinds that hold Prometheus rule groups in `spec.groups`: Prometheus Operator's and VictoriaMetrics'. */
const RULE_GROUP_KINDS = new Set(["PrometheusRule", "VMRule"]);
const RULE_FILE_KEY = /\.(ya?ml|rules?)$/i;

type RuleOrigin = Pick<PrometheusRule, "file" | "location" | "source" | "objectLocation">;

function rulesOfGroups(groups: unknown, describe: (index: number[]) => RuleOrigin): PrometheusRule[] {
  const rules: PrometheusRule[] = [];
  if (!Array.isArray(groups)) return rules;
  groups.forEach((group, groupIndex) => {
    const list = isRecord(group) ? group["rules"] : undefined;
    if (!Array.isArray(list)) return;
    list.forEach((rule, ruleIndex) => {
      if (!isRecord(rule)) return;
      const expr = rule["expr"];
      const text = typeof expr === "string" ? expr : typeof expr === "number" ? String(expr) : "";
      const alert = rule["alert"];
      const record = rule["record"];
      if (typeof alert === "string") rules.push({ type: "alert", name: alert, expr: text, ...describe([groupIndex, ruleIndex]) });
      else if (typeof record === "string") rules.push({ type: "record", name: record, expr: text, ...describe([groupIndex, ruleIndex]) });
    });
  });
  return rules;
}

/**
 * Every Prometheus rule in the project's Kubernetes objects: `PrometheusRule` and `VMRule` groups, and
 * rule files (`*.yml`, `*.rules`) in a ConfigMap's `data`, as a plain Prometheus mounts them. Objects in
 * test folders are left out.
 */
export function prometheusRulesOf(objects: readonly KubernetesObject[]): PrometheusRule[] {
  const rules: PrometheusRule[] = [];
  for (const object of objects) {
    if (isTestPath(object.file)) continue;
    const source = `${object.kind}/${object.name ?? "(unnamed)"}`;
    if (RULE_GROUP_KINDS.has(object.kind)) {
      rules.push(...rulesOfGroups(valueAt(object.value, ["spec", "groups"]), ([group, rule]) => ({
        file: object.file,
        location: object.locate(["spec", "groups", group as number, "rules", rule as number]),
        source,
        objectLocation: object.location,
      })));
    } else if (object.kind === "ConfigMap") {
      const data = valueAt(object.value, ["data"]);
      if (!isRecord(data)) continue;
      for (const [key, text] of Object.entries(data)) {
        if (!RULE_FILE_KEY.test(key) || typeof text !== "string" || !/\bgroups\s*:/.test(text) || !/\bexpr\s*:/.test(text)) continue;
        const at = object.locate(["data", key]);
        for (const document of parseYaml(text).documents) {
          if (!isRecord(document.value)) continue;
          rules.push(...rulesOfGroups(document.value["groups"], () => ({ file: object.file, location: at, source: `${source} (${key})`, objectLocation: object.location })));
        }
      }
    }
  }
  return rules;
}

const SERIES_NAME = /[A-Za-z_:][A-Za-z0-9_:]*/g;

/**
 * An alert's expression with the recording rules it reads written out after it (three levels deep), so
 * that `job:request_latency_seconds:p99 > 0.5` is judged by the `histogram_quantile` it records.
 */
export function expandedExpression(rule: PrometheusRule, records: ReadonlyMap<string, string>): string {
  let text = rule.expr;
  const seen = new Set<string>();
  let frontier = rule.expr;
  for (let level = 0; level < 3 && frontier; level++) {
    let next = "";
    for (const name of frontier.match(SERIES_NAME) ?? []) {
      const recorded = records.get(name);
      if (recorded === undefined || seen.has(name)) continue;
      seen.add(name);
      next += `\n${recorded}`;
    }
    text += next;
    frontier = next;
  }
  return text;
}

export function recordsOf(rules: readonly PrometheusRule[]): Map<string, string> {
  const records = new Map<string, string>();
  for (const rule of rules) if (rule.type === "record") records.set(rule.name, `${records.get(rule.name) ?? ""}\n${rule.expr}`);
  return records;
}

/** Series names of request durations: `http_request_duration_seconds`, `request_latency_ms`, `:latency:`. */
const DURATION_SERIES = /duration|latenc|_seconds|_time\b|_time_|_ms\b|_ms_|millis|response_time|_us\b/i;

/** The text of the call that opens at `open` (the index of its `(`), to its matching `)`. */
function callArguments(text: string, open: number): string {
  let depth = 0;
  for (let index = open; index < text.length; index++) {
    const char = text[index];
    if (char === "(") depth++;
    else if (char === ")") {
      depth--;
      if (depth === 0) return text.slice(open + 1, index);
    }
  }
  return text.slice(open + 1);
}

/**
 * The highest latency percentile an expression computes: `histogram_quantile(0.99, ...)` over a
 * histogram whose name says it measures a duration, or a summary's `{quantile="0.99"}` of one. Null when
 * it computes none.
 */
export function latencyQuantile(expr: string): number | null {
  let highest: number | null = null;
  const consider = (quantile: number) => {
    if (Number.isFinite(quantile) && quantile > 0 && quantile < 1 && (highest === null || quantile > highest)) highest = quantile;
  };
  for (const match of expr.matchAll(/histogram_quantile\s*\(/g)) {
    const args = callArguments(expr, (match.index ?? 0) + match[0].length - 1);
    const comma = args.indexOf(",");
    if (comma < 0) continue;
    const quantile = Number(args.slice(0, comma).trim());
    const series = args.slice(comma + 1).match(SERIES_NAME) ?? [];
    if (series.some((name) => DURATION_SERIES.test(name))) consider(quantile);
  }
  for (const match of expr.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)\s*\{[^}]*\bquantile\s*=\s*["']([0-9.]+)["']/g)) {
    if (DURATION_SERIES.test(match[1] as string)) consider(Number(match[2]));
  }
  return highest;
}

/** A label that carries an HTTP status (or gRPC code) compared with 5xx, or with anything but 2xx. */
const SERVER_ERROR_SELECTOR = /\b[a-z_]*(?:status|code)[a-z_]*\s*(?:=~?\s*["']5|!~\s*["']2)/i;
const GRPC_ERROR_SELECTOR = /\bgrpc_(?:code|status)\s*(?:!=|!~)\s*["']OK|\bgrpc_(?:code|status)\s*=~?\s*["'][^"']*(?:Internal|Unavailable|Unknown|DeadlineExceeded)/i;
/** Series that count failures: `request_errors_total`, `inference_failures`, `:error_ratio:`. */
const ERROR_SERIES = /(?:^|[_:])(?:errors?|failures?|failed|exceptions?|error_ratio|error_rate)(?:$|[_:])/i;

/** True when an expression watches the error rate: 5xx (or non-2xx) responses, gRPC errors, or an error counter. */
export function isErrorRateExpression(expr: string): boolean {
  if (SERVER_ERROR_SELECTOR.test(expr) || GRPC_ERROR_SELECTOR.test(expr)) return true;
  return (expr.match(SERIES_NAME) ?? []).some((name) => ERROR_SERIES.test(name));
}

/** Words of model-quality metrics: drift, prediction distribution and confidence, model scores. */
const MODEL_METRIC = new RegExp(
  [
    "drift", "(?:^|[_:])psi(?:$|[_:])", "population_stability", "kl_?div", "js_?div", "jensen", "wasserstein", "confidence",
    "outlier", "(?:^|[_:])skew", "data_quality", "feature_(?:missing|null|distribution|stat)",
    "prediction_(?:distribution|score|value|probability|proba|class|label|mean|avg|histogram|count_by)",
    "predicted_(?:class|label|value|probability)", "model_(?:accuracy|auc|precision|recall|f1|quality|performance|score|error|mae|rmse)",
    "(?:^|[_:])(?:accuracy|auc|roc_auc|f1_score|rmse|mae)(?:$|[_:])",
  ].join("|"),
  "i",
);

/** True when an alert watches a model metric (drift, prediction distribution, confidence, accuracy), by its series or its name. */
export function isModelMetricRule(rule: PrometheusRule, expanded: string): boolean {
  if ((expanded.match(SERIES_NAME) ?? []).some((name) => MODEL_METRIC.test(name))) return true;
  return /drift|confidence|prediction[-_ ]?distribution|model[-_ ]?(?:quality|accuracy|performance)|outlier/i.test(rule.name);
}

// ---------------------------------------------------------------------------------------------
// Dependencies

/** Packages a Dockerfile's `pip install` (and `uv pip install`) lines name. */
function installsOfDockerfile(dockerfile: DockerfileModel): Requirement[] {
  const requirements: Requirement[] = [];
  for (const run of runCommandsOf(dockerfile)) {
    const invocation = pipInvocation(run);
    if (invocation?.subcommand !== "install") continue;
    requirements.push(...parsePipInstallArguments(invocation.args).requirements);
  }
  return requirements;
}

/** A Python package the project installs, where it is named. */
export interface Dependency {
  /** PEP 503 normalised. */
  name: string;
  file: string;
  location: SourceLocation;
}

/** Requirements files for development, docs, linting or tests: not what the service runs. */
const NON_RUNTIME_REQUIREMENTS = /(?:^|[-_.])(?:dev|develop|development|docs?|lint|linting|tests?|testing|ci|build|typing|style|notebooks?)(?:[-_.]|$)/i;

function fromRequirement(requirement: Requirement, file: string): Dependency | null {
  return requirement.name ? { name: normaliseName(requirement.name), file, location: requirement.location } : null;
}

/**
 * Every Python package the project installs outside tests and development files: requirements files
 * (and pip-compile sources), pyproject dependencies, Pipfile packages, and `pip install` arguments in
 * production Dockerfiles.
 */
export function dependenciesOf(project: ProjectModel): Dependency[] {
  return [...dependenciesOnce(project)];
}

// Three monitoring rules ask for the same project's dependencies: collected once, handed out as copies.
const dependenciesOnce = oncePer(collectDependencies);

function collectDependencies(project: ProjectModel): Dependency[] {
  const dependencies: Dependency[] = [];
  const keep = (file: string) => !isTestPath(file) && !NON_RUNTIME_REQUIREMENTS.test(path.posix.basename(file).replace(/\.[^.]*$/, ""));
  for (const requirementsFile of [...project.requirementsFiles, ...project.requirementsSources]) {
    if (!keep(requirementsFile.path)) continue;
    for (const requirement of requirementsFile.requirements) {
      const dependency = fromRequirement(requirement, requirementsFile.path);
      if (dependency) dependencies.push(dependency);
    }
  }
  for (const pyproject of project.pyprojects) {
    if (isTestPath(pyproject.path)) continue;
    for (const requirement of pyproject.dependencies) {
      const dependency = fromRequirement(requirement, pyproject.path);
      if (dependency) dependencies.push(dependency);
    }
  }
  for (const pipfile of project.pipfiles) {
    if (isTestPath(pipfile.path)) continue;
    for (const requirement of pipfile.packages) {
      const dependency = fromRequirement(requirement, pipfile.path);
      if (dependency) dependencies.push(dependency);
    }
  }
  for (const dockerfile of project.dockerfiles) {
    if (isTestPath(dockerfile.path)) continue;
    for (const requirement of installsOfDockerfile(dockerfile)) {
      const dependency = fromRequirement(requirement, dockerfile.path);
      if (dependency) dependencies.push(dependency);
    }
  }
  return dependencies;
}

/** The first dependency whose name one of the matchers accepts (`opentelemetry-*` style globs or exact names). */
export function findDependency(dependencies: readonly Dependency[], names: readonly string[]): Dependency | undefined {
  const matchers = names.map((name) => {
    const normalised = normaliseName(name);
    if (!normalised.endsWith("*")) return (candidate: string) => candidate === normalised;
    const prefix = normalised.slice(0, -1);
    return (candidate: string) => candidate.startsWith(prefix);
  });
  return dependencies.find((dependency) => matchers.some((matches) => matches(dependency.name)));
}

/** Packages that show a model is trained or served here. */
const MODEL_LIBRARIES = [
  "scikit-learn", "sklearn", "torch", "tensorflow", "tensorflow-cpu", "keras", "xgboost", "lightgbm", "catboost", "transformers",
  "sentence-transformers", "onnxruntime", "onnxruntime-gpu", "mlflow", "mlflow-skinny", "bentoml", "statsmodels", "prophet", "spacy",
  "vllm", "mlserver", "kserve", "seldon-core", "tritonclient", "jax", "pycaret", "h2o", "tensorflow-serving-api",
];

/**
 * The project serves or ships a model: an MLflow model, a KServe or Seldon model deployment, or an ML
 * library in its runtime dependencies. Without one, model and business monitoring have nothing to judge.
 */
export function hasModel(project: ProjectModel, dependencies: readonly Dependency[] = dependenciesOf(project)): boolean {
  if (project.mlflowModels.some((model) => !isTestPath(model.path))) return true;
  if (project.modelDeployments.some((deployment) => !isTestPath(deployment.object.file))) return true;
  return findDependency(dependencies, MODEL_LIBRARIES) !== undefined;
}

// ---------------------------------------------------------------------------------------------
// Serving workloads

/** Kinds whose pods serve requests when a Service selects them or a container declares a port. */
const SERVICE_BACKED_KINDS = new Set(["Deployment", "StatefulSet", "Rollout", "ReplicaSet"]);
/** Model-serving kinds whose controllers always serve requests. */
const MODEL_SERVER_KINDS = new Set(["InferenceService", "SeldonDeployment"]);

/** A workload that serves requests, with the labels its pods carry. */
export interface ServingWorkload {
  workload: Workload;
  object: KubernetesObject;
  /** `Deployment/churn-api`. */
  label: string;
  podLabels: Record<string, string>;
}

/**
 * The project's workloads that serve requests, outside test folders, one per object: Deployments,
 * StatefulSets, Argo Rollouts and ReplicaSets that a Service selects or that declare a container port,
 * and do not run only infrastructure software; KServe InferenceServices, SeldonDeployments and Seldon v2
 * Servers; and charts read from their values.yaml. Kustomize patches are left out.
 */
export function servingWorkloadsOf(project: ProjectModel): ServingWorkload[] {
  const services = project.objects.filter((object) => object.kind === "Service" && !isTestPath(object.file));
  const servicesSelecting = mapSelectorIndex(services, (service) => valueAt(service.value, ["spec", "selector"]));
  const seen = new Set<KubernetesObject>();
  const serving: ServingWorkload[] = [];
  for (const workload of project.workloads) {
    const { object } = workload;
    if (seen.has(object) || isTestPath(object.file)) continue;
    seen.add(object);
    const label = `${object.kind}/${object.name ?? "(unnamed)"}`;
    if (MODEL_SERVER_KINDS.has(object.kind) || (object.kind === "Server" && object.apiVersion.startsWith("mlops.seldon.io/"))) {
      serving.push({ workload, object, label, podLabels: podLabelsOf(object) ?? { ...object.labels } });
      continue;
    }
    if (workload.source === "helm-values") {
      serving.push({ workload, object, label: `Helm chart ${workload.buildFolder ?? object.name ?? ""}`, podLabels: {} });
      continue;
    }
    if (!SERVICE_BACKED_KINDS.has(object.kind) || isPatchObject(object, project.objects)) continue;
    if (INFRASTRUCTURE_WORKLOAD_NAME.test(object.name ?? "")) continue;
    const images = workload.containers.filter((container) => container.role === "container").map((container) => container.image).filter((image): image is string => typeof image === "string");
    if (images.length > 0 && images.every(isInfrastructureImage)) continue;
    const podLabels = podLabelsOf(object) ?? {};
    const selected = servicesSelecting(podLabels).some((service) => sameNamespace(service, object));
    const hasPort = workload.containers.some((container) => Array.isArray(container.value["ports"]) && container.value["ports"].length > 0);
    if (selected || hasPort) serving.push({ workload, object, label, podLabels });
  }
  return serving;
}

/** Commands that start a model or API server. */
const SERVER_COMMAND = /\b(?:uvicorn|gunicorn|hypercorn|daphne|waitress-serve|flask\s+run|streamlit|gradio|bentoml\s+serve|mlflow\s+models\s+serve|mlserver\s+start|torchserve|tritonserver|text-generation-launcher|vllm|serve\s+run|tensorflow_model_server|seldon-core-microservice|fastapi\s+run)\b/i;

/** True when a production Dockerfile's final stage exposes a port or starts a server. */
export function isServingDockerfile(dockerfile: DockerfileModel): boolean {
  const final = dockerfile.stages[dockerfile.stages.length - 1];
  if (!final) return false;
  return final.instructions.some((instruction) =>
    instruction.keyword === "EXPOSE" || ((instruction.keyword === "CMD" || instruction.keyword === "ENTRYPOINT") && SERVER_COMMAND.test(instruction.args)));
}

