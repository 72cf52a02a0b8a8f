import { readFileSync, realpathSync, statSync } from "node:fs";
import path from "node:path";
import fg from "fast-glob";
import ignore, { type Ignore } from "ignore";
import { FILE_SKIPPED, type ArtifactKind, type Finding, type ProjectFile } from "./model.js";

/** Folders never worth walking: dependencies, VCS data, virtualenvs and build output. */
export const DEFAULT_EXCLUDES = [
  "**/node_modules/**",
  "**/.git/**",
  "**/.hg/**",
  "**/.svn/**",
  "**/.venv/**",
  "**/venv/**",
  "**/.tox/**",
  "**/.nox/**",
  "**/__pycache__/**",
  "**/.mypy_cache/**",
  "**/.pytest_cache/**",
  "**/.ruff_cache/**",
  "**/dist/**",
  "**/build/**",
  "**/target/**",
  "**/.terraform/**",
  "**/site-packages/**",
];

/** The default excludes as one brace pattern: fast-glob tests one pattern per entry instead of seventeen (~40% of the walk). */
const DEFAULT_EXCLUDE_PATTERN = `**/{${DEFAULT_EXCLUDES.map((glob) => glob.slice("**/".length, -"/**".length)).join(",")}}/**`;

export interface DiscoveredFile extends ProjectFile {
  /** Where to read the content: differs from the root-joined path for a symlink inside the root. */
  readPath: string;
}

export interface Discovery {
  files: DiscoveredFile[];
  findings: Finding[];
}

export interface DiscoverOptions {
  /** Extra globs to leave out, relative to the root (config `ignore`). */
  ignore?: string[];
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}

/**
 * Walks the project root once and classifies every file. Symbolic links are never followed into
 * folders (so loops cannot occur); a link to a file inside the root is read through its target,
 * a link that leaves the root or cannot be resolved is skipped with a finding.
 */
export async function discover(root: string, options: DiscoverOptions = {}): Promise<Discovery> {
  const realRoot = realpathSync(root);
  // The synchronous walk: nothing else runs meanwhile, and it is about twice as fast as the asynchronous one on 10,000 files.
  const entries = fg.sync("**/*", {
    cwd: realRoot,
    dot: true,
    onlyFiles: false,
    followSymbolicLinks: false,
    objectMode: true,
    suppressErrors: true,
    ignore: [DEFAULT_EXCLUDE_PATTERN, ...(options.ignore ?? [])],
  });
  const findings: Finding[] = [];
  const candidates: { path: string; readPath: string }[] = [];
  for (const entry of entries) {
    const relativePath = entry.path;
    const absolutePath = path.join(realRoot, relativePath);
    if (entry.dirent.isSymbolicLink()) {
      let target: string;
      try {
        target = realpathSync(absolutePath);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const reason = code === "ELOOP" ? "a symbolic link loop" : "a broken symbolic link";
        findings.push(skipped(relativePath, `Not read: ${reason}.`));
        continue;
      }
      if (!isInside(realRoot, target)) {
        findings.push(skipped(relativePath, "Not read: the symbolic link points outside the project root."));
        continue;
      }
      const stat = statSync(target, { throwIfNoEntry: false });
      // A link to a folder inside the root is not walked: its files are found at their real path.
      if (stat?.isFile()) candidates.push({ path: relativePath, readPath: target });
      continue;
    }
    if (entry.dirent.isFile()) candidates.push({ path: relativePath, readPath: absolutePath });
  }

  const gitignored = gitignoreFilter(realRoot, candidates.map((candidate) => candidate.path), findings);
  const kept = candidates.filter((candidate) => !gitignored(candidate.path));
  kept.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const classifier = new Classifier(kept.map((candidate) => candidate.path));
  const files = kept.map((candidate) => ({
    path: candidate.path,
    readPath: candidate.readPath,
    kind: classifier.classify(candidate.path),
    size: 0,
  }));
  return { files, findings };
}

function skipped(file: string, message: string): Finding {
  return { ruleId: FILE_SKIPPED, severity: "info", message, file };
}

/**
 * Builds a predicate from every `.gitignore` in the tree, each applying to its own folder. A
 * `.gitignore` that cannot be applied (a pattern too long for a regular expression) is noted and left out.
 */
function gitignoreFilter(root: string, paths: string[], findings: Finding[]): (file: string) => boolean {
  const matchers = new Map<string, Ignore>();
  for (const file of paths) {
    if (path.posix.basename(file) !== ".gitignore") continue;
    let text = "";
    try {
      text = readFileSync(path.join(root, file), "utf8");
    } catch {
      // An unreadable .gitignore ignores nothing.
    }
    matchers.set(path.posix.dirname(file), ignore().add(text));
  }
  if (matchers.size === 0) return () => false;
  return (file: string) => {
    let folder = path.posix.dirname(file);
    for (;;) {
      const matcher = matchers.get(folder);
      if (matcher) {
        const relative = folder === "." ? file : file.slice(folder.length + 1);
        try {
          if (matcher.ignores(relative)) return true;
        } catch (error) {
          // `ignore` compiles each pattern into a RegExp on first use; a 30,000-character line makes RegExp throw.
          matchers.delete(folder);
          const reason = error instanceof Error ? error.message.replace(/^Invalid regular expression: .*: /s, "") : String(error);
          findings.push(skipped(folder === "." ? ".gitignore" : `${folder}/.gitignore`, `Not applied: a pattern could not be matched (${reason}); the files it lists are checked.`));
        }
      }
      if (folder === ".") return false;
      folder = path.posix.dirname(folder);
    }
  };
}

const DOCKERFILE = /^(Dockerfile|Containerfile)([.-].+)?$|\.(dockerfile|containerfile)$/i;
const REQUIREMENTS = /^(requirements|constraints)[^/]*\.txt$/i;
const LOCK_FILES = new Set(["uv.lock", "poetry.lock", "pdm.lock", "pipfile.lock", "conda-lock.yml", "pylock.toml"]);
const MAKEFILES = new Set(["makefile", "gnumakefile"]);

/** Decides each file's kind from its path and its neighbours (a Helm chart, an MLflow model folder). */
export class Classifier {
  private readonly chartFolders = new Set<string>();
  private readonly modelFolders = new Set<string>();

  constructor(paths: string[]) {
    for (const file of paths) {
      const base = path.posix.basename(file);
      if (base === "Chart.yaml") this.chartFolders.add(path.posix.dirname(file));
      if (base === "MLmodel") this.modelFolders.add(path.posix.dirname(file));
    }
  }

  private chartOf(file: string): { chart: string; inTemplates: boolean } | null {
    let folder = path.posix.dirname(file);
    let inTemplates = false;
    for (;;) {
      if (this.chartFolders.has(folder)) return { chart: folder, inTemplates };
      if (path.posix.basename(folder) === "templates") inTemplates = true;
      if (folder === ".") return null;
      folder = path.posix.dirname(folder);
    }
  }

  classify(file: string): ArtifactKind {
    const base = path.posix.basename(file);
    const lower = base.toLowerCase();
    const folder = path.posix.dirname(file);
    if (base === "MLmodel") return "mlmodel";
    if (this.modelFolders.has(folder) && (lower === "python_env.yaml" || lower === "conda.yaml")) return "mlflow-env";
    if (lower === ".dockerignore" || lower.endsWith(".dockerignore")) return "dockerignore";
    if (DOCKERFILE.test(base)) return "dockerfile";
    if (REQUIREMENTS.test(base) || (path.posix.basename(folder) === "requirements" && lower.endsWith(".txt"))) return "requirements";
    if (/^(requirements|constraints)[^/]*\.in$/i.test(base)) return "requirements-source";
    if (lower === "pyproject.toml") return "pyproject";
    if (LOCK_FILES.has(lower)) return "lockfile";
    if (lower === "pipfile") return "pipfile";
    if (/^(environment|conda|conda[-_]env[^/]*)\.ya?ml$/.test(lower) && !this.chartOf(file)) return "conda-env";
    if (lower === "dvc.yaml" || lower === "dvc.lock" || lower.endsWith(".dvc")) return "dvc";
    if (lower.endsWith(".md") || lower.endsWith(".markdown")) return "markdown";
    if (lower.endsWith(".sh") || lower.endsWith(".bash")) return "shell";
    if (MAKEFILES.has(lower) || lower.endsWith(".mk")) return "makefile";
    if (/^\.github\/workflows\/[^/]+\.ya?ml$/.test(file) || lower === ".gitlab-ci.yml" || file === ".circleci/config.yml" || lower === "azure-pipelines.yml" || lower === "jenkinsfile") return "ci-workflow";
    const chart = this.chartOf(file);
    if (chart) {
      if (base === "Chart.yaml") return "helm-chart";
      if (chart.inTemplates || lower.endsWith(".tpl")) return "helm-template";
      if (/^values.*\.ya?ml$/.test(lower) && folder === chart.chart) return "helm-values";
    }
    if (lower === "kustomization.yaml" || lower === "kustomization.yml") return "kustomization";
    if (lower.endsWith(".yaml") || lower.endsWith(".yml") || lower.endsWith(".json")) return "yaml";
    return "other";
  }
}
