import { describe, expect, it } from "vitest";
import { defineRule } from "../src/rule.js";
import { RULES } from "../src/rules/index.js";
import { RuleTester } from "../src/testing.js";

const basePinned = RULES.find((rule) => rule.meta.id === "base-image-pinned");
if (!basePinned) throw new Error("base-image-pinned is not registered");

// A built-in rule through the same tester plugin authors use.
new RuleTester({ describe, it }).run("base-image-pinned (built-in, through RuleTester)", basePinned, {
  valid: [
    { name: "version tag", files: { Dockerfile: "FROM python:3.12.4-slim\nCMD [\"python\"]\n" } },
    { name: "digest with requireDigest", files: { Dockerfile: "FROM python@sha256:" + "a".repeat(64) + "\n" }, options: { requireDigest: true } },
    { name: "no Dockerfile", files: { "README.md": "# service\n" }, status: "skip" },
  ],
  invalid: [
    { name: "latest", files: { Dockerfile: "# base\nFROM python:latest\n" }, errors: [{ messageId: "latestTag", file: "Dockerfile", line: 2 }] },
    { name: "untagged in a sub-folder", files: { "serving/Dockerfile": "FROM python\n" }, errors: [{ messageId: "noTag", file: "serving/Dockerfile", line: 1 }] },
    { name: "tag only with requireDigest", files: { Dockerfile: "FROM python:3.12.4-slim\n" }, options: { requireDigest: true }, errors: [{ messageId: "noDigest" }] },
  ],
});

const readmeHeading = defineRule<{ heading: string }>({
  meta: {
    id: "readme-heading",
    title: "The README has the required heading",
    section: "runbook",
    severity: "warning",
    weight: 1,
    description: "The README has a heading the team requires.",
    options: { type: "object", properties: { heading: { type: "string" } }, additionalProperties: false },
    defaultOptions: { heading: "On-call" },
    messages: { missing: "The README has no heading \"{{heading}}\"." },
  },
  check(context) {
    const readme = context.project.markdown.find((document) => document.path === "README.md");
    if (!readme) return context.skip("no README");
    if (!readme.headings.some((heading) => heading.text === context.options.heading)) {
      context.report({ messageId: "missing", data: { heading: context.options.heading }, file: readme.path });
    }
  },
});

describe("RuleTester without a test framework", () => {
  it("returns each case's result, and says what did not match", async () => {
    const results = await new RuleTester().run("readme-heading", readmeHeading, {
      valid: [
        { files: { "README.md": "# svc\n\n## On-call\n" } },
        { name: "wrongly valid", files: { "README.md": "# svc\n" } },
      ],
      invalid: [
        { name: "project-level finding", files: { "README.md": "# svc\n" }, options: { heading: "Pager" }, errors: [{ messageId: "missing", message: "The README has no heading \"Pager\".", file: "README.md", line: null }] },
        { name: "wrong count", files: { "README.md": "# svc\n" }, errors: 2 },
        { name: "wrong message id", files: { "README.md": "# svc\n" }, errors: [{ messageId: "absent" }] },
      ],
    });
    expect(results?.map((result) => [result.kind, result.name, result.ok])).toEqual([
      ["valid", "#1 README.md", true],
      ["valid", "wrongly valid", false],
      ["invalid", "project-level finding", true],
      ["invalid", "wrong count", false],
      ["invalid", "wrong message id", false],
    ]);
    expect(results?.[1]?.message).toContain('expected no findings, got 1:\nREADME.md readme-heading [missing]: The README has no heading "On-call".');
    expect(results?.[3]?.message).toMatch(/^expected 2 finding\(s\), got 1/);
    expect(results?.[4]?.message).toContain('finding 1: messageId is "missing", expected "absent"');
  });

  it("checks the expected status, reports a crashing rule and invalid options, and refuses paths outside the project", async () => {
    const tester = new RuleTester();
    const skipped = await tester.runCase(readmeHeading, { files: { "notes.txt": "x" } }, "valid");
    expect(skipped).toMatchObject({ ok: false, status: "skip", message: 'expected the rule to pass, it ended with status "skip"' });
    const crashing = defineRule({ ...readmeHeading, check: () => { throw new Error("kaput"); } });
    const crashed = await tester.runCase(crashing, { files: { "README.md": "# x\n" }, errors: 1 }, "invalid");
    expect(crashed.message).toMatch(/^the rule crashed: Rule readme-heading failed: kaput/);
    await expect(tester.runCase(readmeHeading, { files: { "README.md": "# x\n" }, options: { heading: 1 } }, "valid")).rejects.toThrow(/option heading must be string/);
    await expect(tester.runCase(readmeHeading, { files: { "../escape.md": "x" } }, "valid")).rejects.toThrow(/must be a relative path inside the project/);
  });
});
