import { parseDocument, LineCounter } from "yaml";
import type { SourceLocation } from "../model.js";
import { isRecord, MAX_ALIAS_COUNT } from "./kubernetes.js";

/** An MLflow model folder's `MLmodel` metadata. */
export interface MlflowModel {
  path: string;
  folder: string;
  runId?: string;
  modelUuid?: string;
  createdAt?: string;
  flavors: string[];
  location: SourceLocation;
}

export class MlmodelSyntaxError extends Error {
  constructor(message: string, readonly location: SourceLocation) {
    super(message);
  }
}

export function parseMlmodel(text: string, path: string): MlflowModel {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, logLevel: "error" });
  const error = document.errors[0];
  if (error) {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    throw new MlmodelSyntaxError(`invalid YAML: ${error.message.split("\n")[0]}`, { line, column: col });
  }
  const value: unknown = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  const metadata = isRecord(value) ? value : {};
  const text_ = (key: string) => (typeof metadata[key] === "string" || typeof metadata[key] === "number" ? String(metadata[key]) : undefined);
  const folder = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : ".";
  const runId = text_("run_id");
  const modelUuid = text_("model_uuid");
  const createdAt = text_("utc_time_created");
  return {
    path,
    folder,
    ...(runId ? { runId } : {}),
    ...(modelUuid ? { modelUuid } : {}),
    ...(createdAt ? { createdAt } : {}),
    flavors: isRecord(metadata["flavors"]) ? Object.keys(metadata["flavors"]) : [],
    location: { line: 1, column: 1 },
  };
}
