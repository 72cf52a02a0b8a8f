import { cpSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { main, type Io } from "../src/cli.js";
import { check, format } from "../src/index.js";
import type { Rule } from "../src/rule.js";
import { RuleTester } from "../src/testing.js";
// @ts-expect-error -- a plain ES module without type declarations, as a published plugin may be
import * as acme from "../examples/plugin-acme/index.mjs";
import { REPO_ROOT } from "./helpers/fixtures.js";
import { tempProject } from "./helpers/tmp.js";

const plugin = acme as { rules: Rule<object>[]; allowedRegistries: Rule<object>; requiredLabel: Rule<object>; meta: { name: string; version: string } };
const EXAMPLE = path.join(REPO_ROOT, "examples", "plugin-acme");
const tester = new RuleTester({ describe, it });

const deployment = (image: string, labels = "    team: search\n") => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ranker
  labels:
${labels}spec:
  selector:
    matchLabels:
      app: ranker
  template:
    metadata:
      labels:
        app: ranker
    spec:
      containers:
        - name: api
          image: ${image}
`;

tester.run("acme allowed-registries", plugin.allowedRegistries, {
  valid: [
    { name: "Dockerfile from an allowed registry", files: { Dockerfile: "FROM ghcr.io/acme/python:3.12-slim\nCMD [\"serve\"]\n" }, options: { registries: ["ghcr.io/acme"] } },
    { name: "Docker Hub allowed by name", files: { Dockerfile: "FROM python:3.12-slim AS build\nFROM build\n" }, options: { registries: ["docker.io"] } },
    { name: "manifest image from an allowed registry", files: { "k8s/deploy.yaml": deployment("registry.acme.internal/ranker:1.4.0") }, options: { registries: ["registry.acme.internal"] } },
    { name: "build ARG without a default and scratch are not judged", files: { Dockerfile: "ARG BASE\nFROM ${BASE}\nFROM scratch\n" }, options: { registries: ["ghcr.io/acme"] }, status: "skip" },
    { name: "no registries configured", files: { Dockerfile: "FROM python:3.12\n" }, status: "skip" },
  ],
  invalid: [
    {
      name: "public base image",
      files: { Dockerfile: "# build\nFROM python:3.12-slim\n" },
      options: { registries: ["ghcr.io/acme"] },
      errors: [{ messageId: "baseImage", file: "Dockerfile", line: 2, message: "FROM python:3.12-slim does not come from an allowed registry (ghcr.io/acme): use the mirrored image from one of them." }],
    },
    {
      name: "a look-alike registry prefix",
      files: { Dockerfile: "FROM ghcr.io/acmecorp/base:1.0\n" },
      options: { registries: ["ghcr.io/acme"] },
      errors: [{ messageId: "baseImage", line: 1 }],
    },
    {
      name: "Dockerfile and manifest",
      files: { Dockerfile: "FROM ghcr.io/acme/python:3.12\n", "k8s/deploy.yaml": deployment("docker.io/library/redis:7") },
      options: { registries: ["ghcr.io/acme"] },
      errors: [{ messageId: "containerImage", file: "k8s/deploy.yaml", line: 18 }],
    },
  ],
});

tester.run("acme required-label", plugin.requiredLabel, {
  valid: [
    { name: "labelled Deployment", files: { "deploy.yaml": deployment("ghcr.io/acme/ranker:1") }, options: { label: "team" } },
    { name: "default label key", files: { "deploy.yaml": deployment("ghcr.io/acme/ranker:1", "    acme.com/team: search\n") } },
    { name: "no workloads", files: { "README.md": "# ranker\n" }, status: "skip" },
  ],
  invalid: [
    { name: "missing label", files: { "deploy.yaml": deployment("ghcr.io/acme/ranker:1", "    app: ranker\n") }, options: { label: "team" }, errors: [{ messageId: "missing", file: "deploy.yaml", line: 4 }] },
    { name: "empty label", files: { "deploy.yaml": deployment("ghcr.io/acme/ranker:1", "    team: \"\"\n") }, options: { label: "team" }, errors: [{ messageId: "empty", line: 6 }] },
    { name: "default label key missing", files: { "deploy.yaml": deployment("ghcr.io/acme/ranker:1") }, errors: 1 },
  ],
});

function io() {
  let stdout = "";
  let stderr = "";
  const value: Io = { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) }, env: {} };
  return { io: value, out: () => stdout, err: () => stderr };
}

/** A project that installed the example plugin from npm and configures it in .mlreadyrc.json. */
function projectWithAcme(): string {
  const root = tempProject({
    Dockerfile: "FROM python:3.12-slim\nUSER 1000\nCMD [\"python\", \"-m\", \"serve\"]\n",
    "k8s/deploy.yaml": deployment("ghcr.io/acme/ranker:1.4.0", "    app: ranker\n"),
    ".mlreadyrc.json": JSON.stringify({
      plugins: ["mlready-plugin-acme"],
      rules: {
        "acme/allowed-registries": ["error", { registries: ["ghcr.io/acme"] }],
        "acme/required-label": ["warning", { label: "team" }],
      },
    }),
  });
  cpSync(EXAMPLE, path.join(root, "node_modules", "mlready-plugin-acme"), { recursive: true });
  return root;
}

describe("the example plugin through a config file", () => {
  it("its findings show in text, JSON and SARIF with the plugin's help, and count in the score", async () => {
    const root = projectWithAcme();
    const result = await check(root);
    expect(result.plugins?.map((loaded) => [loaded.name, loaded.version, loaded.rules])).toEqual([
      ["mlready-plugin-acme", "1.0.0", ["acme/allowed-registries", "acme/required-label"]],
    ]);
    const pluginFindings = result.findings.filter((finding) => finding.ruleId.startsWith("acme/"));
    expect(pluginFindings.map((finding) => [finding.ruleId, finding.severity, finding.file, finding.line])).toEqual([
      ["acme/allowed-registries", "error", "Dockerfile", 1],
      ["acme/required-label", "warning", "k8s/deploy.yaml", 4],
    ]);

    const text = format([result], "text");
    expect(text).toContain("acme/allowed-registries");
    expect(text).toContain("FROM python:3.12-slim does not come from an allowed registry (ghcr.io/acme)");
    expect(text).toContain("Deployment/ranker has no `team` label");

    const json = JSON.parse(format([result], "json")) as {
      findings: { ruleId: string }[];
      rules: { id: string; section: string; status: string }[];
      plugins: { name: string; namespace: string; rules: string[] }[];
    };
    expect(json.plugins).toEqual([
      expect.objectContaining({ name: "mlready-plugin-acme", namespace: "acme", rules: ["acme/allowed-registries", "acme/required-label"] }),
    ]);
    expect(json.findings.map((finding) => finding.ruleId)).toEqual(expect.arrayContaining(["acme/allowed-registries", "acme/required-label"]));
    expect(json.rules.filter((rule) => rule.id.startsWith("acme/"))).toEqual([
      expect.objectContaining({ id: "acme/allowed-registries", section: "container", status: "fail" }),
      expect.objectContaining({ id: "acme/required-label", section: "runbook", status: "fail" }),
    ]);

    const sarif = JSON.parse(format([result], "sarif", { sarifRoot: () => root })) as {
      runs: { tool: { driver: { rules: { id: string; name: string; helpUri?: string; help: { markdown: string } }[] } }; results: { ruleId: string; ruleIndex: number }[] }[];
    };
    const [run] = sarif.runs;
    const descriptor = run?.tool.driver.rules.find((rule) => rule.id === "acme/allowed-registries");
    expect(descriptor?.helpUri).toBe("https://github.com/acme/mlready-plugin-acme#readme#allowed-registries");
    expect(descriptor?.help.markdown).toMatch(/^# acme\/allowed-registries/);
    expect(descriptor?.name).toBe("AcmeAllowedRegistries");
    const sarifResult = run?.results.find((entry) => entry.ruleId === "acme/required-label");
    expect(run?.tool.driver.rules[sarifResult?.ruleIndex ?? -1]?.id).toBe("acme/required-label");

    // In the score: the container section has a failed plugin rule; without the plugin it scores higher.
    const withoutPlugins = await check(root, { plugins: false });
    expect(withoutPlugins.rules.some((rule) => rule.id.startsWith("acme/"))).toBe(false);
    const container = (scored: typeof result) => scored.sections.find((section) => section.id === "container");
    expect(container(result)?.failed).toBe((container(withoutPlugins)?.failed ?? 0) + 1);
    expect(container(result)?.score ?? 100).toBeLessThan(container(withoutPlugins)?.score ?? 0);
  });

  it("inline suppressions and overrides apply to plugin findings", async () => {
    const root = projectWithAcme();
    writeFileSync(path.join(root, "Dockerfile"), "# mlready-ignore acme/allowed-registries: the upstream image is approved by security\nFROM python:3.12-slim\n");
    const result = await check(root);
    expect(result.rules.find((rule) => rule.id === "acme/allowed-registries")?.status).toBe("pass");
    expect(result.findings.find((finding) => finding.ruleId === "acme/allowed-registries")?.suppressed?.kind).toBe("inline");
  });

  it("mlready check, rules and explain show the plugin's rules; --no-plugins leaves them out", async () => {
    const root = projectWithAcme();
    const config = path.join(root, ".mlreadyrc.json");
    const run = io();
    expect(await main(["check", root, "--format", "json"], run.io)).toBe(1);
    expect(run.out()).toContain("acme/allowed-registries");

    const list = io();
    expect(await main(["rules", "-c", config], list.io)).toBe(0);
    expect(list.out()).toMatch(/acme\/allowed-registries\s+container\s+error\s+2\s+Pull every image from an allowed registry/);
    expect(list.out()).toContain("acme/required-label");
    expect(list.out()).toContain("pinned-dependencies");

    const explain = io();
    expect(await main(["explain", "acme/required-label", "-c", config], explain.io)).toBe(0);
    expect(explain.out()).toMatch(/^# acme\/required-label/);
    expect(explain.out()).toContain("https://github.com/acme/mlready-plugin-acme#readme#required-label");

    const offline = io();
    expect(await main(["check", root, "--format", "json", "--no-plugins"], offline.io)).toBe(1);
    expect(offline.out()).not.toContain("acme/");
    const offlineList = io();
    expect(await main(["rules", "-c", config, "--no-plugins"], offlineList.io)).toBe(0);
    expect(offlineList.out()).not.toContain("acme/");
  });
});
