import type { CheckResult } from "../check.js";
import { describeBuild } from "../kustomize.js";
import { TOOL } from "../version.js";

/** The JSON report's shape: a contract other tools read (docs/json-format.md). Bump `version` on breaking changes. */
export interface JsonReport {
  version: 1;
  tool: { name: string; version: string };
  path: string;
  score: number;
  grade: string;
  note?: string;
  sections: { id: string; title: string; score: number | null }[];
  rules: { id: string; section: string; severity: string; weight: number; status: string; reason?: string }[];
  findings: {
    ruleId: string;
    severity: string;
    message: string;
    file?: string;
    line?: number;
    column?: number;
    endLine?: number;
    endColumn?: number;
    /** Present when the finding is suppressed: it is reported but fails no rule and no gate. */
    suppressed?: { kind: "inline" | "config" | "baseline"; reason: string };
  }[];
  /** With `--baseline`: how many findings it accepted and its entries that match nothing any more. */
  baseline?: { file: string; entries: number; matched: number; fixed: { ruleId: string; file?: string; message: string; fingerprint: string }[] };
  /** Kustomizations and Helm charts: built by kubectl/helm or read without them (docs/kubernetes.md). */
  builds: { kind: string; folder: string; mode: string; reason?: string; objects?: number; unmapped?: number; message: string }[];
  /** Plugins the configuration loaded (docs/plugins.md): absent when there are none. */
  plugins?: { name: string; version?: string; namespace: string; rules: string[] }[];
}

export function toJsonReport(result: CheckResult): JsonReport {
  return {
    version: 1,
    tool: { name: TOOL.name, version: TOOL.version },
    path: result.root,
    score: result.score,
    grade: result.grade,
    ...(result.note ? { note: result.note } : {}),
    sections: result.sections.map((section) => ({ id: section.id, title: section.title, score: section.score })),
    rules: result.rules.map((rule) => ({
      id: rule.id,
      section: rule.section,
      severity: rule.severity,
      weight: rule.weight,
      status: rule.status,
      ...(rule.reason ? { reason: rule.reason } : {}),
    })),
    findings: result.findings.map((finding) => ({
      ruleId: finding.ruleId,
      severity: finding.severity,
      message: finding.message,
      ...(finding.file !== undefined ? { file: finding.file } : {}),
      ...(finding.line !== undefined ? { line: finding.line } : {}),
      ...(finding.column !== undefined ? { column: finding.column } : {}),
      ...(finding.endLine !== undefined ? { endLine: finding.endLine } : {}),
      ...(finding.endColumn !== undefined ? { endColumn: finding.endColumn } : {}),
      ...(finding.suppressed ? { suppressed: { kind: finding.suppressed.kind, reason: finding.suppressed.reason } } : {}),
    })),
    builds: result.builds.map((build) => ({ ...build, message: describeBuild(build) })),
    ...(result.baseline ? { baseline: result.baseline } : {}),
    // No file path: the JSON report stays the same on every machine.
    ...(result.plugins && result.plugins.length > 0
      ? { plugins: result.plugins.map((plugin) => ({ name: plugin.name, ...(plugin.version ? { version: plugin.version } : {}), namespace: plugin.namespace, rules: plugin.rules })) }
      : {}),
  };
}

/** One object for one project, an array for several. */
export function formatJson(results: readonly CheckResult[]): string {
  const reports = results.map(toJsonReport);
  return `${JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2)}\n`;
}
