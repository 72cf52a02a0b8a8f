import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach } from "vitest";

const made: string[] = [];

afterEach(() => {
  while (made.length) rmSync(made.pop() as string, { recursive: true, force: true });
});

/** Writes a small project into a fresh temporary folder (removed after the test) and returns its path. */
export function tempProject(files: Record<string, string | Uint8Array> = {}): string {
  const root = mkdtempSync(path.join(os.tmpdir(), "mlready-test-"));
  made.push(root);
  for (const [file, content] of Object.entries(files)) {
    const target = path.join(root, file);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  return root;
}
