import { existsSync, promises as fs, readFileSync } from "node:fs";
import path from "node:path";
import type { CheckResult } from "./check.js";
import { ConfigError, SEARCH_PLACES } from "./config/load.js";
import { gitTopLevel } from "./git-root.js";

/**
 * Files that make a folder an mlready project of its own: the names the configuration loader searches
 * (src/config/load.ts), and a package.json only when it has an `mlready` key.
 */
export const PROJECT_CONFIG_FILES: readonly string[] = SEARCH_PLACES.filter((name) => name !== "package.json");

/** One project to check: a folder the user named (`files` undefined), or the project of the files the user named. */
export interface CheckTarget {
  /** The project folder as given, or the found project folder relative to the working directory. */
  root: string;
  /** Project-relative POSIX paths whose findings are reported; undefined reports the whole project. */
  files?: string[];
}

function hasProjectConfig(folder: string): boolean {
  if (PROJECT_CONFIG_FILES.some((name) => existsSync(path.join(folder, name)))) return true;
  const packageJson = path.join(folder, "package.json");
  if (!existsSync(packageJson)) return false;
  try {
    const parsed = JSON.parse(readFileSync(packageJson, "utf8")) as unknown;
    return typeof parsed === "object" && parsed !== null && "mlready" in parsed;
  } catch {
    return false;
  }
}

/**
 * The project a file belongs to: the nearest folder above it that holds an mlready configuration file,
 * looking no higher than the git top level; otherwise the git top level itself; the file's own folder when
 * it is not in a git work tree. So in a monorepo each service with its own `.mlreadyrc.yaml` is its own project,
 * and a repository without one is judged as a whole, as `mlready check` at its top level would.
 */
export function projectRootOf(file: string): string {
  const folder = path.dirname(path.resolve(file));
  const top = gitTopLevel(folder);
  for (let current = folder; ; current = path.dirname(current)) {
    if (hasProjectConfig(current)) return current;
    if (current === top || path.dirname(current) === current) return top;
  }
}

function posixRelative(from: string, to: string): string {
  return path.relative(from, to).split(path.sep).join("/");
}

/**
 * Turns `mlready check` arguments into projects. A folder is a project, as before. Files are grouped by
 * the project they belong to (projectRootOf), one target per project, in the order first named.
 */
export async function resolveTargets(args: readonly string[], cwd = process.cwd()): Promise<CheckTarget[]> {
  const targets: CheckTarget[] = [];
  const byRoot = new Map<string, { root: string; files: string[] }>();
  for (const arg of args) {
    const absolute = path.resolve(cwd, arg);
    const stat = await fs.stat(absolute).catch(() => null);
    if (!stat) throw new ConfigError(`${arg}: no such file or folder`);
    if (stat.isDirectory()) {
      targets.push({ root: arg });
      continue;
    }
    const root = projectRootOf(absolute);
    let group = byRoot.get(root);
    if (!group) {
      group = { root: posixRelative(cwd, root) || ".", files: [] };
      byRoot.set(root, group);
      targets.push(group);
    }
    // Findings name files relative to the real project root (discovery resolves symbolic links in the root).
    const relative = posixRelative(await fs.realpath(root), await fs.realpath(absolute).catch(() => absolute));
    if (!group.files.includes(relative)) group.files.push(relative);
  }
  return targets;
}

/**
 * The result with only the findings in `files`: rule statuses and the score stay those of the whole
 * project (a rule fails or passes for the project), but only the named files' findings are reported
 * and count for `--fail-on`. Project-level findings (no file) are left out: they belong to no file.
 */
export function onlyFindingsIn(result: CheckResult, files: readonly string[]): CheckResult {
  const wanted = new Set(files);
  const keep = (finding: { file?: string }) => finding.file !== undefined && wanted.has(finding.file);
  return {
    ...result,
    findings: result.findings.filter(keep),
    rules: result.rules.map((rule) => ({ ...rule, findings: rule.findings.filter(keep) })),
  };
}
