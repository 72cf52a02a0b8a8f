import { createColors } from "picocolors";
import type { CheckResult } from "../check.js";
import { describeBuild } from "../kustomize.js";
import type { Severity } from "../model.js";
import { SECTIONS } from "../sections.js";
import { TOOL } from "../version.js";

export interface TextOptions {
  color: boolean;
  /** Show only error findings (`--quiet`). */
  quiet?: boolean;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

const RULE_INDENT = "      ";
const RULE_LINE_WIDTH = 100;

/** The section's rules with their outcome (`✔ id`, `✖ id`, `– id` when skipped), wrapped under the section line. */
function ruleLines(result: CheckResult, sectionId: string, c: ReturnType<typeof createColors>): string[] {
  const entries = result.rules
    .filter((rule) => rule.section === sectionId && rule.status !== "off")
    .map((rule) => {
      const mark = rule.status === "pass" ? c.green("✔") : rule.status === "fail" ? c.red("✖") : c.dim("–");
      return { width: rule.id.length + 2, text: `${mark} ${rule.status === "skip" ? c.dim(rule.id) : rule.id}` };
    });
  const lines: string[] = [];
  let line = "";
  let width = 0;
  for (const entry of entries) {
    if (width > 0 && RULE_INDENT.length + width + 2 + entry.width > RULE_LINE_WIDTH) {
      lines.push(RULE_INDENT + line);
      line = "";
      width = 0;
    }
    line += (width > 0 ? "  " : "") + entry.text;
    width += (width > 0 ? 2 : 0) + entry.width;
  }
  if (width > 0) lines.push(RULE_INDENT + line);
  return lines;
}

function formatOne(result: CheckResult, options: TextOptions): string {
  const c = createColors(options.color);
  const severityColor: Record<Severity, (text: string) => string> = { error: c.red, warning: c.yellow, info: c.blue };
  const lines: string[] = [];
  const gradeColor = result.score >= 80 ? c.green : result.score >= 60 ? c.yellow : c.red;
  lines.push(`${c.bold("mlready")} ${TOOL.version}  ${result.root}`);
  lines.push("");
  lines.push(`Readiness ${gradeColor(c.bold(`${result.score}/100`))}  grade ${gradeColor(c.bold(result.grade))}`);
  if (result.note) lines.push(c.dim(result.note));
  lines.push("");

  const titleWidth = Math.max(...SECTIONS.map((section) => section.title.length));
  for (const [index, section] of result.sections.entries()) {
    const checklist = SECTIONS[index]?.checklist ?? "";
    const mark = section.score === null ? c.dim("–") : section.score === 100 ? c.green("✔") : c.red("✖");
    const score = section.score === null ? c.dim("n/a".padStart(3)) : String(section.score).padStart(3);
    const detail = section.score === null ? c.dim("  (no rule applies)") : "";
    lines.push(`  ${mark} ${section.title.padEnd(titleWidth)}  ${score}  ${checklist}${detail}`);
    if (!options.quiet) lines.push(...ruleLines(result, section.id, c));
  }
  const scored = result.sections.filter((section) => section.score !== null && section.score < 100);
  if (scored.length > 0) {
    const weakest = scored.reduce((low, section) => ((section.score ?? 0) < (low.score ?? 0) ? section : low));
    lines.push("");
    lines.push(`Weakest section: ${c.bold(weakest.title)} (${weakest.score})`);
  }

  // Which kustomizations and charts were built by kubectl/helm and which were read without them.
  if (result.builds.length > 0) {
    lines.push("");
    for (const build of result.builds) lines.push(c.dim(`  ${describeBuild(build)}`));
  }

  const findings = options.quiet ? result.findings.filter((finding) => finding.severity === "error" && !finding.suppressed) : result.findings;
  if (findings.length > 0) {
    lines.push("");
    const where = findings.map((finding) => (finding.file ? `${finding.file}${finding.line ? `:${finding.line}:${finding.column ?? 1}` : ""}` : "(project)"));
    const width = Math.min(Math.max(...where.map((text) => text.length)), 60);
    findings.forEach((finding, index) => {
      const location = (where[index] ?? "").padEnd(width);
      if (finding.suppressed) {
        // Still shown, so that silenced problems stay visible, but marked and dimmed: they fail nothing.
        const why = `suppressed (${finding.suppressed.kind}): ${finding.suppressed.reason}`;
        lines.push(c.dim(`  ${location}  ${finding.severity.padEnd(7)}  ${finding.message}  ${finding.ruleId}  [${why}]`));
        return;
      }
      const severity = severityColor[finding.severity](finding.severity.padEnd(7));
      lines.push(`  ${c.dim(location)}  ${severity}  ${finding.message}  ${c.dim(finding.ruleId)}`);
    });
  }
  const counts = { error: 0, warning: 0, info: 0 };
  let suppressed = 0;
  for (const finding of result.findings) {
    if (finding.suppressed) suppressed++;
    else counts[finding.severity]++;
  }
  if (result.baseline && result.baseline.fixed.length > 0) {
    const fixed = result.baseline.fixed.length;
    lines.push("");
    lines.push(`Baseline ${result.baseline.file}: ${fixed} ${fixed === 1 ? "entry" : "entries"} no longer ${fixed === 1 ? "matches" : "match"} (fixed); run \`mlready baseline\` to shrink it.`);
    for (const entry of result.baseline.fixed) lines.push(c.dim(`  ${entry.file ?? "(project)"}  ${entry.message}  ${entry.ruleId}`));
  }
  lines.push("");
  lines.push(`${plural(counts.error, "error")}, ${plural(counts.warning, "warning")}, ${counts.info} info${suppressed > 0 ? `, ${suppressed} suppressed` : ""}`);
  return lines.join("\n");
}

export function formatText(results: readonly CheckResult[], options: TextOptions): string {
  return `${results.map((result) => formatOne(result, options)).join("\n\n")}\n`;
}
