import path from "node:path";
import { describe, expect, it } from "vitest";
import * as api from "../src/index.js";
import { REPO_ROOT } from "./helpers/fixtures.js";

describe("public API (package entry point)", () => {
  it("exports check, defineRule, the built-in rules, the sections and the formats", () => {
    expect(typeof api.check).toBe("function");
    expect(typeof api.defineRule).toBe("function");
    expect(api.builtinRules.map((rule) => rule.meta.id)).toContain("pinned-dependencies");
    expect(api.SECTIONS.map((section) => section.id)).toEqual(["container", "registry", "rollout", "monitoring", "rollback", "load", "runbook"]);
    expect([...api.FORMATS].sort()).toEqual(["github", "html", "json", "junit", "markdown", "sarif", "text"]);
  });

  it("runs a custom rule defined with defineRule next to the built-in ones, and formats the result", async () => {
    const headingRule = api.defineRule<{ heading: string }>({
      meta: {
        id: "readme-heading",
        title: "The README has a required heading",
        section: "runbook",
        severity: "warning",
        weight: 1,
        description: "The README has a heading the team requires.",
        defaultOptions: { heading: "Business KPI" },
        messages: { missing: "The README has no heading \"{{heading}}\"." },
      },
      check(context) {
        const readme = context.project.markdown.find((file) => file.path === "README.md");
        if (!readme) return context.skip("no README");
        if (!readme.headings.some((heading) => heading.text === context.options.heading)) {
          context.report({ messageId: "missing", data: { heading: context.options.heading }, file: readme.path });
        }
      },
    });
    const root = path.join(REPO_ROOT, "examples", "churn-predictor");
    const passing = await api.check(root, { rules: [headingRule] });
    expect(passing.rules.map((rule) => [rule.id, rule.status])).toEqual([["readme-heading", "pass"]]);

    const failing = api.defineRule({ ...headingRule, meta: { ...headingRule.meta, defaultOptions: { heading: "Pager duty" } } });
    const result = await api.check(root, { rules: [failing] });
    expect(result.findings.map((finding) => `${finding.ruleId} ${finding.file}: ${finding.message}`)).toEqual([
      'readme-heading README.md: The README has no heading "Pager duty".',
    ]);
    const json = JSON.parse(api.format([result], "json")) as { findings: { ruleId: string }[] };
    expect(json.findings.map((finding) => finding.ruleId)).toEqual(["readme-heading"]);
    expect(api.format([result], "text")).toContain('The README has no heading "Pager duty".');
    expect(() => api.format([result], "xml")).toThrow(/Unknown format "xml"/);
  });
});
