import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { SectionId } from "../src/model.js";
import type { RuleResult, RuleStatus } from "../src/rule.js";
import { gradeOf, scoreResults } from "../src/score.js";
import { SECTION_IDS } from "../src/sections.js";

function result(id: string, section: SectionId, status: RuleStatus, weight = 1): RuleResult {
  return { id, title: id, description: `rule ${id}`, section, severity: "error", weight, status, findings: [] };
}

const ruleResults = fc.array(
  fc.record({
    section: fc.constantFrom(...SECTION_IDS),
    status: fc.constantFrom<RuleStatus>("pass", "fail", "skip", "off"),
    weight: fc.integer({ min: 1, max: 5 }),
  }),
  { maxLength: 30 },
).map((items) => items.map((item, index) => result(`rule-${index}`, item.section, item.status, item.weight)));

const sectionWeights = fc.record(
  Object.fromEntries(SECTION_IDS.map((id) => [id, fc.integer({ min: 0, max: 4 })])) as Record<SectionId, fc.Arbitrary<number>>,
  { requiredKeys: [] },
);

describe("score", () => {
  it("all passing rules score 100 and grade A", () => {
    const score = scoreResults([result("a", "container", "pass"), result("b", "rollout", "pass", 3)]);
    expect(score.score).toBe(100);
    expect(score.grade).toBe("A");
    expect(score.sections.find((section) => section.id === "container")?.score).toBe(100);
  });

  it("all failing rules score 0", () => {
    const score = scoreResults([result("a", "container", "fail"), result("b", "runbook", "fail")]);
    expect(score.score).toBe(0);
    expect(score.grade).toBe("F");
  });

  it("weighs rules inside a section and sections in the overall score", () => {
    const results = [result("a", "container", "pass", 3), result("b", "container", "fail", 1), result("c", "rollback", "fail", 2)];
    const plain = scoreResults(results);
    expect(plain.sections.find((section) => section.id === "container")?.score).toBe(75);
    expect(plain.score).toBe(38); // (75 + 0) / 2, rounded
    expect(scoreResults(results, { container: 3, rollback: 1 }).score).toBe(56); // (3*75 + 0) / 4
  });

  it("skipped and disabled rules count for nothing; sections without applicable rules are n/a", () => {
    const score = scoreResults([result("a", "container", "pass"), result("b", "container", "skip"), result("c", "registry", "off")]);
    expect(score.score).toBe(100);
    expect(score.sections.find((section) => section.id === "registry")?.score).toBeNull();
  });

  it("nothing applicable scores 0 with a note, never NaN or 100", () => {
    for (const results of [[], [result("a", "load", "skip")], [result("b", "rollout", "off")]]) {
      const score = scoreResults(results);
      expect(score.score).toBe(0);
      expect(score.grade).toBe("F");
      expect(score.note).toMatch(/nothing to score/);
    }
  });

  it("grades by threshold", () => {
    expect([100, 90, 89, 80, 79, 70, 69, 60, 59, 0].map(gradeOf)).toEqual(["A", "A", "B", "B", "C", "C", "D", "D", "F", "F"]);
  });

  it("is always an integer from 0 to 100 (property)", () => {
    fc.assert(
      fc.property(ruleResults, sectionWeights, (results, weights) => {
        const score = scoreResults(results, weights);
        expect(Number.isInteger(score.score)).toBe(true);
        expect(score.score).toBeGreaterThanOrEqual(0);
        expect(score.score).toBeLessThanOrEqual(100);
        for (const section of score.sections) {
          if (section.score !== null) expect(section.score).toBeGreaterThanOrEqual(0);
        }
      }),
    );
  });

  it("fixing a failing rule never lowers any score (property)", () => {
    fc.assert(
      fc.property(ruleResults, sectionWeights, fc.nat(), (results, weights, pick) => {
        const failing = results.filter((item) => item.status === "fail");
        fc.pre(failing.length > 0);
        const fixed = failing[pick % failing.length] as RuleResult;
        const after = results.map((item) => (item === fixed ? { ...item, status: "pass" as const } : item));
        const before = scoreResults(results, weights);
        const then = scoreResults(after, weights);
        expect(then.score).toBeGreaterThanOrEqual(before.score);
        before.sections.forEach((section, index) => {
          expect(then.sections[index]?.score ?? 0).toBeGreaterThanOrEqual(section.score ?? 0);
        });
      }),
    );
  });
});
