import type { SourceLocation } from "../model.js";
import { isRecord, parseYaml, type YamlDocument } from "./yaml.js";

/** An MLflow model folder's `MLmodel` metadata. */
export interface MlflowModel {
  path: string;
  folder: string;
  runId?: string;
  modelUuid?: string;
  createdAt?: string;
  flavors: string[];
  /** The whole `MLmodel` document (flavors with their library versions, signature, ...). */
  metadata: Record<string, unknown>;
  locate: YamlDocument["locate"];
  location: SourceLocation;
}

export class MlmodelSyntaxError extends Error {
  constructor(message: string, readonly location: SourceLocation) {
    super(message);
  }
}

export function parseMlmodel(text: string, path: string): MlflowModel {
  const yaml = parseYaml(text);
  const error = yaml.errors[0];
  if (error) throw new MlmodelSyntaxError(error.message, error.location);
  const document = yaml.documents[0];
  const metadata = isRecord(document?.value) ? document.value : {};
  const field = (key: string) => (typeof metadata[key] === "string" || typeof metadata[key] === "number" ? String(metadata[key]) : undefined);
  const folder = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : ".";
  const runId = field("run_id");
  const modelUuid = field("model_uuid");
  const createdAt = field("utc_time_created");
  return {
    path,
    folder,
    ...(runId ? { runId } : {}),
    ...(modelUuid ? { modelUuid } : {}),
    ...(createdAt ? { createdAt } : {}),
    flavors: isRecord(metadata["flavors"]) ? Object.keys(metadata["flavors"]) : [],
    metadata,
    locate: document ? document.locate : () => ({ line: 1, column: 1 }),
    location: { line: 1, column: 1 },
  };
}
