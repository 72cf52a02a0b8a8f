// The github, markdown and junit formats: exact output on a small hand-built result (so that new rules
// elsewhere do not change it), escaping of hostile text, and each format on a real check.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { check, type CheckResult } from "../src/check.js";
import { main, type Io } from "../src/cli.js";
import type { Finding } from "../src/model.js";
import { escapeData, escapeProperty, formatGithub, githubStepSummary } from "../src/reporters/github.js";
import { formatJunit } from "../src/reporters/junit.js";
import { escapeXml } from "../src/xml.js";
import { escapeMarkdown, formatMarkdown } from "../src/reporters/markdown.js";
import type { RuleResult } from "../src/rule.js";
import { scoreResults } from "../src/score.js";
import { TOOL } from "../src/version.js";
import { tempProject } from "./helpers/tmp.js";
import { assertWellFormedXml } from "./helpers/xml.js";

const DOCS = "https://github.com/mlready/mlready/blob/main/docs/rules";

function rule(id: string, section: RuleResult["section"], status: RuleResult["status"], extra: Partial<RuleResult> = {}): RuleResult {
  return { id, title: id, description: id, section, severity: "error", weight: 1, status, findings: [], ...extra };
}

/** A project in `services/churn` of a repository at /repo, with one rule of each outcome. */
function sample(findings: Finding[], rules?: RuleResult[]): CheckResult {
  const ruleResults = rules ?? [
    rule("pinned-dependencies", "container", "fail"),
    rule("non-root-user", "container", "pass"),
    rule("health-probes", "rollout", "skip", { reason: "no Kubernetes workloads" }),
    rule("resource-limits", "rollout", "off"),
    rule("runbook-linked", "runbook", "fail", { severity: "warning" }),
  ];
  return {
    root: "services/churn",
    absoluteRoot: path.join(path.sep, "repo", "services", "churn"),
    config: {},
    rules: ruleResults,
    findings,
    artifacts: {},
    builds: [],
    ...scoreResults(ruleResults),
  };
}

const FINDINGS: Finding[] = [
  { ruleId: "pinned-dependencies", severity: "error", message: "Pin \"requests\" to an exact version (==).", file: "requirements.txt", line: 2, column: 1, endLine: 2, endColumn: 9 },
  { ruleId: "pinned-dependencies", severity: "warning", message: "Pin flask, ideally with hashes.", file: "requirements.txt", line: 1, column: 1, suppressed: { kind: "inline", reason: "vendored" } },
  { ruleId: "runbook-linked", severity: "info", message: "Link a runbook from the README.", messageId: "missing" },
];
const options = { sarifRoot: () => path.join(path.sep, "repo") };

describe("github format", () => {
  it("writes one annotation per unsuppressed finding with repository paths, then the score", () => {
    expect(formatGithub([sample(FINDINGS)], options)).toBe([
      "::error file=services/churn/requirements.txt,line=2,endLine=2,col=1,endColumn=9,title=mlready pinned-dependencies::Pin \"requests\" to an exact version (==).",
      "::notice title=mlready runbook-linked::Link a runbook from the README.",
      "::notice title=mlready readiness::services/churn: 25/100, grade F",
      "",
    ].join("\n"));
  });

  it("escapes %, CR and LF in messages, and also : and , in properties", () => {
    expect(escapeData("100% done\r\nnext: a,b")).toBe("100%25 done%0D%0Anext: a,b");
    expect(escapeProperty("a:b,c%d\ne")).toBe("a%3Ab%2Cc%25d%0Ae");
    const hostile: Finding = { ruleId: "pinned-dependencies", severity: "warning", message: "50% of\nlines\r::error::x", file: "a,b:c%.txt", line: 3 };
    const output = formatGithub([sample([hostile])], { sarifRoot: () => path.join(path.sep, "repo", "services", "churn") });
    expect(output.split("\n")[0]).toBe("::warning file=a%2Cb%3Ac%25.txt,line=3,title=mlready pinned-dependencies::50%25 of%0Alines%0D::error::x");
    // No message can start a line of its own, so it cannot inject a workflow command.
    expect(output.split("\n").filter((line) => line.startsWith("::"))).toHaveLength(2);
  });

  it("the step summary is the Markdown report", () => {
    expect(githubStepSummary([sample(FINDINGS)])).toBe(formatMarkdown([sample(FINDINGS)]));
  });

  it("the CLI appends the summary to $GITHUB_STEP_SUMMARY and prints the annotations", async () => {
    const root = tempProject({ "requirements.txt": "flask==3.0.0\nrequests\n" });
    const summary = path.join(tempProject({ "summary.md": "# Earlier step\n" }), "summary.md");
    let stdout = "";
    const io: Io = { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: () => true }, env: { GITHUB_STEP_SUMMARY: summary } };
    const code = await main(["check", root, "--format", "github", "--sarif-root", root], io);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^::error file=requirements\.txt,line=2,col=1,.*title=mlready pinned-dependencies::/m);
    const written = readFileSync(summary, "utf8");
    expect(written.startsWith("# Earlier step\n")).toBe(true);
    expect(written).toContain("| ❌ | Container | 0 |");
    expect(written).toContain(`[pinned-dependencies](${DOCS}/pinned-dependencies.md)`);
  });
});

describe("markdown format", () => {
  it("shows the checklist table, then the unsuppressed findings", () => {
    expect(formatMarkdown([sample(FINDINGS)])).toBe([
      "### mlready: services/churn: 25/100, grade F",
      "",
      "| | Section | Score | Checklist |",
      "|:-:|---|--:|---|",
      "| ❌ | Container | 50 | Docker image with pinned deps and no hardcoded secrets |",
      "| ➖ | Registry | n/a | Model versioned in a registry with a reproducible training run |",
      "| ➖ | Rollout | n/a | Blue-green or canary strategy; resources, probes |",
      "| ➖ | Monitoring | n/a | Infrastructure + model + business monitoring |",
      "| ➖ | Rollback | n/a | Rollback playbook documented and tested |",
      "| ➖ | Load | n/a | Load tested at 2x expected peak |",
      "| ❌ | Runbook | 0 | Runbook written and linked from the README |",
      "",
      "1 error, 0 warnings, 1 info, 1 suppressed (not listed)",
      "",
      "| Severity | Rule | Location | Message |",
      "|---|---|---|---|",
      `| error | [pinned-dependencies](${DOCS}/pinned-dependencies.md) | requirements.txt:2 | Pin "requests" to an exact version (==). |`,
      `| info | [runbook-linked](${DOCS}/runbook-linked.md) | (project) | Link a runbook from the README. |`,
      "",
      `<sub>mlready ${TOOL.version}</sub>`,
      "",
    ].join("\n"));
  });

  it("keeps user text from breaking the table or injecting HTML and links", () => {
    expect(escapeMarkdown("a|b\nc <img src=x> & [x](http://e) `c` *d* \\")).toBe("a\\|b c &lt;img src=x&gt; &amp; \\[x\\](http://e) \\`c\\` \\*d\\* \\\\");
    const hostile: Finding = { ruleId: "parse-error", severity: "warning", message: "bad | cell\r\n<script>", file: "x|y.yaml", line: 1 };
    const rows = formatMarkdown([sample([hostile])]).split("\n").filter((line) => line.startsWith("| warning"));
    // A pseudo-rule has no docs page: no link.
    expect(rows).toEqual(["| warning | parse-error | x\\|y.yaml:1 | bad \\| cell &lt;script&gt; |"]);
  });
});

// A small XML 1.0 well-formedness check (no dependency): one root element, balanced and properly nested
// tags, quoted and unique attributes, only the five predefined entities or character references, no raw
// `<` or `&` in text, and only characters XML allows.

describe("junit format", () => {
  it("has one test case per enabled rule: failures carry the findings, skipped rules are <skipped/>", () => {
    const xml = formatJunit([sample(FINDINGS)]);
    expect(xml).toBe([
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<testsuites name="mlready" tests="4" failures="2" errors="0" skipped="1">',
      '  <testsuite name="mlready services/churn" tests="4" failures="2" errors="0" skipped="1">',
      "    <properties>",
      '      <property name="score" value="25"/>',
      '      <property name="grade" value="F"/>',
      "    </properties>",
      '    <testcase name="pinned-dependencies" classname="mlready.container">',
      '      <failure message="1 finding" type="error">requirements.txt:2:1 error: Pin &quot;requests&quot; to an exact version (==).</failure>',
      "    </testcase>",
      '    <testcase name="non-root-user" classname="mlready.container"/>',
      '    <testcase name="health-probes" classname="mlready.rollout">',
      '      <skipped message="no Kubernetes workloads"/>',
      "    </testcase>",
      '    <testcase name="runbook-linked" classname="mlready.runbook">',
      '      <failure message="1 finding" type="warning">(project) info: Link a runbook from the README.</failure>',
      "    </testcase>",
      "  </testsuite>",
      "</testsuites>",
      "",
    ].join("\n"));
    assertWellFormedXml(xml);
  });

  it("escapes markup, quotes and characters XML cannot hold", () => {
    expect(escapeXml(`<a href="x">&'\u0001\uD800\t\n`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&apos;\uFFFD\uFFFD&#9;&#10;");
    const hostile: Finding[] = [
      { ruleId: "pinned-dependencies", severity: "error", message: "</failure><testcase name=\"x\"/> & ]]> \u0007\u001b[31m", file: "a\"<b>'.txt", line: 1 },
      { ruleId: "internal-error", severity: "error", message: "Rule crashed:\nTypeError: x is <undefined>" },
    ];
    const xml = formatJunit([sample(hostile), { ...sample([]), root: "second & <last>" }]);
    assertWellFormedXml(xml);
    expect(xml).toContain('<testcase name="internal-error [services/churn]" classname="mlready.mlready">');
    expect(xml).toContain('<error message="1 finding" type="error">(project) error: Rule crashed:\nTypeError: x is &lt;undefined&gt;</error>');
    expect(xml).toContain('<testsuite name="mlready second &amp; &lt;last&gt;"');
    expect(xml).not.toContain("\u0007");
  });

  it("the checker rejects XML that is not well formed", () => {
    const declaration = '<?xml version="1.0" encoding="UTF-8"?>\n';
    for (const bad of ["<a><b></a></b>", "<a>x & y</a>", '<a b="1" b="2"/>', "<a/><b/>", "<a>\u0001</a>", '<a b="<"/>', "<a>"]) {
      expect(() => assertWellFormedXml(declaration + bad), bad).toThrow();
    }
    expect(() => assertWellFormedXml(`${declaration}<a b="&amp;&#10;">t &lt; <c/></a>\n`)).not.toThrow();
  });
});

describe("every new format on a real check", () => {
  it("renders a checked project", async () => {
    const root = tempProject({ "requirements.txt": "flask==3.0.0\nrequests\n", "README.md": "# svc\n", "Dockerfile": "FROM python:3.11.9-slim\n" });
    const result = await check(root);
    const junit = formatJunit([result]);
    assertWellFormedXml(junit);
    const enabled = result.rules.filter((entry) => entry.status !== "off");
    expect(junit.match(/<testcase /g)?.length).toBeGreaterThanOrEqual(enabled.length);
    expect(junit).toContain('<testcase name="pinned-dependencies" classname="mlready.container">');
    expect(formatMarkdown([result])).toContain(`| error | [pinned-dependencies](${DOCS}/pinned-dependencies.md) | requirements.txt:2 |`);
    expect(formatGithub([result], { sarifRoot: () => root })).toContain("::error file=requirements.txt,line=2,");
  });
});
