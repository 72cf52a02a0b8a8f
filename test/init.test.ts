import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { check } from "../src/check.js";
import { main, type Io } from "../src/cli.js";
import { loadConfig } from "../src/config/load.js";
import { CONFIG_FILE, defaultConfigText, HOOK_REPOSITORY, initProject } from "../src/init.js";
import { RULES } from "../src/rules/index.js";
import { tempProject } from "./helpers/tmp.js";

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: churn-api
  namespace: ml
spec:
  replicas: 3
  selector:
    matchLabels:
      app: churn-api
  template:
    metadata:
      labels:
        app: churn-api
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/churn-api:1.4.2
`;

describe("mlready init", () => {
  it("writes a commented config with every rule at its default, which loads to the defaults", async () => {
    const root = tempProject({ "requirements.txt": "flask==3.0.0\n" });
    const actions = await initProject(root);
    expect(actions).toEqual([expect.objectContaining({ file: CONFIG_FILE, action: "created" })]);
    const text = readFileSync(path.join(root, CONFIG_FILE), "utf8");
    expect(text).toBe(defaultConfigText());
    const resolved = await loadConfig(root, RULES);
    expect(path.basename(resolved.file ?? "")).toBe(CONFIG_FILE);
    for (const { meta } of RULES) {
      expect(text, meta.id).toMatch(new RegExp(`^ {2}${meta.id}:`, "m"));
      expect(resolved.settings.get(meta.id), meta.id).toEqual({ severity: meta.severity, options: meta.defaultOptions });
    }
    // Each rule is introduced by a comment with its title.
    for (const { meta } of RULES) expect(text).toContain(meta.title.slice(0, 30));
  });

  it("never overwrites: a second run and an existing config in another format are kept", async () => {
    const root = tempProject({ [CONFIG_FILE]: "rules: {}\n" });
    expect(await initProject(root)).toEqual([expect.objectContaining({ file: CONFIG_FILE, action: "kept" })]);
    expect(readFileSync(path.join(root, CONFIG_FILE), "utf8")).toBe("rules: {}\n");
    const json = tempProject({ ".mlreadyrc.json": "{}\n" });
    expect(await initProject(json)).toEqual([expect.objectContaining({ file: ".mlreadyrc.json", action: "kept" })]);
    expect(() => statSync(path.join(json, CONFIG_FILE))).toThrow();
  });

  it("adds the hook to an existing .pre-commit-config.yaml, keeping its comments, once", async () => {
    const original = "# our hooks\nrepos:\n  - repo: https://github.com/pre-commit/pre-commit-hooks\n    rev: v4.6.0\n    hooks:\n      - id: end-of-file-fixer # keep\n";
    const root = tempProject({ ".pre-commit-config.yaml": original });
    const actions = await initProject(root);
    expect(actions).toContainEqual(expect.objectContaining({ file: ".pre-commit-config.yaml", action: "updated" }));
    const text = readFileSync(path.join(root, ".pre-commit-config.yaml"), "utf8");
    expect(text).toContain("# our hooks");
    expect(text).toContain("# keep");
    const config = parse(text) as { repos: { repo: string; rev: string; hooks: { id: string }[] }[] };
    expect(config.repos).toHaveLength(2);
    expect(config.repos[1]).toEqual({ repo: HOOK_REPOSITORY, rev: expect.stringMatching(/^v\d+\.\d+\.\d+/), hooks: [{ id: "mlready" }] });
    expect(await initProject(root)).toContainEqual(expect.objectContaining({ file: ".pre-commit-config.yaml", action: "kept" }));
    expect(readFileSync(path.join(root, ".pre-commit-config.yaml"), "utf8")).toBe(text);
    // Without a pre-commit config, none is created.
    const plain = tempProject({});
    await initProject(plain);
    expect(() => statSync(path.join(plain, ".pre-commit-config.yaml"))).toThrow();
  });

  it("--scaffold writes a rollback script, a linked runbook and a PodDisruptionBudget that make those findings go away", async () => {
    const root = tempProject({ "README.md": "# churn\n\nPredicts churn.\n", "k8s/deployment.yaml": DEPLOYMENT, "Dockerfile": "FROM python:3.12-slim\n" });
    const before = await check(root);
    const has = (result: typeof before, ruleId: string, messageId: string) => result.findings.some((finding) => finding.ruleId === ruleId && finding.messageId === messageId);
    expect(has(before, "rollback-script", "missing")).toBe(true);
    expect(has(before, "runbook-linked", "missing")).toBe(true);
    expect(has(before, "replicas-ha", "noPdb")).toBe(true);

    const actions = await initProject(root, { scaffold: true });
    expect(actions.map(({ file, action }) => `${action} ${file}`)).toEqual([
      `created ${CONFIG_FILE}`,
      "created scripts/rollback.sh",
      "created RUNBOOK.md",
      "updated README.md",
      "created k8s/churn-api-pdb.yaml",
    ]);
    expect(readFileSync(path.join(root, "scripts/rollback.sh"), "utf8")).toContain("rollout undo deployment/churn-api");
    expect(statSync(path.join(root, "scripts/rollback.sh")).mode & 0o111).not.toBe(0);
    expect(readFileSync(path.join(root, "README.md"), "utf8")).toMatch(/^# churn\n\nPredicts churn\.\n\n## Operations\n\n- \[Runbook\]\(RUNBOOK\.md\)/);
    expect(parse(readFileSync(path.join(root, "k8s/churn-api-pdb.yaml"), "utf8"))).toEqual({
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: { name: "churn-api-pdb", namespace: "ml" },
      spec: { maxUnavailable: 1, selector: { matchLabels: { app: "churn-api" } } },
    });

    const after = await check(root);
    expect(has(after, "rollback-script", "missing")).toBe(false);
    expect(after.findings.filter((finding) => finding.ruleId === "rollback-script")).toEqual([]);
    expect(after.findings.filter((finding) => finding.ruleId === "runbook-linked")).toEqual([]);
    expect(has(after, "replicas-ha", "noPdb")).toBe(false);
  });

  it("--scaffold keeps files that exist", async () => {
    const root = tempProject({ "README.md": "# churn\n", "k8s/deployment.yaml": DEPLOYMENT, "k8s/churn-api-pdb.yaml": "# ours\n" });
    const actions = await initProject(root, { scaffold: true });
    expect(actions).toContainEqual(expect.objectContaining({ file: "k8s/churn-api-pdb.yaml", action: "kept" }));
    expect(readFileSync(path.join(root, "k8s/churn-api-pdb.yaml"), "utf8")).toBe("# ours\n");
  });

  it("runs from the command line", async () => {
    const root = tempProject({});
    let stdout = "";
    const io: Io = { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: () => true }, env: {} };
    expect(await main(["init", root], io)).toBe(0);
    expect(stdout).toMatch(/^created +\.mlreadyrc\.yaml +every rule/m);
    let stderr = "";
    expect(await main(["init", path.join(root, "missing")], { ...io, stderr: { write: (text: string) => (stderr += text) } })).toBe(2);
    expect(stderr).toContain("not a folder");
  });
});
