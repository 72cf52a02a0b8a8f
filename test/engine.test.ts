import { describe, expect, it } from "vitest";
import { check } from "../src/check.js";
import { defineRule } from "../src/rule.js";
import { RULES } from "../src/rules/index.js";
import { formatJson } from "../src/reporters/json.js";
import { REPO_ROOT } from "./helpers/fixtures.js";
import { tempProject } from "./helpers/tmp.js";
import path from "node:path";

const throwing = defineRule({
  meta: {
    id: "always-throws",
    title: "Throws",
    section: "container",
    severity: "error",
    weight: 1,
    description: "A rule that crashes, to check that a crash is contained.",
    defaultOptions: {},
    messages: { found: "Found {{what}}." },
  },
  check(context) {
    const first = context.project.requirementsFiles[0];
    if (first) context.report({ messageId: "found", data: { what: "something" }, file: first.path, at: { line: 1, column: 1 } });
    throw new Error("boom");
  },
});

describe("engine", () => {
  it("a rule that throws becomes one internal-error finding naming the rule and file; the other rules still run", async () => {
    const root = tempProject({ "requirements.txt": "flask\n" });
    const pinned = RULES.find((rule) => rule.meta.id === "pinned-dependencies");
    const result = await check(root, { rules: [throwing, pinned!] });
    const internal = result.findings.filter((finding) => finding.ruleId === "internal-error");
    expect(internal).toEqual([
      expect.objectContaining({ file: "requirements.txt", message: expect.stringMatching(/Rule always-throws failed while checking requirements\.txt: boom/) }),
    ]);
    expect(result.rules.map((rule) => [rule.id, rule.status])).toEqual([["always-throws", "skip"], ["pinned-dependencies", "fail"]]);
    // The findings reported before the crash are dropped with it: a half-run rule proves nothing.
    expect(result.findings.filter((finding) => finding.ruleId === "always-throws")).toEqual([]);
  });

  it("fills message templates from the report's data", async () => {
    const reporting = defineRule({ ...throwing, meta: { ...throwing.meta, id: "reports" }, check(context) { context.report({ messageId: "found", data: { what: "a gap" } }); } });
    const result = await check(tempProject({ "requirements.txt": "flask==3.0.0\n" }), { rules: [reporting] });
    expect(result.findings).toEqual([expect.objectContaining({ ruleId: "reports", message: "Found a gap.", severity: "error" })]);
    expect(result.findings[0]).not.toHaveProperty("file");
  });

  it("gives byte-identical JSON for the same tree on every run", async () => {
    const example = path.join(REPO_ROOT, "examples", "churn-predictor");
    const first = formatJson([await check(example)]);
    const second = formatJson([await check(example)]);
    expect(second).toBe(first);
  });
});
