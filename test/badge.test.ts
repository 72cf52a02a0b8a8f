// The SVG badge (issue 10): "mlready | 87 B" coloured by grade, well-formed XML with a <title>, written by
// `mlready badge`; and `mlready check --format html --output` writing the report.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { badgeFor, formatBadge, GRADE_COLORS } from "../src/badge.js";
import { check } from "../src/check.js";
import { main, type Io } from "../src/cli.js";
import type { Grade } from "../src/score.js";
import { REPO_ROOT } from "./helpers/fixtures.js";
import { tempProject } from "./helpers/tmp.js";
import { assertWellFormedXml } from "./helpers/xml.js";


function io() {
  let stdout = "";
  let stderr = "";
  const value: Io = { stdout: { write: (text: string) => (stdout += text), isTTY: false }, stderr: { write: (text: string) => (stderr += text) }, env: {} };
  return { io: value, out: () => stdout, err: () => stderr };
}

/** The text of every <text> element (the visible label and value, each drawn twice: shadow and text). */
const texts = (svg: string) => [...svg.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map((match) => match[1]);

/** WCAG relative luminance of a #rrggbb colour. */
function luminance(hex: string): number {
  const channel = (offset: number) => {
    const value = parseInt(hex.slice(offset, offset + 2), 16) / 255;
    return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

describe("badge", () => {
  it('is a well-formed SVG "mlready | 87 B" with a <title>, in the colour of the grade', () => {
    const svg = formatBadge(87, "B");
    assertWellFormedXml(svg);
    expect(svg).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" /);
    expect(svg).toContain('role="img" aria-label="mlready: readiness 87/100, grade B"');
    expect(svg).toContain("<title>mlready: readiness 87/100, grade B</title>");
    expect(texts(svg)).toEqual(["mlready", "mlready", "87 B", "87 B"]);
    expect(svg).toContain(`fill="${GRADE_COLORS.B}"`);
    // Width and viewBox agree, and the value's box starts where the label's ends.
    const [, width, height] = /width="(\d+)" height="(\d+)" viewBox="0 0 (\d+) \2"/.exec(svg) ?? [];
    expect(Number(width)).toBeGreaterThan(60);
    expect(height).toBe("20");
    expect(svg).toContain(`viewBox="0 0 ${width} 20"`);
  });

  it("has a distinct colour per grade, each readable under white text (contrast >= 4.5:1)", () => {
    const grades: Grade[] = ["A", "B", "C", "D", "F"];
    expect(new Set(grades.map((grade) => GRADE_COLORS[grade])).size).toBe(5);
    for (const [grade, score] of [["A", 100], ["B", 80], ["C", 75], ["D", 60], ["F", 0]] as const) {
      const svg = formatBadge(score, grade);
      assertWellFormedXml(svg);
      expect(svg).toContain(`fill="${GRADE_COLORS[grade]}"`);
      expect(texts(svg)).toContain(`${score} ${grade}`);
      expect(1.05 / (luminance(GRADE_COLORS[grade]) + 0.05), grade).toBeGreaterThanOrEqual(4.5);
    }
    // A wider value makes a wider badge.
    const widthOf = (svg: string) => Number(/<svg [^>]*width="(\d+)"/.exec(svg)?.[1]);
    expect(widthOf(formatBadge(100, "A"))).toBeGreaterThan(widthOf(formatBadge(5, "F")));
  });

  it("`mlready badge PATH --output FILE` writes the project's badge; without --output it prints it", async () => {
    const example = path.join(REPO_ROOT, "examples", "churn-predictor");
    const result = await check(example);
    const out = tempProject();
    const file = path.join(out, "badges", "mlready.svg");
    const run = io();
    expect(await main(["badge", example, "--output", file], run.io)).toBe(0);
    expect(run.err()).toBe("");
    const svg = readFileSync(file, "utf8");
    assertWellFormedXml(svg);
    expect(svg).toBe(badgeFor(result));
    expect(texts(svg)).toContain(`${result.score} ${result.grade}`);

    const printed = io();
    expect(await main(["badge", example], printed.io)).toBe(0);
    expect(printed.out()).toBe(svg);

    const twoPaths = io();
    expect(await main(["badge", example, example], twoPaths.io)).toBe(2);
    expect(twoPaths.err()).toMatch(/^mlready: usage: mlready badge/);
  });

  it("`mlready check --format html --output FILE` writes the self-contained report", async () => {
    const example = path.join(REPO_ROOT, "examples", "churn-predictor");
    const file = path.join(tempProject(), "report.html");
    const run = io();
    expect(await main(["check", example, "--format", "html", "--output", file, "--fail-on", "none"], run.io)).toBe(0);
    const html = readFileSync(file, "utf8");
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(html).toContain('<section class="project" id="project-0"');
    expect(run.out()).toBe("");
  });
});
