import path from "node:path";
import { applyBaseline, type Baseline, type BaselineReport } from "./baseline.js";
import type { SuppressionOverride } from "./config/load.js";
import { FILE_SKIPPED, INTERNAL_ERROR, PARSE_ERROR, UNUSED_SUPPRESSION, type ArtifactKind, type Finding, type SourceLocation } from "./model.js";
import type { KubernetesFile } from "./parsers/kubernetes.js";
import { isRecord } from "./parsers/yaml.js";
import type { RuleResult } from "./rule.js";
import type { SourceCache } from "./sources.js";

/** The annotation that suppresses findings inside one Kubernetes object. */
export const IGNORE_ANNOTATION = "mlready.dev/ignore";

/** Kinds whose comments start with `#`: Dockerfiles, YAML, requirements, TOML, shell scripts, Makefiles. */
const HASH_COMMENT_KINDS = new Set<ArtifactKind>([
  "dockerfile", "requirements", "requirements-source", "pyproject", "pipfile", "conda-env", "dockerignore", "kubernetes",
  "kustomization", "helm-chart", "helm-values", "helm-template", "mlmodel", "mlflow-env", "dvc", "shell", "makefile",
  "ci-workflow", "yaml",
]);

/** One `mlready-ignore` comment or `mlready.dev/ignore` annotation. */
export interface Directive {
  source: "comment" | "annotation";
  file: string;
  /** Where the directive is written. */
  location: SourceLocation;
  rules: string[];
  reason: string;
  /** The lines whose findings it covers: the next code line for a comment, the object's lines for an annotation. */
  fromLine: number;
  toLine: number;
}

/** `RULE[,RULE]: reason` as written after `mlready-ignore` or in the annotation. */
function parseSpec(spec: string): { rules: string[]; reason: string } {
  const colon = spec.indexOf(":");
  const rulesText = colon === -1 ? spec : spec.slice(0, colon);
  const reason = colon === -1 ? "" : spec.slice(colon + 1).trim();
  return { rules: rulesText.split(",").map((rule) => rule.trim()).filter(Boolean), reason };
}

const HASH_DIRECTIVE = /^(\s*)#\s*mlready-ignore(?=[\s:,]|$)(.*)$/;
const HTML_DIRECTIVE = /^(\s*)<!--\s*mlready-ignore(?=[\s:,]|-->|$)(.*?)-->\s*$/;
const HTML_COMMENT_LINE = /^\s*<!--.*-->\s*$/;
const FENCE = /^\s{0,3}(`{3,}|~{3,})/;

/**
 * The `mlready-ignore` comments of one file. A comment covers the next line that is neither blank
 * nor another comment, so several directives (and an explaining comment) can be stacked above a line.
 */
export function parseInlineDirectives(file: string, kind: ArtifactKind, text: string): Directive[] {
  const markdown = kind === "markdown";
  if (!markdown && !HASH_COMMENT_KINDS.has(kind)) return [];
  if (!text.includes("mlready-ignore")) return [];
  const lines = text.split("\n");
  const isComment = (line: string) => (markdown ? HTML_COMMENT_LINE.test(line) : /^\s*#/.test(line));
  const directives: Directive[] = [];
  let fence: string | undefined;
  lines.forEach((line, index) => {
    if (markdown) {
      // Examples inside fenced code blocks are documentation, not directives.
      const marker = FENCE.exec(line)?.[1];
      if (marker && (!fence || (marker[0] === fence[0] && marker.length >= fence.length))) {
        fence = fence ? undefined : marker;
        return;
      }
      if (fence) return;
    }
    const match = (markdown ? HTML_DIRECTIVE : HASH_DIRECTIVE).exec(line);
    if (!match) return;
    let target = index + 1;
    while (target < lines.length && isComment(lines[target] ?? "")) target++;
    const { rules, reason } = parseSpec(match[2] ?? "");
    directives.push({
      source: "comment",
      file,
      location: { line: index + 1, column: (match[1] ?? "").length + 1 },
      rules,
      reason,
      fromLine: target + 1,
      toLine: target + 1,
    });
  });
  return directives;
}

function ignoreAnnotation(object: Record<string, unknown>): unknown {
  const metadata = object["metadata"];
  const annotations = isRecord(metadata) ? metadata["annotations"] : undefined;
  return isRecord(annotations) ? annotations[IGNORE_ANNOTATION] : undefined;
}

function hasIgnoreAnnotation(object: Record<string, unknown>): boolean {
  return ignoreAnnotation(object) !== undefined;
}

/**
 * `mlready.dev/ignore` annotations of the objects of each manifest. An annotation covers the lines of
 * its object: from its first key to the line before the next object of the file (or the file's end).
 */
export function annotationDirectives(manifests: readonly KubernetesFile[], lineCount: (file: string) => number | undefined): Directive[] {
  const directives: Directive[] = [];
  for (const manifest of manifests) {
    const starts = manifest.objects.map((object) => object.location.line).sort((a, b) => a - b);
    for (const object of manifest.objects) {
      const value = ignoreAnnotation(object.value);
      if (value === undefined) continue;
      const fromLine = object.location.line;
      const next = starts.find((line) => line > fromLine);
      const toLine = next !== undefined ? next - 1 : lineCount(manifest.path) ?? Number.MAX_SAFE_INTEGER;
      const { rules, reason } = parseSpec(typeof value === "string" ? value : "");
      directives.push({
        source: "annotation",
        file: manifest.path,
        location: object.locate(["metadata", "annotations", IGNORE_ANNOTATION]),
        rules,
        reason,
        fromLine,
        toLine,
      });
    }
  }
  return directives;
}

/**
 * Glob matching with fast-glob's syntax (`*`, `**`, `?`, `[...]`, `{a,b}`), relative to the project
 * root. A pattern that names a folder matches everything under it.
 */
export function globToRegExp(glob: string): RegExp {
  let source = "";
  let braces = 0;
  const pattern = glob.replace(/^\.\//, "").replace(/\/+$/, "");
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string;
    if (char === "*") {
      if (pattern[i + 1] === "*") {
        const slashAfter = pattern[i + 2] === "/";
        const atSegmentStart = i === 0 || pattern[i - 1] === "/";
        if (atSegmentStart && slashAfter) {
          source += "(?:[^/]*(?:/|$))*";
          i += 2;
        } else {
          source += ".*";
          i += 1;
        }
      } else {
        source += "[^/]*";
      }
    } else if (char === "?") {
      source += "[^/]";
    } else if (char === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end === -1) source += "\\[";
      else {
        source += `[${pattern.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else if (char === "{") {
      braces++;
      source += "(?:";
    } else if (char === "}" && braces > 0) {
      braces--;
      source += ")";
    } else if (char === "," && braces > 0) {
      source += "|";
    } else {
      source += char.replace(/[.+^$()|\\]/g, "\\$&");
    }
  }
  return new RegExp(`^${source}(?:/.*)?$`);
}

export function matchesAny(file: string, patterns: readonly RegExp[]): boolean {
  return patterns.some((pattern) => pattern.test(file));
}

export interface SuppressionInput {
  results: RuleResult[];
  /** Findings no rule produced (parse errors, skipped files). */
  otherFindings: Finding[];
  /** Every file of the project with its (final) kind. */
  files: readonly { path: string; kind: ArtifactKind }[];
  manifests: readonly KubernetesFile[];
  sources: SourceCache;
  /** Rule ids a directive may name: every known rule, run or not. */
  knownRules: ReadonlySet<string>;
  /** False with `--no-inline-config`: comments and annotations are ignored. */
  inlineConfig: boolean;
  overrides: readonly SuppressionOverride[];
  /** The configuration file, relative to the project root when it is inside it (unused overrides are reported there). */
  configFile?: string;
  baseline?: { file: string; baseline: Baseline };
}

export interface SuppressionOutcome {
  /** `unused-suppression` findings. */
  findings: Finding[];
  baseline?: BaselineReport;
}

/** Ids a directive may name besides rules: findings the engine itself makes about files. */
const SUPPRESSIBLE_PSEUDO_RULES = new Set([PARSE_ERROR, FILE_SKIPPED]);

function unused(messageId: string, message: string, file: string | undefined, location?: SourceLocation): Finding {
  return {
    ruleId: UNUSED_SUPPRESSION,
    severity: "info",
    message,
    messageId,
    ...(file !== undefined ? { file } : {}),
    ...(file !== undefined && location ? { line: location.line, column: location.column } : {}),
  };
}

/**
 * The suppression pass (docs/suppressions.md), run after the rules: marks findings silenced by an
 * inline comment or annotation, a config override or the baseline (in that order; the first wins),
 * passes rules whose findings are all suppressed, and reports suppressions that are invalid or match nothing.
 */
export function applySuppressions(input: SuppressionInput): SuppressionOutcome {
  const ruleFindings = input.results.flatMap((result) => result.findings);
  const candidates = [...ruleFindings, ...input.otherFindings].filter((finding) => finding.ruleId !== INTERNAL_ERROR);
  const extra: Finding[] = [];

  if (input.inlineConfig) {
    const commentFiles = input.files.filter((file) => HASH_COMMENT_KINDS.has(file.kind) || file.kind === "markdown");
    const directives = commentFiles.flatMap((file) => {
      if (!input.sources.contains(file.path, "mlready-ignore")) return [];
      const text = input.sources.text(file.path);
      return text !== undefined ? parseInlineDirectives(file.path, file.kind, text) : [];
    });
    // An annotation on a file's last object covers the file's remaining lines: only those files are read.
    const annotated = input.manifests.filter((manifest) => manifest.objects.some((object) => hasIgnoreAnnotation(object.value)));
    const lineCounts = new Map<string, number>();
    for (const manifest of annotated) {
      const lines = input.sources.lines(manifest.path);
      if (lines) lineCounts.set(manifest.path, lines.length);
    }
    directives.push(...annotationDirectives(annotated, (file) => lineCounts.get(file)));
    for (const directive of directives) {
      const written = directive.source === "comment" ? "mlready-ignore" : IGNORE_ANNOTATION;
      if (directive.rules.length === 0) {
        extra.push(unused("noRule", `This ${written} names no rule, so it suppresses nothing: write \`${written === "mlready-ignore" ? "# mlready-ignore RULE: reason" : `${IGNORE_ANNOTATION}: "RULE: reason"`}\`.`, directive.file, directive.location));
        continue;
      }
      if (!directive.reason) {
        extra.push(unused("missingReason", `This ${written} for ${directive.rules.join(", ")} has no reason, so it suppresses nothing: add \`: why\` after the rule ids.`, directive.file, directive.location));
        continue;
      }
      for (const rule of directive.rules) {
        if (!input.knownRules.has(rule) && !SUPPRESSIBLE_PSEUDO_RULES.has(rule)) {
          extra.push(unused("unknownRule", `"${rule}" in this ${written} is not an mlready rule, so it matches nothing (run \`mlready rules\` to list them).`, directive.file, directive.location));
          continue;
        }
        let used = false;
        for (const finding of candidates) {
          if (finding.ruleId !== rule || finding.file !== directive.file || finding.line === undefined) continue;
          if (finding.line < directive.fromLine || finding.line > directive.toLine) continue;
          used = true;
          finding.suppressed ??= { kind: "inline", reason: directive.reason };
        }
        if (!used) {
          const where = directive.source === "comment" ? `line ${directive.fromLine}` : "this object";
          extra.push(unused("unused", `This ${written} for ${rule} matches no finding on ${where}: remove it.`, directive.file, directive.location));
        }
      }
    }
  }

  input.overrides.forEach((override, index) => {
    const patterns = (override.files ?? []).map(globToRegExp);
    const rules = override.rules ? new Set(override.rules) : undefined;
    let used = false;
    for (const finding of candidates) {
      if (rules && !rules.has(finding.ruleId)) continue;
      if (override.files && (finding.file === undefined || !matchesAny(finding.file, patterns))) continue;
      used = true;
      if (!finding.suppressed) finding.suppressed = { kind: "config", reason: override.reason };
    }
    if (!used) {
      const scope = [override.rules ? override.rules.join(", ") : "every rule", override.files ? `in ${override.files.join(", ")}` : ""].filter(Boolean).join(" ");
      extra.push(unused("unusedOverride", `overrides[${index}] (${scope}) in the configuration matches no finding: remove it.`, input.configFile));
    }
  });

  let baseline: BaselineReport | undefined;
  if (input.baseline) {
    const lineText = new Map<Finding, string | undefined>();
    for (const finding of candidates) {
      if (finding.file !== undefined && finding.line !== undefined) lineText.set(finding, input.sources.lines(finding.file)?.[finding.line - 1]);
    }
    const outcome = applyBaseline(candidates, input.baseline.baseline, (finding) => lineText.get(finding));
    baseline = { file: input.baseline.file, entries: input.baseline.baseline.entries.length, ...outcome };
  }

  for (const result of input.results) {
    if (result.status === "fail" && result.findings.every((finding) => finding.suppressed)) result.status = "pass";
  }
  return { findings: extra, ...(baseline ? { baseline } : {}) };
}

/** A project-relative POSIX path for a file inside the root, or undefined for one outside it. */
export function insideRoot(root: string, file: string): string | undefined {
  const relative = path.relative(root, path.resolve(file));
  if (!relative || relative.startsWith("..") || path.isAbsolute(relative)) return undefined;
  return relative.split(path.sep).join("/");
}
