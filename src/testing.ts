/**
 * The rule tester for plugin authors (`import { RuleTester } from "mlready/testing"`), also used by
 * mlready's own tests. Each case is a small in-memory project: its files are written to a temporary
 * folder and checked by `check()` with only the rule under test, exactly as `mlready check` would run it.
 *
 * ```ts
 * import { describe, it } from "vitest"; // or node:test; jest and vitest globals are found by themselves
 * import { RuleTester } from "mlready/testing";
 * new RuleTester({ describe, it }).run("allowed-registries", rule, {
 *   valid: [{ files: { Dockerfile: "FROM ghcr.io/acme/base:1.0" }, options: { registries: ["ghcr.io/acme"] } }],
 *   invalid: [{ files: { Dockerfile: "FROM python:3.12" }, errors: [{ messageId: "notAllowed", line: 1 }] }],
 * });
 * ```
 */
import { AssertionError } from "node:assert";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { check } from "./check.js";
import type { MlreadyConfig } from "./config/load.js";
import { INTERNAL_ERROR, type Finding } from "./model.js";
import type { Rule, RuleStatus } from "./rule.js";

export interface RuleTesterCase {
  /** Shown in the test name; default: the case's file names. */
  name?: string;
  /** The project: POSIX paths relative to its root, and their text. */
  files: Record<string, string>;
  /** The rule's options, merged over its defaults and validated by its schema, as a config's `rules` entry would be. */
  options?: Record<string, unknown>;
  /** Project configuration besides `rules` (e.g. `expectedPeakRps`). */
  config?: Omit<MlreadyConfig, "rules" | "plugins">;
}

export interface ValidCase extends RuleTesterCase {
  /** How the rule must end: `pass` (default) or `skip` (the rule cannot judge the project). Never with findings. */
  status?: Extract<RuleStatus, "pass" | "skip">;
}

/** One expected finding; only the keys given are compared. */
export interface ExpectedError {
  messageId?: string;
  /** The whole formatted message. */
  message?: string;
  /** Project-relative path; `null` for a project-level finding (no file). */
  file?: string | null;
  /** `null` for a finding without a line (project-level, or file-level). */
  line?: number | null;
  column?: number | null;
}

export interface InvalidCase extends RuleTesterCase {
  /** The findings, in report order (by file, then line), or just how many there must be. */
  errors: ExpectedError[] | number;
}

export interface RuleTesterCases {
  valid?: readonly ValidCase[];
  invalid?: readonly InvalidCase[];
}

export interface RuleTesterResult {
  name: string;
  kind: "valid" | "invalid";
  ok: boolean;
  /** What did not match, when `ok` is false. */
  message?: string;
  status: RuleStatus | "error";
  findings: Finding[];
}

type Describe = (name: string, body: () => void) => unknown;
type It = (name: string, body: () => Promise<void>) => unknown;

export interface RuleTesterOptions {
  /** The test framework's `describe` and `it` (node:test, or vitest without globals); default: the globals, if any. */
  describe?: Describe;
  it?: It;
  /** Configuration every case gets (a case's own `config` wins). */
  config?: Omit<MlreadyConfig, "rules" | "plugins">;
}

function caseName(testCase: RuleTesterCase, index: number): string {
  return testCase.name ?? `#${index + 1} ${Object.keys(testCase.files).join(", ") || "(empty project)"}`;
}

function describeFinding(finding: Finding): string {
  const where = finding.file ? `${finding.file}${finding.line ? `:${finding.line}` : ""}` : "(project)";
  return `${where} ${finding.ruleId}${finding.messageId ? ` [${finding.messageId}]` : ""}: ${finding.message}`;
}

/** Writes a case's files under a new temporary folder; refuses paths that would leave it. */
async function writeProject(files: Record<string, string>): Promise<{ folder: string; project: string }> {
  const folder = await fs.mkdtemp(path.join(os.tmpdir(), "mlready-rule-tester-"));
  const project = path.join(folder, "project");
  await fs.mkdir(project);
  for (const [file, text] of Object.entries(files)) {
    const target = path.resolve(project, file);
    if (path.isAbsolute(file) || !target.startsWith(project + path.sep)) {
      await fs.rm(folder, { recursive: true, force: true });
      throw new Error(`RuleTester: file "${file}" must be a relative path inside the project`);
    }
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.writeFile(target, text);
  }
  return { folder, project };
}

export class RuleTester {
  /** Set these once (e.g. to node:test's) to use them for every RuleTester without passing them. */
  static describe: Describe | undefined;
  static it: It | undefined;

  readonly #options: RuleTesterOptions;

  constructor(options: RuleTesterOptions = {}) {
    this.#options = options;
  }

  /** Runs one case and returns what happened; never throws for a mismatch (see `result.ok`). */
  async runCase(rule: Rule<object>, testCase: ValidCase | InvalidCase, kind: "valid" | "invalid", name = caseName(testCase, 0)): Promise<RuleTesterResult> {
    const { folder, project } = await writeProject(testCase.files);
    try {
      const configFile = path.join(folder, "mlready.config.json");
      const config: MlreadyConfig = {
        ...this.#options.config,
        ...testCase.config,
        rules: { [rule.meta.id]: testCase.options ? [rule.meta.severity, testCase.options] : rule.meta.severity },
      };
      await fs.writeFile(configFile, JSON.stringify(config));
      const result = await check(project, { rules: [rule], configFile, plugins: false });
      const findings = result.findings.filter((finding) => finding.ruleId === rule.meta.id || finding.ruleId === INTERNAL_ERROR);
      const ruleResult = result.rules.find((candidate) => candidate.id === rule.meta.id);
      const status = ruleResult?.status ?? "error";
      const problem = kind === "valid" ? this.#checkValid(testCase as ValidCase, status, findings) : this.#checkInvalid(testCase as InvalidCase, findings);
      return { name, kind, ok: problem === undefined, ...(problem !== undefined ? { message: problem } : {}), status, findings };
    } finally {
      await fs.rm(folder, { recursive: true, force: true });
    }
  }

  #checkValid(testCase: ValidCase, status: RuleStatus | "error", findings: Finding[]): string | undefined {
    if (findings.length > 0) return `expected no findings, got ${findings.length}:\n${findings.map(describeFinding).join("\n")}`;
    const expected = testCase.status ?? "pass";
    if (status !== expected) return `expected the rule to ${expected}, it ended with status "${status}"`;
    return undefined;
  }

  #checkInvalid(testCase: InvalidCase, findings: Finding[]): string | undefined {
    const crashed = findings.find((finding) => finding.ruleId === INTERNAL_ERROR);
    if (crashed) return `the rule crashed: ${crashed.message}`;
    const expectedCount = typeof testCase.errors === "number" ? testCase.errors : testCase.errors.length;
    if (expectedCount === 0) return "an invalid case needs at least one expected error";
    const listing = findings.map(describeFinding).join("\n") || "(none)";
    if (findings.length !== expectedCount) return `expected ${expectedCount} finding(s), got ${findings.length}:\n${listing}`;
    if (typeof testCase.errors === "number") return undefined;
    const mismatches: string[] = [];
    testCase.errors.forEach((expected, index) => {
      const actual = findings[index] as Finding;
      for (const key of ["messageId", "message", "file", "line", "column"] as const) {
        if (!(key in expected)) continue;
        const want = expected[key] === null ? undefined : expected[key];
        if (actual[key] !== want) mismatches.push(`finding ${index + 1}: ${key} is ${JSON.stringify(actual[key] ?? null)}, expected ${JSON.stringify(expected[key])}`);
      }
    });
    return mismatches.length ? `${mismatches.join("\n")}\nfindings:\n${listing}` : undefined;
  }

  /** Runs every case and returns the results, without a test framework. */
  async runAll(rule: Rule<object>, cases: RuleTesterCases): Promise<RuleTesterResult[]> {
    const results: RuleTesterResult[] = [];
    for (const [index, testCase] of (cases.valid ?? []).entries()) results.push(await this.runCase(rule, testCase, "valid", caseName(testCase, index)));
    for (const [index, testCase] of (cases.invalid ?? []).entries()) results.push(await this.runCase(rule, testCase, "invalid", caseName(testCase, index)));
    return results;
  }

  /**
   * With a test framework (`describe`/`it` from the constructor, `RuleTester.describe/it`, or globals as in
   * jest and vitest with `globals: true`): one test per case, failing with an AssertionError that lists the
   * findings. Without one: runs the cases and returns their results.
   */
  run(name: string, rule: Rule<object>, cases: RuleTesterCases): Promise<RuleTesterResult[]> | undefined {
    const globals = globalThis as { describe?: Describe; it?: It };
    const describe = this.#options.describe ?? RuleTester.describe ?? globals.describe;
    const it = this.#options.it ?? RuleTester.it ?? globals.it;
    if (!describe || !it) return this.runAll(rule, cases);
    describe(name, () => {
      for (const kind of ["valid", "invalid"] as const) {
        const list: readonly (ValidCase | InvalidCase)[] = cases[kind] ?? [];
        list.forEach((testCase, index) => {
          const title = caseName(testCase, index);
          it(`${kind}: ${title}`, async () => {
            const result = await this.runCase(rule, testCase, kind, title);
            if (!result.ok) throw new AssertionError({ message: `${name} ${kind} case "${title}": ${result.message}` });
          });
        });
      }
    });
    return undefined;
  }
}
