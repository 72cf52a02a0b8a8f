import path from "node:path";
import type { DiscoveredFile, Discovery } from "./discover.js";
import { FILE_SKIPPED, PARSE_ERROR, type Finding, type ProjectFile, type SourceLocation } from "./model.js";
import { parseDockerfile, type DockerfileModel } from "./parsers/dockerfile.js";
import { parseKubernetes, type KubernetesFile, type KubernetesObject } from "./parsers/kubernetes.js";
import { parseMakefile, type Makefile } from "./parsers/makefile.js";
import { parseMarkdown, type MarkdownDocument } from "./parsers/markdown.js";
import { MlmodelSyntaxError, parseMlmodel, type MlflowModel } from "./parsers/mlmodel.js";
import { parsePipfile, type PipfileModel } from "./parsers/pipfile.js";
import { parsePyproject, type PyprojectFile } from "./parsers/pyproject.js";
import { parseRequirements, type RequirementsFile } from "./parsers/requirements.js";
import { parseShellScript, type ShellScript } from "./parsers/shell.js";
import { decodeText } from "./parsers/text.js";
import { modelDeploymentsOf, workloadsOf, type ModelDeployment, type Workload } from "./workloads.js";
import { buildKustomizations, startKustomizeBuilds, type BuildNote } from "./kustomize.js";
import { renderHelmCharts } from "./helm.js";
import { parseYaml, type YamlDocument } from "./parsers/yaml.js";
import { readLimited, SourceCache } from "./sources.js";

export interface DockerignoreFile {
  path: string;
  patterns: { pattern: string; line: number }[];
}

/** Everything rules may read: every artifact of one project, parsed once. Rules never touch the filesystem. */
export interface ProjectModel {
  /** Absolute path of the checked folder, for messages only. */
  root: string;
  files: ProjectFile[];
  dockerfiles: DockerfileModel[];
  requirementsFiles: RequirementsFile[];
  /** pip-compile sources (`requirements*.in`): not installs by themselves, but a Dockerfile may install one with `-r`. */
  requirementsSources: RequirementsFile[];
  pyprojects: PyprojectFile[];
  kubernetesFiles: KubernetesFile[];
  /** Every Kubernetes object of every manifest (List items flattened), in file order. */
  objects: KubernetesObject[];
  workloads: Workload[];
  markdown: MarkdownDocument[];
  scripts: ShellScript[];
  makefiles: Makefile[];
  mlflowModels: MlflowModel[];
  /** pipenv `Pipfile`s (`Pipfile.lock` is a lock file: listed, not read). */
  pipfiles: PipfileModel[];
  /** `.dockerignore` files with their patterns (comments and blank lines removed). */
  dockerignores: DockerignoreFile[];
  /**
   * Parsed YAML of the kinds no dedicated parser models (Helm values and charts, kustomizations, CI
   * workflows, DVC files, conda and MLflow environments), by project-relative path.
   */
  yamlDocuments: Map<string, YamlDocument[]>;
  /** True when a POSIX path relative to the root names a file of the project (ignored files excluded). */
  hasFile(file: string): boolean;
  /** True when a POSIX path relative to the root names a folder that holds project files. */
  hasFolder(folder: string): boolean;
  filesOfKind(...kinds: ProjectFile["kind"][]): ProjectFile[];
  /**
   * The text of a project file, read once (parsed files are already read): undefined for a path that is not a
   * project file, or one that is binary, over the size limit or unreadable. For content no parser models.
   */
  text(file: string): string | undefined;
  /** Models that serving platforms load (Seldon v2 Models, KServe predictors, Seldon graph nodes). */
  modelDeployments: ModelDeployment[];
  /** What was done with each kustomization and Helm chart: built by kubectl/helm, or read plainly and why. */
  builds: BuildNote[];
}

export interface BuildOptions {
  /** Files larger than this are not read (bytes). */
  maxFileSize?: number;
  /** Where the texts read are kept for later readers (suppressions, excerpts); default: a cache of this build's own. */
  sources?: SourceCache;
  /** Build kustomizations with kubectl and render charts with helm when on the PATH (default true; MLREADY_NO_EXTERNAL_TOOLS=1 turns it off). */
  externalTools?: boolean;
}

export const DEFAULT_MAX_FILE_SIZE = 2 * 1024 * 1024;

/** Kinds whose content is read; everything else is only listed. */
const READ_KINDS = new Set<ProjectFile["kind"]>([
  "dockerfile", "requirements", "requirements-source", "pyproject", "kubernetes", "yaml", "mlmodel", "markdown", "shell", "makefile",
  "dockerignore", "pipfile", "conda-env", "mlflow-env", "helm-values", "helm-chart", "kustomization", "ci-workflow", "dvc",
]);

/** YAML kinds kept as generic documents for the rules that read them (values, kustomizations, workflows...). */
const GENERIC_YAML_KINDS = new Set<ProjectFile["kind"]>(["conda-env", "mlflow-env", "helm-values", "helm-chart", "kustomization", "ci-workflow", "dvc"]);

const KUBERNETES_SNIFF = /^apiVersion\s*:/m;
/** BentoML's build file (`bentofile.yaml`), read into `yamlDocuments`. */
export const BENTOFILE = /(^|\/)bentofile\.ya?ml$/i;
const KIND_SNIFF = /^kind\s*:/m;
const JSON_SNIFF = /"apiVersion"\s*:[\s\S]*"kind"\s*:|"kind"\s*:[\s\S]*"apiVersion"\s*:/;
/** Markers only a Helm (or Go text/template) chart file has; `{{ $value }}` in a PrometheusRule annotation is not one. */
const HELM_SNIFF = /\{\{-?\s*(?:include|toYaml|define|template|tpl|required|if|range|with|end)\b|\{\{[^}]*\.(?:Values|Release|Chart|Capabilities|Files)\b/;

function parseError(file: string, message: string, location?: SourceLocation): Finding {
  return { ruleId: PARSE_ERROR, severity: "warning", message, file, ...(location ? { line: location.line, column: location.column } : {}) };
}

/** Reads and parses every discovered file once. A file that cannot be read or parsed becomes a finding; the build goes on. */
export async function buildProject(root: string, discovery: Discovery, options: BuildOptions = {}): Promise<{ project: ProjectModel; findings: Finding[] }> {
  const maxFileSize = options.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
  const readPaths = new Map(discovery.files.map((file) => [file.path, file.readPath]));
  const sources = options.sources ?? new SourceCache((file) => readPaths.get(file), maxFileSize);
  const findings: Finding[] = [...discovery.findings];
  const files: ProjectFile[] = discovery.files.map((file) => ({ path: file.path, kind: file.kind, size: file.size }));
  const filePaths = new Set(files.map((file) => file.path));
  const folders = new Set<string>();
  for (const file of files) {
    for (let folder = path.posix.dirname(file.path); folder !== "."; folder = path.posix.dirname(folder)) folders.add(folder);
  }
  const project: ProjectModel = {
    root,
    files,
    dockerfiles: [],
    requirementsFiles: [],
    requirementsSources: [],
    pyprojects: [],
    kubernetesFiles: [],
    objects: [],
    workloads: [],
    markdown: [],
    scripts: [],
    makefiles: [],
    mlflowModels: [],
    pipfiles: [],
    dockerignores: [],
    yamlDocuments: new Map(),
    modelDeployments: [],
    builds: [],
    hasFile: (file) => filePaths.has(file),
    hasFolder: (folder) => folder === "." || folders.has(folder.replace(/\/$/, "")),
    filesOfKind: (...kinds) => files.filter((file) => kinds.includes(file.kind)),
    text: (file) => (filePaths.has(file) ? sources.text(file) : undefined),
  };

  const byPath = new Map(discovery.files.map((file, index) => [file.path, { file, model: files[index] as ProjectFile }]));
  let toRead = [...byPath.values()].filter(({ file }) => READ_KINDS.has(file.kind));
  const parsed = new Set<string>();
  // Kustomizations first: their kubectl builds then run on another core while the rest is parsed.
  const kustomizationFiles = toRead.filter(({ file }) => file.kind === "kustomization");
  for (const entry of kustomizationFiles) parsed.add(entry.file.path);
  readAndParse(project, kustomizationFiles, maxFileSize, sources, findings);
  const kustomize = await startKustomizeBuilds(project, options);
  toRead = toRead.filter(({ file }) => !parsed.has(file.path));
  // Requirements files named by `-r`/`-c` are read too, whatever their name; the loop ends because each file is read once.
  while (toRead.length > 0) {
    for (const entry of toRead) parsed.add(entry.file.path);
    readAndParse(project, toRead, maxFileSize, sources, findings);
    toRead = [...new Set(includedRequirements(project))]
      .filter((target) => !parsed.has(target) && byPath.has(target))
      .map((target) => {
        const entry = byPath.get(target) as { file: DiscoveredFile; model: ProjectFile };
        entry.model.kind = "requirements";
        return entry;
      });
  }
  // Kustomize builds replace the plain-read objects of the files they read; charts not rendered are read from values.yaml.
  // Generic documents in path order, as discovery listed them (kustomizations were parsed first).
  project.yamlDocuments = new Map([...project.yamlDocuments].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  project.builds = await buildKustomizations(project, options, kustomize);
  const charts = await renderHelmCharts(project, options);
  project.builds.push(...charts.notes);
  project.workloads = [...workloadsOf(project.objects), ...charts.workloads];
  project.modelDeployments = modelDeploymentsOf(project.objects);
  return { project, findings };
}

function readAndParse(
  project: ProjectModel,
  toRead: { file: DiscoveredFile; model: ProjectFile }[],
  maxFileSize: number,
  sources: SourceCache,
  findings: Finding[],
): void {
  for (const { file, model } of toRead) {
    const result = readLimited(file.readPath, maxFileSize);
    if ("skip" in result) {
      sources.remember(file.path, undefined);
      findings.push({ ruleId: FILE_SKIPPED, severity: "info", message: result.skip, file: file.path });
      continue;
    }
    if ("error" in result) {
      sources.remember(file.path, undefined);
      findings.push(parseError(file.path, `Could not read the file: ${result.error}.`));
      continue;
    }
    model.size = result.size;
    const decoded = decodeText(result.bytes);
    if (!decoded.ok) {
      sources.remember(file.path, undefined);
      // Binary files with a YAML/JSON name are common (fixtures, assets); a binary Dockerfile or script is not.
      if (model.kind !== "yaml") findings.push(parseError(file.path, `Not parsed as ${model.kind}: ${decoded.reason}.`));
      continue;
    }
    if (decoded.replacedInvalidUtf8 && model.kind !== "yaml") {
      findings.push({ ruleId: FILE_SKIPPED, severity: "info", message: "The file is not valid UTF-8; invalid bytes were read as U+FFFD.", file: file.path });
    }
    const text = decoded.text.startsWith("\uFEFF") ? decoded.text.slice(1) : decoded.text;
    sources.remember(file.path, text);
    try {
      parseInto(project, model, text, findings);
    } catch (error) {
      const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
      const location = error instanceof MlmodelSyntaxError ? error.location : undefined;
      findings.push(parseError(file.path, `Could not parse ${model.kind}: ${message}`, location));
    }
  }
}

function parseInto(project: ProjectModel, file: ProjectFile, text: string, findings: Finding[]): void {
  switch (file.kind) {
    case "dockerfile":
      project.dockerfiles.push(parseDockerfile(text, file.path));
      return;
    case "requirements": {
      const requirementsFile = parseRequirements(text, file.path);
      for (const error of requirementsFile.errors) findings.push(parseError(file.path, error.message, error.location));
      project.requirementsFiles.push(requirementsFile);
      return;
    }
    case "requirements-source": {
      // Read for Dockerfiles that install one with `-r`; pip-compile, not pip, reads it, so its errors are not reported.
      project.requirementsSources.push(parseRequirements(text, file.path));
      return;
    }
    case "pyproject":
      project.pyprojects.push(parsePyproject(text, file.path));
      return;
    case "yaml": {
      if (BENTOFILE.test(file.path)) {
        // A BentoML build file: kept as a generic document (registry rules read its `models` list).
        const yaml = parseYaml(text);
        for (const error of yaml.errors) findings.push(parseError(file.path, error.message, error.location));
        project.yamlDocuments.set(file.path, yaml.documents);
        return;
      }
      const isJson = file.path.toLowerCase().endsWith(".json");
      const looksKubernetes = isJson ? JSON_SNIFF.test(text) : KUBERNETES_SNIFF.test(text) && KIND_SNIFF.test(text);
      if (!looksKubernetes) return;
      if (!isJson && HELM_SNIFF.test(text)) {
        // A Helm template outside a chart: recognised, never reported as broken YAML.
        file.kind = "helm-template";
        return;
      }
      const manifest = parseKubernetes(text, file.path);
      if (manifest.errors.length > 0 && text.includes("{{")) {
        // Some other templating (envsubst-like `{{name}}`): not YAML until rendered, so not broken YAML.
        file.kind = "helm-template";
        return;
      }
      file.kind = "kubernetes";
      for (const error of manifest.errors) findings.push(parseError(file.path, error.message, error.location));
      project.kubernetesFiles.push(manifest);
      project.objects.push(...manifest.objects);
      return;
    }
    case "mlmodel":
      project.mlflowModels.push(parseMlmodel(text, file.path));
      return;
    case "markdown":
      project.markdown.push(parseMarkdown(text, file.path));
      return;
    case "shell":
      project.scripts.push(parseShellScript(text, file.path));
      return;
    case "pipfile":
      project.pipfiles.push(parsePipfile(text, file.path));
      return;
    case "makefile":
      project.makefiles.push(parseMakefile(text, file.path));
      return;
    case "dockerignore":
      project.dockerignores.push({
        path: file.path,
        patterns: text.split("\n").flatMap((line, index) => {
          const pattern = line.trim();
          return pattern === "" || pattern.startsWith("#") ? [] : [{ pattern, line: index + 1 }];
        }),
      });
      return;
    default:
      if (GENERIC_YAML_KINDS.has(file.kind) && /\.(ya?ml|lock|dvc)$/i.test(file.path)) {
        const yaml = parseYaml(text);
        for (const error of yaml.errors) findings.push(parseError(file.path, error.message, error.location));
        project.yamlDocuments.set(file.path, yaml.documents);
      }
      return;
  }
}

/** Project-relative paths of every file that a `-r`/`-c` line names. */
export function includedRequirements(project: ProjectModel): string[] {
  const targets: string[] = [];
  for (const requirementsFile of project.requirementsFiles) {
    for (const include of requirementsFile.includes) {
      const target = resolveInclude(requirementsFile.path, include.target);
      if (target) targets.push(target);
    }
  }
  return targets;
}

/** Resolves a path written in a file relative to that file's folder; null when it leaves the root or is a URL. */
export function resolveInclude(fromFile: string, target: string): string | null {
  if (/^[a-z]+:\/\//i.test(target) || path.posix.isAbsolute(target)) return null;
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), target));
  return resolved.startsWith("../") || resolved === ".." ? null : resolved;
}
