import path from "node:path";
import { describe, expect, it } from "vitest";
import { main, type Io } from "../src/cli.js";
import { ConfigError, loadConfig } from "../src/config/load.js";
import { RULES } from "../src/rules/index.js";
import { PROJECT_CONFIG_FILES, projectRootOf, resolveTargets } from "../src/targets.js";
import { tempProject } from "./helpers/tmp.js";

function io() {
  let stdout = "";
  const value: Io = { stdout: { write: (text: string) => (stdout += text), isTTY: false }, stderr: { write: () => true }, env: {} };
  return { io: value, out: () => stdout };
}

const MONOREPO = {
  ".git/HEAD": "ref: refs/heads/main\n",
  "README.md": "# repo\n",
  "requirements.txt": "flask==3.0.0\nrequests\n",
  "services/churn/.mlreadyrc.yaml": "rules: {}\n",
  "services/churn/requirements.txt": "numpy\n",
  "services/churn/app/main.py": "print('hi')\n",
  "services/fraud/Dockerfile": "FROM python\n",
  "services/fraud/package.json": '{ "name": "fraud", "mlready": { "rules": {} } }\n',
  "tools/package.json": '{ "name": "tools" }\n',
  "tools/requirements.txt": "pandas\n",
};

describe("file arguments: which project a file belongs to", () => {
  it("is the nearest folder with an mlready config, else the git top level", () => {
    const repo = tempProject(MONOREPO);
    expect(projectRootOf(path.join(repo, "services/churn/app/main.py"))).toBe(path.join(repo, "services/churn"));
    expect(projectRootOf(path.join(repo, "services/churn/requirements.txt"))).toBe(path.join(repo, "services/churn"));
    expect(projectRootOf(path.join(repo, "services/fraud/Dockerfile"))).toBe(path.join(repo, "services/fraud"));
    // A package.json without an `mlready` key does not make a project.
    expect(projectRootOf(path.join(repo, "tools/requirements.txt"))).toBe(repo);
    expect(projectRootOf(path.join(repo, "requirements.txt"))).toBe(repo);
  });

  it("looks no higher than the git top level, and is the file's folder outside any work tree", () => {
    const outer = tempProject({ ".mlreadyrc.yaml": "rules: {}\n", "inner/.git/HEAD": "x\n", "inner/sub/requirements.txt": "x\n", "loose/requirements.txt": "x\n" });
    expect(projectRootOf(path.join(outer, "inner/sub/requirements.txt"))).toBe(path.join(outer, "inner"));
    const loose = tempProject({ "a/b/requirements.txt": "x\n" });
    expect(projectRootOf(path.join(loose, "a/b/requirements.txt"))).toBe(path.join(loose, "a/b"));
  });

  it("every config name it recognises is one the configuration loader loads", async () => {
    for (const name of PROJECT_CONFIG_FILES) {
      const content = name.endsWith(".js") || name.endsWith(".mjs") ? "export default { rules: { 'replicas-ha': 'off' } };\n"
        : name.endsWith(".cjs") ? "module.exports = { rules: { 'replicas-ha': 'off' } };\n"
        : name.endsWith(".json") || name === ".mlreadyrc" ? '{ "rules": { "replicas-ha": "off" } }\n'
        : "rules:\n  replicas-ha: off\n";
      const root = tempProject({ [name]: content });
      const resolved = await loadConfig(root, RULES);
      expect(resolved.file, name).toBeDefined();
      expect(resolved.settings.get("replicas-ha")?.severity, name).toBe("off");
    }
  });

  it("groups files by project in the order named; folders stay projects of their own", async () => {
    const repo = tempProject(MONOREPO);
    const targets = await resolveTargets(["services/churn/requirements.txt", "requirements.txt", "services/churn/app/main.py", "services/fraud", "requirements.txt"], repo);
    expect(targets).toEqual([
      { root: "services/churn", files: ["requirements.txt", "app/main.py"] },
      { root: ".", files: ["requirements.txt"] },
      { root: "services/fraud" },
    ]);
    await expect(resolveTargets(["nope.txt"], repo)).rejects.toThrow(ConfigError);
  });
});

describe("mlready check FILE...", () => {
  it("reports findings in the named files only, and gates on them", async () => {
    const repo = tempProject({
      ".git/HEAD": "ref: refs/heads/main\n",
      "requirements.txt": "flask==3.0.0\nrequests\n",
      "Dockerfile": "FROM python:3.12-slim\nRUN pip install numpy\nCMD python app.py\n",
    });
    const whole = io();
    await main(["check", repo, "-f", "json"], whole.io);
    const wholeFiles = new Set((JSON.parse(whole.out()).findings as { file?: string }[]).map((finding) => finding.file));
    expect(wholeFiles).toContain("Dockerfile");
    expect(wholeFiles).toContain("requirements.txt");
    expect(wholeFiles).toContain(undefined);

    const one = io();
    const code = await main(["check", path.join(repo, "requirements.txt"), "-f", "json", "--fail-on", "error"], one.io);
    const report = JSON.parse(one.out());
    expect(report.findings.length).toBeGreaterThan(0);
    expect(report.findings.every((finding: { file?: string }) => finding.file === "requirements.txt")).toBe(true);
    expect(report.findings).toContainEqual(expect.objectContaining({ ruleId: "pinned-dependencies", file: "requirements.txt", line: 2 }));
    expect(code).toBe(1);

    // A file without findings passes even though the project as a whole fails.
    const clean = tempProject({ ".git/HEAD": "x\n", "README.md": "# svc\n", "requirements.txt": "flask==3.0.0\nrequests\n" });
    const readmeOnly = io();
    expect(await main(["check", path.join(clean, "README.md"), "-f", "json"], readmeOnly.io)).toBe(0);
    expect(JSON.parse(readmeOnly.out()).findings).toEqual([]);
  });
});
