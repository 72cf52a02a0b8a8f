import path from "node:path";
import { describe, expect, it } from "vitest";
import { check } from "../src/check.js";
import { formatText } from "../src/reporters/text.js";
import { REPO_ROOT } from "./helpers/fixtures.js";

// `npm start` shows this project to every new user: its three deliberate gaps (a hard-cut RollingUpdate, a
// sidecar without a memory limit, one unpinned package) must stay the only findings.
describe("examples/churn-predictor", () => {
  it("reports exactly its three deliberate gaps and parses every file", async () => {
    const result = await check(path.join(REPO_ROOT, "examples", "churn-predictor"));
    expect(result.findings.map((finding) => `${finding.ruleId} ${finding.file}:${finding.line}`)).toEqual([
      "progressive-delivery k8s/deployment.yaml:2",
      "resource-limits k8s/deployment.yaml:93",
      "pinned-dependencies requirements.txt:5",
    ]);
    expect(result.artifacts).toMatchObject({ dockerfile: 1, kubernetes: 6, mlmodel: 1, markdown: 2, shell: 1, makefile: 1 });
    expect(result.rules.every((rule) => rule.status === "pass" || rule.status === "fail")).toBe(true);
    // All seven checklist lines have a real result.
    expect(result.sections.map((section) => [section.id, section.score === null ? "n/a" : "scored"])).toEqual(
      ["container", "registry", "rollout", "monitoring", "rollback", "load", "runbook"].map((id) => [id, "scored"]),
    );
  });

  it("shows every section's rules with their outcome in the text report (what npm start prints)", async () => {
    const result = await check(path.join(REPO_ROOT, "examples", "churn-predictor"));
    const text = formatText([result], { color: false });
    // The container section's lines run from its own line to the next section's (Registry).
    const container = text.slice(text.indexOf("✖ Container"), text.indexOf("✔ Registry"));
    for (const rule of ["base-image-pinned", "exec-form-entrypoint", "multi-stage-build", "no-baked-secrets", "non-root-user"]) {
      expect(container).toContain(`✔ ${rule}`);
    }
    expect(container).toContain("✖ pinned-dependencies");
    expect(text).toContain("✔ model-versioned");
    expect(text).toContain("✖ progressive-delivery");
  });
});
