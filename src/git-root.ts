import { existsSync } from "node:fs";
import path from "node:path";

/**
 * The top level of the git work tree that holds `folder` (the folder with `.git`, a directory or, in
 * a worktree or submodule, a file), found by walking up; `folder` itself when there is none.
 * Reads no git data and runs no git command.
 */
export function gitTopLevel(folder: string): string {
  const start = path.resolve(folder);
  for (let current = start; ; current = path.dirname(current)) {
    if (existsSync(path.join(current, ".git"))) return current;
    if (path.dirname(current) === current) return start;
  }
}
