// Types shared by parsers, rules, the engine and reporters.
// Every location is 1-based (line and column), converted inside the parsers.

export interface SourceLocation {
  line: number;
  column: number;
  endLine?: number;
  endColumn?: number;
}

export type Severity = "error" | "warning" | "info";

export const SEVERITY_ORDER: Record<Severity, number> = { error: 3, warning: 2, info: 1 };

export type SectionId =
  | "container"
  | "registry"
  | "rollout"
  | "monitoring"
  | "rollback"
  | "load"
  | "runbook";

export type ArtifactKind =
  | "dockerfile"
  | "requirements"
  | "requirements-source"
  | "pyproject"
  | "lockfile"
  | "pipfile"
  | "conda-env"
  | "dockerignore"
  | "kubernetes"
  | "kustomization"
  | "helm-chart"
  | "helm-values"
  | "helm-template"
  | "mlmodel"
  | "mlflow-env"
  | "dvc"
  | "markdown"
  | "shell"
  | "makefile"
  | "ci-workflow"
  | "yaml"
  | "other";

/** A file found under the project root. `path` is POSIX and relative to the root. */
export interface ProjectFile {
  path: string;
  kind: ArtifactKind;
  size: number;
}

/** A finding as every reporter sees it. `file` is relative to the checked folder. */
export interface Finding {
  ruleId: string;
  severity: Severity;
  message: string;
  messageId?: string;
  file?: string;
  line?: number;
  column?: number;
  endLine?: number;
  endColumn?: number;
  /** Set when a suppression (inline comment or annotation, config override, baseline) silences the finding (docs/suppressions.md). */
  suppressed?: Suppression;
}

export type SuppressionKind = "inline" | "config" | "baseline";

/** Why a finding does not count: it stays in the report but fails no rule and no gate. */
export interface Suppression {
  kind: SuppressionKind;
  reason: string;
}

/** Pseudo-rule ids for findings that no rule produced. */
export const PARSE_ERROR = "parse-error";
export const FILE_SKIPPED = "file-skipped";
export const INTERNAL_ERROR = "internal-error";
/** A suppression without a reason, naming an unknown rule, or matching no finding. */
export const UNUSED_SUPPRESSION = "unused-suppression";
