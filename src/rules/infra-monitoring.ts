import path from "node:path";
import type { KubernetesObject } from "../parsers/kubernetes.js";
import {
  dependenciesOf, expandedExpression, findDependency, isErrorRateExpression, isServingDockerfile, latencyQuantile,
  prometheusRulesOf, recordsOf, servingWorkloadsOf, type ServingWorkload,
} from "../monitoring.js";
import { isRecord } from "../parsers/kubernetes.js";
import { isDeployable, isTestPath } from "../paths.js";
import type { ProjectModel } from "../project.js";
import { defineRule } from "../rule.js";
import { labelSelectorMatches, mapSelectorMatches } from "../selectors.js";
import { productionDockerfiles } from "./multi-stage-build.js";
import { noWorkloadsReason, valueAt } from "../workloads.js";

interface InfraMonitoringOptions {
  /** The lowest percentile a latency alert may watch (0.95 = p95). */
  minLatencyQuantile: number;
  requireLatencyAlert: boolean;
  requireErrorRateAlert: boolean;
  /** Python packages (PEP 503 names, `prefix-*` globs) that expose request metrics, added to the defaults. */
  metricsLibraries: string[];
}

/** Packages that expose request metrics, and model servers that export them built in. */
const METRICS_LIBRARIES = [
  "prometheus-client", "prometheus-fastapi-instrumentator", "prometheus-flask-exporter", "starlette-exporter", "starlette-prometheus",
  "django-prometheus", "aioprometheus", "opentelemetry-*", "ddtrace", "bentoml", "mlserver", "kserve", "torchserve", "ray", "vllm",
];
/** Images of model servers with a built-in Prometheus endpoint (Triton, TorchServe, TGI, vLLM, MLServer, BentoML). */
const METRICS_SERVER_IMAGE = /(?:^|\/)(?:tritonserver|torchserve|text-generation-inference|vllm-openai|mlserver|bentoml)(?::|@|$)/i;

/** Kinds whose selector picks the Services, or the pods, that Prometheus scrapes. */
const SERVICE_MONITOR_KINDS = new Set(["ServiceMonitor", "VMServiceScrape"]);
const POD_MONITOR_KINDS = new Set(["PodMonitor", "VMPodScrape", "PodMonitoring", "ClusterPodMonitoring"]);
const SCRAPE_ANNOTATIONS = ["prometheus.io/scrape", "serving.kserve.io/enable-prometheus-scraping"];
const CHART_ALERT_TEMPLATE = /prometheus-?rules?|(?:^|[-_])alert(?:s|ing-?rules?)?(?:[-_.]|$)/i;

function isTrue(value: unknown): boolean {
  return value === true || value === "true";
}

function annotated(annotations: unknown): boolean {
  return isRecord(annotations) && SCRAPE_ANNOTATIONS.some((key) => isTrue(annotations[key]));
}

/** A monitor watches a workload's namespace: `namespaceSelector.any`, its `matchNames`, or its own namespace. */
function watchesNamespace(monitor: KubernetesObject, target: KubernetesObject): boolean {
  const namespaceSelector = valueAt(monitor.value, ["spec", "namespaceSelector"]);
  if (isRecord(namespaceSelector)) {
    if (isTrue(namespaceSelector["any"])) return true;
    const names = namespaceSelector["matchNames"];
    if (Array.isArray(names) && names.length > 0) return target.namespace === undefined || names.includes(target.namespace);
  }
  return monitor.namespace === undefined || target.namespace === undefined || monitor.namespace === target.namespace;
}

function describeSelector(selector: unknown): string {
  const matchLabels = isRecord(selector) ? selector["matchLabels"] : undefined;
  const pairs = isRecord(matchLabels) ? Object.entries(matchLabels).map(([key, value]) => `${key}=${String(value)}`) : [];
  return pairs.length ? pairs.join(", ") : "its selector";
}

function describeLabels(labels: Record<string, string>): string {
  const pairs = Object.entries(labels).map(([key, value]) => `${key}=${value}`);
  return pairs.length ? pairs.join(", ") : "its pod labels";
}

interface ScrapeEvidence {
  monitors: KubernetesObject[];
  services: KubernetesObject[];
  library?: string;
}

/** Why a serving workload's metrics are scraped, or null when nothing scrapes them. */
function scrapedBy(serving: ServingWorkload, evidence: ScrapeEvidence): string | null {
  const { object, workload, podLabels } = serving;
  if (object.kind === "InferenceService" || object.kind === "SeldonDeployment" || object.kind === "Server") return "built-in metrics";
  if (annotated(valueAt(object.value, ["spec", "template", "metadata", "annotations"])) || annotated(valueAt(object.value, ["metadata", "annotations"]))) {
    return "prometheus.io/scrape annotation";
  }
  const behind = evidence.services.filter((service) => (service.namespace === undefined || object.namespace === undefined || service.namespace === object.namespace)
    && mapSelectorMatches(valueAt(service.value, ["spec", "selector"]), podLabels));
  if (behind.some((service) => annotated(valueAt(service.value, ["metadata", "annotations"])))) return "prometheus.io/scrape annotation";
  for (const monitor of evidence.monitors) {
    if (!watchesNamespace(monitor, object)) continue;
    const selector = valueAt(monitor.value, ["spec", "selector"]);
    if (POD_MONITOR_KINDS.has(monitor.kind)) {
      if (labelSelectorMatches(selector, podLabels)) return `${monitor.kind}/${monitor.name ?? ""}`;
      continue;
    }
    const selectedServices = evidence.services.filter((service) => watchesNamespace(monitor, service) && labelSelectorMatches(selector, service.labels));
    // A Service that lives elsewhere (a chart, another repository) usually carries the pods' labels.
    const matches = selectedServices.length > 0 ? selectedServices.some((service) => behind.includes(service)) : labelSelectorMatches(selector, podLabels);
    if (matches) return `${monitor.kind}/${monitor.name ?? ""}`;
  }
  if (evidence.library) return evidence.library;
  if (workload.containers.some((container) => container.image !== undefined && METRICS_SERVER_IMAGE.test(container.image.replace(/[:@].*$/, "")))) return "model server image";
  return null;
}

/** Grafana dashboards: GrafanaDashboard objects, ConfigMaps the Grafana sidecar loads, dashboard JSON files. */
function dashboardsOf(project: ProjectModel): string[] {
  const dashboards = project.objects
    .filter((object) => !isTestPath(object.file) && (object.kind === "GrafanaDashboard" || (object.kind === "ConfigMap" && "grafana_dashboard" in object.labels)))
    .map((object) => `${object.kind}/${object.name ?? "(unnamed)"}`);
  for (const file of project.files) {
    if (file.path.toLowerCase().endsWith(".json") && /dashboard/i.test(file.path) && !isTestPath(file.path)) dashboards.push(file.path);
  }
  return dashboards;
}

function list(items: string[], limit = 3): string {
  const shown = items.slice(0, limit).join(", ");
  return items.length > limit ? `${shown} and ${items.length - limit} more` : shown;
}

export default defineRule<InfraMonitoringOptions>({
  meta: {
    id: "infra-monitoring",
    title: "Scrape request metrics and alert on latency percentiles and error rate",
    section: "monitoring",
    severity: "error",
    weight: 3,
    description:
      "Checks that every serving workload's request metrics are scraped (a ServiceMonitor or PodMonitor that selects its pods, " +
      "`prometheus.io/scrape` annotations, KServe/Seldon built-in metrics, or a metrics library in the dependencies) and that " +
      "Prometheus alert rules cover p95/p99 latency (`histogram_quantile` over a duration histogram) and the error rate. " +
      "Dashboards show a problem to whoever looks; alerts page someone when nobody does.",
    options: {
      type: "object",
      additionalProperties: false,
      properties: {
        minLatencyQuantile: {
          type: "number",
          exclusiveMinimum: 0,
          exclusiveMaximum: 1,
          description: "The lowest percentile a latency alert may watch: 0.95 accepts p95 and p99, 0.99 only p99 and above.",
        },
        requireLatencyAlert: { type: "boolean", description: "Require an alert on a latency percentile." },
        requireErrorRateAlert: { type: "boolean", description: "Require an alert on the error rate." },
        metricsLibraries: {
          type: "array",
          items: { type: "string", minLength: 1 },
          description: "More Python packages that expose request metrics (PEP 503 names; `name-*` matches a prefix), added to the defaults.",
        },
      },
    },
    defaultOptions: { minLatencyQuantile: 0.95, requireLatencyAlert: true, requireErrorRateAlert: true, metricsLibraries: [] },
    messages: {
      notScraped:
        "Nothing scrapes request metrics from {{workload}}: {{why}}. Add a ServiceMonitor (or PodMonitor) whose selector matches its pods ({{labels}}), or `prometheus.io/scrape: \"true\"` pod annotations, and expose /metrics with prometheus-client or prometheus-fastapi-instrumentator.",
      noAlertRules:
        "No Prometheus alert rules found, so nobody is paged when the service slows down or fails: no {{missing}}{{dashboards}}. Add a PrometheusRule with {{fix}}.",
      missingAlerts:
        "The alert rules ({{sources}}) have no {{missing}}{{dashboards}}. Add {{fix}} to a PrometheusRule group.",
    },
  },
  check(context) {
    const { project, options } = context;
    if (!isDeployable(project)) {
      context.skip("nothing here is deployed (no Dockerfile, Kubernetes manifest, Helm chart, Kustomization or MLflow model)");
      return;
    }
    const serving = servingWorkloadsOf(project);
    const servingDockerfiles = productionDockerfiles(project).filter(isServingDockerfile);
    if (serving.length === 0 && servingDockerfiles.length === 0) {
      context.skip(noWorkloadsReason(
        project,
        "serving workload",
        "no serving workload (a Deployment, StatefulSet or Rollout behind a Service or with a port, an InferenceService, a SeldonDeployment, or a Dockerfile that exposes a port or starts a server)",
      ));
      return;
    }

    const dependencies = dependenciesOf(project);
    const library = findDependency(dependencies, [...METRICS_LIBRARIES, ...(options.metricsLibraries ?? [])]);
    const objects = project.objects.filter((object) => !isTestPath(object.file));
    const evidence: ScrapeEvidence = {
      monitors: objects.filter((object) => SERVICE_MONITOR_KINDS.has(object.kind) || POD_MONITOR_KINDS.has(object.kind)),
      services: objects.filter((object) => object.kind === "Service"),
      ...(library ? { library: library.name } : {}),
    };
    const chartTemplates = project.filesOfKind("helm-template").map((file) => file.path);
    const dashboards = dashboardsOf(project);
    const dashboardNote = dashboards.length
      ? ` (the dashboards ${list(dashboards)} show these metrics, but a dashboard pages nobody)`
      : "";

    const libraries = "no metrics library (prometheus-client, prometheus-fastapi-instrumentator, opentelemetry-*) is in the dependencies";
    for (const workload of serving) {
      // A chart read from values.yaml: its templates (where scrape annotations and monitors live) are not read.
      if (workload.workload.source === "helm-values" || scrapedBy(workload, evidence)) continue;
      const strays = evidence.monitors.filter((monitor) => watchesNamespace(monitor, workload.object));
      const hint = strays.length
        ? `; ${list(strays.map((monitor) => `${monitor.kind}/${monitor.name ?? ""} selects ${describeSelector(valueAt(monitor.value, ["spec", "selector"]))}`))}, which matches neither its pods nor a Service in front of them`
        : "";
      const why = `no ServiceMonitor or PodMonitor selects its pods, no \`prometheus.io/scrape\` annotation is set and ${libraries}${hint}`;
      context.report({ messageId: "notScraped", data: { workload: workload.label, why, labels: describeLabels(workload.podLabels) }, file: workload.object.file, at: workload.object.location });
    }
    if (serving.length === 0 && !library) {
      const dockerfile = servingDockerfiles[0];
      if (dockerfile) {
        context.report({
          messageId: "notScraped",
          data: { workload: `the service built by ${dockerfile.path}`, why: `the project has no Kubernetes manifests that scrape it and ${libraries}`, labels: "app=<name>" },
          file: dockerfile.path,
          at: dockerfile.stages[dockerfile.stages.length - 1]?.from.location ?? { line: 1, column: 1 },
        });
      }
    }

    const rules = prometheusRulesOf(objects);
    const records = recordsOf(rules);
    const alerts = rules.filter((rule) => rule.type === "alert");
    // A chart that is not rendered: its alert template cannot be read, so it is taken at its word.
    const chartAlerts = chartTemplates.filter((file) => CHART_ALERT_TEMPLATE.test(path.posix.basename(file)));
    if (chartAlerts.length > 0) return;
    let bestQuantile: number | null = null;
    let hasLatency = false;
    let hasErrors = false;
    for (const alert of alerts) {
      const expanded = expandedExpression(alert, records);
      const quantile = latencyQuantile(expanded);
      if (quantile !== null) {
        bestQuantile = Math.max(bestQuantile ?? 0, quantile);
        if (quantile >= options.minLatencyQuantile) hasLatency = true;
      }
      if (isErrorRateExpression(expanded)) hasErrors = true;
    }
    const percentile = `p${Number((options.minLatencyQuantile * 100).toFixed(1))}`;
    const missing: string[] = [];
    const fixes: string[] = [];
    if (options.requireLatencyAlert && !hasLatency) {
      const below = bestQuantile !== null ? `; the highest latency alert watches only p${Number((bestQuantile * 100).toFixed(1))}` : "";
      missing.push(`latency alert at ${percentile} or above (\`histogram_quantile\` over a request-duration histogram${below})`);
      fixes.push(`an alert on \`histogram_quantile(${options.minLatencyQuantile >= 0.99 ? options.minLatencyQuantile : 0.99}, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))\``);
    }
    if (options.requireErrorRateAlert && !hasErrors) {
      missing.push("error-rate alert (5xx responses, gRPC errors or an error counter)");
      fixes.push("an alert on the share of requests with `status=~\"5..\"`");
    }
    if (missing.length === 0) return;
    if (alerts.length === 0) {
      context.report({ messageId: "noAlertRules", data: { missing: missing.join(" and no "), dashboards: dashboardNote, fix: fixes.join(" and ") } });
      return;
    }
    const first = alerts[0] as (typeof alerts)[number];
    const sources = [...new Set(alerts.map((alert) => alert.source))];
    context.report({
      messageId: "missingAlerts",
      data: { sources: list(sources), missing: missing.join(" and no "), dashboards: dashboardNote, fix: fixes.join(" and ") },
      file: first.file,
      at: first.objectLocation,
    });
  },
});
