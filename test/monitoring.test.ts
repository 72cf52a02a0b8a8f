import { describe, expect, it } from "vitest";
import {
  expandedExpression, findDependency, isErrorRateExpression, isModelMetricRule, latencyQuantile, prometheusRulesOf, recordsOf,
  type PrometheusRule,
} from "../src/monitoring.js";
import { parseKubernetes } from "../src/parsers/kubernetes.js";

function alert(expr: string, name = "Alert"): PrometheusRule {
  return { type: "alert", name, expr, file: "rules.yaml", location: { line: 1, column: 1 }, source: "PrometheusRule/x", objectLocation: { line: 1, column: 1 } };
}

describe("latencyQuantile", () => {
  it("reads the quantile of histogram_quantile over a duration histogram", () => {
    expect(latencyQuantile("histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))) > 0.25")).toBe(0.99);
    expect(latencyQuantile("histogram_quantile( 0.95 , rate(request_latency_ms_bucket{job=\"api\"}[5m]))")).toBe(0.95);
    expect(latencyQuantile("histogram_quantile(0.99, rate(revision_request_latencies_bucket[1m]))")).toBe(0.99);
  });

  it("takes the highest of several and ignores histograms that do not measure time", () => {
    expect(latencyQuantile("histogram_quantile(0.5, rate(a_duration_seconds_bucket[5m])) or histogram_quantile(0.9, rate(a_duration_seconds_bucket[5m]))")).toBe(0.9);
    expect(latencyQuantile("histogram_quantile(0.99, rate(http_response_size_bytes_bucket[5m]))")).toBeNull();
    expect(latencyQuantile("rate(http_requests_total[5m]) > 10")).toBeNull();
  });

  it("reads a summary's quantile label", () => {
    expect(latencyQuantile("http_request_duration_seconds{quantile=\"0.99\", job=\"api\"} > 1")).toBe(0.99);
    expect(latencyQuantile("rpc_payload_bytes{quantile=\"0.99\"} > 1")).toBeNull();
  });
});

describe("isErrorRateExpression", () => {
  it.each([
    "sum(rate(http_requests_total{status=~\"5..\"}[5m])) / sum(rate(http_requests_total[5m])) > 0.01",
    "sum(rate(http_requests_total{status=\"5xx\"}[5m])) > 0",
    "sum(rate(http_requests_total{code!~\"2..\"}[5m])) > 0",
    "sum(rate(revision_request_count{response_code_class=\"5xx\"}[5m])) > 0",
    "sum(rate(grpc_server_handled_total{grpc_code!=\"OK\"}[5m])) > 1",
    "sum(rate(inference_errors_total[5m])) > 1",
    "job:request_error_ratio:rate5m > 0.02",
  ])("%s watches errors", (expr) => {
    expect(isErrorRateExpression(expr)).toBe(true);
  });

  it.each([
    "up{job=\"api\"} == 0",
    "kube_deployment_status_replicas_available < 2",
    "sum(rate(http_requests_total{status=~\"2..\"}[5m])) < 1",
    "histogram_quantile(0.99, rate(http_request_duration_seconds_bucket[5m])) > 1",
  ])("%s does not", (expr) => {
    expect(isErrorRateExpression(expr)).toBe(false);
  });
});

describe("model metric alerts", () => {
  it("recognises drift, confidence and accuracy series, and not request latency", () => {
    expect(isModelMetricRule(alert("max(churn_feature_drift_share) > 0.3"), "max(churn_feature_drift_share) > 0.3")).toBe(true);
    expect(isModelMetricRule(alert("avg(model_prediction_confidence) < 0.6"), "avg(model_prediction_confidence) < 0.6")).toBe(true);
    expect(isModelMetricRule(alert("model_accuracy < 0.8"), "model_accuracy < 0.8")).toBe(true);
    const latency = "histogram_quantile(0.99, rate(prediction_duration_seconds_bucket[5m])) > 1";
    expect(isModelMetricRule(alert(latency, "SlowPredictions"), latency)).toBe(false);
    expect(isModelMetricRule(alert("some_gauge > 1", "ModelDriftDetected"), "some_gauge > 1")).toBe(true);
  });
});

describe("prometheusRulesOf", () => {
  it("reads PrometheusRule groups with Go-template annotations and resolves recording rules", () => {
    const file = parseKubernetes([
      "apiVersion: monitoring.coreos.com/v1",
      "kind: PrometheusRule",
      "metadata: {name: api}",
      "spec:",
      "  groups:",
      "    - name: api",
      "      rules:",
      "        - record: job:latency_seconds:p99",
      "          expr: histogram_quantile(0.99, sum by (le, job) (rate(latency_seconds_bucket[5m])))",
      "        - alert: Slow",
      "          expr: job:latency_seconds:p99 > 1",
      "          annotations:",
      "            description: 'p99 is {{ $value | humanizeDuration }}'",
    ].join("\n"), "rules.yaml");
    const rules = prometheusRulesOf(file.objects);
    expect(rules.map((rule) => [rule.type, rule.name, rule.location.line])).toEqual([["record", "job:latency_seconds:p99", 8], ["alert", "Slow", 10]]);
    const slow = rules[1] as PrometheusRule;
    expect(latencyQuantile(slow.expr)).toBeNull();
    expect(latencyQuantile(expandedExpression(slow, recordsOf(rules)))).toBe(0.99);
  });

  it("reads rule files held in a ConfigMap and ignores other data", () => {
    const file = parseKubernetes([
      "apiVersion: v1",
      "kind: ConfigMap",
      "metadata: {name: prometheus-rules}",
      "data:",
      "  alerts.yml: |",
      "    groups:",
      "      - name: api",
      "        rules:",
      "          - alert: Errors",
      "            expr: sum(rate(http_requests_total{status=~\"5..\"}[5m])) > 1",
      "  settings.yml: |",
      "    expr: not a rule file",
    ].join("\n"), "cm.yaml");
    const rules = prometheusRulesOf(file.objects);
    expect(rules.map((rule) => [rule.name, rule.source, rule.location.line])).toEqual([["Errors", "ConfigMap/prometheus-rules (alerts.yml)", 5]]);
  });
});

describe("findDependency", () => {
  const dependencies = [
    { name: "fastapi", file: "requirements.txt", location: { line: 1, column: 1 } },
    { name: "opentelemetry-instrumentation-fastapi", file: "requirements.txt", location: { line: 2, column: 1 } },
  ];
  it("matches exact names after normalisation and prefix globs", () => {
    expect(findDependency(dependencies, ["OpenTelemetry_*"])?.location.line).toBe(2);
    expect(findDependency(dependencies, ["prometheus-client"])).toBeUndefined();
    expect(findDependency(dependencies, ["FastAPI"])?.name).toBe("fastapi");
  });
});
