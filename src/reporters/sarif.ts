import { createHash } from "node:crypto";
import path from "node:path";
import type { CheckResult } from "../check.js";
import { FILE_SKIPPED, INTERNAL_ERROR, PARSE_ERROR, UNUSED_SUPPRESSION, type Finding, type Severity } from "../model.js";
import { ruleHelp } from "../rule-docs.js";
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
  [UNUSED_SUPPRESSION]: { title: "Suppression without a reason or a match", description: "An `mlready-ignore` comment, an `mlready.dev/ignore` annotation or a config override gives no reason, names an unknown rule, or matches no finding. Give the reason, or remove the suppression so it cannot hide a future problem.", severity: "info" },
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
  return id.replace(/(^|[-/])([a-z0-9])/g, (_, __, letter: string) => letter.toUpperCase());
}

function toPosix(file: string): string {
  return file.split(path.sep).join("/");
}

/** A repository path as a URI reference (RFC 3986): each segment percent-encoded, so `my svc/a#1.txt` stays one path. */
function toUri(repoPath: string): string {
  return repoPath.split("/").map((segment) => encodeURIComponent(segment)).join("/");
}

/**
 * Fingerprints that survive edits above a finding: rule, file and the message with numbers removed
 * (line numbers never enter it), plus an occurrence counter for identical findings in one file.
 */
function fingerprint(finding: Finding, file: string, seen: Map<string, number>): string {
  const key = `${finding.ruleId}\u0000${file}\u0000${finding.message.replace(/\d+/g, "#")}`;
  const occurrence = (seen.get(key) ?? 0) + 1;
  seen.set(key, occurrence);
  return `${createHash("sha256").update(`${key}\u0000${occurrence}`).digest("hex").slice(0, 32)}:${occurrence}`;
}

function driverRules(result: CheckResult): SarifRule[] {
  const rules: SarifRule[] = [];
  for (const rule of result.rules) {
    if (rule.status === "off") continue;
    const { markdown: docs, uri } = ruleHelp(rule);
    rules.push({
      id: rule.id,
      name: pascalCase(rule.id),
      shortDescription: { text: rule.title },
      fullDescription: { text: rule.description },
      help: { text: docs, markdown: docs },
      ...(uri ? { helpUri: uri } : {}),
      defaultConfiguration: { level: LEVEL[rule.severity] },
      properties: {
        tags: ["mlready", rule.section, ...(rule.securitySeverity !== undefined ? ["security"] : [])],
        precision: rule.precision ?? "high",
        ...(rule.securitySeverity !== undefined ? { "security-severity": rule.securitySeverity.toFixed(1) } : {}),
      },
    });
  }
  // Findings no enabled rule produced (parse errors, unused suppressions, ...) need a descriptor too, or
  // they would have no ruleIndex; one not described above still gets a plain one rather than vanishing.
  const described = new Set(rules.map((rule) => rule.id));
  const used = [...new Set(result.findings.filter((finding) => !finding.suppressed).map((finding) => finding.ruleId))].filter((id) => !described.has(id));
  for (const id of [...Object.keys(PSEUDO_RULES).filter((key) => used.includes(key)), ...used.filter((key) => !(key in PSEUDO_RULES)).sort()]) {
    const pseudo = PSEUDO_RULES[id] ?? { title: id, description: `Findings that mlready reports as \`${id}\`.`, severity: "warning" as const };
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
  const results = result.findings.filter((finding) => !finding.suppressed).flatMap((finding) => { // GitHub ignores SARIF `suppressions`: leave suppressed findings out
    const index = ruleIndex.get(finding.ruleId);
    if (index === undefined) return [];
    // Every result needs a location: a project-level finding is anchored at the README (where the
    // checklist lives), or at the README it asks for.
    const file = repoPath(finding.file ?? result.readme ?? "README.md");
    const uri = toUri(file);
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
      partialFingerprints: { "mlreadyFindingHash/v1": fingerprint(finding, file, seen) },
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
