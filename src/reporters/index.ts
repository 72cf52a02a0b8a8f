import type { CheckResult } from "../check.js";
import { formatJson } from "./json.js";
import { formatText } from "./text.js";

export interface ReporterOptions {
  color: boolean;
  quiet: boolean;
}

/** Every output format, by the name `--format` takes. Each is a pure function of the results. */
export const REPORTERS: Record<string, (results: readonly CheckResult[], options: ReporterOptions) => string> = {
  text: (results, options) => formatText(results, options),
  json: (results) => formatJson(results),
};
