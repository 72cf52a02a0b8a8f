import path from "node:path";
import type { SourceLocation } from "../model.js";
import { covers, INSTALLER_TOOLING, modelEnvironmentOf } from "../model-env.js";
import { servedMlflowModels } from "../model-refs.js";
import { normaliseName } from "../parsers/requirements.js";
import { isRecord, type YamlDocument } from "../parsers/yaml.js";
import { isTestPath } from "../paths.js";
import { isCondaPin, isExactPin, requirementName, sourceUrlFinding, writtenAs } from "../pinning.js";
import { defineRule } from "../rule.js";

type MlflowField = "run_id" | "model_uuid" | "utc_time_created";

interface ReproducibleTrainingRunOptions {
  /** MLmodel fields that must be written; `run_id` is what links a model to its training run. */
  requiredMlflowFields: MlflowField[];
  /** Also require the model's own environment files to pin every package. */
  requirePinnedEnvironment: boolean;
}

/** The keys a dvc.lock entry holds its content hash in (md5 locally; etag/version_id for cloud outputs). */
const HASH_KEYS = ["md5", "etag", "checksum", "sha256", "version_id"];

interface Pipeline {
  file: string;
  document: YamlDocument;
  lockFile: string;
  lock: YamlDocument | undefined;
  /** Stages of the lock file, with their path inside it (`stages.<name>` in schema 2.0, top-level in 1.0). */
  lockStages: Map<string, { value: Record<string, unknown>; path: (string | number)[] }>;
}

function lockStagesOf(lock: YamlDocument | undefined): Pipeline["lockStages"] {
  const stages: Pipeline["lockStages"] = new Map();
  if (!lock || !isRecord(lock.value)) return stages;
  const nested = lock.value["stages"];
  const [entries, prefix]: [Record<string, unknown>, string[]] = isRecord(nested) ? [nested, ["stages"]] : [lock.value, []];
  for (const [name, value] of Object.entries(entries)) {
    if (name !== "schema" && isRecord(value)) stages.set(name, { value, path: [...prefix, name] });
  }
  return stages;
}

function pipelinesOf(project: { yamlDocuments: Map<string, YamlDocument[]> }): Pipeline[] {
  const pipelines: Pipeline[] = [];
  for (const [file, documents] of project.yamlDocuments) {
    if (path.posix.basename(file) !== "dvc.yaml" || isTestPath(file)) continue;
    const document = documents[0];
    if (!document || !isRecord(document.value) || !isRecord(document.value["stages"])) continue;
    const lockFile = path.posix.join(path.posix.dirname(file), "dvc.lock");
    const lock = project.yamlDocuments.get(lockFile)?.[0];
    pipelines.push({ file, document, lockFile, lock, lockStages: lockStagesOf(lock) });
  }
  return pipelines;
}

function hasHash(entry: unknown): boolean {
  return isRecord(entry) && HASH_KEYS.some((key) => (typeof entry[key] === "string" && entry[key] !== "") || typeof entry[key] === "number");
}

export default defineRule<ReproducibleTrainingRunOptions>({
  meta: {
    id: "reproducible-training-run",
    title: "Record the training run and the pinned environment of the served model",
    section: "registry",
    severity: "warning",
    weight: 2,
    description:
      "The served model's provenance is recorded: an MLflow MLmodel with run_id, model_uuid and utc_time_created, or a DVC pipeline whose dvc.lock " +
      "records the hashes of every stage's dependencies, parameters and outputs; and the model's own environment (requirements.txt, conda.yaml, " +
      "python_env.yaml) pins every package, so that the training run can be found and re-run with the same libraries.",
    options: {
      type: "object",
      additionalProperties: false,
      properties: {
        requiredMlflowFields: {
          type: "array",
          items: { enum: ["run_id", "model_uuid", "utc_time_created"] },
          uniqueItems: true,
          description: "MLmodel fields that must be written. Older MLflow releases wrote no model_uuid: leave it out for models they saved.",
        },
        requirePinnedEnvironment: {
          type: "boolean",
          description: "Require every package of the model's requirements.txt, conda.yaml and python_env.yaml to be pinned to one version.",
        },
      },
    },
    defaultOptions: { requiredMlflowFields: ["run_id", "model_uuid", "utc_time_created"], requirePinnedEnvironment: true },
    messages: {
      mlflowProvenance:
        "MLflow model {{model}} records no {{missing}}, so nobody can trace it back to the run (code version, data, parameters) that trained it. " +
        "Log it with mlflow.<flavor>.log_model inside an MLflow run, which writes run_id, model_uuid and utc_time_created, or make it an output of a DVC pipeline stage.",
      noEnvironment:
        "MLflow model {{model}} has no requirements.txt, conda.yaml or python_env.yaml beside its MLmodel, so the libraries it was trained with are unknown. " +
        "Keep the environment files MLflow writes when it logs the model.",
      unpinnedEnvironment:
        "{{name}} in the model environment {{file}} is written '{{written}}', not one exact version, so the environment the model was trained in cannot be rebuilt. " +
        "Pin it to the version used in training ({{name}}==<version>, as `pip freeze` or `conda env export` in the training environment shows it).",
      dvcNotLocked:
        "{{subject}}, so the hashes of the data, parameters and code that produced its outputs are not recorded. Run `dvc repro` (or `dvc commit`) and commit dvc.lock.",
      dvcUnhashed:
        "DVC stage `{{stage}}` in {{lock}} records no {{missing}} for {{what}}, so the run that produced its outputs cannot be checked or repeated. Run `dvc repro` (or `dvc commit`) and commit dvc.lock.",
    },
  },
  check(context) {
    const { project, options } = context;
    // The models a Dockerfile bakes in; when none does, every MLflow model outside test folders.
    const models = servedMlflowModels(project);
    const pipelines = pipelinesOf(project);
    if (models.length === 0 && pipelines.length === 0) {
      const dvcFiles = project.filesOfKind("dvc").some((file) => !isTestPath(file.path));
      context.skip(
        dvcFiles
          ? "no model metadata to judge: DVC tracks files here (`*.dvc`) but no pipeline (dvc.yaml) or MLflow MLmodel outside test folders records how a model was trained"
          : "no model metadata: no MLflow MLmodel outside test folders and no DVC pipeline (dvc.yaml)",
      );
      return;
    }

    // Outputs of locked DVC stages, project-relative: a model among them has its provenance in dvc.lock.
    const lockedOutputs: string[] = [];
    for (const pipeline of pipelines) {
      const folder = path.posix.dirname(pipeline.file);
      for (const { value } of pipeline.lockStages.values()) {
        for (const output of Array.isArray(value["outs"]) ? value["outs"] : []) {
          if (isRecord(output) && typeof output["path"] === "string" && hasHash(output)) {
            lockedOutputs.push(path.posix.normalize(path.posix.join(folder, output["path"])).replace(/\/$/, ""));
          }
        }
      }
    }

    for (const model of models) {
      const fields: Record<MlflowField, string | undefined> = { run_id: model.runId, model_uuid: model.modelUuid, utc_time_created: model.createdAt };
      const missing = options.requiredMlflowFields.filter((field) => !fields[field]);
      const trackedByDvc = lockedOutputs.some((output) => covers(output, model.folder) || covers(output, model.path));
      if (missing.length > 0 && !trackedByDvc) {
        context.report({ messageId: "mlflowProvenance", data: { model: model.path, missing: missing.length > 1 ? `${missing.slice(0, -1).join(", ")} or ${missing[missing.length - 1]}` : missing.join("") }, file: model.path, at: model.location });
      }
      if (!options.requirePinnedEnvironment) continue;
      const environment = modelEnvironmentOf(project, model);
      if (environment.files.length === 0) {
        context.report({ messageId: "noEnvironment", data: { model: model.path }, file: model.path, at: model.location });
        continue;
      }
      for (const { file, requirement } of environment.requirements) {
        const name = requirementName(requirement);
        if (INSTALLER_TOOLING.has(normaliseName(name)) || requirement.type === "local") continue;
        const pinned = requirement.type === "package" ? isExactPin(requirement) : sourceUrlFinding(requirement, name, false) === null;
        if (pinned) continue;
        const written = requirement.type === "package" ? writtenAs(name, requirement) : requirement.text;
        context.report({ messageId: "unpinnedEnvironment", data: { name, file, written }, file, at: requirement.location });
      }
      for (const { file, spec, location } of environment.condaSpecs) {
        if (INSTALLER_TOOLING.has(normaliseName(spec.name)) || isCondaPin(spec)) continue;
        context.report({ messageId: "unpinnedEnvironment", data: { name: spec.name, file, written: spec.text }, file, at: location });
      }
    }

    for (const pipeline of pipelines) checkPipeline(pipeline);

    function checkPipeline(pipeline: Pipeline): void {
      const stages = (pipeline.document.value as Record<string, unknown>)["stages"] as Record<string, unknown>;
      if (!pipeline.lock) {
        context.report({
          messageId: "dvcNotLocked",
          data: { subject: `DVC pipeline ${pipeline.file} has no ${pipeline.lockFile} beside it` },
          file: pipeline.file,
          at: pipeline.document.locateKey(["stages"]),
        });
        return;
      }
      const report = (what: string, stage: string, missing: string, at: SourceLocation) =>
        context.report({ messageId: "dvcUnhashed", data: { what, stage, missing, lock: pipeline.lockFile }, file: pipeline.lockFile, at });
      for (const [name, stage] of Object.entries(stages)) {
        if (!isRecord(stage)) continue;
        const expanded = stage["foreach"] !== undefined || stage["matrix"] !== undefined;
        // A `foreach` stage writes its command under `do:`.
        const body = expanded && isRecord(stage["do"]) ? stage["do"] : stage;
        if (body["cmd"] === undefined) continue;
        const locked = expanded
          ? [...pipeline.lockStages].filter(([lockName]) => lockName.startsWith(`${name}@`))
          : [...pipeline.lockStages].filter(([lockName]) => lockName === name);
        if (locked.length === 0) {
          context.report({
            messageId: "dvcNotLocked",
            data: { subject: `DVC stage \`${name}\` of ${pipeline.file} has no entry in ${pipeline.lockFile}` },
            file: pipeline.file,
            at: pipeline.document.locateKey(["stages", name]),
          });
          continue;
        }
        const declaresParams = Array.isArray(body["params"]) && body["params"].length > 0;
        for (const [lockName, { value, path: stagePath }] of locked) {
          for (const key of ["deps", "outs"] as const) {
            const entries = Array.isArray(value[key]) ? value[key] : [];
            entries.forEach((entry, index) => {
              if (hasHash(entry)) return;
              const written = isRecord(entry) && typeof entry["path"] === "string" ? entry["path"] : `#${index + 1}`;
              const what = `${key === "deps" ? "dependency" : "output"} \`${written}\``;
              report(what, lockName, "content hash (md5)", pipeline.lock?.locate([...stagePath, key, index]) ?? { line: 1, column: 1 });
            });
          }
          if (declaresParams && !(isRecord(value["params"]) && Object.keys(value["params"]).length > 0)) {
            report("the parameters dvc.yaml declares", lockName, "values (`params:`)", pipeline.lock.locateKey(stagePath));
          }
        }
      }
    }
  },
});
