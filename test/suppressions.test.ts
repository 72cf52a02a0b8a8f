import { describe, expect, it } from "vitest";
import { check, type CheckResult } from "../src/check.js";
import { main, type Io } from "../src/cli.js";
import { resolveSettings } from "../src/config/load.js";
import type { Finding } from "../src/model.js";
import { formatJson } from "../src/reporters/json.js";
import { formatSarif } from "../src/reporters/sarif.js";
import { formatText } from "../src/reporters/text.js";
import { RULES } from "../src/rules/index.js";
import { globToRegExp, parseInlineDirectives } from "../src/suppressions.js";
import { tempProject } from "./helpers/tmp.js";

const rulesNamed = (...ids: string[]) => RULES.filter((rule) => ids.includes(rule.meta.id));
const pinned = rulesNamed("pinned-dependencies");

function io() {
  let stdout = "";
  let stderr = "";
  const value: Io = { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) }, env: {} };
  return { io: value, out: () => stdout, err: () => stderr };
}

const brief = (finding: Finding) => ({ ruleId: finding.ruleId, file: finding.file, line: finding.line, messageId: finding.messageId, suppressed: finding.suppressed });
const of = (result: CheckResult, ruleId: string) => result.findings.filter((finding) => finding.ruleId === ruleId).map(brief);
const status = (result: CheckResult, ruleId: string) => result.rules.find((rule) => rule.id === ruleId)?.status;

const DEPLOYMENT_NO_LIMITS = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: churn-api
  annotations:
    mlready.dev/ignore: "resource-limits: sized by the VPA in prod (OPS-42)"
spec:
  selector: { matchLabels: { app: churn } }
  template:
    metadata: { labels: { app: churn } }
    spec:
      containers:
        - name: api
          image: registry.example.com/churn:1.4.2
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: churn-worker
spec:
  selector: { matchLabels: { app: worker } }
  template:
    metadata: { labels: { app: worker } }
    spec:
      containers:
        - name: worker
          image: registry.example.com/churn:1.4.2
`;

describe("inline suppressions", () => {
  it("a `# mlready-ignore` comment with a reason suppresses the finding on the next line; the rule passes", async () => {
    const root = tempProject({ "requirements.txt": "flask==3.0.0\n# mlready-ignore pinned-dependencies: vendored wheel, pinned by hash in CI\nrequests\n" });
    const result = await check(root, { rules: pinned });
    expect(of(result, "pinned-dependencies")).toEqual([
      { ruleId: "pinned-dependencies", file: "requirements.txt", line: 3, messageId: expect.any(String), suppressed: { kind: "inline", reason: "vendored wheel, pinned by hash in CI" } },
    ]);
    expect(status(result, "pinned-dependencies")).toBe("pass");
    expect(of(result, "unused-suppression")).toEqual([]);
    const unsuppressed = await check(root, { rules: pinned, inlineConfig: false });
    expect(status(unsuppressed, "pinned-dependencies")).toBe("fail");
    expect(unsuppressed.findings.every((finding) => !finding.suppressed)).toBe(true);
    expect(unsuppressed.score).toBeLessThan(result.score);
  });

  it("covers only the next code line: stacked comments are skipped, other findings still fail the rule", async () => {
    const root = tempProject({
      "requirements.txt": "# mlready-ignore pinned-dependencies: internal mirror pins it\n# (see OPS-7)\nrequests\nnumpy\n",
    });
    const result = await check(root, { rules: pinned });
    expect(of(result, "pinned-dependencies").map((finding) => [finding.line, finding.suppressed?.kind])).toEqual([[3, "inline"], [4, undefined]]);
    expect(status(result, "pinned-dependencies")).toBe("fail");
  });

  it("several rules in one comment in a Dockerfile; one that matches nothing is reported", async () => {
    const root = tempProject({
      Dockerfile: "# mlready-ignore base-image-pinned, exec-form-entrypoint: base image tracked by Renovate\nFROM python:latest\nRUN pip install flask==3.0.0\nCMD [\"python\", \"app.py\"]\n",
    });
    const result = await check(root, { rules: rulesNamed("base-image-pinned", "exec-form-entrypoint") });
    expect(of(result, "base-image-pinned")).toEqual([
      expect.objectContaining({ file: "Dockerfile", line: 2, suppressed: { kind: "inline", reason: "base image tracked by Renovate" } }),
    ]);
    expect(status(result, "base-image-pinned")).toBe("pass");
    // The server starts in exec form: exec-form-entrypoint has nothing on line 2 to suppress.
    const unused = of(result, "unused-suppression");
    expect(unused).toEqual([expect.objectContaining({ file: "Dockerfile", line: 1, messageId: "unused" })]);
    expect(result.findings.find((finding) => finding.ruleId === "unused-suppression")?.severity).toBe("info");
  });

  it("a comment without a reason suppresses nothing and is reported; so is an unknown rule id", async () => {
    const root = tempProject({
      "requirements.txt": "# mlready-ignore pinned-dependencies\nrequests\n# mlready-ignore pinned-dependancies: typo\nnumpy\n# mlready-ignore: no rule named\npandas\n",
    });
    const result = await check(root, { rules: pinned });
    expect(of(result, "pinned-dependencies").every((finding) => finding.suppressed === undefined)).toBe(true);
    expect(of(result, "unused-suppression").map((finding) => [finding.line, finding.messageId])).toEqual([[1, "missingReason"], [3, "unknownRule"], [5, "noRule"]]);
  });

  it("Markdown uses an HTML comment; examples in code fences are not directives", async () => {
    const readme = [
      "# Churn API",
      "",
      "```md",
      "<!-- mlready-ignore runbook-linked: an example in a code block -->",
      "```",
      "",
      "<!-- mlready-ignore runbook-linked: the playbook is published by the platform team next sprint -->",
      "Operations: [playbook](docs/playbook.md).",
      "",
    ].join("\n");
    const root = tempProject({ "README.md": readme, "Dockerfile": "FROM python:3.12-slim\n" });
    const result = await check(root, { rules: rulesNamed("runbook-linked") });
    const findings = of(result, "runbook-linked");
    expect(findings.filter((finding) => finding.line === 8)).toEqual([
      expect.objectContaining({ suppressed: { kind: "inline", reason: "the playbook is published by the platform team next sprint" } }),
    ]);
    expect(of(result, "unused-suppression")).toEqual([]);
  });

  it("the Kubernetes annotation covers findings inside its object only", async () => {
    const root = tempProject({ "k8s/deployment.yaml": DEPLOYMENT_NO_LIMITS });
    const result = await check(root, { rules: rulesNamed("resource-limits") });
    const findings = of(result, "resource-limits");
    const api = findings.filter((finding) => (finding.line ?? 0) < 16);
    const worker = findings.filter((finding) => (finding.line ?? 0) >= 16);
    expect(api.length).toBeGreaterThan(0);
    expect(worker.length).toBeGreaterThan(0);
    for (const finding of api) expect(finding.suppressed).toEqual({ kind: "inline", reason: "sized by the VPA in prod (OPS-42)" });
    for (const finding of worker) expect(finding.suppressed).toBeUndefined();
    expect(status(result, "resource-limits")).toBe("fail");
    expect(of(result, "unused-suppression")).toEqual([]);
  });

  it("an annotation for a rule with no finding in the object is reported at the annotation", async () => {
    const manifest = DEPLOYMENT_NO_LIMITS.replace("resource-limits: sized", "image-tag-pinned: sized");
    const root = tempProject({ "k8s/deployment.yaml": manifest });
    const result = await check(root, { rules: rulesNamed("resource-limits", "image-tag-pinned") });
    expect(of(result, "unused-suppression")).toEqual([expect.objectContaining({ file: "k8s/deployment.yaml", line: 6, messageId: "unused" })]);
  });

  it("parses directives in every comment style it documents", () => {
    expect(parseInlineDirectives("Makefile", "makefile", "\t# mlready-ignore rollback-script: legacy target\nrollback:\n").map((d) => [d.rules, d.reason, d.fromLine]))
      .toEqual([[["rollback-script"], "legacy target", 2]]);
    expect(parseInlineDirectives("pyproject.toml", "pyproject", "[project]\n# mlready-ignore a,b : why: because\ndependencies = []\n").map((d) => [d.rules, d.reason, d.fromLine]))
      .toEqual([[["a", "b"], "why: because", 3]]);
    expect(parseInlineDirectives("README.md", "markdown", "<!--mlready-ignore runbook-linked:x-->\ntext\n").map((d) => [d.rules, d.reason]))
      .toEqual([[["runbook-linked"], "x"]]);
    expect(parseInlineDirectives("README.md", "markdown", "# mlready-ignore runbook-linked: heading, not a comment\n")).toEqual([]);
    expect(parseInlineDirectives("Dockerfile", "dockerfile", "# mlready-ignored x: not the keyword\n")).toEqual([]);
  });
});

describe("config overrides", () => {
  it("suppresses a rule's findings in matching files with the override's reason, and validates rule ids", async () => {
    const root = tempProject({
      "requirements.txt": "requests\n",
      "vendor/requirements.txt": "numpy\n",
      ".mlreadyrc.json": JSON.stringify({ overrides: [{ files: ["vendor/**"], rules: ["pinned-dependencies"], reason: "upstream code we do not edit" }] }),
    });
    const result = await check(root, { rules: pinned });
    expect(of(result, "pinned-dependencies").map((finding) => [finding.file, finding.suppressed])).toEqual([
      ["requirements.txt", undefined],
      ["vendor/requirements.txt", { kind: "config", reason: "upstream code we do not edit" }],
    ]);
    expect(() => resolveSettings({ overrides: [{ files: ["x"], rules: ["no-such-rule"], reason: "r" }] }, RULES, "cfg"))
      .toThrow(/overrides\.0\.rules: no-such-rule is not a known rule/);
    expect(() => resolveSettings({ overrides: [{ files: ["x"] }] }, RULES, "cfg")).toThrow(/reason/);
    expect(() => resolveSettings({ overrides: [{ reason: "r" }] }, RULES, "cfg")).toThrow("cfg: overrides.0 needs `files`, `rules` or both");
    expect(() => resolveSettings({ overrides: [{ rules: ["pinned-dependencies"], reason: "  " }] }, RULES, "cfg")).toThrow("cfg: overrides.0.reason must not be blank");
    expect(() => resolveSettings({ overrides: [{ rules: ["parse-error"], files: ["legacy/**"], reason: "templated YAML" }] }, RULES, "cfg")).not.toThrow();
  });

  it("an override that matches nothing is an unused-suppression at the config file", async () => {
    const root = tempProject({
      "requirements.txt": "requests==2.32.3\n",
      ".mlreadyrc.json": JSON.stringify({ overrides: [{ files: ["charts/vendor/**"], reason: "vendored chart" }] }),
    });
    const result = await check(root, { rules: pinned });
    expect(of(result, "unused-suppression")).toEqual([expect.objectContaining({ file: ".mlreadyrc.json", messageId: "unusedOverride" })]);
  });

  it("globs follow fast-glob syntax, and a folder matches what is under it", () => {
    const matches = (glob: string, file: string) => globToRegExp(glob).test(file);
    expect(matches("charts/vendor/**", "charts/vendor/redis/values.yaml")).toBe(true);
    expect(matches("charts/vendor", "charts/vendor/redis/values.yaml")).toBe(true);
    expect(matches("**/*.yaml", "values.yaml")).toBe(true);
    expect(matches("**/*.yaml", "a/b/values.yaml")).toBe(true);
    expect(matches("*.yaml", "a/values.yaml")).toBe(false);
    expect(matches("k8s/*.{yaml,yml}", "k8s/app.yml")).toBe(true);
    expect(matches("k8s/?.yaml", "k8s/ab.yaml")).toBe(false);
    expect(matches("charts/vendor/**", "charts/vendorx/a.yaml")).toBe(false);
    expect(matches("requirements[0-9].txt", "requirements2.txt")).toBe(true);
  });
});

describe("reports and gates", () => {
  const project = () => tempProject({ "requirements.txt": "flask==3.0.0\n# mlready-ignore pinned-dependencies: pinned by the base image\nrequests\n" });

  it("text and JSON show suppressed findings with kind and reason; SARIF leaves them out", async () => {
    const result = await check(project(), { rules: pinned });
    const text = formatText([result], { color: false });
    expect(text).toMatch(/requirements\.txt:3:1 +error +.*pinned-dependencies +\[suppressed \(inline\): pinned by the base image\]/);
    expect(text).toMatch(/0 errors, 0 warnings, 0 info, 1 suppressed/);
    expect(formatText([result], { color: false, quiet: true })).not.toContain("requirements.txt:3");
    const json = JSON.parse(formatJson([result]));
    expect(json.findings).toEqual([expect.objectContaining({ ruleId: "pinned-dependencies", line: 3, suppressed: { kind: "inline", reason: "pinned by the base image" } })]);
    expect(json.rules.find((rule: { id: string }) => rule.id === "pinned-dependencies").status).toBe("pass");
    const sarif = JSON.parse(formatSarif([result], { sarifRoot: () => result.absoluteRoot }));
    expect(sarif.runs[0].results).toEqual([]);
  });

  it("suppressed findings do not fail --fail-on; --no-inline-config brings them back", async () => {
    const root = project();
    expect(await main(["check", root, "--fail-on", "error"], io().io)).toBe(0);
    const strict = io();
    expect(await main(["check", root, "--fail-on", "error", "--no-inline-config", "-f", "json"], strict.io)).toBe(1);
    expect(JSON.parse(strict.out()).findings.some((finding: { suppressed?: unknown }) => finding.suppressed)).toBe(false);
  });

  it("--max-warnings N fails on more than N unsuppressed warnings, as ESLint does", async () => {
    const root = tempProject({ Dockerfile: "FROM python:latest\nCMD python app.py\n" });
    const json = io();
    await main(["check", root, "--fail-on", "none", "-f", "json"], json.io);
    const warnings = JSON.parse(json.out()).findings.filter((finding: { severity: string; suppressed?: unknown }) => finding.severity === "warning" && !finding.suppressed).length;
    expect(warnings).toBeGreaterThan(0);
    expect(await main(["check", root, "--fail-on", "none", "--max-warnings", String(warnings)], io().io)).toBe(0);
    expect(await main(["check", root, "--fail-on", "none", "--max-warnings", String(warnings - 1)], io().io)).toBe(1);
    const bad = io();
    expect(await main(["check", root, "--max-warnings", "many"], bad.io)).toBe(2);
    expect(bad.err()).toMatch(/--max-warnings must be a whole number/);
  });
});
