import { describe, expect, it } from "vitest";
import { check } from "../src/check.js";
import { RULES } from "../src/rules/index.js";
import { listCases } from "./helpers/fixtures.js";

// Which message ids the fixtures produce, per rule; the conventions test reads this at the end.
export const producedMessageIds = new Map<string, Set<string>>();

describe.each(RULES.map((rule) => [rule.meta.id, rule] as const))("rule %s", (ruleId, rule) => {
  const cases = listCases(ruleId);
  it("has at least two pass and two fail fixture cases", () => {
    expect(cases.filter((fixture) => fixture.outcome === "pass").length).toBeGreaterThanOrEqual(2);
    expect(cases.filter((fixture) => fixture.outcome === "fail").length).toBeGreaterThanOrEqual(2);
  });

  it.each(cases.map((fixture) => [`${fixture.outcome}/${fixture.name}`, fixture] as const))("%s", async (_, fixture) => {
    const result = await check(fixture.folder, { rules: [rule] });
    const ruleResult = result.rules.find((candidate) => candidate.id === ruleId);
    expect(ruleResult?.status, ruleResult?.reason).toBe(fixture.status);
    const actual = ruleResult?.findings ?? [];
    const ids = producedMessageIds.get(ruleId) ?? new Set<string>();
    for (const finding of actual) if (finding.messageId) ids.add(finding.messageId);
    producedMessageIds.set(ruleId, ids);
    const key = (finding: { rule?: string; ruleId?: string; file?: string; line?: number }) =>
      `${finding.rule ?? finding.ruleId} ${finding.file ?? "-"}:${finding.line ?? "-"}`;
    expect(actual.map(key).sort()).toEqual(fixture.expected.filter((item) => item.rule === ruleId).map(key).sort());
    // The case must not produce parse errors or internal errors it does not expect.
    const unexpected = result.findings.filter((finding) => finding.ruleId === "internal-error");
    expect(unexpected).toEqual([]);
  });
});

// Runs after the cases above (tests in a file run in order): every message a rule can print is
// shown by at least one fixture, as ESLint and markdownlint require.
describe("fixtures cover every message id", () => {
  it.each(RULES.map((rule) => [rule.meta.id, rule] as const))("%s", (ruleId, rule) => {
    const produced = producedMessageIds.get(ruleId) ?? new Set<string>();
    const never = Object.keys(rule.meta.messages).filter((messageId) => !produced.has(messageId));
    expect(never, `${ruleId}: message ids no fixture produces`).toEqual([]);
  });
});
