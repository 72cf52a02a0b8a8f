import path from "node:path";
import { describe, expect, it } from "vitest";
import { check } from "../src/check.js";
import { REPO_ROOT } from "./helpers/fixtures.js";

// `npm start` shows this project to every new user: its two deliberate gaps must stay the only findings.
describe("examples/churn-predictor", () => {
  it("reports exactly its two deliberate gaps and parses every file", async () => {
    const result = await check(path.join(REPO_ROOT, "examples", "churn-predictor"));
    expect(result.findings.map((finding) => `${finding.ruleId} ${finding.file}:${finding.line}`)).toEqual([
      "resource-limits k8s/deployment.yaml:93",
      "pinned-dependencies requirements.txt:5",
    ]);
    expect(result.artifacts).toMatchObject({ dockerfile: 1, kubernetes: 6, mlmodel: 1, markdown: 2, shell: 1, makefile: 1 });
    expect(result.rules.every((rule) => rule.status === "pass" || rule.status === "fail")).toBe(true);
  });
});
