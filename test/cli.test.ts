import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { failsGate, main, type Io } from "../src/cli.js";
import type { CheckResult } from "../src/check.js";
import { RULES } from "../src/rules/index.js";
import { REPO_ROOT } from "./helpers/fixtures.js";
import { tempProject } from "./helpers/tmp.js";

function io(options: { tty?: boolean; env?: NodeJS.ProcessEnv } = {}) {
  let stdout = "";
  let stderr = "";
  const value: Io = {
    stdout: { write: (text: string) => (stdout += text), isTTY: options.tty ?? false },
    stderr: { write: (text: string) => (stderr += text) },
    env: options.env ?? {},
  };
  return { io: value, out: () => stdout, err: () => stderr };
}

const UNPINNED = { "requirements.txt": "flask==3.0.0\nrequests\n" };

describe("cli", () => {
  it("check prints the checklist, the score and findings at file:line", async () => {
    const root = tempProject(UNPINNED);
    const run = io();
    const code = await main(["check", root], run.io);
    expect(code).toBe(1);
    const out = run.out();
    expect(out).toMatch(/Readiness \d+\/100 {2}grade [A-F]/);
    for (const title of ["Container", "Registry", "Rollout", "Monitoring", "Rollback", "Load", "Runbook"]) expect(out).toContain(title);
    expect(out).toMatch(/requirements\.txt:2:1 +error +.*requests.* +pinned-dependencies/);
    expect(out).not.toMatch(/\u001b\[/);
  });

  it("colours only on a TTY and never with NO_COLOR", async () => {
    const root = tempProject(UNPINNED);
    const tty = io({ tty: true });
    await main(["check", root], tty.io);
    expect(tty.out()).toMatch(/\u001b\[/);
    const noColor = io({ tty: true, env: { NO_COLOR: "1" } });
    await main(["check", root], noColor.io);
    expect(noColor.out()).not.toMatch(/\u001b\[/);
  });

  it("--format json prints the contract object for one path and an array for several", async () => {
    const first = tempProject(UNPINNED);
    const second = tempProject({ "requirements.txt": "flask==3.0.0\n" });
    const one = io();
    await main(["check", first, "--format", "json"], one.io);
    const report = JSON.parse(one.out());
    expect(report).toMatchObject({ version: 1, tool: { name: "mlready" }, grade: expect.stringMatching(/^[A-F]$/) });
    expect(report.sections.map((section: { id: string }) => section.id)).toEqual(["container", "registry", "rollout", "monitoring", "rollback", "load", "runbook"]);
    expect(report.rules.map((rule: { id: string }) => rule.id)).toEqual(RULES.map((rule) => rule.meta.id));
    expect(report.findings).toContainEqual(expect.objectContaining({ ruleId: "pinned-dependencies", file: "requirements.txt", line: 2, column: 1, severity: "error" }));
    const both = io();
    await main(["check", first, second, "-f", "json"], both.io);
    const reports = JSON.parse(both.out());
    expect(Array.isArray(reports)).toBe(true);
    expect(reports).toHaveLength(2);
  });

  it("gates on --fail-on and --min-score", async () => {
    const root = tempProject(UNPINNED);
    expect(await main(["check", root, "--fail-on", "none"], io().io)).toBe(0);
    expect(await main(["check", root, "--fail-on", "none", "--min-score", "100"], io().io)).toBe(1);
    expect(await main(["check", root, "--fail-on", "none", "--min-score", "0"], io().io)).toBe(0);
  });

  it("failsGate ignores internal errors and respects severity order", () => {
    const result = (findings: CheckResult["findings"], score = 100) => ({ score, findings }) as CheckResult;
    expect(failsGate([result([{ ruleId: "internal-error", severity: "error", message: "x" }])], "error")).toBe(false);
    expect(failsGate([result([{ ruleId: "a", severity: "warning", message: "x" }])], "error")).toBe(false);
    expect(failsGate([result([{ ruleId: "a", severity: "warning", message: "x" }])], "warning")).toBe(true);
    expect(failsGate([result([{ ruleId: "a", severity: "info", message: "x" }])], "info")).toBe(true);
  });

  it("--output writes the report to a file", async () => {
    const root = tempProject(UNPINNED);
    const target = path.join(root, "out", "report.json");
    const run = io();
    await main(["check", root, "-f", "json", "-o", target], run.io);
    expect(run.out()).toBe("");
    expect(JSON.parse(readFileSync(target, "utf8")).tool.name).toBe("mlready");
  });

  it.each([
    [["check", "--format", "xml"], /--format must be one of text, json, sarif/],
    [["check", "--fail-on", "fatal"], /--fail-on must be one of/],
    [["check", "--min-score", "abc"], /--min-score must be a number/],
    [["check", "--nope"], /Unknown option '--nope'/],
    [["frobnicate"], /unknown command "frobnicate"/],
    [["check", "/definitely/not/here"], /no such file or folder/],
    [["explain", "pinned-dependency"], /did you mean "pinned-dependencies"/],
  ])("usage error %j exits 2 with one line and no stack trace", async (argv, message) => {
    const run = io();
    expect(await main(argv as string[], run.io)).toBe(2);
    expect(run.err()).toMatch(message);
    expect(run.err().trim().split("\n")).toHaveLength(1);
    expect(run.err()).not.toMatch(/\n\s+at /);
  });

  it("a bad configuration names the file and the key, exit 2", async () => {
    const root = tempProject({ ...UNPINNED, ".mlreadyrc.json": JSON.stringify({ rules: { "pinned-dependencies": "loud" }, colour: true }) });
    const run = io();
    expect(await main(["check", root], run.io)).toBe(2);
    expect(run.err()).toMatch(/\.mlreadyrc\.json: .*colour is not a known key/);
    expect(run.err()).toMatch(/rules\.pinned-dependencies/);
  });

  it("an unknown rule or bad rule option in the configuration is a usage error", async () => {
    const unknown = tempProject({ ".mlreadyrc.json": JSON.stringify({ rules: { "no-such-rule": "off" } }) });
    const run = io();
    expect(await main(["check", unknown], run.io)).toBe(2);
    expect(run.err()).toMatch(/rules\.no-such-rule is not a known rule/);
    const badOption = tempProject({ ".mlreadyrc.json": JSON.stringify({ rules: { "resource-limits": ["error", { requireCpuLimit: "yes" }] } }) });
    const second = io();
    expect(await main(["check", badOption], second.io)).toBe(2);
    expect(second.err()).toMatch(/rules\.resource-limits option requireCpuLimit must be boolean/);
  });

  it("configuration turns rules off and changes severity; package.json#mlready and YAML rc files are read", async () => {
    const off = tempProject({ ...UNPINNED, "package.json": JSON.stringify({ name: "x", mlready: { rules: { "pinned-dependencies": "off" } } }) });
    const report = JSON.parse(await captureJson(off));
    expect(report.rules.find((rule: { id: string }) => rule.id === "pinned-dependencies").status).toBe("off");
    const warning = tempProject({ ...UNPINNED, ".mlreadyrc.yaml": "rules:\n  pinned-dependencies: warning\n" });
    const findings = JSON.parse(await captureJson(warning)).findings.filter((finding: { ruleId: string }) => finding.ruleId === "pinned-dependencies");
    expect(findings.map((finding: { severity: string }) => finding.severity)).toEqual(["warning"]);
  });

  it("rules lists every rule; explain prints its documentation", async () => {
    const list = io();
    expect(await main(["rules"], list.io)).toBe(0);
    for (const rule of RULES) expect(list.out()).toContain(rule.meta.id);
    const explain = io();
    expect(await main(["explain", "runbook-linked"], explain.io)).toBe(0);
    expect(explain.out()).toMatch(/^# runbook-linked/);
  });

  it("the installed bin runs end to end (built dist)", () => {
    const bin = path.join(REPO_ROOT, "bin", "mlready.js");
    const version = execFileSync(process.execPath, [bin, "--version"], { encoding: "utf8" }).trim();
    expect(version).toBe(JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")).version);
    const run = spawnSync(process.execPath, [bin, "check", tempProject(UNPINNED), "--format", "json"], { encoding: "utf8" });
    expect(run.status).toBe(1);
    expect(JSON.parse(run.stdout).tool.name).toBe("mlready");
  });
});

async function captureJson(root: string): Promise<string> {
  const run = io();
  await main(["check", root, "--format", "json"], run.io);
  return run.out();
}
