import type { Finding, SectionId, Severity, SourceLocation } from "./model.js";
import type { MlreadyConfig } from "./config/load.js";
import type { ProjectModel } from "./project.js";

export interface RuleMeta<Options extends object = Record<string, unknown>> {
  /** kebab-case, unique; the rule file's name. */
  id: string;
  /** A short imperative title, e.g. "Pin every Python dependency". */
  title: string;
  section: SectionId;
  severity: Severity;
  /** Weight of this rule inside its section's score. */
  weight: number;
  /** One or two sentences: what the rule checks and why. */
  description: string;
  /** JSON Schema of the options object. */
  options?: Record<string, unknown>;
  defaultOptions: Options;
  /** Message templates by id; `{{name}}` is replaced from the report's data. */
  messages: Record<string, string>;
  /** How often a finding is right (SARIF `precision`); default "high". */
  precision?: "very-high" | "high" | "medium" | "low";
  /** For security rules: CVSS-like severity from 0.1 to 10 (SARIF `security-severity`, GitHub's alert severity). */
  securitySeverity?: number;
  /**
   * Documentation of a plugin rule (built-in rules have docs/rules/<id>.md): `url` is SARIF's `helpUri` and
   * where reports link; `markdown` is the help text of SARIF and `mlready explain`. Both optional.
   */
  docs?: RuleDocs;
}

/** Where a rule is documented (see {@link RuleMeta.docs}). */
export interface RuleDocs {
  url?: string;
  markdown?: string;
}

export interface ReportDescriptor {
  messageId: string;
  data?: Record<string, string | number>;
  /** Project-relative POSIX path. Leave out for a project-level finding. */
  file?: string;
  at?: SourceLocation;
}

export interface RuleContext<Options extends object = Record<string, unknown>> {
  project: ProjectModel;
  options: Options;
  /** The project-level configuration (e.g. `expectedPeakRps`); `{}` when there is none. */
  config?: Readonly<MlreadyConfig>;
  report(descriptor: ReportDescriptor): void;
  /** The rule cannot judge this project (nothing it applies to): it neither passes nor fails. */
  skip(reason: string): void;
}

export interface Rule<Options extends object = Record<string, unknown>> {
  meta: RuleMeta<Options>;
  check(context: RuleContext<Options>): void | Promise<void>;
}

/** Identity function that gives rule authors type checking and inference of their options. */
export function defineRule<Options extends object>(rule: Rule<Options>): Rule<Options> {
  return rule;
}

export type RuleStatus = "pass" | "fail" | "skip" | "off";

export interface RuleResult {
  id: string;
  title: string;
  description: string;
  precision?: RuleMeta["precision"];
  securitySeverity?: number;
  section: SectionId;
  severity: Severity;
  weight: number;
  status: RuleStatus;
  /** Why the rule was skipped, when it was. */
  reason?: string;
  findings: Finding[];
  /** A plugin rule's own documentation (its `meta.docs`). */
  docs?: RuleDocs;
}

export function formatMessage(template: string, data: Record<string, string | number> = {}): string {
  return template.replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (whole, key: string) => (key in data ? String(data[key]) : whole));
}
