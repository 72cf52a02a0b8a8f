import type { SectionId } from "./model.js";
import type { RuleResult } from "./rule.js";
import { SECTIONS } from "./sections.js";

export type Grade = "A" | "B" | "C" | "D" | "F";

export interface SectionScore {
  id: SectionId;
  title: string;
  /** 0-100, or null when no rule of the section applies to this project. */
  score: number | null;
  passed: number;
  failed: number;
  skipped: number;
}

export interface Score {
  score: number;
  grade: Grade;
  sections: SectionScore[];
  /** Why the score is what it is when no rule applied at all. */
  note?: string;
}

export function gradeOf(score: number): Grade {
  if (score >= 90) return "A";
  if (score >= 80) return "B";
  if (score >= 70) return "C";
  if (score >= 60) return "D";
  return "F";
}

/**
 * Scores rule results (see docs/scoring.md). A section's score is the weight of its passed rules over
 * the weight of its applicable (passed or failed) rules. The overall score is the mean of the sections
 * that have applicable rules, weighted by section weight. Skipped and disabled rules count for nothing.
 * With nothing applicable the score is 0, never 100: an empty folder is not production-ready.
 */
export function scoreResults(results: readonly RuleResult[], sectionWeights: Partial<Record<SectionId, number>> = {}): Score {
  const sections: SectionScore[] = SECTIONS.map((section) => {
    let applicableWeight = 0;
    let passedWeight = 0;
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const result of results) {
      if (result.section !== section.id) continue;
      if (result.status === "pass") {
        passed++;
        passedWeight += result.weight;
        applicableWeight += result.weight;
      } else if (result.status === "fail") {
        failed++;
        applicableWeight += result.weight;
      } else if (result.status === "skip") {
        skipped++;
      }
    }
    const score = applicableWeight > 0 ? Math.round((100 * passedWeight) / applicableWeight) : null;
    return { id: section.id, title: section.title, score, passed, failed, skipped };
  });

  let weightedSum = 0;
  let totalWeight = 0;
  for (const section of sections) {
    if (section.score === null) continue;
    const weight = sectionWeights[section.id] ?? 1;
    weightedSum += weight * section.score;
    totalWeight += weight;
  }
  if (totalWeight === 0) {
    return { score: 0, grade: "F", sections, note: "No rule applied to this project: there is nothing to score." };
  }
  const score = Math.round(weightedSum / totalWeight);
  return { score, grade: gradeOf(score), sections };
}
