import { describe, expect, it } from "vitest";
import { check } from "../src/check.js";
import { parseMakefile } from "../src/parsers/makefile.js";
import { parseShellScript } from "../src/parsers/shell.js";
import { literalVariables, resolveWord, strictModeLine, syntaxProblem } from "../src/rollback.js";
import rollbackScriptValid from "../src/rules/rollback-script-valid.js";
import rollbackTested from "../src/rules/rollback-tested.js";
import type { Rule } from "../src/rule.js";
import { tempProject } from "./helpers/tmp.js";

const script = (text: string) => parseShellScript(text, "scripts/rollback.sh").commands;

describe("syntaxProblem", () => {
  it.each([
    ["if/else/fi, loops, case and functions", 'if [ -n "$1" ]; then a; elif b; then c; else d; fi\nfor i do echo "$i"; done\nwhile read -r l; do :; done\ncase "$1" in\n  done) echo pattern ;;\n  *) until x; do y; done ;;\nesac\nf() {\n  { a; b; } || true\n}\nfunction g {\n  if case "$x" in a) : ;; esac; then :; fi\n}\n'],
    ["nested keywords after then/else/!", "if a; then if b; then c; fi; else if d; then :; fi; fi\nif ! while false; do :; done; then :; fi\n"],
    ["arithmetic at the end of a line", "i=0\nwhile [ $i -lt 3 ]; do\n  i=$(( i + 1 ))\ndone\nshift $(($OPTIND - 1))\n# if this comment were code it would open a block\necho ok\n"],
  ])("accepts %s", (_, text) => {
    expect(syntaxProblem(script(text))).toBeUndefined();
  });

  it.each([
    ["an unclosed if", "set -e\nif true; then\n  kubectl rollout undo deployment/x\n", 2, "never closed with `fi`"],
    ["a loop closed by fi", "for x in a b; do\n  echo $x\nfi\n", 3, "`fi` closes `for`"],
    ["a stray then", ": if test -d x; then\n  echo\nfi\n", 1, "`then` without an open `if`"],
    ["a stray done", "echo a\ndone\n", 2, "`done` closes nothing"],
  ])("reports %s", (_, text, line, problem) => {
    const found = syntaxProblem(script(text));
    expect(found?.at.line).toBe(line);
    expect(found?.problem).toContain(problem);
  });

  it("reads a Makefile target's recipe", () => {
    const makefile = parseMakefile("rollback:\n\tif [ -n \"$(REVISION)\" ]; then \\\n\t  kubectl rollout undo deployment/x --to-revision=$(REVISION); \\\n\tfi\n", "Makefile");
    expect(syntaxProblem(makefile.targets[0]?.commands ?? [])).toBeUndefined();
  });
});

describe("strictModeLine", () => {
  it.each([
    ["set -euo pipefail", 2],
    ["set -Eeu", 2],
    ["set -o errexit -o nounset", 2],
    ["set -u", undefined],
    ["set +e", undefined],
  ])("%s", (line, expected) => {
    expect(strictModeLine(script(`#!/bin/bash\n${line}\nkubectl rollout undo deployment/x\n`))).toBe(expected);
  });
});

describe("variables", () => {
  const variables = literalVariables(script('APP=churn-api\nexport NS="${NS:-prod}"\nREV="$1"\nTWICE=a\nTWICE=b\nfor LOOP in a b; do :; done\nread -r INPUT\n'));
  it.each([
    ["deployment/$APP", "deployment/churn-api"],
    ["deployment/${APP:-other}", "deployment/churn-api"],
    ["$NS", "prod"],
    ["${UNSET:-fallback}", "fallback"],
    ["$REV", "$REV"],
    ["$TWICE", "$TWICE"],
    ["$LOOP", "$LOOP"],
    ["$INPUT", "$INPUT"],
    ["$UNKNOWN", "$UNKNOWN"],
  ])("%s -> %s", (text, expected) => {
    expect(resolveWord({ text, location: { line: 1, column: 1 } }, variables).text).toBe(expected);
  });
});

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: churn-api
spec:
  selector:
    matchLabels: {app: churn-api}
  template:
    metadata:
      labels: {app: churn-api}
    spec:
      containers:
        - name: api
          image: registry.example.com/churn-api:1.4.2
`;

async function run(rule: Rule<object>, files: Record<string, string>) {
  const result = await check(tempProject({ "Dockerfile": "FROM python:3.11-slim\n", "k8s/deployment.yaml": DEPLOYMENT, ...files }), { rules: [rule] });
  const outcome = result.rules[0];
  return { status: outcome?.status, findings: (outcome?.findings ?? []).map((finding) => `${finding.messageId} ${finding.file ?? "-"}:${finding.line ?? "-"}`) };
}

describe("rollback-script-valid over entry points", () => {
  it("follows a Makefile target into the script it runs, and reports in the script", async () => {
    const outcome = await run(rollbackScriptValid as Rule<object>, {
      "Makefile": "rollback:\n\t$(CURDIR)/ops/undo.sh\n",
      "ops/undo.sh": "#!/bin/bash\nDEPLOYMENT=churn-predictor\nkubectl rollout undo deployment/$DEPLOYMENT\n",
    });
    expect(outcome.findings.sort()).toEqual(["dangling ops/undo.sh:3", "noWait ops/undo.sh:3", "notStrict ops/undo.sh:1"]);
  });

  it("leaves a rollback command whose literal target is missing to rollback-script, which reports it already", async () => {
    const outcome = await run(rollbackScriptValid as Rule<object>, {
      "Makefile": "rollback:\n\t$(CURDIR)/ops/undo.sh\n",
      "ops/undo.sh": "#!/bin/bash\nset -e\nkubectl rollout undo deployment/churn-predictor\nkubectl rollout status deployment/churn-predictor\n",
    });
    expect(outcome.findings.sort()).toEqual(["dangling ops/undo.sh:4"]);
  });

  it("does not require set -e of a script only run by `bash -e`", async () => {
    const outcome = await run(rollbackScriptValid as Rule<object>, {
      "Makefile": "rollback:\n\tbash -e ops/restore-previous.sh\n",
      "ops/restore-previous.sh": "kubectl rollout undo deployment/churn-api\nkubectl rollout status deployment/churn-api\n",
    });
    expect(outcome).toEqual({ status: "pass", findings: [] });
  });

  it("does not judge names when the manifests are elsewhere", async () => {
    const result = await check(tempProject({ "Dockerfile": "FROM python:3.11-slim\n", "scripts/rollback.sh": "set -e\nkubectl rollout undo deployment/anything\nkubectl rollout status deployment/anything\n" }), { rules: [rollbackScriptValid as Rule<object>] });
    expect(result.rules[0]?.status).toBe("pass");
  });
});

describe("rollback-tested", () => {
  it("accepts a namespace that names staging in the step", async () => {
    const outcome = await run(rollbackTested as Rule<object>, {
      "scripts/rollback.sh": "set -e\nkubectl rollout undo deployment/churn-api\n",
      ".github/workflows/drill.yml": "on: push\njobs:\n  drill:\n    runs-on: ubuntu-latest\n    steps:\n      - run: NAMESPACE=churn-staging scripts/rollback.sh\n",
    });
    expect(outcome).toEqual({ status: "pass", findings: [] });
  });

  it("honours nonProductionEnvironments", async () => {
    const files = {
      "Dockerfile": "FROM python:3.11-slim\n",
      "k8s/deployment.yaml": DEPLOYMENT,
      "Makefile": "rollback:\n\tscripts/rollback.sh\n",
      "scripts/rollback.sh": "set -e\nkubectl rollout undo deployment/churn-api\n",
      ".github/workflows/drill.yml": "on: push\njobs:\n  drill:\n    runs-on: ubuntu-latest\n    environment: blue\n    steps:\n      - run: make rollback\n",
    };
    const defaults = await check(tempProject(files), { rules: [rollbackTested as Rule<object>] });
    expect(defaults.rules[0]?.findings.map((finding) => `${finding.messageId} ${finding.file}:${finding.line}`)).toEqual(["ciNotRehearsal .github/workflows/drill.yml:7"]);
    const configured = await check(
      tempProject({ ...files, ".mlreadyrc.json": JSON.stringify({ rules: { "rollback-tested": ["info", { nonProductionEnvironments: ["blue"] }] } }) }),
      { rules: [rollbackTested as Rule<object>] },
    );
    expect(configured.rules[0]?.status).toBe("pass");
  });

  it("finds a dated drill in a sub-heading or a link", async () => {
    const heading = await run(rollbackTested as Rule<object>, {
      "scripts/rollback.sh": "set -e\nkubectl rollout undo deployment/churn-api\n",
      "docs/runbook.md": "# Runbook\n\n## Rollback rehearsals\n\n### 12 March 2026 (staging)\n",
    });
    expect(heading.status).toBe("pass");
    const link = await run(rollbackTested as Rule<object>, {
      "scripts/rollback.sh": "set -e\nkubectl rollout undo deployment/churn-api\n",
      "RUNBOOK.md": "# Runbook\n\n- [Rollback drill, March 2026](drills/2026-03.md)\n",
    });
    expect(link.status).toBe("pass");
  });
});
