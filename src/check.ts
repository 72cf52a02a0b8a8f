import { promises as fs } from "node:fs";
import path from "node:path";
import { loadConfig, ConfigError, type MlreadyConfig } from "./config/load.js";
import { discover } from "./discover.js";
import { runRules, sortFindings } from "./engine.js";
import type { ArtifactKind, Finding } from "./model.js";
import type { BuildNote } from "./kustomize.js";
import { buildProject } from "./project.js";
import type { Rule, RuleResult } from "./rule.js";
import { RULES } from "./rules/index.js";
import { scoreResults, type Score } from "./score.js";
import type { Baseline, BaselineReport } from "./baseline.js";
import { applySuppressions, insideRoot } from "./suppressions.js";
import { SourceCache } from "./sources.js";
import { DEFAULT_MAX_FILE_SIZE } from "./project.js";
import type { LoadedPlugin } from "./plugins.js";
import { collectExcerpts, type SourceExcerpts } from "./excerpts.js";

export interface CheckOptions {
  /** A config file to use instead of searching the project folder. */
  configFile?: string;
  /** Rules to run instead of the built-in list (tests, plugins). */
  rules?: readonly Rule<object>[];
  /** Honour `mlready-ignore` comments and `mlready.dev/ignore` annotations (default true; `--no-inline-config` turns it off). */
  inlineConfig?: boolean;
  /** Findings this baseline accepts are suppressed; its entries that match nothing are reported as fixed. */
  baseline?: { file: string; baseline: Baseline };
  /** Load the plugins the config names, which runs their code (default true; `--no-plugins` turns it off; docs/plugins.md). */
  plugins?: boolean;
}

export interface CheckResult extends Score {
  /** The folder as the user named it. */
  root: string;
  /** The folder's absolute path (for SARIF paths relative to the repository root). */
  absoluteRoot: string;
  /** The project's README (project-relative), where project-level findings are anchored in SARIF. */
  readme?: string;
  configFile?: string;
  config: MlreadyConfig;
  rules: RuleResult[];
  /** Every finding: rules', parse errors, skipped files and internal errors, sorted by file and line. */
  findings: Finding[];
  /** How many files of each artifact kind were found. */
  artifacts: Partial<Record<ArtifactKind, number>>;
  /** Each kustomization and Helm chart: built with kubectl/helm, or read without them and why (docs/kubernetes.md). */
  builds: BuildNote[];
  /** What `--baseline` matched, and its entries that no finding matches any more (docs/suppressions.md). */
  baseline?: BaselineReport;
  /** The lines around findings, secrets withheld, for the HTML report's code excerpts (not in JSON or SARIF). */
  excerpts?: SourceExcerpts;
  /** The plugins the config named that were loaded, with the ids of their rules. */
  plugins?: LoadedPlugin[];
}

/** Kinds that show a deployment is described here at all (a README alone is not one). */
const DEPLOYMENT_KINDS = new Set<ArtifactKind>([
  "dockerfile", "requirements", "pyproject", "lockfile", "kubernetes", "kustomization", "helm-chart",
  "helm-values", "helm-template", "mlmodel", "mlflow-env", "dvc", "shell", "makefile", "ci-workflow",
]);

/** Checks one project folder. Throws ConfigError for usage mistakes; never for problems in the project's files. */
export async function check(root: string, options: CheckOptions = {}): Promise<CheckResult> {
  const absoluteRoot = path.resolve(root);
  const stat = await fs.stat(absoluteRoot).catch(() => null);
  if (!stat) throw new ConfigError(`${root}: no such file or folder`);
  if (!stat.isDirectory()) throw new ConfigError(`${root}: not a folder (mlready checks a project folder)`);
  const rules = options.rules ?? RULES;
  const resolved = await loadConfig(absoluteRoot, rules, options.configFile, { plugins: options.plugins ?? true });
  const discovery = await discover(absoluteRoot, { ignore: resolved.config.ignore ?? [] });
  // One read of each file serves parsing, rules reading raw text, suppressions and excerpts: root-confined read paths from discovery, the size limit.
  const readPaths = new Map(discovery.files.map((file) => [file.path, file.readPath]));
  const sources = new SourceCache((file) => readPaths.get(file), resolved.config.maxFileSize ?? DEFAULT_MAX_FILE_SIZE);
  const { project, findings: parseFindings } = await buildProject(absoluteRoot, discovery, {
    sources,
    ...(resolved.config.maxFileSize ? { maxFileSize: resolved.config.maxFileSize } : {}),
  });
  const results = await runRules(project, resolved.rules, resolved.settings, resolved.config);
  for (const rule of resolved.rules) {
    const result = rule.meta.docs && results.find((candidate) => candidate.id === rule.meta.id);
    if (result) result.docs = rule.meta.docs as NonNullable<typeof rule.meta.docs>;
  }
  // Suppressions (docs/suppressions.md) before scoring: a rule whose findings are all suppressed passes.
  const configInRoot = resolved.file ? insideRoot(absoluteRoot, resolved.file) : undefined;
  const suppression = applySuppressions({
    results,
    otherFindings: parseFindings,
    files: project.files,
    manifests: project.kubernetesFiles,
    sources,
    knownRules: new Set([...RULES, ...resolved.rules].map((rule) => rule.meta.id)),
    inlineConfig: options.inlineConfig ?? true,
    overrides: resolved.config.overrides ?? [],
    ...(configInRoot ? { configFile: configInRoot } : {}),
    ...(options.baseline ? { baseline: options.baseline } : {}),
  });
  const score = scoreResults(results, resolved.config.sections);
  const artifacts: Partial<Record<ArtifactKind, number>> = {};
  for (const file of project.files) if (file.kind !== "other") artifacts[file.kind] = (artifacts[file.kind] ?? 0) + 1;
  const hasDeploymentArtifacts = project.files.some((file) => DEPLOYMENT_KINDS.has(file.kind));
  const findings = sortFindings([...parseFindings, ...results.flatMap((result) => result.findings), ...suppression.findings]);
  const excerpts = await collectExcerpts(findings, (file) => sources.lines(file), configInRoot);
  const readme = project.files
    .filter((file) => /^readme(\.[a-z]+)?$/i.test(file.path.split("/").pop() ?? ""))
    .sort((a, b) => a.path.split("/").length - b.path.split("/").length || a.path.localeCompare(b.path))[0]?.path;
  return {
    root,
    absoluteRoot,
    ...(readme ? { readme } : {}),
    ...(resolved.file ? { configFile: resolved.file } : {}),
    config: resolved.config,
    ...score,
    ...(hasDeploymentArtifacts
      ? {}
      : {
          score: 0,
          grade: "F" as const,
          note: "No deployment artifacts found (looked for Dockerfiles, requirements and lock files, Kubernetes manifests, Helm charts, MLflow models, DVC files and scripts).",
        }),
    rules: results,
    findings,
    artifacts,
    builds: project.builds,
    ...(suppression.baseline ? { baseline: suppression.baseline } : {}),
    ...(resolved.plugins.length ? { plugins: resolved.plugins } : {}),
    excerpts,
  };
}
