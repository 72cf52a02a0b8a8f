import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import { ConfigError } from "./config/load.js";
import { INTERNAL_ERROR, UNUSED_SUPPRESSION, type Finding } from "./model.js";

/** The file `mlready baseline` writes in the project folder by default. */
export const BASELINE_FILE = ".mlready-baseline.json";

/**
 * One accepted finding. `fingerprint` is what matching uses; `ruleId`, `file` and `message` are there
 * for people reviewing the file. Identical findings appear once per occurrence.
 */
export interface BaselineEntry {
  ruleId: string;
  file?: string;
  message: string;
  fingerprint: string;
}

export interface Baseline {
  version: 1;
  entries: BaselineEntry[];
}

/** What `check --baseline` did with a baseline: how many findings it covered and which entries match nothing any more. */
export interface BaselineReport {
  /** The baseline file as the user named it. */
  file: string;
  entries: number;
  matched: number;
  /** Entries no finding matched: fixed since the baseline was written, so the file can shrink. */
  fixed: BaselineEntry[];
}

/** Findings a baseline never accepts: mlready's own bugs, and suppressions that should simply be removed. */
export function baselinable(finding: Finding): boolean {
  return finding.ruleId !== INTERNAL_ERROR && finding.ruleId !== UNUSED_SUPPRESSION;
}

/** Digits (line numbers, counts) and runs of whitespace say nothing about which finding this is. */
function normaliseMessage(message: string): string {
  return message.replace(/\d+/g, "#").replace(/\s+/g, " ").trim();
}

function normaliseLine(line: string): string {
  return line.replace(/\s+/g, " ").trim();
}

/**
 * A fingerprint that survives edits elsewhere in the file: rule, file, the message with numbers
 * removed and the text of the finding's line with whitespace collapsed. Line numbers never enter it,
 * so inserting lines above a finding keeps it matched; editing the line itself makes it a new finding.
 */
export function fingerprintOf(finding: Finding, lineText?: string): string {
  const parts = [finding.ruleId, finding.file ?? "", normaliseMessage(finding.message), lineText === undefined ? "" : normaliseLine(lineText)];
  return createHash("sha256").update(parts.join("\u0000")).digest("hex").slice(0, 32);
}

/** Text of a finding's line, from the lines of its file (undefined for project-level findings). */
export type LineTextOf = (finding: Finding) => string | undefined;

function compareEntries(a: BaselineEntry, b: BaselineEntry): number {
  return (a.file ?? "").localeCompare(b.file ?? "") || a.ruleId.localeCompare(b.ruleId) || a.message.localeCompare(b.message) || a.fingerprint.localeCompare(b.fingerprint);
}

/** A baseline of every finding that counts now (suppressed ones are already accepted elsewhere). */
export function createBaseline(findings: readonly Finding[], lineTextOf: LineTextOf): Baseline {
  const entries = findings
    .filter((finding) => !finding.suppressed && baselinable(finding))
    .map((finding) => ({
      ruleId: finding.ruleId,
      ...(finding.file !== undefined ? { file: finding.file } : {}),
      message: finding.message,
      fingerprint: fingerprintOf(finding, lineTextOf(finding)),
    }));
  return { version: 1, entries: entries.sort(compareEntries) };
}

/** Stable, diff-friendly JSON: sorted entries, no timestamps. */
export function formatBaseline(baseline: Baseline): string {
  return `${JSON.stringify(baseline, null, 2)}\n`;
}

/** Reads a baseline file; a missing or malformed one is a usage error (exit code 2). */
export async function readBaseline(file: string): Promise<Baseline> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(`${file}: ${code === "ENOENT" ? "baseline file not found (write one with `mlready baseline`)" : `could not read the baseline: ${code ?? String(error)}`}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${file}: the baseline is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const baseline = parsed as Partial<Baseline> | null;
  if (!baseline || typeof baseline !== "object" || baseline.version !== 1 || !Array.isArray(baseline.entries)) {
    throw new ConfigError(`${file}: not an mlready baseline (expected { "version": 1, "entries": [...] })`);
  }
  baseline.entries.forEach((entry, index) => {
    const valid = entry && typeof entry === "object" && typeof entry.ruleId === "string" && typeof entry.fingerprint === "string" &&
      typeof entry.message === "string" && (entry.file === undefined || typeof entry.file === "string");
    if (!valid) throw new ConfigError(`${file}: entries.${index} needs string ruleId, message and fingerprint`);
  });
  return { version: 1, entries: baseline.entries };
}

/**
 * Marks findings the baseline accepts as suppressed (kind `baseline`). Entries are consumed one per
 * finding, so two identical findings need two entries. Returns the entries nothing matched.
 */
export function applyBaseline(findings: readonly Finding[], baseline: Baseline, lineTextOf: LineTextOf): { matched: number; fixed: BaselineEntry[] } {
  const remaining = new Map<string, BaselineEntry[]>();
  for (const entry of baseline.entries) remaining.set(entry.fingerprint, [...(remaining.get(entry.fingerprint) ?? []), entry]);
  let matched = 0;
  for (const finding of findings) {
    if (finding.suppressed || !baselinable(finding)) continue;
    const candidates = remaining.get(fingerprintOf(finding, lineTextOf(finding)));
    if (!candidates?.length) continue;
    candidates.pop();
    matched++;
    finding.suppressed = { kind: "baseline", reason: "accepted in the baseline" };
  }
  const fixed = [...remaining.values()].flat().sort(compareEntries);
  return { matched, fixed };
}
