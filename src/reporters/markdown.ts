import type { CheckResult } from "../check.js";
import type { Severity } from "../model.js";
import { ruleHelp } from "../rule-docs.js";
import { SECTIONS } from "../sections.js";
import { TOOL } from "../version.js";

const SEVERITY_ORDER: readonly Severity[] = ["error", "warning", "info"];

/**
 * Makes text safe inside a Markdown table cell: no line breaks, no `|` that ends the cell, no HTML, and
 * no link, emphasis or code syntax from user-controlled text (file names, values quoted in messages).
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/\r\n|\r|\n/g, " ")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/([\\`*[\]|~])/g, "\\$1");
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

function formatOne(result: CheckResult): string {
  const lines: string[] = [];
  lines.push(`### mlready: ${escapeMarkdown(result.root)}: ${result.score}/100, grade ${result.grade}`);
  lines.push("");
  if (result.note) {
    lines.push(`> ${escapeMarkdown(result.note)}`);
    lines.push("");
  }
  lines.push("| | Section | Score | Checklist |");
  lines.push("|:-:|---|--:|---|");
  for (const [index, section] of result.sections.entries()) {
    const mark = section.score === null ? "➖" : section.score === 100 ? "✅" : "❌";
    const score = section.score === null ? "n/a" : String(section.score);
    lines.push(`| ${mark} | ${escapeMarkdown(section.title)} | ${score} | ${escapeMarkdown(SECTIONS[index]?.checklist ?? "")} |`);
  }

  const open = result.findings.filter((finding) => !finding.suppressed);
  const suppressed = result.findings.length - open.length;
  const counts = SEVERITY_ORDER.map((severity) => open.filter((finding) => finding.severity === severity).length);
  lines.push("");
  lines.push(`${plural(counts[0] ?? 0, "error")}, ${plural(counts[1] ?? 0, "warning")}, ${counts[2] ?? 0} info${suppressed > 0 ? `, ${suppressed} suppressed (not listed)` : ""}`);
  if (open.length > 0) {
    // Built-in rules link to their docs page; plugin rules to the url their docs give, or nowhere.
    const documented = new Map(result.rules.map((rule) => [rule.id, ruleHelp(rule).uri]));
    lines.push("");
    lines.push("| Severity | Rule | Location | Message |");
    lines.push("|---|---|---|---|");
    for (const finding of open) {
      const uri = documented.get(finding.ruleId);
      const rule = uri ? `[${finding.ruleId}](${uri})` : finding.ruleId;
      const where = finding.file === undefined ? "(project)" : `${finding.file}${finding.line !== undefined ? `:${finding.line}` : ""}`;
      lines.push(`| ${finding.severity} | ${rule} | ${escapeMarkdown(where)} | ${escapeMarkdown(finding.message)} |`);
    }
  }
  lines.push("");
  lines.push(`<sub>mlready ${TOOL.version}</sub>`);
  return lines.join("\n");
}

/** The checklist table and the findings of each project, in GitHub-flavoured Markdown (PR comments, job summaries). */
export function formatMarkdown(results: readonly CheckResult[]): string {
  return `${results.map(formatOne).join("\n\n")}\n`;
}
