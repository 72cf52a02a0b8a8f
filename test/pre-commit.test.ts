import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./helpers/fixtures.js";
import { tempProject } from "./helpers/tmp.js";

// Runs Debian's `pre-commit try-repo` against a fresh clone of this repository, as a user's
// `.pre-commit-config.yaml` would: pre-commit installs the hook repository with npm (no build step)
// and runs the `mlready` hook of .pre-commit-hooks.yaml on a small project. Needs the npm registry
// (pre-commit installs mlready's dependencies); slow the first time (about a minute).

const preCommit = spawnSync("pre-commit", ["--version"], { encoding: "utf8" });
const installed = preCommit.status === 0;

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=mlready-test", "-c", "user.email=test@mlready.invalid", "-c", "commit.gpgsign=false", ...args], { cwd, encoding: "utf8" });
}

/**
 * A fresh clone of the repository with the working tree's uncommitted changes committed on top, so the
 * test judges the files as they are now (and equals a plain clone once they are committed).
 */
function cloneWithWorkingTree(target: string): void {
  git(REPO_ROOT, "clone", "--quiet", "--no-hardlinks", REPO_ROOT, target);
  const listed = git(REPO_ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0").filter(Boolean);
  for (const file of listed) {
    const source = path.join(REPO_ROOT, file);
    const destination = path.join(target, file);
    if (existsSync(source)) {
      mkdirSync(path.dirname(destination), { recursive: true });
      copyFileSync(source, destination);
    } else {
      rmSync(destination, { force: true });
    }
  }
  git(target, "add", "--all");
  if (git(target, "status", "--porcelain").trim()) git(target, "commit", "--quiet", "--no-verify", "-m", "working tree");
}

function tryRepo(project: string, hookRepo: string, home: string, files: string[]) {
  const result = spawnSync("pre-commit", ["try-repo", hookRepo, "mlready", "--verbose", "--files", ...files], {
    cwd: project,
    encoding: "utf8",
    env: { ...process.env, PRE_COMMIT_HOME: home, PRE_COMMIT_COLOR: "never", NO_COLOR: "1" },
    timeout: 480_000,
  });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

describe("pre-commit hook (.pre-commit-hooks.yaml)", () => {
  if (!installed) {
    it("pre-commit is not installed: the try-repo test did not run (install it with `apt-get install pre-commit`; .ci/run does)", () => {
      expect(installed).toBe(false);
    });
    return;
  }

  it("installs from a fresh clone without a build step and judges a commit by the files it touches", { timeout: 900_000 }, () => {
    const work = tempProject({
      "project/requirements.txt": "flask==3.0.0\nrequests\n",
      "project/README.md": "# churn\n\nPredicts churn.\n",
      "project/Dockerfile": "FROM python:3.12-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n",
    });
    const hookRepo = path.join(work, "mlready");
    cloneWithWorkingTree(hookRepo);
    expect(existsSync(path.join(hookRepo, ".pre-commit-hooks.yaml"))).toBe(true);
    expect(existsSync(path.join(hookRepo, "dist")), "dist/ is not committed").toBe(false);
    const project = path.join(work, "project");
    git(project, "init", "--quiet");
    git(project, "add", "--all");
    const home = path.join(work, "pre-commit-home");

    const touched = tryRepo(project, hookRepo, home, ["requirements.txt", "README.md"]);
    expect(touched.output).toMatch(/requirements\.txt:2:1 +error .*pinned-dependencies/);
    expect(touched.output).toMatch(/mlready .*Failed/);
    expect(touched.status, touched.output).toBe(1);

    // The README has no finding of its own: the project's other gaps do not fail this commit.
    const readmeOnly = tryRepo(project, hookRepo, home, ["README.md"]);
    expect(readmeOnly.output).toMatch(/mlready .*Passed/);
    expect(readmeOnly.output).not.toMatch(/requirements\.txt:\d/);
    expect(readmeOnly.status, readmeOnly.output).toBe(0);
  });
});
