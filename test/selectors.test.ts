import { describe, expect, it } from "vitest";
import { parseKubernetes, type KubernetesObject } from "../src/parsers/kubernetes.js";
import { labelSelectorMatches, labelsOf, mapSelectorMatches, parseLabelSelector, podLabelsOf } from "../src/selectors.js";

const pod = { app: "churn-api", tier: "serving", version: "2" };

function objectOf(...lines: string[]): KubernetesObject {
  const manifest = parseKubernetes(`${lines.join("\n")}\n`, "k8s/app.yaml");
  expect(manifest.errors).toEqual([]);
  return manifest.objects[0] as KubernetesObject;
}

describe("labelSelectorMatches", () => {
  it("matches when every matchLabels pair is present", () => {
    expect(labelSelectorMatches({ matchLabels: { app: "churn-api" } }, pod)).toBe(true);
    expect(labelSelectorMatches({ matchLabels: { app: "churn-api", tier: "serving" } }, pod)).toBe(true);
  });

  it("does not match when a pair differs or is missing", () => {
    expect(labelSelectorMatches({ matchLabels: { app: "other" } }, pod)).toBe(false);
    expect(labelSelectorMatches({ matchLabels: { app: "churn-api", team: "ml" } }, pod)).toBe(false);
  });

  it("compares numbers and booleans written in YAML as the strings Kubernetes sees", () => {
    expect(labelSelectorMatches({ matchLabels: { version: 2 } }, pod)).toBe(true);
    expect(labelSelectorMatches({ matchLabels: { canary: true } }, { canary: "true" })).toBe(true);
  });

  it.each([
    ["In, value listed", { key: "tier", operator: "In", values: ["serving", "batch"] }, true],
    ["In, value not listed", { key: "tier", operator: "In", values: ["batch"] }, false],
    ["In, key absent", { key: "team", operator: "In", values: ["ml"] }, false],
    ["NotIn, value not listed", { key: "tier", operator: "NotIn", values: ["batch"] }, true],
    ["NotIn, value listed", { key: "tier", operator: "NotIn", values: ["serving"] }, false],
    ["NotIn, key absent (matches, as in apimachinery)", { key: "team", operator: "NotIn", values: ["ml"] }, true],
    ["Exists, key present", { key: "app", operator: "Exists" }, true],
    ["Exists, key absent", { key: "team", operator: "Exists" }, false],
    ["DoesNotExist, key absent", { key: "team", operator: "DoesNotExist" }, true],
    ["DoesNotExist, key present", { key: "app", operator: "DoesNotExist" }, false],
  ])("matchExpressions %s", (_, expression, expected) => {
    expect(labelSelectorMatches({ matchExpressions: [expression] }, pod)).toBe(expected);
  });

  it("requires matchLabels and every expression to hold together", () => {
    const selector = {
      matchLabels: { app: "churn-api" },
      matchExpressions: [{ key: "tier", operator: "In", values: ["serving"] }, { key: "canary", operator: "DoesNotExist" }],
    };
    expect(labelSelectorMatches(selector, pod)).toBe(true);
    expect(labelSelectorMatches(selector, { ...pod, canary: "true" })).toBe(false);
    expect(labelSelectorMatches({ ...selector, matchLabels: { app: "x" } }, pod)).toBe(false);
  });

  it("selects everything with an empty selector and nothing with an absent one", () => {
    expect(labelSelectorMatches({}, pod)).toBe(true);
    expect(labelSelectorMatches({ matchLabels: {} }, {})).toBe(true);
    expect(labelSelectorMatches(undefined, pod)).toBe(false);
    expect(labelSelectorMatches(null, pod)).toBe(false);
  });

  it("selects nothing with a selector the API server would reject", () => {
    expect(labelSelectorMatches({ matchExpressions: [{ key: "app", operator: "Equals", values: ["churn-api"] }] }, pod)).toBe(false);
    expect(labelSelectorMatches({ matchExpressions: [{ key: "app", operator: "In" }] }, pod)).toBe(false);
    expect(labelSelectorMatches({ matchExpressions: [{ key: "app", operator: "Exists", values: ["x"] }] }, pod)).toBe(false);
    expect(labelSelectorMatches({ matchExpressions: { key: "app" } }, pod)).toBe(false);
    expect(labelSelectorMatches({ matchLabels: ["app"] }, pod)).toBe(false);
    expect(labelSelectorMatches("app=churn-api", pod)).toBe(false);
  });
});

describe("parseLabelSelector", () => {
  it("reads matchLabels and matchExpressions", () => {
    expect(parseLabelSelector({ matchLabels: { app: "a" }, matchExpressions: [{ key: "tier", operator: "NotIn", values: ["batch"] }] })).toEqual({
      kind: "selector",
      matchLabels: { app: "a" },
      matchExpressions: [{ key: "tier", operator: "NotIn", values: ["batch"] }],
    });
  });

  it("says why a selector is invalid", () => {
    const parsed = parseLabelSelector({ matchExpressions: [{ key: "app", operator: "In", values: [] }] });
    expect(parsed).toEqual({ kind: "invalid", reason: "operator In needs values" });
  });
});

describe("mapSelectorMatches (Service selector)", () => {
  it("matches when every pair is present", () => {
    expect(mapSelectorMatches({ app: "churn-api" }, pod)).toBe(true);
    expect(mapSelectorMatches({ app: "churn-api", version: 2 }, pod)).toBe(true);
  });

  it("does not match a differing or missing pair", () => {
    expect(mapSelectorMatches({ app: "churn-api", team: "ml" }, pod)).toBe(false);
    expect(mapSelectorMatches({ app: "other" }, pod)).toBe(false);
  });

  it("selects nothing when the map is absent or empty (a Service without a selector)", () => {
    expect(mapSelectorMatches(undefined, pod)).toBe(false);
    expect(mapSelectorMatches({}, pod)).toBe(false);
    expect(mapSelectorMatches({ matchLabels: { app: "churn-api" } }, pod)).toBe(false);
  });
});

describe("labelsOf", () => {
  it("keeps scalar values as strings and drops the rest", () => {
    expect(labelsOf({ app: "a", version: 1, canary: false, nested: { x: 1 } })).toEqual({ app: "a", version: "1", canary: "false" });
    expect(labelsOf(undefined)).toEqual({});
  });
});

describe("podLabelsOf", () => {
  it("reads a Deployment's pod template labels", () => {
    const deployment = objectOf(
      "apiVersion: apps/v1",
      "kind: Deployment",
      "metadata: {name: api, labels: {team: ml}}",
      "spec:",
      "  selector: {matchLabels: {app: api}}",
      "  template:",
      "    metadata: {labels: {app: api, version: 3}}",
      "    spec: {containers: [{name: api, image: api:1.0}]}",
    );
    expect(podLabelsOf(deployment)).toEqual({ app: "api", version: "3" });
  });

  it("falls back to the selector's matchLabels when the template has no metadata", () => {
    const patch = objectOf("apiVersion: apps/v1", "kind: StatefulSet", "metadata: {name: db}", "spec: {selector: {matchLabels: {app: db}}}");
    expect(podLabelsOf(patch)).toEqual({ app: "db" });
  });

  it("reads a CronJob's job template labels and a Pod's own labels", () => {
    const cronJob = objectOf(
      "apiVersion: batch/v1",
      "kind: CronJob",
      "metadata: {name: retrain}",
      "spec:",
      "  schedule: '@daily'",
      "  jobTemplate: {spec: {template: {metadata: {labels: {app: retrain}}, spec: {containers: []}}}}",
    );
    expect(podLabelsOf(cronJob)).toEqual({ app: "retrain" });
    expect(podLabelsOf(objectOf("apiVersion: v1", "kind: Pod", "metadata: {name: p, labels: {app: p}}"))).toEqual({ app: "p" });
  });

  it("gives the labels KServe stamps on an InferenceService's pods", () => {
    const inferenceService = objectOf(
      "apiVersion: serving.kserve.io/v1beta1",
      "kind: InferenceService",
      "metadata: {name: churn, labels: {team: ml}}",
      "spec:",
      "  predictor:",
      "    labels: {tier: serving}",
      "    model: {modelFormat: {name: sklearn}, storageUri: 's3://models/churn'}",
      "  transformer:",
      "    containers: [{name: t, image: t:1.0}]",
    );
    expect(podLabelsOf(inferenceService)).toEqual({
      team: "ml",
      tier: "serving",
      "serving.kserve.io/inferenceservice": "churn",
      component: "predictor",
      app: "isvc.churn-predictor",
    });
    expect(podLabelsOf(inferenceService, "transformer")).toMatchObject({ component: "transformer", "serving.kserve.io/inferenceservice": "churn" });
  });

  it("gives the labels Seldon Core stamps on a SeldonDeployment's pods", () => {
    const seldonDeployment = objectOf(
      "apiVersion: machinelearning.seldon.io/v1",
      "kind: SeldonDeployment",
      "metadata: {name: fraud}",
      "spec:",
      "  predictors:",
      "    - name: main",
      "      labels: {tier: serving}",
      "      componentSpecs: [{metadata: {labels: {team: ml}}, spec: {containers: [{name: m, image: m:1.0}]}}]",
      "      graph: {name: m, type: MODEL}",
      "    - name: canary",
      "      graph: {name: m, type: MODEL}",
    );
    expect(podLabelsOf(seldonDeployment)).toEqual({ tier: "serving", team: "ml", "seldon-deployment-id": "fraud", "seldon-app": "fraud-main" });
    expect(podLabelsOf(seldonDeployment, "canary")).toEqual({ "seldon-deployment-id": "fraud", "seldon-app": "fraud-canary" });
    expect(podLabelsOf(seldonDeployment, 1)).toEqual({ "seldon-deployment-id": "fraud", "seldon-app": "fraud-canary" });
  });

  it("gives null for kinds that run no pods", () => {
    expect(podLabelsOf(objectOf("apiVersion: v1", "kind: Service", "metadata: {name: s}", "spec: {selector: {app: a}}"))).toBeNull();
  });
});
