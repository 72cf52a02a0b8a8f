import path from "node:path";
import type { CheckResult } from "../check.js";
import type { Severity } from "../model.js";
import { formatMarkdown } from "./markdown.js";

export interface GithubOptions {
  /** Absolute folder annotation paths are relative to: the repository root (default: the git top level). */
  sarifRoot: (result: CheckResult) => string;
}

const COMMAND: Record<Severity, "error" | "warning" | "notice"> = { error: "error", warning: "warning", info: "notice" };

/** Escapes a workflow command's message, as @actions/core does: `%`, CR and LF. */
export function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** Escapes a workflow command property value: the message escapes plus `:` and `,`, which delimit properties. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

function command(name: string, properties: [string, string | number | undefined][], message: string): string {
  const props = properties
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([key, value]) => `${key}=${escapeProperty(String(value))}`)
    .join(",");
  return `::${name}${props ? ` ${props}` : ""}::${escapeData(message)}`;
}

function formatOne(result: CheckResult, options: GithubOptions): string[] {
  const prefix = path.relative(options.sarifRoot(result), result.absoluteRoot).split(path.sep).join("/");
  const repoPath = (file: string) => (prefix ? `${prefix}/${file}` : file);
  const lines: string[] = [];
  for (const finding of result.findings) {
    // Suppressed findings stay out of annotations, as they do in SARIF: an annotation is a call to act.
    if (finding.suppressed) continue;
    const located = finding.file !== undefined && finding.line !== undefined;
    lines.push(command(COMMAND[finding.severity], [
      // A project-level finding has no file: GitHub shows it on the run's summary page.
      ["file", finding.file !== undefined ? repoPath(finding.file) : undefined],
      ["line", located ? finding.line : undefined],
      ["endLine", located ? finding.endLine : undefined],
      ["col", located ? finding.column : undefined],
      ["endColumn", located ? finding.endColumn : undefined],
      ["title", `mlready ${finding.ruleId}`],
    ], finding.message));
  }
  lines.push(command("notice", [["title", "mlready readiness"]], `${result.root}: ${result.score}/100, grade ${result.grade}`));
  return lines;
}

/**
 * GitHub Actions workflow commands: one annotation per unsuppressed finding, then one notice with the score.
 * The job summary is `githubStepSummary` (the CLI appends it to `$GITHUB_STEP_SUMMARY`).
 */
export function formatGithub(results: readonly CheckResult[], options: GithubOptions): string {
  return `${results.flatMap((result) => formatOne(result, options)).join("\n")}\n`;
}

/** The Markdown job summary written beside the annotations. */
export function githubStepSummary(results: readonly CheckResult[]): string {
  return formatMarkdown(results);
}
