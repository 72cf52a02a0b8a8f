import type { CheckResult } from "../check.js";
import { formatJson } from "./json.js";
import { formatSarif } from "./sarif.js";
import { formatText } from "./text.js";

export interface ReporterOptions {
  color: boolean;
  quiet: boolean;
  /** Absolute folder SARIF paths are relative to, for each project (default: its git top level). */
  sarifRoot: (result: CheckResult) => string;
}

/** Every output format, by the name `--format` takes. Each is a pure function of the results. */
export const REPORTERS: Record<string, (results: readonly CheckResult[], options: ReporterOptions) => string> = {
  text: (results, options) => formatText(results, options),
  json: (results) => formatJson(results),
  sarif: (results, options) => formatSarif(results, options),
};
