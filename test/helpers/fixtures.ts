import { promises as fs, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const FIXTURES = path.join(REPO_ROOT, "fixtures");

export interface ExpectedFinding {
  rule: string;
  file?: string;
  line?: number;
}

export interface FixtureCase {
  ruleId: string;
  outcome: "pass" | "fail";
  name: string;
  folder: string;
  /** Status the rule must end with: `fail` for fail cases, `pass` (or `skip` from expect.json) for pass cases. */
  status: "pass" | "fail" | "skip";
  expected: ExpectedFinding[];
}

const MARKER = /(?:#|<!--|\/\/)\s*expect:\s*([a-z0-9-]+(?:\/[a-z0-9-]+)?)/;

function walk(folder: string, prefix = ""): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...walk(path.join(folder, entry.name), relative));
    else if (entry.isFile()) files.push(relative);
  }
  return files;
}

/**
 * Reads the expectations of a fixture case: a line `# expect: <rule-id>` (Markdown:
 * `<!-- expect: <rule-id> -->`) expects a finding of that rule on the next line; `expect.json`
 * holds project-level findings and the expected status.
 */
export function readCase(ruleId: string, outcome: "pass" | "fail", name: string): FixtureCase {
  const folder = path.join(FIXTURES, ruleId, outcome, name);
  const expected: ExpectedFinding[] = [];
  let status: FixtureCase["status"] = outcome;
  for (const file of walk(folder)) {
    if (file === "expect.json") {
      const spec = JSON.parse(readFileSync(path.join(folder, file), "utf8")) as { status?: FixtureCase["status"]; findings?: ExpectedFinding[] };
      if (spec.status) status = spec.status;
      for (const finding of spec.findings ?? []) expected.push({ ...finding, rule: finding.rule ?? ruleId });
      continue;
    }
    const lines = readFileSync(path.join(folder, file), "utf8").split(/\r?\n/);
    lines.forEach((line, index) => {
      const marker = MARKER.exec(line);
      if (marker) expected.push({ rule: marker[1] as string, file, line: index + 2 });
    });
  }
  return { ruleId, outcome, name, folder, status, expected };
}

export function listCases(ruleId: string): FixtureCase[] {
  const cases: FixtureCase[] = [];
  for (const outcome of ["pass", "fail"] as const) {
    const folder = path.join(FIXTURES, ruleId, outcome);
    let names: string[] = [];
    try {
      names = readdirSync(folder).filter((name) => statSync(path.join(folder, name)).isDirectory()).sort();
    } catch {
      names = [];
    }
    for (const name of names) cases.push(readCase(ruleId, outcome, name));
  }
  return cases;
}

export async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(() => true, () => false);
}
