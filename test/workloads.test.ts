import { describe, expect, it } from "vitest";
import { parseKubernetes } from "../src/parsers/kubernetes.js";
import { isPatchObject, locateIn, modelDeploymentsOf, valueAt, workloadsOf, type Workload } from "../src/workloads.js";

const lines = (...text: string[]) => `${text.join("\n")}\n`;

function workloadsIn(text: string): Workload[] {
  const manifest = parseKubernetes(text, "k8s/app.yaml");
  expect(manifest.errors).toEqual([]);
  return workloadsOf(manifest.objects);
}

/** A pod spec with an init container and a container, indented to sit at `indent`. */
function podSpec(indent: number): string[] {
  const pad = " ".repeat(indent);
  return [
    `${pad}initContainers:`,
    `${pad}  - name: init`,
    `${pad}    image: busybox:1.36`,
    `${pad}containers:`,
    `${pad}  - name: app`,
    `${pad}    image: app:1.0`,
  ];
}

function summary(workloads: Workload[]) {
  return workloads.map((workload) => ({
    label: workload.label,
    specPath: workload.specPath.join("."),
    containers: workload.containers.map((container) => `${container.role}:${container.name}@${container.location.line}`),
  }));
}

describe("workloadsOf", () => {
  it.each(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"])("finds the pod template of a %s", (kind) => {
    const workloads = workloadsIn(lines(
      `apiVersion: apps/v1`,
      `kind: ${kind}`,
      `metadata: {name: api}`,
      `spec:`,
      `  template:`,
      `    spec:`,
      ...podSpec(6),
    ));
    expect(summary(workloads)).toEqual([{
      label: `${kind}/api`,
      specPath: "spec.template.spec",
      containers: ["initContainer:init@8", "container:app@11"],
    }]);
    expect(workloads[0]?.containers[1]?.image).toBe("app:1.0");
    expect(workloads[0]?.containers[1]?.path).toEqual(["spec", "template", "spec", "containers", 0]);
    expect(workloads[0]?.containers[1]?.value).toEqual({ name: "app", image: "app:1.0" });
  });

  it("finds a CronJob's job template", () => {
    const workloads = workloadsIn(lines(
      "apiVersion: batch/v1",
      "kind: CronJob",
      "metadata: {name: nightly}",
      "spec:",
      "  schedule: '0 2 * * *'",
      "  jobTemplate:",
      "    spec:",
      "      template:",
      "        spec:",
      ...podSpec(10),
    ));
    expect(summary(workloads)).toEqual([{
      label: "CronJob/nightly",
      specPath: "spec.jobTemplate.spec.template.spec",
      containers: ["initContainer:init@11", "container:app@14"],
    }]);
  });

  it("finds a Pod's containers", () => {
    const workloads = workloadsIn(lines("apiVersion: v1", "kind: Pod", "metadata: {name: debug}", "spec:", ...podSpec(2)));
    expect(summary(workloads)).toEqual([{ label: "Pod/debug", specPath: "spec", containers: ["initContainer:init@6", "container:app@9"] }]);
  });

  it("finds an Argo Rollout's template, and nothing for a Rollout with workloadRef", () => {
    const workloads = workloadsIn(lines(
      "apiVersion: argoproj.io/v1alpha1",
      "kind: Rollout",
      "metadata: {name: canary}",
      "spec:",
      "  template:",
      "    spec:",
      ...podSpec(6),
      "---",
      "apiVersion: argoproj.io/v1alpha1",
      "kind: Rollout",
      "metadata: {name: by-reference}",
      "spec:",
      "  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: api}",
    ));
    expect(summary(workloads).map((workload) => workload.label)).toEqual(["Rollout/canary"]);
  });

  it("finds KServe predictor, transformer and explainer, with the model-format shorthand at its key", () => {
    const workloads = workloadsIn(lines(
      "apiVersion: serving.kserve.io/v1beta1", // 1
      "kind: InferenceService",                // 2
      "metadata: {name: churn}",               // 3
      "spec:",                                 // 4
      "  predictor:",                          // 5
      "    minReplicas: 1",                    // 6
      "    nodeSelector: {pool: gpu}",         // 7
      "    model:",                            // 8
      "      modelFormat: {name: sklearn}",    // 9
      "      storageUri: gs://models/churn",   // 10
      "  transformer:",                        // 11
      "    containers:",                       // 12
      "      - name: features",                // 13
      "        image: features:1",             // 14
      "  explainer:",                          // 15
      "    alibi:",                            // 16
      "      type: AnchorTabular",             // 17
      "      storageUri: gs://models/explainer", // 18
    ));
    expect(summary(workloads)).toEqual([
      { label: "InferenceService/churn/predictor", specPath: "spec.predictor", containers: ["model:model@8"] },
      { label: "InferenceService/churn/transformer", specPath: "spec.transformer", containers: ["container:features@13"] },
      { label: "InferenceService/churn/explainer", specPath: "spec.explainer", containers: ["model:alibi@16"] },
    ]);
    expect(workloads[0]?.containers[0]?.path).toEqual(["spec", "predictor", "model"]);
  });

  it("finds KServe framework keys (sklearn:, pytorch:) even without storageUri", () => {
    const workloads = workloadsIn(lines(
      "apiVersion: serving.kserve.io/v1beta1",
      "kind: InferenceService",
      "metadata: {name: torch}",
      "spec:",
      "  predictor:",
      "    pytorch:",
      "      protocolVersion: v2",
    ));
    expect(summary(workloads)).toEqual([{ label: "InferenceService/torch/predictor", specPath: "spec.predictor", containers: ["model:pytorch@6"] }]);
  });

  it("finds Seldon componentSpecs of every predictor", () => {
    const workloads = workloadsIn(lines(
      "apiVersion: machinelearning.seldon.io/v1",
      "kind: SeldonDeployment",
      "metadata: {name: income}",
      "spec:",
      "  predictors:",
      "    - name: main",
      "      graph: {name: classifier}",
      "      componentSpecs:",
      "        - spec:",
      "            containers:",
      "              - name: classifier",
      "                image: classifier:1",
      "    - name: canary",
      "      componentSpecs:",
      "        - spec:",
      "            containers:",
      "              - name: classifier",
      "                image: classifier:2",
    ));
    expect(summary(workloads)).toEqual([
      { label: "SeldonDeployment/income/main", specPath: "spec.predictors.0.componentSpecs.0.spec", containers: ["container:classifier@11"] },
      { label: "SeldonDeployment/income/canary", specPath: "spec.predictors.1.componentSpecs.0.spec", containers: ["container:classifier@17"] },
    ]);
  });

  it("names unnamed objects and containers, and ignores what is not a container", () => {
    const workloads = workloadsIn(lines(
      "apiVersion: batch/v1",
      "kind: Job",
      "metadata: {name: ''}",
      "spec:",
      "  template:",
      "    spec:",
      "      containers:",
      "        - image: worker:1",
      "        - just a string",
      "        - null",
    ));
    expect(summary(workloads)).toEqual([{ label: "Job/(unnamed)", specPath: "spec.template.spec", containers: ["container:containers[0]@8"] }]);
  });

  it("ignores kinds that run no pods and workloads without containers", () => {
    const workloads = workloadsIn(lines(
      "apiVersion: v1",
      "kind: Service",
      "metadata: {name: api}",
      "spec: {selector: {app: api}}",
      "---",
      "apiVersion: apps/v1",
      "kind: Deployment",
      "metadata: {name: empty}",
      "spec: {replicas: 2}",
      "---",
      "apiVersion: apps/v1",
      "kind: Deployment",
      "metadata: {name: odd}",
      "spec: {template: {spec: {containers: {name: not-a-list}}}}",
    ));
    expect(workloads).toEqual([]);
  });

  it("reads workloads inside List kinds", () => {
    const workloads = workloadsIn(lines(
      "apiVersion: v1",
      "kind: List",
      "items:",
      "  - apiVersion: v1",
      "    kind: Pod",
      "    metadata: {name: listed}",
      "    spec:",
      "      containers:",
      "        - name: app",
      "          image: app:1",
    ));
    expect(summary(workloads)).toEqual([{ label: "Pod/listed", specPath: "spec", containers: ["container:app@9"] }]);
  });
});

describe("workload sources, Rollout references and Seldon v2", () => {
  it("marks manifest workloads and ties a Deployment to the Rollout that runs it through workloadRef", () => {
    const workloads = workloadsIn(lines(
      "apiVersion: argoproj.io/v1alpha1",
      "kind: Rollout",
      "metadata: {name: api-rollout, namespace: ml}",
      "spec:",
      "  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: api}",
      "---",
      "apiVersion: apps/v1",
      "kind: Deployment",
      "metadata: {name: api, namespace: ml}",
      "spec:",
      "  template:",
      "    spec:",
      ...podSpec(6),
      "---",
      "apiVersion: apps/v1",
      "kind: Deployment",
      "metadata: {name: api, namespace: other}",
      "spec:",
      "  template:",
      "    spec:",
      ...podSpec(6),
    ));
    expect(workloads.map((workload) => [workload.label, workload.object.namespace, workload.source, workload.rolloutRef?.name])).toEqual([
      ["Deployment/api", "ml", "manifest", "api-rollout"],
      ["Deployment/api", "other", "manifest", undefined],
    ]);
    expect(workloads[0]?.buildFolder).toBeUndefined();
  });

  it("finds the pod spec of a Seldon v2 Server, and lists Seldon v2 Models as model deployments", () => {
    const text = lines(
      "apiVersion: mlops.seldon.io/v1alpha1",
      "kind: Server",
      "metadata: {name: mlserver}",
      "spec:",
      "  serverConfig: mlserver",
      "  podSpec:",
      "    containers:",
      "      - name: mlserver",
      "        resources: {requests: {memory: 2Gi}}",
      "---",
      "apiVersion: mlops.seldon.io/v1alpha1",
      "kind: Model",
      "metadata: {name: iris}",
      "spec:",
      "  storageUri: gs://seldon-models/iris",
      "  requirements: [sklearn]",
      "  replicas: 2",
      "  memory: 100Ki",
      "  server: mlserver",
      "---",
      "apiVersion: example.com/v1",
      "kind: Server",
      "metadata: {name: not-seldon}",
      "spec:",
      "  podSpec:",
      "    containers: [{name: x, image: x:1}]",
    );
    const manifest = parseKubernetes(text, "k8s/seldon.yaml");
    expect(summary(workloadsOf(manifest.objects))).toEqual([{ label: "Server/mlserver", specPath: "spec.podSpec", containers: ["container:mlserver@8"] }]);
    const models = modelDeploymentsOf(manifest.objects);
    expect(models.map((model) => ({ label: model.label, line: model.location.line, storageUri: model.storageUri, requirements: model.requirements, replicas: model.replicas, memory: model.memory, server: model.server }))).toEqual([
      { label: "Model/iris", line: 14, storageUri: "gs://seldon-models/iris", requirements: ["sklearn"], replicas: 2, memory: "100Ki", server: "mlserver" },
    ]);
  });

  it("locates a value of a manifest in its own file", () => {
    const [workload] = workloadsIn(lines(
      "apiVersion: v1",
      "kind: Pod",
      "metadata: {name: p}",
      "spec:",
      "  containers:",
      "    - name: app",
      "      image: app:1",
    ));
    expect(workload && locateIn(workload.object, ["spec", "containers", 0, "image"])).toEqual({ file: "k8s/app.yaml", at: expect.objectContaining({ line: 7 }) });
  });
});

describe("valueAt", () => {
  it("walks maps and lists, and gives undefined off the path", () => {
    const value = { spec: { containers: [{ name: "a" }] } };
    expect(valueAt(value, ["spec", "containers", 0, "name"])).toBe("a");
    expect(valueAt(value, ["spec", "containers", 1, "name"])).toBeUndefined();
    expect(valueAt(value, ["spec", "containers", "0"])).toBeUndefined();
    expect(valueAt(value, ["spec", "missing", "deeper"])).toBeUndefined();
    expect(valueAt(value, [])).toBe(value);
  });
});

describe("isPatchObject", () => {
  const base = `apiVersion: apps/v1
kind: Deployment
metadata: { name: api }
spec:
  selector: { matchLabels: { app: api } }
  template:
    metadata: { labels: { app: api } }
    spec: { containers: [{ name: api, image: "api:1.0.0" }] }
`;
  const patch = `apiVersion: apps/v1
kind: Deployment
metadata: { name: api }
spec:
  replicas: 3
`;
  const objectsOf = (...texts: string[]) => texts.flatMap((text, index) => parseKubernetes(text, `k8s/${index}.yaml`).objects);

  it("is a patch when the project also holds the whole object of that kind and name", () => {
    const objects = objectsOf(base, patch);
    expect(objects.map((object) => isPatchObject(object, objects))).toEqual([false, true]);
  });

  it("is a whole object when it stands alone, even without the selector apps/v1 requires", () => {
    const objects = objectsOf(patch, patch.replace("name: api", "name: other").replace("kind: Deployment", "kind: Service"));
    expect(objects.map((object) => isPatchObject(object, objects))).toEqual([false, false]);
  });

  it("never calls a Rollout with workloadRef a patch", () => {
    const rollout = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: { name: api }\nspec:\n  workloadRef: { kind: Deployment, name: api }\n";
    const objects = objectsOf(rollout, rollout);
    expect(objects.map((object) => isPatchObject(object, objects))).toEqual([false, false]);
  });
});
