import type { CheckResult } from "../check.js";
import type { Finding } from "../model.js";
import type { RuleResult } from "../rule.js";
import { escapeXml } from "../xml.js";

function attributes(values: Record<string, string | number>): string {
  return Object.entries(values).map(([key, value]) => ` ${key}="${escapeXml(String(value))}"`).join("");
}

function describe(finding: Finding): string {
  const where = finding.file === undefined ? "(project)" : `${finding.file}${finding.line !== undefined ? `:${finding.line}:${finding.column ?? 1}` : ""}`;
  return `${where} ${finding.severity}: ${finding.message}`;
}

interface Case {
  name: string;
  classname: string;
  /** `failure` lists the findings; `error` is for mlready's own crashes. */
  outcome: { kind: "pass" } | { kind: "skipped"; reason: string } | { kind: "failure" | "error"; type: string; findings: Finding[] };
}

function ruleCase(rule: RuleResult, findings: Finding[], suite: string, project: string): Case {
  const name = `${rule.id}${project}`;
  const classname = `${suite}.${rule.section}`;
  if (rule.status === "skip") return { name, classname, outcome: { kind: "skipped", reason: rule.reason ?? "not applicable" } };
  if (rule.status === "fail") return { name, classname, outcome: { kind: "failure", type: rule.severity, findings } };
  return { name, classname, outcome: { kind: "pass" } };
}

/** `project` (` [path]`, or empty with one project) keeps names unique when several projects are checked. */
function cases(result: CheckResult, suite: string, project: string): Case[] {
  const open = result.findings.filter((finding) => !finding.suppressed);
  const byRule = (id: string) => open.filter((finding) => finding.ruleId === id);
  const list = result.rules.filter((rule) => rule.status !== "off").map((rule) => ruleCase(rule, byRule(rule.id), suite, project));
  // Findings no rule produced (parse-error, file-skipped, internal-error) get a case of their own, so
  // they are not lost; only parse errors and crashes fail it.
  const ruleIds = new Set(result.rules.map((rule) => rule.id));
  const pseudoIds = [...new Set(open.map((finding) => finding.ruleId).filter((id) => !ruleIds.has(id)))];
  for (const id of pseudoIds) {
    const findings = byRule(id);
    const failing = findings.filter((finding) => finding.severity !== "info");
    list.push({
      name: `${id}${project}`,
      classname: `${suite}.mlready`,
      outcome: failing.length === 0
        ? { kind: "pass" }
        : { kind: id === "internal-error" ? "error" : "failure", type: failing[0]?.severity ?? "error", findings },
    });
  }
  return list;
}

function renderCase(entry: Case): string[] {
  const open = `    <testcase${attributes({ name: entry.name, classname: entry.classname })}`;
  const outcome = entry.outcome;
  if (outcome.kind === "pass") return [`${open}/>`];
  if (outcome.kind === "skipped") return [`${open}>`, `      <skipped${attributes({ message: outcome.reason })}/>`, "    </testcase>"];
  const message = `${outcome.findings.length} finding${outcome.findings.length === 1 ? "" : "s"}`;
  const body = outcome.findings.map((finding) => escapeXml(describe(finding)).replace(/&#10;/g, "\n")).join("\n");
  return [`${open}>`, `      <${outcome.kind}${attributes({ message, type: outcome.type })}>${body}</${outcome.kind}>`, "    </testcase>"];
}

function count(list: Case[], kind: Case["outcome"]["kind"]): number {
  return list.filter((entry) => entry.outcome.kind === kind).length;
}

/**
 * JUnit XML for CI test reports: one `<testsuite>` per checked project and one `<testcase>` per enabled
 * rule; a failing rule's `<failure>` lists its findings, a skipped rule is `<skipped/>`.
 */
export function formatJunit(results: readonly CheckResult[]): string {
  const suites = results.map((result) => ({ result, cases: cases(result, "mlready", results.length > 1 ? ` [${result.root}]` : "") }));
  const total = (kind: Case["outcome"]["kind"]) => suites.reduce((sum, suite) => sum + count(suite.cases, kind), 0);
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  lines.push(`<testsuites${attributes({
    name: "mlready",
    tests: suites.reduce((sum, suite) => sum + suite.cases.length, 0),
    failures: total("failure"),
    errors: total("error"),
    skipped: total("skipped"),
  })}>`);
  for (const { result, cases: list } of suites) {
    lines.push(`  <testsuite${attributes({
      name: `mlready ${result.root}`,
      tests: list.length,
      failures: count(list, "failure"),
      errors: count(list, "error"),
      skipped: count(list, "skipped"),
    })}>`);
    lines.push("    <properties>");
    lines.push(`      <property${attributes({ name: "score", value: result.score })}/>`);
    lines.push(`      <property${attributes({ name: "grade", value: result.grade })}/>`);
    lines.push("    </properties>");
    for (const entry of list) lines.push(...renderCase(entry));
    lines.push("  </testsuite>");
  }
  lines.push("</testsuites>");
  return `${lines.join("\n")}\n`;
}
