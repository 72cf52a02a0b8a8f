import { isRecord } from "../parsers/yaml.js";
import type { MlflowModel } from "../parsers/mlmodel.js";
import { isTestPath } from "../paths.js";
import { defineRule } from "../rule.js";

interface ModelSignatureOptions {
  /** Also require a saved input example (`saved_input_example_info`), which documents and smoke-tests the request format. */
  requireInputExample: boolean;
}

/** An MLflow schema as written in MLmodel: a JSON string (`'[{"type": "long", ...}]'`) or, rarely, a YAML list. */
function hasColumns(schema: unknown): boolean {
  if (Array.isArray(schema)) return schema.length > 0;
  if (typeof schema !== "string") return false;
  try {
    const parsed: unknown = JSON.parse(schema);
    return Array.isArray(parsed) ? parsed.length > 0 : isRecord(parsed);
  } catch {
    // Not JSON: something is written, MLflow will say whether it is valid.
    return schema.trim() !== "" && schema.trim() !== "null";
  }
}

export default defineRule<ModelSignatureOptions>({
  meta: {
    id: "model-signature",
    title: "Declare an MLflow model signature with inputs",
    section: "registry",
    severity: "warning",
    weight: 1,
    description:
      "Every MLflow model declares a `signature` with its inputs in MLmodel. MLflow's scoring server validates and converts requests against it; " +
      "without one a request with a missing column or a string where a number belongs reaches the model, which fails or, worse, answers wrongly.",
    options: {
      type: "object",
      additionalProperties: false,
      properties: {
        requireInputExample: {
          type: "boolean",
          description: "Also require a saved input example (`input_example` when logging, `saved_input_example_info` in MLmodel).",
        },
      },
    },
    defaultOptions: { requireInputExample: false },
    messages: {
      noSignature:
        "The MLflow model `{{folder}}` has no `signature`: requests are not checked against the columns and types the model was trained on. Log it with `signature=infer_signature(X, model.predict(X))` (or an `input_example`).",
      noInputs:
        "The MLflow model `{{folder}}` declares a `signature` without `inputs`: requests cannot be validated. Log it with `infer_signature(X, ...)` so that the input schema is recorded.",
      noInputExample:
        "The MLflow model `{{folder}}` has no saved input example: log it with `input_example=` so that its request format is documented and MLflow can smoke-test it.",
    },
  },
  check(context) {
    const { project, options } = context;
    const models: MlflowModel[] = project.mlflowModels.filter((model) => !isTestPath(model.path));
    if (models.length === 0) {
      context.skip(
        project.mlflowModels.length > 0
          ? "the only MLflow models (MLmodel files) are in test folders"
          : "no MLflow model (MLmodel file) in the project: signatures are only read from MLflow models",
      );
      return;
    }
    for (const model of models) {
      const signature = model.metadata["signature"];
      if (!isRecord(signature)) {
        context.report({ messageId: "noSignature", data: { folder: model.folder }, file: model.path, at: signature === undefined ? model.location : model.locate(["signature"]) });
        continue;
      }
      if (!hasColumns(signature["inputs"])) {
        context.report({ messageId: "noInputs", data: { folder: model.folder }, file: model.path, at: model.locate(["signature"]) });
        continue;
      }
      if (options.requireInputExample && !isRecord(model.metadata["saved_input_example_info"])) {
        context.report({ messageId: "noInputExample", data: { folder: model.folder }, file: model.path, at: model.location });
      }
    }
  },
});
