import type { CheckResult } from "../check.js";
import { formatGithub } from "./github.js";
import { formatHtml } from "./html.js";
import { formatJson } from "./json.js";
import { formatJunit } from "./junit.js";
import { formatMarkdown } from "./markdown.js";
import { formatSarif } from "./sarif.js";
import { formatText } from "./text.js";

export interface ReporterOptions {
  color: boolean;
  quiet: boolean;
  /** Absolute folder SARIF and GitHub annotation paths are relative to, for each project (default: its git top level). */
  sarifRoot: (result: CheckResult) => string;
}

/** Every output format, by the name `--format` takes. Each is a pure function of the results. */
export const REPORTERS: Record<string, (results: readonly CheckResult[], options: ReporterOptions) => string> = {
  text: (results, options) => formatText(results, options),
  json: (results) => formatJson(results),
  sarif: (results, options) => formatSarif(results, options),
  github: (results, options) => formatGithub(results, options),
  markdown: (results) => formatMarkdown(results),
  junit: (results) => formatJunit(results),
  html: (results) => formatHtml(results),
};
