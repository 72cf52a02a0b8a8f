import { createHash } from "node:crypto";
import path from "node:path";
import type { CheckResult } from "../check.js";
import { FILE_SKIPPED, INTERNAL_ERROR, PARSE_ERROR, type Finding, type Severity } from "../model.js";
import { DOCS_BASE_URL, ruleDocs } from "../rule-docs.js";
import { TOOL } from "../version.js";

export interface SarifOptions {
  /** Absolute folder that SARIF paths are relative to: the repository root GitHub resolves them against. */
  sarifRoot: (result: CheckResult) => string;
}

const LEVEL: Record<Severity, "error" | "warning" | "note"> = { error: "error", warning: "warning", info: "note" };

/** Findings that no rule produced, described here because they have no docs page of their own. */
const PSEUDO_RULES: Record<string, { title: string; description: string; severity: Severity }> = {
  [PARSE_ERROR]: { title: "File could not be parsed", description: "mlready could not read or parse this deployment artifact, so no rule could check it. Fix the syntax, or add the file to `ignore` if it is not a real artifact (a template, a sample).", severity: "warning" },
  [FILE_SKIPPED]: { title: "File not read", description: "mlready did not read this file: it is over the size limit, not valid UTF-8, or a symbolic link that leaves the project root or loops.", severity: "info" },
  [INTERNAL_ERROR]: { title: "mlready internal error", description: "A rule crashed while checking this project. This is a bug in mlready; the other rules still ran. Please report it.", severity: "error" },
};

interface SarifRule {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  help: { text: string; markdown: string };
  helpUri?: string;
  defaultConfiguration: { level: "error" | "warning" | "note" };
  properties: Record<string, unknown>;
}

function pascalCase(id: string): string {
  return id.replace(/(^|-)([a-z0-9])/g, (_, __, letter: string) => letter.toUpperCase());
}

function toPosix(file: string): string {
  return file.split(path.sep).join("/");
}

/**
 * Fingerprints that survive edits above a finding: rule, file and the message with numbers removed
 * (line numbers never enter it), plus an occurrence counter for identical findings in one file.
 */
function fingerprint(finding: Finding, uri: string, seen: Map<string, number>): string {
  const key = `${finding.ruleId}\u0000${uri}\u0000${finding.message.replace(/\d+/g, "#")}`;
  const occurrence = (seen.get(key) ?? 0) + 1;
  seen.set(key, occurrence);
  return `${createHash("sha256").update(`${key}\u0000${occurrence}`).digest("hex").slice(0, 32)}:${occurrence}`;
}

function driverRules(result: CheckResult): SarifRule[] {
  const rules: SarifRule[] = [];
  for (const rule of result.rules) {
    if (rule.status === "off") continue;
    const docs = ruleDocs(rule.id) ?? `# ${rule.id}\n\n${rule.description}\n`;
    rules.push({
      id: rule.id,
      name: pascalCase(rule.id),
      shortDescription: { text: rule.title },
      fullDescription: { text: rule.description },
      help: { text: docs, markdown: docs },
      helpUri: `${DOCS_BASE_URL}/${rule.id}.md`,
      defaultConfiguration: { level: LEVEL[rule.severity] },
      properties: {
        tags: ["mlready", rule.section, ...(rule.securitySeverity !== undefined ? ["security"] : [])],
        precision: rule.precision ?? "high",
        ...(rule.securitySeverity !== undefined ? { "security-severity": rule.securitySeverity.toFixed(1) } : {}),
      },
    });
  }
  const used = new Set(result.findings.map((finding) => finding.ruleId));
  for (const [id, pseudo] of Object.entries(PSEUDO_RULES)) {
    if (!used.has(id)) continue;
    rules.push({
      id,
      name: pascalCase(id),
      shortDescription: { text: pseudo.title },
      fullDescription: { text: pseudo.description },
      help: { text: pseudo.description, markdown: pseudo.description },
      defaultConfiguration: { level: LEVEL[pseudo.severity] },
      properties: { tags: ["mlready"], precision: "very-high" },
    });
  }
  return rules;
}

function run(result: CheckResult, options: SarifOptions) {
  const rules = driverRules(result);
  const ruleIndex = new Map(rules.map((rule, index) => [rule.id, index]));
  const sarifRoot = options.sarifRoot(result);
  const prefix = toPosix(path.relative(sarifRoot, result.absoluteRoot));
  const repoPath = (file: string) => (prefix ? `${prefix}/${file}` : file);
  const seen = new Map<string, number>();
  const results = result.findings.flatMap((finding) => {
    const index = ruleIndex.get(finding.ruleId);
    if (index === undefined) return [];
    // Every result needs a location: a project-level finding is anchored at the README (where the
    // checklist lives), or at the README it asks for.
    const file = finding.file ?? result.readme ?? "README.md";
    const uri = repoPath(file);
    const region = finding.file && finding.line
      ? {
          startLine: finding.line,
          ...(finding.column ? { startColumn: finding.column } : {}),
          ...(finding.endLine ? { endLine: finding.endLine } : {}),
          ...(finding.endLine && finding.endColumn ? { endColumn: finding.endColumn } : {}),
        }
      : { startLine: 1 };
    return [{
      ruleId: finding.ruleId,
      ruleIndex: index,
      level: LEVEL[finding.severity],
      message: { text: finding.message },
      locations: [{ physicalLocation: { artifactLocation: { uri }, region } }],
      partialFingerprints: { "mlreadyFindingHash/v1": fingerprint(finding, uri, seen) },
      ...(finding.file ? {} : { properties: { projectLevel: true } }),
    }];
  });
  return {
    tool: {
      driver: {
        name: TOOL.name,
        semanticVersion: TOOL.version,
        version: TOOL.version,
        informationUri: "https://github.com/mlready/mlready",
        rules,
      },
    },
    automationDetails: { id: `mlready/${prefix || "."}/` },
    results,
    columnKind: "utf16CodeUnits",
  };
}

/** SARIF 2.1.0 for GitHub code scanning: one run per checked project. */
export function formatSarif(results: readonly CheckResult[], options: SarifOptions): string {
  const log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: results.map((result) => run(result, options)),
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
