import { dvcOutputs, findModelReferences, isDvcTracked, isVersionSegment, parseMlflowModelUri, type ModelReference } from "../model-refs.js";
import { isDeployable, isTestPath } from "../paths.js";
import type { ProjectModel } from "../project.js";
import { defineRule } from "../rule.js";

interface ModelVersionedOptions {
  /** Accept MLflow registered-model aliases (`models:/name@champion`): they move, but only on purpose. */
  allowAliases: boolean;
}

const MLFLOW_STAGES = new Set(["production", "staging", "archived", "none"]);
const COMMIT = /^[0-9a-f]{40}$/i;

type Verdict = { messageId: string; data: Record<string, string> } | null;

/** Why an object-store or registry URI is not pinned, or null when it is (or cannot be judged). */
function judgeUri(uri: string, options: ModelVersionedOptions): Verdict {
  const scheme = uri.slice(0, uri.indexOf(":")).toLowerCase();
  if (scheme === "models") {
    const parsed = parseMlflowModelUri(uri);
    if (!parsed) return { messageId: "unversioned", data: { detail: "names no registered model version" } };
    if (parsed.alias) return options.allowAliases ? null : { messageId: "alias", data: { alias: parsed.alias } };
    if (!parsed.version) return { messageId: "unversioned", data: { detail: "names a registered model without a version" } };
    if (/^\d+$/.test(parsed.version)) return null;
    if (parsed.version.toLowerCase() === "latest") return { messageId: "latest", data: {} };
    if (MLFLOW_STAGES.has(parsed.version.toLowerCase())) return { messageId: "stage", data: { stage: parsed.version } };
    return { messageId: "unversioned", data: { detail: `has \`${parsed.version}\` where a version number belongs` } };
  }
  // A run's artifacts never change.
  if (scheme === "runs") return null;
  if (scheme.startsWith("oci") || scheme === "docker") {
    if (uri.includes("@sha256:")) return null;
    const tag = /:([^/:@]+)$/.exec(uri.replace(/^[a-z]+:\/\//i, ""))?.[1];
    if (!tag || tag === "latest") return { messageId: "latest", data: {} };
    return null;
  }
  // Object stores, PVCs, HTTP: the path after the bucket or claim must hold a version.
  const withoutQuery = uri.replace(/[?#].*$/, "");
  const afterScheme = withoutQuery.replace(/^[a-z][a-z0-9+.-]*:\/*/i, "");
  const segments = afterScheme.split("/").slice(scheme === "file" ? 0 : 1).filter(Boolean);
  if (segments.some((segment) => segment.toLowerCase() === "latest" || /[-_]latest$/i.test(segment))) return { messageId: "latest", data: {} };
  if (segments.some(isVersionSegment)) return null;
  return { messageId: "unversioned", data: { detail: "has no path segment that names a version (`v3`, `3`, a date or a hash)" } };
}

function judge(reference: ModelReference, options: ModelVersionedOptions): Verdict {
  switch (reference.kind) {
    case "uri":
      return judgeUri(reference.value, options);
    case "huggingface":
      if (reference.revision && COMMIT.test(reference.revision)) return null;
      // A revision from a variable mlready cannot resolve (`${REVISION}` set at deploy time) is not judged.
      if (reference.revision && /\$|\{\{/.test(reference.revision)) return null;
      return {
        messageId: "huggingfaceRevision",
        data: { revision: reference.revision ? `its revision \`${reference.revision}\` is a branch or tag, not a commit` : "no revision is given" },
      };
    case "bento": {
      const version = reference.value.includes(":") ? reference.value.slice(reference.value.lastIndexOf(":") + 1) : "";
      if (version.toLowerCase() === "latest") return { messageId: "latest", data: {} };
      if (version === "") return { messageId: "unversioned", data: { detail: "is a Bento model tag without a version (`name:version`)" } };
      return null;
    }
    case "baked": {
      const models = reference.mlflowModels ?? [];
      if (models.length > 0) {
        const untracked = models.filter((model) => !model.runId && !model.modelUuid);
        if (untracked.length === 0 || reference.dvcTracked) return null;
        return { messageId: "untrackedFolder", data: { content: `MLflow model ${untracked.map((model) => `\`${model.folder}\``).join(", ")} has no \`run_id\` or \`model_uuid\` in its MLmodel and is not DVC-tracked` } };
      }
      if (reference.dvcTracked) return null;
      const files = reference.modelFiles ?? [];
      const content = files.length > 0
        ? `${files.slice(0, 3).map((file) => `\`${file}\``).join(", ")}${files.length > 3 ? ` and ${files.length - 3} more` : ""} ${files.length === 1 ? "is" : "are"} neither an MLflow model nor DVC-tracked`
        : `\`${reference.folder ?? reference.value}\` is not in the project (ignored or made at build time), so no MLflow \`MLmodel\` or DVC file records which model it is`;
      return { messageId: "untrackedFolder", data: { content } };
    }
    default:
      return null;
  }
}

/** What the rule read, for the message of a project that references no model. */
function lookedAt(project: ProjectModel): string {
  const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  const bentofiles = [...project.yamlDocuments.keys()].filter((file) => /(^|\/)bentofile\.ya?ml$/i.test(file)).length;
  return [
    `${count(project.dockerfiles.length, "Dockerfile", "Dockerfiles")} (ENV/ARG, RUN/CMD/ENTRYPOINT arguments, COPY of model folders)`,
    `${count(project.workloads.length, "Kubernetes workload", "Kubernetes workloads")} (container env and args)`,
    `${count(project.modelDeployments.length, "KServe/Seldon model", "KServe/Seldon models")} (storageUri, modelUri)`,
    count(bentofiles, "bentofile.yaml", "bentofile.yaml files"),
  ].join(", ");
}

export default defineRule<ModelVersionedOptions>({
  meta: {
    id: "model-versioned",
    title: "Serve a model pinned to an immutable version",
    section: "registry",
    severity: "error",
    weight: 3,
    description:
      "Every model the service serves is pinned to an immutable version: an MLflow registry version or run, an object-store path with a version " +
      "segment, a Hugging Face commit, a Bento tag with a version, or a baked-in model folder that MLflow or DVC identifies. A stage, `latest` or " +
      "an unversioned path changes under a running service, and nobody can tell which model answered a request.",
    options: {
      type: "object",
      additionalProperties: false,
      properties: {
        allowAliases: {
          type: "boolean",
          description: "Accept MLflow registered-model aliases (`models:/name@champion`). Set to false to require a version number.",
        },
      },
    },
    defaultOptions: { allowAliases: true },
    messages: {
      stage:
        "{{where}} serves `{{uri}}`, the MLflow stage `{{stage}}`: whatever version is moved into the stage is served at the next restart. Pin a version (`models:/<name>/<number>`) or an alias.",
      latest:
        "{{where}} serves `{{uri}}`, which follows `latest`: a new upload changes the served model without a deploy. Pin a version (a registry version number, a versioned path, a Bento tag's version).",
      alias:
        "{{where}} serves `{{uri}}` through the alias `@{{alias}}`, and this project does not accept aliases (allowAliases: false). Pin a version number: `models:/<name>/<number>`.",
      unversioned:
        "{{where}} serves `{{uri}}`, which {{detail}}: what it points to can change unnoticed. Pin an immutable version.",
      huggingfaceRevision:
        "{{where}} serves the Hugging Face model `{{uri}}`, but {{revision}}: a push to the Hub repository changes the served weights. Pin the commit (`HF_REVISION`/`--revision` with a 40-character commit hash, or `hf://<id>:<commit>`).",
      untrackedFolder:
        "{{where}} ships a model, but {{content}}: nothing records which training run produced it. Log it as an MLflow model (MLmodel with `run_id`) or track it with DVC (`dvc add`).",
      noModel:
        "No model reference found in the serving artifacts mlready read: {{looked}}. Reference the served model with an immutable version (e.g. `storageUri: gs://bucket/model/v3`, `MODEL_URI=models:/name/3`, or COPY an MLflow model folder).",
    },
  },
  check(context) {
    const { project, options } = context;
    const references = findModelReferences(project);
    if (references.length === 0) {
      // No serving artifact names a model, but MLflow model folders are here: they are what gets served
      // (`mlflow models serve -m model/`, a platform that loads the folder), judged like a copied folder.
      const standalone = project.mlflowModels.filter((model) => !isTestPath(model.path));
      if (standalone.length > 0) {
        const outputs = dvcOutputs(project);
        for (const model of standalone) {
          if (model.runId || model.modelUuid || isDvcTracked(project, model.folder, outputs)) continue;
          context.report({
            messageId: "untrackedFolder",
            data: { where: `The MLflow model \`${model.folder}\``, content: "its MLmodel has no `run_id` or `model_uuid` and it is not DVC-tracked" },
            file: model.path,
            at: model.location,
          });
        }
        return;
      }
      if (!isDeployable(project)) {
        context.skip("nothing is deployed from here (no Dockerfile, Kubernetes manifest, chart or MLflow model) and no model reference was found");
        return;
      }
      context.report({ messageId: "noModel", data: { looked: lookedAt(project) } });
      return;
    }
    for (const reference of references) {
      const verdict = judge(reference, options);
      if (!verdict) continue;
      context.report({
        messageId: verdict.messageId,
        data: { where: reference.where.charAt(0).toUpperCase() + reference.where.slice(1), uri: reference.value, ...verdict.data },
        file: reference.file,
        at: reference.at,
      });
    }
  },
});
