import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { REPO_ROOT } from "./helpers/fixtures.js";
import { tempProject } from "./helpers/tmp.js";

interface Step {
  name: string;
  id?: string;
  uses?: string;
  run?: string;
  shell?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
interface Action {
  inputs: Record<string, { description: string; default?: string }>;
  runs: { using: string; steps: Step[] };
}

const action = parse(readFileSync(path.join(REPO_ROOT, "action.yml"), "utf8")) as Action;
const step = (name: RegExp) => {
  const found = action.runs.steps.find((candidate) => name.test(candidate.name));
  if (!found) throw new Error(`action.yml has no step named ${name}`);
  return found;
};

/** Runs one `run:` script the way GitHub runs `shell: bash`, with the step's env as GitHub would expand it. */
function runStep(script: string, env: Record<string, string>, cwd: string) {
  const file = path.join(cwd, ".step.sh");
  writeFileSync(file, script);
  return spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", file], { cwd, env: { PATH: process.env["PATH"] ?? "", HOME: cwd, ...env }, encoding: "utf8" });
}

function outputs(file: string): Record<string, string> {
  if (!existsSync(file)) return {};
  return Object.fromEntries(readFileSync(file, "utf8").split("\n").filter(Boolean).map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]));
}

describe("action.yml", () => {
  it("is a composite action with the documented inputs, Node set up and SARIF uploaded", () => {
    expect(action.runs.using).toBe("composite");
    for (const input of ["path", "min-score", "fail-on", "args"]) expect(action.inputs[input]?.description, input).toBeTruthy();
    const uses = action.runs.steps.map((candidate) => candidate.uses).filter(Boolean);
    expect(uses).toContainEqual(expect.stringMatching(/^actions\/setup-node@v\d+$/));
    expect(uses).toContainEqual(expect.stringMatching(/^github\/codeql-action\/upload-sarif@v\d+$/));
    const upload = action.runs.steps.find((candidate) => candidate.uses?.startsWith("github/codeql-action/upload-sarif"));
    expect(upload?.with?.["sarif_file"]).toBe("${{ inputs.sarif-file }}");
    // The gate is the last step, so the report is uploaded and summarised even when the gate fails.
    expect(action.runs.steps.at(-1)?.name).toMatch(/gate/i);
  });

  it("never interpolates an expression into a run: script (inputs pass through env)", () => {
    const scripts = action.runs.steps.filter((candidate) => candidate.run !== undefined);
    expect(scripts.length).toBeGreaterThanOrEqual(3);
    for (const candidate of scripts) {
      expect(candidate.run, candidate.name).not.toContain("${{ inputs.");
      expect(candidate.run, candidate.name).not.toMatch(/\$\{\{/);
      expect(candidate.shell, candidate.name).toBe("bash");
    }
    const check = step(/Run mlready check/);
    expect(check.env).toMatchObject({ MLREADY_PATH: "${{ inputs.path }}", MLREADY_MIN_SCORE: "${{ inputs.min-score }}", MLREADY_FAIL_ON: "${{ inputs.fail-on }}", MLREADY_ARGS: "${{ inputs.args }}" });
  });

  it("passes hostile input values to mlready as literal arguments", () => {
    const work = tempProject({
      "fake-action/bin/mlready.js": [
        'import { mkdirSync, writeFileSync } from "node:fs";',
        'import path from "node:path";',
        'writeFileSync(process.env.ARGV_LOG, JSON.stringify(process.argv.slice(2)));',
        'const output = process.argv[process.argv.indexOf("--output") + 1];',
        'mkdirSync(path.dirname(output), { recursive: true });',
        'writeFileSync(output, "{}");',
        "process.exitCode = 1;",
      ].join("\n"),
      "fake-action/package.json": '{ "type": "module" }\n',
    });
    const result = runStep(step(/Run mlready check/).run ?? "", {
      GITHUB_ACTION_PATH: path.join(work, "fake-action"),
      GITHUB_OUTPUT: path.join(work, "outputs"),
      ARGV_LOG: path.join(work, "argv.json"),
      MLREADY_PATH: "svc; touch pwned-path",
      MLREADY_MIN_SCORE: "80",
      MLREADY_FAIL_ON: "warning",
      MLREADY_ARGS: "--config $(touch pwned-args) --max-warnings `touch pwned-tick`",
      MLREADY_SARIF: "out/mlready.sarif",
    }, work);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(JSON.parse(readFileSync(path.join(work, "argv.json"), "utf8"))).toEqual([
      "check", "svc; touch pwned-path", "--fail-on", "warning", "--min-score", "80",
      "--config", "$(touch", "pwned-args)", "--max-warnings", "`touch", "pwned-tick`",
      "--format", "sarif", "--output", "out/mlready.sarif",
    ]);
    for (const marker of ["pwned-path", "pwned-args", "pwned-tick", "pwned-args)"]) expect(existsSync(path.join(work, marker))).toBe(false);
    expect(outputs(path.join(work, "outputs"))).toEqual({ "exit-code": "1", "sarif-file": "out/mlready.sarif", "sarif-written": "true" });
  });

  it("runs the real CLI: SARIF, job summary, then the gate fails the job", () => {
    const work = tempProject({ "svc/requirements.txt": "flask==3.0.0\nrequests\n", ".git/HEAD": "ref: refs/heads/main\n" });
    const env = { GITHUB_ACTION_PATH: REPO_ROOT, GITHUB_OUTPUT: path.join(work, "outputs"), GITHUB_STEP_SUMMARY: path.join(work, "summary.md"), RUNNER_TEMP: work };
    const check = runStep(step(/Run mlready check/).run ?? "", { ...env, MLREADY_PATH: "svc", MLREADY_MIN_SCORE: "", MLREADY_FAIL_ON: "error", MLREADY_ARGS: "", MLREADY_SARIF: "mlready.sarif" }, work);
    expect(check.status, check.stderr).toBe(0);
    const written = outputs(env.GITHUB_OUTPUT);
    expect(written["exit-code"]).toBe("1");
    const sarif = JSON.parse(readFileSync(path.join(work, "mlready.sarif"), "utf8"));
    expect(sarif.version).toBe("2.1.0");
    expect(JSON.stringify(sarif.runs[0].results)).toContain("svc/requirements.txt");

    const summary = runStep(step(/job summary/).run ?? "", { ...env, MLREADY_PATH: "svc", MLREADY_ARGS: "" }, work);
    expect(summary.status, summary.stderr).toBe(0);
    expect(summary.stderr).toBe("");
    expect(readFileSync(env.GITHUB_STEP_SUMMARY, "utf8")).toMatch(/pinned-dependencies/);

    const gate = (code: string) => runStep(step(/gate/).run ?? "", { MLREADY_EXIT_CODE: code }, work).status;
    expect(gate(written["exit-code"] ?? "")).toBe(1);
    expect(gate("0")).toBe(0);
    expect(gate("2")).toBe(2);
    expect(gate("")).toBe(2);
  });
});
