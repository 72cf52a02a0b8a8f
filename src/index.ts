/**
 * mlready's programmatic API: the entry point of the `mlready` package.
 *
 * ```ts
 * import { check, format } from "mlready";
 * const result = await check("services/churn");
 * console.log(result.score, result.grade);
 * process.stdout.write(format([result], "sarif"));
 * ```
 *
 * Custom rules use `defineRule` with the same typed project model as the built-in rules: pass them to
 * `check(root, { rules })`, or publish them as a plugin that a config's `plugins` list loads (docs/plugins.md).
 * The rule tester is at `mlready/testing`.
 */
import type { CheckResult } from "./check.js";
import { gitTopLevel } from "./git-root.js";
import { REPORTERS, type ReporterOptions } from "./reporters/index.js";

export { check, type CheckOptions, type CheckResult } from "./check.js";
export { ConfigError, type MlreadyConfig } from "./config/load.js";
export type { LoadedPlugin, Plugin, PluginMeta } from "./plugins.js";
export {
  defineRule,
  type Rule,
  type RuleDocs,
  type RuleContext,
  type RuleMeta,
  type RuleResult,
  type RuleStatus,
  type ReportDescriptor,
} from "./rule.js";
export { RULES as builtinRules } from "./rules/index.js";
export type { DockerignoreFile, ProjectModel } from "./project.js";
export type { KubernetesFile, KubernetesObject, ObjectPath } from "./parsers/kubernetes.js";
export type { DockerFrom, DockerInstruction, DockerKeyValue, DockerStage, DockerfileModel } from "./parsers/dockerfile.js";
export type { Requirement, RequirementsFile } from "./parsers/requirements.js";
export type { PyprojectFile } from "./parsers/pyproject.js";
export type { PipfileModel } from "./parsers/pipfile.js";
export type { MarkdownDocument } from "./parsers/markdown.js";
export type { ShellCommand, ShellScript } from "./parsers/shell.js";
export type { Makefile } from "./parsers/makefile.js";
export type { MlflowModel } from "./parsers/mlmodel.js";
export type { YamlDocument } from "./parsers/yaml.js";
export type { BuildNote } from "./kustomize.js";
export { locateIn, type ModelDeployment, type RenderedObject, type Workload, type WorkloadContainer, type WorkloadSource } from "./workloads.js";
export type { ArtifactKind, Finding, ProjectFile, SectionId, Severity, SourceLocation } from "./model.js";
export type { Grade, Score, SectionScore } from "./score.js";
export { SECTIONS, type Section } from "./sections.js";
export type { ReporterOptions } from "./reporters/index.js";
export { TOOL } from "./version.js";

/** The output formats `format()` and `--format` accept. */
export const FORMATS: readonly string[] = Object.keys(REPORTERS);

/**
 * Renders check results in one of {@link FORMATS} (`text`, `json`, `sarif`, `github`, `markdown`, `junit`, `html`), exactly as the CLI prints them.
 * Defaults: no colour, not quiet, SARIF paths relative to each project's git top level.
 */
export function format(results: readonly CheckResult[], name: string, options: Partial<ReporterOptions> = {}): string {
  const reporter = REPORTERS[name];
  if (!reporter) throw new Error(`Unknown format "${name}"; expected one of ${FORMATS.join(", ")}`);
  return reporter(results, {
    color: options.color ?? false,
    quiet: options.quiet ?? false,
    sarifRoot: options.sarifRoot ?? ((result) => gitTopLevel(result.absoluteRoot)),
  });
}
