// Code excerpts around findings, for the HTML report: collected by check() through its size-limited,
// root-confined source cache, with secrets withheld or scrubbed, so that reporters stay pure functions.
import type { Finding } from "./model.js";
import { findDocumentCredential, redact, SUPPLEMENTARY_TOKEN_FORMATS } from "./secrets.js";

/** Lines shown before and after a finding's line. */
export const EXCERPT_CONTEXT = 2;
/** Longer lines are cut: an excerpt is a pointer into the file, not a copy of minified data. */
const EXCERPT_LINE_LENGTH = 240;
/** Findings beyond this many get no excerpt (a report of thousands of findings stays small). */
const EXCERPT_FINDINGS = 1000;
/** A finding spanning more lines shows only its first ones. */
const EXCERPT_SPAN = 8;
/** Longer lines (minified data) are not scanned for secrets nor shown. */
const SCANNED_LINE_LENGTH = 4000;

/** The lines of a finding's excerpt (1-based, inclusive; the last may be past the end of the file). */
export function excerptRange(finding: Finding & { line: number }): { first: number; last: number; hitLast: number } {
  const hitLast = Math.min(finding.endLine ?? finding.line, finding.line + EXCERPT_SPAN - 1);
  return { first: Math.max(1, finding.line - EXCERPT_CONTEXT), last: Math.max(hitLast, finding.line) + EXCERPT_CONTEXT, hitLast };
}

/** The lines around findings, by project-relative file then 1-based line number. */
export interface SourceExcerpts {
  lines: Record<string, Record<number, string>>;
  /** Files whose text is never shown, with why. */
  withheld: Record<string, string>;
}

const SECRETS_RULE = "no-baked-secrets";
const WITHHELD_SECRET = "excerpt withheld: no-baked-secrets found a secret in this file";
const WITHHELD_KEY = "excerpt withheld: this file holds a private key";
const PRIVATE_KEY_HEADER = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/;

/** Common prefixed tokens (GitHub, GitLab, Hugging Face, OpenAI, AWS key IDs, Slack, npm) and the supplementary formats. */
const TOKEN_PATTERNS: readonly RegExp[] = [
  /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{40,255}|glpat-[A-Za-z0-9_-]{20,64}|hf_[A-Za-z]{30,64}|sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,200}|(?:AKIA|ASIA)[A-Z2-7]{16}|xox[abposr]-[A-Za-z0-9-]{10,200}|npm_[A-Za-z0-9]{36})(?![A-Za-z0-9_])/g,
  ...SUPPLEMENTARY_TOKEN_FORMATS.map((format) => format.pattern),
];

/**
 * Masks what looks like a credential in one line of text (a password in a URL, a secret-named key
 * with a literal, a private key header, a Docker auth): defence in depth for files where no
 * secret was reported. A credential that cannot be located in the line hides the whole line.
 */
export function scrubLine(line: string): string {
  let text = line;
  for (const pattern of TOKEN_PATTERNS) {
    text = text.replace(new RegExp(pattern.source, pattern.flags), (match, group?: unknown) => {
      const secret = typeof group === "string" ? group : match;
      return match.replace(secret, redact(secret));
    });
  }
  for (let round = 0; round < 8; round++) {
    const credential = findDocumentCredential(text);
    if (!credential) return text;
    const secret = credential.secret.split("\n")[0] ?? "";
    if (secret.length === 0 || !text.includes(secret)) return `[line hidden: it holds a ${credential.kind}]`;
    text = text.split(secret).join(redact(credential.secret));
  }
  return "[line hidden: it holds credentials]";
}

/**
 * The lines of each finding's excerpt. Text of a file in which no-baked-secrets reported anything
 * (suppressed or not, on a line or for the whole file) is withheld entirely: a secret can span
 * lines (a YAML block, a PEM key, a continued RUN line) that the finding's line does not cover,
 * and a finding's message already shows the secret redacted. A project-level secret finding (a
 * broken `allow` entry) withholds the configuration file. Every other line is scrubbed.
 */
export async function collectExcerpts(
  findings: readonly Finding[],
  readLines: (file: string) => string[] | undefined | Promise<string[] | undefined>,
  configFile?: string,
): Promise<SourceExcerpts> {
  const excerpts: SourceExcerpts = { lines: {}, withheld: {} };
  for (const finding of findings) {
    if (finding.ruleId !== SECRETS_RULE) continue;
    if (finding.file !== undefined) excerpts.withheld[finding.file] = WITHHELD_SECRET;
    else if (configFile !== undefined) excerpts.withheld[configFile] = WITHHELD_SECRET;
  }
  let counted = 0;
  for (const finding of findings) {
    if (finding.file === undefined || finding.line === undefined || finding.file in excerpts.withheld) continue;
    if (++counted > EXCERPT_FINDINGS) break;
    const lines = await readLines(finding.file);
    if (!lines) continue;
    // A key's body lines look like any base64; only the header says what they are.
    if (!excerpts.lines[finding.file] && lines.some((text) => PRIVATE_KEY_HEADER.test(text))) {
      excerpts.withheld[finding.file] = WITHHELD_KEY;
      continue;
    }
    const shown = (excerpts.lines[finding.file] ??= {});
    const { first, last } = excerptRange({ ...finding, line: finding.line });
    for (let line = first; line <= Math.min(lines.length, last); line++) {
      if (line in shown) continue;
      const text = (lines[line - 1] ?? "").replace(/\r$/, "");
      if (text.length > SCANNED_LINE_LENGTH) {
        shown[line] = `[line of ${text.length} characters not shown]`;
        continue;
      }
      // Scrubbed whole, then cut: a cut could split a secret so that no pattern recognises it.
      const scrubbed = scrubLine(text);
      shown[line] = scrubbed.length > EXCERPT_LINE_LENGTH ? `${Array.from(scrubbed).slice(0, EXCERPT_LINE_LENGTH).join("")}…` : scrubbed;
    }
  }
  return excerpts;
}
