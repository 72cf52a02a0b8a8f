import fs, { chmodSync, mkdirSync, symlinkSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { check } from "../src/check.js";
import { tempProject } from "./helpers/tmp.js";

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: api
          image: api:1.0
`;

function findingsOf(result: Awaited<ReturnType<typeof check>>, ruleId: string) {
  return result.findings.filter((finding) => finding.ruleId === ruleId);
}

describe("bad input never crashes or hangs a run", () => {
  it("malformed YAML becomes a parse-error finding at its line; other files are still checked", async () => {
    const root = tempProject({
      "k8s/broken.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  key: [unclosed\n",
      "k8s/deployment.yaml": DEPLOYMENT,
    });
    const result = await check(root);
    const errors = findingsOf(result, "parse-error");
    expect(errors).toHaveLength(1);
    expect(errors[0]?.file).toBe("k8s/broken.yaml");
    expect(errors[0]?.line).toBeGreaterThanOrEqual(6);
    expect(result.rules.find((rule) => rule.id === "resource-limits")?.status).toBe("fail");
  });

  it("a binary file named Dockerfile is a parse-error finding", async () => {
    const root = tempProject({ Dockerfile: new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 2, 3, 0, 255]) });
    const result = await check(root);
    const errors = findingsOf(result, "parse-error");
    expect(errors).toEqual([expect.objectContaining({ file: "Dockerfile", message: expect.stringMatching(/binary/) })]);
  });

  it("a text file named Dockerfile without instructions is a parse-error finding", async () => {
    const root = tempProject({ Dockerfile: "this is not a dockerfile\njust prose\n" });
    const errors = findingsOf(await check(root), "parse-error");
    expect(errors).toEqual([expect.objectContaining({ file: "Dockerfile", message: expect.stringMatching(/no Dockerfile instructions/) })]);
  });

  it("an alias bomb is a parse error, not an out-of-memory", async () => {
    const levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
    for (let level = 1; level < 10; level++) {
      const previous = String.fromCharCode(96 + level);
      const name = String.fromCharCode(97 + level);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(", ")}]`);
    }
    const root = tempProject({ "bomb.yaml": `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n  ${levels.join("\n  ")}\n` });
    const errors = findingsOf(await check(root), "parse-error");
    expect(errors).toEqual([expect.objectContaining({ file: "bomb.yaml", message: expect.stringMatching(/alias/i) })]);
  });

  it("a non-UTF-8 README is read with replacement characters and noted", async () => {
    const latin1 = Buffer.from("# Churn service\n\nCaf\xe9 team. See the [runbook](docs/runbook.md).\n", "latin1");
    const root = tempProject({ "README.md": latin1, "docs/runbook.md": "# Runbook\n" });
    const result = await check(root);
    expect(findingsOf(result, "file-skipped")).toEqual([expect.objectContaining({ file: "README.md", message: expect.stringMatching(/UTF-8/) })]);
    expect(findingsOf(result, "parse-error")).toEqual([]);
  });

  it("a symlink loop is skipped with a finding and the walk ends", async () => {
    const root = tempProject({ "k8s/deployment.yaml": DEPLOYMENT });
    symlinkSync("loop-b", path.join(root, "loop-a"));
    symlinkSync("loop-a", path.join(root, "loop-b"));
    mkdirSync(path.join(root, "nested"));
    symlinkSync("..", path.join(root, "nested", "parent")); // a folder link back up: never walked
    const result = await check(root);
    const skipped = findingsOf(result, "file-skipped");
    expect(skipped.map((finding) => finding.file).sort()).toEqual(["loop-a", "loop-b"]);
    expect(skipped[0]?.message).toMatch(/loop/);
    expect(result.findings.filter((finding) => finding.file?.startsWith("nested/"))).toEqual([]);
  });

  it("a symlink that points outside the root is never read", async () => {
    const outside = tempProject({ "requirements.txt": "flask\n" });
    const root = tempProject({ "k8s/deployment.yaml": DEPLOYMENT });
    symlinkSync(path.join(outside, "requirements.txt"), path.join(root, "requirements.txt"));
    symlinkSync(outside, path.join(root, "vendor-link"));
    const result = await check(root);
    expect(findingsOf(result, "file-skipped")).toEqual([
      expect.objectContaining({ file: "requirements.txt", message: expect.stringMatching(/outside the project root/) }),
      expect.objectContaining({ file: "vendor-link", message: expect.stringMatching(/outside the project root/) }),
    ]);
    expect(findingsOf(result, "pinned-dependencies")).toEqual([]);
  });

  it("a symlink to a file inside the root is read through its target", async () => {
    const root = tempProject({ "deploy/requirements.txt": "flask\n" });
    symlinkSync("deploy/requirements.txt", path.join(root, "requirements.txt"));
    const result = await check(root);
    expect(findingsOf(result, "pinned-dependencies").map((finding) => finding.file).sort()).toEqual(["deploy/requirements.txt", "requirements.txt"]);
  });

  const runningAsRoot = process.getuid?.() === 0;
  it(
    runningAsRoot
      ? "an unreadable file (chmod 000): running as root, where chmod does not block reads, so the file is read as usual (the finding is tested with a simulated EACCES below)"
      : "an unreadable file (chmod 000) is a parse-error finding saying permission denied; the other files are still checked",
    async () => {
      const root = tempProject({ "requirements.txt": "flask\n", "k8s/deployment.yaml": DEPLOYMENT });
      const unreadable = path.join(root, "requirements.txt");
      chmodSync(unreadable, 0o000);
      try {
        const result = await check(root);
        if (runningAsRoot) {
          expect(findingsOf(result, "pinned-dependencies").map((finding) => finding.file)).toEqual(["requirements.txt"]);
        } else {
          expect(findingsOf(result, "parse-error")).toEqual([expect.objectContaining({ file: "requirements.txt", message: "Could not read the file: permission denied." })]);
        }
        expect(result.rules.find((rule) => rule.id === "resource-limits")?.status).toBe("fail");
        expect(findingsOf(result, "internal-error")).toEqual([]);
      } finally {
        chmodSync(unreadable, 0o644);
      }
    },
  );

  it("a file the operating system refuses to open (EACCES, simulated) is a parse-error finding, not a crash", async () => {
    const root = tempProject({ "requirements.txt": "flask\n", "k8s/deployment.yaml": DEPLOYMENT });
    const open = fs.openSync.bind(fs);
    const spy = vi.spyOn(fs, "openSync").mockImplementation((file, ...rest) => {
      if (String(file).endsWith("requirements.txt")) throw Object.assign(new Error("EACCES: permission denied, open"), { code: "EACCES" });
      return open(file, ...rest);
    });
    // Files are read with the synchronous API (src/sources.ts): the named export must see the spy too.
    syncBuiltinESMExports();
    try {
      const result = await check(root);
      expect(findingsOf(result, "parse-error")).toEqual([expect.objectContaining({ file: "requirements.txt", message: "Could not read the file: permission denied." })]);
      expect(findingsOf(result, "pinned-dependencies")).toEqual([]);
      expect(result.rules.find((rule) => rule.id === "resource-limits")?.status).toBe("fail");
      expect(findingsOf(result, "internal-error")).toEqual([]);
    } finally {
      spy.mockRestore();
      syncBuiltinESMExports();
    }
  });

  it("files over the size limit are skipped with an info finding", async () => {
    const root = tempProject({ "big.yaml": `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  x: "${"a".repeat(4096)}"\n`, ".mlreadyrc.json": JSON.stringify({ maxFileSize: 1024 }) });
    const skipped = findingsOf(await check(root), "file-skipped");
    expect(skipped).toEqual([expect.objectContaining({ file: "big.yaml", severity: "info", message: expect.stringMatching(/size limit/) })]);
  });

  it("deeply nested YAML and very long lines do not crash", async () => {
    const nested = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n  x: ${"[".repeat(5000)}${"]".repeat(5000)}\n`;
    const root = tempProject({ "deep.yaml": nested, "long.yaml": `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: long\ndata:\n  x: "${"y".repeat(200_000)}"\n` });
    const result = await check(root);
    expect(result.findings.filter((finding) => finding.ruleId === "internal-error")).toEqual([]);
  });

  it("CRLF line endings and a BOM keep lines right", async () => {
    const root = tempProject({ "requirements.txt": "\uFEFFflask==3.0.0\r\nrequests\r\n" });
    const findings = findingsOf(await check(root), "pinned-dependencies");
    expect(findings.map((finding) => [finding.file, finding.line])).toEqual([["requirements.txt", 2]]);
  });

  it("respects .gitignore and the default excludes", async () => {
    const root = tempProject({
      ".gitignore": "generated/\n*.tmp.yaml\n",
      "generated/requirements.txt": "flask\n",
      "scratch.tmp.yaml": DEPLOYMENT,
      "node_modules/pkg/requirements.txt": "flask\n",
      ".venv/lib/requirements.txt": "flask\n",
      "services/api/.gitignore": "local/\n",
      "services/api/local/requirements.txt": "flask\n",
      "services/api/requirements.txt": "flask==3.0.0\n",
    });
    const result = await check(root);
    expect(result.artifacts.requirements).toBe(1);
    expect(result.artifacts.kubernetes).toBeUndefined();
  });

  it("a .gitignore line too long for a regular expression is noted, not a crash (found by test/properties-check.test.ts)", async () => {
    const root = tempProject({ ".gitignore": `${"x".repeat(40_000)}\n`, "requirements.txt": "flask\n" });
    const result = await check(root);
    expect(findingsOf(result, "file-skipped")).toEqual([
      expect.objectContaining({ file: ".gitignore", message: "Not applied: a pattern could not be matched (Regular expression too large); the files it lists are checked." }),
    ]);
    expect(findingsOf(result, "pinned-dependencies").map((finding) => finding.file)).toEqual(["requirements.txt"]);
  });

  it("an empty folder scores 0 and says why", async () => {
    const result = await check(tempProject({}));
    expect(result.score).toBe(0);
    expect(result.grade).toBe("F");
    expect(result.note).toMatch(/No deployment artifacts/);
  });

  it("config ignore globs leave files out", async () => {
    const root = tempProject({ "legacy/requirements.txt": "flask\n", ".mlreadyrc.json": JSON.stringify({ ignore: ["legacy/**"] }) });
    expect((await check(root)).artifacts.requirements).toBeUndefined();
  });
});
