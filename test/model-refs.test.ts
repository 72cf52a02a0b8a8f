import { describe, expect, it } from "vitest";
import { discover } from "../src/discover.js";
import { dvcOutputs, findModelReferences, isDvcTracked, isVersionSegment, parseMlflowModelUri, servedMlflowModels, type ModelReference } from "../src/model-refs.js";
import { buildProject, type ProjectModel } from "../src/project.js";
import { tempProject } from "./helpers/tmp.js";

const lines = (...text: string[]) => `${text.join("\n")}\n`;

async function projectOf(files: Record<string, string>): Promise<ProjectModel> {
  const root = tempProject(files);
  const { project } = await buildProject(root, await discover(root), { externalTools: false });
  return project;
}

function summary(references: ModelReference[]) {
  return references.map((reference) => ({
    kind: reference.kind,
    value: reference.value,
    at: `${reference.file}:${reference.at.line}`,
    ...(reference.revision ? { revision: reference.revision } : {}),
  }));
}

const MLMODEL_WITH_RUN = lines("flavors:", "  sklearn:", "    sklearn_version: 1.6.1", "run_id: c4a8e21f9d6b4f3e8a17b5d0e2c9f641");

describe("parseMlflowModelUri", () => {
  it.each([
    ["models:/churn/14", { name: "churn", version: "14" }],
    ["models:/churn/Production", { name: "churn", version: "Production" }],
    ["models:/churn@champion", { name: "churn", alias: "champion" }],
    ["models:/churn", { name: "churn" }],
    ["models:/catalog.schema.churn/3", { name: "catalog.schema.churn", version: "3" }],
  ])("%s", (uri, parts) => {
    expect(parseMlflowModelUri(uri)).toEqual(parts);
  });

  it("is null for other URIs", () => {
    expect(parseMlflowModelUri("runs:/abc/model")).toBeNull();
  });
});

describe("isVersionSegment", () => {
  it.each(["3", "v3", "1.0", "2025-05-06", "20250506", "model-v3", "iris_2", "c4a8e21f9d6b4f3e", "model-v3.joblib"])("%s names a version", (segment) => {
    expect(isVersionSegment(segment)).toBe(true);
  });
  it.each(["model", "flowers", "resnet50", "llama-3-8b", "deadbeef", "latest", "bert-base-uncased"])("%s does not", (segment) => {
    expect(isVersionSegment(segment)).toBe(false);
  });
});

describe("findModelReferences", () => {
  it("reads KServe, Seldon v1 and Seldon v2 model URIs at their line", async () => {
    const project = await projectOf({
      "k8s/serving.yaml": lines(
        "apiVersion: serving.kserve.io/v1beta1",
        "kind: InferenceService",
        "metadata: {name: fraud}",
        "spec:",
        "  predictor:",
        "    model:",
        "      modelFormat: {name: xgboost}",
        "      storageUri: gs://models/fraud/v3",
        "---",
        "apiVersion: machinelearning.seldon.io/v1",
        "kind: SeldonDeployment",
        "metadata: {name: iris}",
        "spec:",
        "  predictors:",
        "    - name: default",
        "      graph:",
        "        name: classifier",
        "        modelUri: s3://models/iris",
        "---",
        "apiVersion: mlops.seldon.io/v1alpha1",
        "kind: Model",
        "metadata: {name: income}",
        "spec:",
        "  storageUri: hf://org/income:0e9e39f249a16976918f6564b8830bc894c89659",
      ),
    });
    expect(summary(findModelReferences(project))).toEqual([
      { kind: "uri", value: "gs://models/fraud/v3", at: "k8s/serving.yaml:8" },
      { kind: "uri", value: "s3://models/iris", at: "k8s/serving.yaml:18" },
      { kind: "huggingface", value: "org/income", at: "k8s/serving.yaml:24", revision: "0e9e39f249a16976918f6564b8830bc894c89659" },
    ]);
  });

  it("reads container env vars and args, pairing Hub ids with the revision beside them", async () => {
    const project = await projectOf({
      "k8s/deployment.yaml": lines(
        "apiVersion: apps/v1",
        "kind: Deployment",
        "metadata: {name: llm}",
        "spec:",
        "  selector: {matchLabels: {app: llm}}",
        "  template:",
        "    spec:",
        "      containers:",
        "        - name: tgi",
        "          image: tgi:3",
        "          env:",
        "            - name: MODEL_ID",
        "              value: meta-llama/Llama-3.1-8B",
        "            - name: MODEL_NAME",
        "              value: chat",
        "            - name: REVISION",
        "              value: main",
        "        - name: mlflow",
        "          image: mlflow:2",
        "          args:",
        "            - --model-uri=models:/churn/3",
        "        - name: from-config",
        "          image: app:1",
        "          env:",
        "            - name: MODEL_URI",
        "              valueFrom: {configMapKeyRef: {name: model, key: uri}}",
      ),
    });
    expect(summary(findModelReferences(project))).toEqual([
      { kind: "huggingface", value: "meta-llama/Llama-3.1-8B", at: "k8s/deployment.yaml:13", revision: "main" },
      { kind: "uri", value: "models:/churn/3", at: "k8s/deployment.yaml:21" },
      { kind: "opaque", value: "", at: "k8s/deployment.yaml:25" },
    ]);
  });

  it("reads a container's command and args as one argv, and not `python -m`", async () => {
    const project = await projectOf({
      "k8s/pod.yaml": lines(
        "apiVersion: v1",
        "kind: Pod",
        "metadata: {name: serve}",
        "spec:",
        "  containers:",
        "    - name: mlflow",
        "      image: mlflow:2",
        "      command: [python, -m, mlflow]",
        "      args:",
        "        - models",
        "        - serve",
        "        - -m",
        "        - models:/churn/Production",
      ),
    });
    expect(summary(findModelReferences(project))).toEqual([{ kind: "uri", value: "models:/churn/Production", at: "k8s/pod.yaml:13" }]);
  });

  it("reads Dockerfile ENV/ARG, commands and COPY of MLflow model folders, and leaves out other copies", async () => {
    const project = await projectOf({
      Dockerfile: lines(
        "FROM python:3.11-slim",
        "ARG HF_REVISION=0e9e39f249a16976918f6564b8830bc894c89659",
        "ENV MLFLOW_MODEL_URI=models:/churn/Staging",
        "RUN huggingface-cli download org/encoder --revision ${HF_REVISION}",
        "COPY app/ ./app/",
        "COPY model/ ./model/",
        'CMD ["mlflow", "models", "serve", "-m", "$MLFLOW_MODEL_URI"]',
      ),
      "app/main.py": "print('hi')\n",
      "model/MLmodel": MLMODEL_WITH_RUN,
    });
    const references = findModelReferences(project);
    expect(summary(references)).toEqual([
      { kind: "uri", value: "models:/churn/Staging", at: "Dockerfile:3" },
      { kind: "huggingface", value: "org/encoder", at: "Dockerfile:4", revision: "0e9e39f249a16976918f6564b8830bc894c89659" },
      { kind: "baked", value: "model/", at: "Dockerfile:6" },
      { kind: "opaque", value: "$MLFLOW_MODEL_URI", at: "Dockerfile:7" },
    ]);
    const baked = references.find((reference) => reference.kind === "baked");
    expect(baked?.mlflowModels?.map((model) => model.folder)).toEqual(["model"]);
    expect(servedMlflowModels(project, references).map((model) => model.path)).toEqual(["model/MLmodel"]);
  });

  it("treats copied model files, DVC-tracked models and ignored model folders as baked-in models", async () => {
    const project = await projectOf({
      Dockerfile: lines(
        "FROM python:3.11-slim",
        "COPY weights/clf.joblib /app/",
        "COPY models/ /app/models/",
        "COPY checkpoints /app/checkpoints",
        "COPY data/ /app/data/",
        "COPY src/ /app/src/",
        "COPY . /app",
      ),
      "weights/clf.joblib": "binary\n",
      "models.dvc": lines("outs:", "  - md5: 0123456789abcdef0123456789abcdef.dir", "    path: models"),
      "data.dvc": lines("outs:", "  - md5: 0123456789abcdef0123456789abcdef.dir", "    path: data"),
      "src/models/user.py": "class User: ...\n",
    });
    const baked = findModelReferences(project).filter((reference) => reference.kind === "baked");
    expect(baked.map((reference) => [reference.value, reference.present, reference.dvcTracked, reference.modelFiles])).toEqual([
      ["weights/clf.joblib", true, false, ["weights/clf.joblib"]],
      ["models/", false, true, []],
      ["checkpoints", false, false, []],
      // A tracked data folder and a code package named `models` are not models; the whole context holds the tracked models.
      [".", true, true, ["weights/clf.joblib"]],
    ]);
  });

  it("reads BentoML bentofile.yaml model tags", async () => {
    const project = await projectOf({
      "bentofile.yaml": lines('service: "service:Svc"', "models:", "  - iris_clf:3x4kzbuyswgjrxqh", "  - tag: summarization:latest", "    alias: summarizer"),
    });
    expect(summary(findModelReferences(project))).toEqual([
      { kind: "bento", value: "iris_clf:3x4kzbuyswgjrxqh", at: "bentofile.yaml:3" },
      { kind: "bento", value: "summarization:latest", at: "bentofile.yaml:4" },
    ]);
  });

  it("leaves out test folders and MODEL_NAME values that are not Hub ids", async () => {
    const project = await projectOf({
      "tests/e2e/Dockerfile": lines("FROM python:3.11-slim", "ENV MODEL_URI=models:/churn/latest"),
      Dockerfile: lines("FROM python:3.11-slim", "ENV MODEL_NAME=sklearn-iris"),
    });
    expect(findModelReferences(project)).toEqual([]);
  });
});

describe("DVC tracking", () => {
  it("reads outs of .dvc files, dvc.yaml and dvc.lock relative to their folder", async () => {
    const project = await projectOf({
      "model.pkl.dvc": lines("outs:", "  - md5: 0123456789abcdef0123456789abcdef", "    path: model.pkl"),
      "pipeline/dvc.yaml": lines("stages:", "  train:", "    cmd: python train.py", "    outs:", "      - models", "      - metrics.json:", "          cache: false"),
      "pipeline/dvc.lock": lines("schema: '2.0'", "stages:", "  train:", "    cmd: python train.py", "    outs:", "      - path: models", "        md5: 0123456789abcdef0123456789abcdef.dir"),
    });
    const outputs = dvcOutputs(project);
    expect([...new Set(outputs)].sort()).toEqual(["model.pkl", "pipeline/metrics.json", "pipeline/models"]);
    expect(isDvcTracked(project, "pipeline/models/clf.joblib")).toBe(true);
    expect(isDvcTracked(project, "pipeline")).toBe(true);
    expect(isDvcTracked(project, "model.pkl")).toBe(true);
    expect(isDvcTracked(project, "other/model.pkl")).toBe(false);
  });
});
