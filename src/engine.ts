import type { MlreadyConfig } from "./config/load.js";
import { INTERNAL_ERROR, type Finding, type Severity } from "./model.js";
import type { ProjectModel } from "./project.js";
import { formatMessage, type Rule, type RuleResult } from "./rule.js";

export interface RuleSetting {
  severity: Severity | "off";
  options: Record<string, unknown>;
}

function byLocation(a: Finding, b: Finding): number {
  return (
    (a.file ?? "").localeCompare(b.file ?? "") ||
    (a.line ?? 0) - (b.line ?? 0) ||
    (a.column ?? 0) - (b.column ?? 0) ||
    a.ruleId.localeCompare(b.ruleId) ||
    a.message.localeCompare(b.message)
  );
}

export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(byLocation);
}

/**
 * Runs each enabled rule over the project. A rule that throws becomes one `internal-error` finding
 * naming the rule (and the file it was reading, when it reported one), and the other rules still run.
 */
export async function runRules(project: ProjectModel, rules: readonly Rule<object>[], settings: Map<string, RuleSetting>, config: Readonly<MlreadyConfig> = {}): Promise<RuleResult[]> {
  const results: RuleResult[] = [];
  for (const rule of rules) {
    const { meta } = rule;
    const setting = settings.get(meta.id);
    const severity = setting?.severity ?? meta.severity;
    const base = {
      id: meta.id,
      title: meta.title,
      description: meta.description,
      section: meta.section,
      weight: meta.weight,
      ...(meta.precision ? { precision: meta.precision } : {}),
      ...(meta.securitySeverity !== undefined ? { securitySeverity: meta.securitySeverity } : {}),
    };
    if (severity === "off") {
      results.push({ ...base, severity: meta.severity, status: "off", findings: [] });
      continue;
    }
    const findings: Finding[] = [];
    let skipReason: string | undefined;
    let lastFile: string | undefined;
    const context = {
      project,
      options: (setting?.options ?? meta.defaultOptions) as object,
      config,
      report(descriptor: { messageId: string; data?: Record<string, string | number>; file?: string; at?: { line: number; column: number; endLine?: number; endColumn?: number } }) {
        const template = meta.messages[descriptor.messageId];
        if (template === undefined) throw new Error(`rule ${meta.id} reported unknown messageId "${descriptor.messageId}"`);
        lastFile = descriptor.file ?? lastFile;
        const at = descriptor.at;
        findings.push({
          ruleId: meta.id,
          severity,
          message: formatMessage(template, descriptor.data),
          messageId: descriptor.messageId,
          ...(descriptor.file ? { file: descriptor.file } : {}),
          ...(descriptor.file && at ? { line: at.line, column: at.column } : {}),
          ...(descriptor.file && at?.endLine ? { endLine: at.endLine, endColumn: at.endColumn ?? 1 } : {}),
        });
      },
      skip(reason: string) {
        skipReason = reason;
      },
    };
    try {
      await rule.check(context);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      results.push({
        ...base,
        severity,
        status: "skip",
        reason: "the rule failed internally",
        findings: [{
          ruleId: INTERNAL_ERROR,
          severity: "error",
          message: `Rule ${meta.id} failed${lastFile ? ` while checking ${lastFile}` : ""}: ${detail}. ${meta.id.includes("/") ? `This is a bug in the plugin that provides ${meta.id}; please report it to its authors.` : "This is a bug in mlready; please report it."}`,
          ...(lastFile ? { file: lastFile } : {}),
        }],
      });
      continue;
    }
    sortFindings(findings);
    if (findings.length > 0) results.push({ ...base, severity, status: "fail", findings });
    else if (skipReason !== undefined) results.push({ ...base, severity, status: "skip", reason: skipReason, findings });
    else results.push({ ...base, severity, status: "pass", findings });
  }
  return results;
}
