import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { applyBaseline, fingerprintOf, readBaseline, type Baseline } from "../src/baseline.js";
import { main, type Io } from "../src/cli.js";
import type { Finding } from "../src/model.js";
import { tempProject } from "./helpers/tmp.js";

function io() {
  let stdout = "";
  let stderr = "";
  const value: Io = { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) }, env: {} };
  return { io: value, out: () => stdout, err: () => stderr };
}

interface JsonFinding { ruleId: string; file?: string; line?: number; severity: string; suppressed?: { kind: string; reason: string } }

async function checkJson(root: string, ...args: string[]) {
  const run = io();
  const code = await main(["check", root, "-f", "json", "--fail-on", "error", ...args], run.io);
  return { code, report: JSON.parse(run.out()) as { findings: JsonFinding[]; baseline?: { file: string; entries: number; matched: number; fixed: { ruleId: string; file?: string; message: string }[] } } };
}

const OLD_REPO = {
  "requirements.txt": "flask==3.0.0\nrequests\nnumpy\n",
  Dockerfile: "FROM python:latest\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCMD [\"python\", \"app.py\"]\n",
};

describe("baseline", () => {
  it("`mlready baseline` writes every counted finding with line-independent fingerprints, sorted, without timestamps", async () => {
    const root = tempProject(OLD_REPO);
    const run = io();
    expect(await main(["baseline", root], run.io)).toBe(0);
    const file = path.join(root, ".mlready-baseline.json");
    const baseline = JSON.parse(readFileSync(file, "utf8")) as Baseline;
    expect(run.out()).toContain(`wrote ${baseline.entries.length} entries to ${file}`);
    expect(baseline.version).toBe(1);
    expect(baseline.entries).toContainEqual(expect.objectContaining({ ruleId: "pinned-dependencies", file: "requirements.txt", fingerprint: expect.stringMatching(/^[0-9a-f]{32}$/) }));
    expect(baseline.entries).toContainEqual(expect.objectContaining({ ruleId: "base-image-pinned", file: "Dockerfile" }));
    expect(JSON.stringify(baseline)).not.toMatch(/"line"|20\d\d-\d\d-\d\d/);
    const again = io();
    await main(["baseline", root], again.io);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(baseline);
  });

  it("check --baseline reports only new findings, even after lines move, and lists fixed entries so the file can shrink", async () => {
    const root = tempProject(OLD_REPO);
    const baselineFile = path.join(root, "accepted.json");
    expect(await main(["baseline", root, "-o", baselineFile], io().io)).toBe(0);

    // Unchanged project: everything is accepted, the gate passes.
    const same = await checkJson(root, "--baseline", baselineFile);
    expect(same.code).toBe(0);
    expect(same.report.findings.filter((finding) => !finding.suppressed && finding.ruleId === "pinned-dependencies")).toEqual([]);
    expect(same.report.findings.find((finding) => finding.ruleId === "pinned-dependencies")?.suppressed).toEqual({ kind: "baseline", reason: "accepted in the baseline" });
    expect(same.report.baseline).toMatchObject({ file: baselineFile, fixed: [] });
    expect(same.report.baseline?.matched).toBe(same.report.baseline?.entries);

    // Lines inserted above, numpy pinned (fixed), pandas added unpinned (new).
    writeFileSync(path.join(root, "requirements.txt"), "# serving deps\n\nflask==3.0.0\nrequests\nnumpy==2.1.0\npandas\n");
    const later = await checkJson(root, "--baseline", baselineFile);
    expect(later.code).toBe(1);
    const pinned = later.report.findings.filter((finding) => finding.ruleId === "pinned-dependencies");
    expect(pinned.map((finding) => [finding.line, finding.suppressed?.kind])).toEqual([[4, "baseline"], [6, undefined]]);
    expect(later.report.baseline?.fixed).toEqual([expect.objectContaining({ ruleId: "pinned-dependencies", file: "requirements.txt", message: expect.stringContaining("numpy") })]);

    const text = io();
    await main(["check", root, "--baseline", baselineFile], text.io);
    expect(text.out()).toMatch(/Baseline .*accepted\.json: 1 entry no longer matches \(fixed\); run `mlready baseline` to shrink it\./);
    expect(text.out()).toMatch(/requirements\.txt +.*numpy.* +pinned-dependencies/);
  });

  it("identical findings need one entry each; a fingerprint ignores line numbers but not the line's text", () => {
    const finding = (line: number, message = "x is not pinned at line 3"): Finding => ({ ruleId: "pinned-dependencies", severity: "error", message, file: "requirements.txt", line });
    expect(fingerprintOf(finding(3), "requests")).toBe(fingerprintOf(finding(9, "x is not pinned at line 9"), "  requests "));
    expect(fingerprintOf(finding(3), "requests")).not.toBe(fingerprintOf(finding(3), "requests>=2"));
    const baseline: Baseline = { version: 1, entries: [{ ruleId: "pinned-dependencies", file: "requirements.txt", message: "x", fingerprint: fingerprintOf(finding(1), "requests") }] };
    const twins = [finding(1), finding(2)];
    const outcome = applyBaseline(twins, baseline, () => "requests");
    expect(outcome).toEqual({ matched: 1, fixed: [] });
    expect(twins.map((twin) => twin.suppressed?.kind)).toEqual(["baseline", undefined]);
  });

  it("a missing or malformed baseline is a usage error; --baseline takes one project", async () => {
    const root = tempProject({ ...OLD_REPO, "bad.json": "{\"version\": 2}", "broken.json": "{" });
    for (const [file, pattern] of [["missing.json", /baseline file not found/], ["bad.json", /not an mlready baseline/], ["broken.json", /not valid JSON/]] as const) {
      const run = io();
      expect(await main(["check", root, "--baseline", path.join(root, file)], run.io)).toBe(2);
      expect(run.err()).toMatch(pattern);
    }
    await expect(readBaseline(path.join(root, "bad.json"))).rejects.toThrow(/version/);
    const two = io();
    expect(await main(["check", root, root, "--baseline", path.join(root, "bad.json")], two.io)).toBe(2);
    expect(two.err()).toMatch(/--baseline takes one project PATH/);
  });

  it("findings suppressed inline are not written to the baseline", async () => {
    const root = tempProject({ "requirements.txt": "# mlready-ignore pinned-dependencies: pinned by the platform image\nrequests\nnumpy\n" });
    await main(["baseline", root], io().io);
    const baseline = JSON.parse(readFileSync(path.join(root, ".mlready-baseline.json"), "utf8")) as Baseline;
    const pinned = baseline.entries.filter((entry) => entry.ruleId === "pinned-dependencies");
    expect(pinned).toHaveLength(1);
    expect(pinned[0]?.message).toContain("numpy");
  });
});
