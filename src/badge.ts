// The readiness badge: a flat SVG "mlready | 87 B" in the colour of the grade, like shields.io's flat
// style, drawn here without a network call or a font file. `mlready badge` writes it.
import type { CheckResult } from "./check.js";
import type { Grade } from "./score.js";
import { escapeXml } from "./xml.js";

/**
 * The colour of each grade, shared by the badge and the HTML report's gauge. Each one has a contrast
 * of at least 4.5:1 with white text (WCAG AA), so the badge's value stays readable.
 */
export const GRADE_COLORS: Record<Grade, string> = { A: "#2e7d32", B: "#4a7a28", C: "#8a6d00", D: "#b35600", F: "#c62828" };

const LABEL_COLOR = "#555";
const HEIGHT = 20;
const PADDING = 6;

/** Approximate advance widths of Verdana at 11px (the font shields.io measures with), by character class. */
function textWidth(text: string): number {
  let width = 0;
  for (const character of text) {
    if (/[0-9]/.test(character)) width += 7;
    else if (/[A-Z]/.test(character)) width += character === "M" || character === "W" ? 9.5 : 7.5;
    else if (/[il.:|]/.test(character)) width += 3.2;
    else if (/[mw]/.test(character)) width += 9.7;
    else if (character === " ") width += 3.5;
    else width += 6.3;
  }
  return Math.round(width);
}

/** The SVG of a badge for a score and its grade. */
export function formatBadge(score: number, grade: Grade, label = "mlready"): string {
  const value = `${score} ${grade}`;
  const labelWidth = textWidth(label) + 2 * PADDING;
  const valueWidth = textWidth(value) + 2 * PADDING;
  const width = labelWidth + valueWidth;
  const title = `${label}: readiness ${score}/100, grade ${grade}`;
  const labelX = labelWidth / 2;
  const valueX = labelWidth + valueWidth / 2;
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${HEIGHT}" viewBox="0 0 ${width} ${HEIGHT}" role="img" aria-label="${escapeXml(title)}">
<title>${escapeXml(title)}</title>
<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>
<clipPath id="r"><rect width="${width}" height="${HEIGHT}" rx="3" fill="#fff"/></clipPath>
<g clip-path="url(#r)">
<rect width="${labelWidth}" height="${HEIGHT}" fill="${LABEL_COLOR}"/>
<rect x="${labelWidth}" width="${valueWidth}" height="${HEIGHT}" fill="${GRADE_COLORS[grade]}"/>
<rect width="${width}" height="${HEIGHT}" fill="url(#s)"/>
</g>
<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">
<text x="${labelX}" y="15" fill="#010101" fill-opacity=".3" aria-hidden="true">${escapeXml(label)}</text>
<text x="${labelX}" y="14">${escapeXml(label)}</text>
<text x="${valueX}" y="15" fill="#010101" fill-opacity=".3" aria-hidden="true">${escapeXml(value)}</text>
<text x="${valueX}" y="14">${escapeXml(value)}</text>
</g>
</svg>
`;
}

/** The badge of a checked project. */
export function badgeFor(result: Pick<CheckResult, "score" | "grade">): string {
  return formatBadge(result.score, result.grade);
}
