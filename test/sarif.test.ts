import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { describe, expect, it } from "vitest";
import { check, type CheckResult } from "../src/check.js";
import { formatSarif } from "../src/reporters/sarif.js";
import { FIXTURES, REPO_ROOT } from "./helpers/fixtures.js";
import { tempProject } from "./helpers/tmp.js";

// The official SARIF 2.1.0 schema, vendored from the SARIF SDK (MIT) so that a user's clone can run this test.
const schema = JSON.parse(readFileSync(path.join(REPO_ROOT, "test", "data", "sarif-2.1.0.json"), "utf8")) as object;
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(schema);

function sarifOf(results: CheckResult[], root = FIXTURES): { text: string; log: SarifLog } {
  const text = formatSarif(results, { sarifRoot: () => root });
  return { text, log: JSON.parse(text) as SarifLog };
}

interface SarifLog {
  runs: {
    tool: { driver: { name: string; semanticVersion: string; rules: { id: string; help: { text: string; markdown: string }; helpUri?: string; properties: Record<string, unknown>; defaultConfiguration: { level: string } }[] } };
    automationDetails: { id: string };
    results: { ruleId: string; ruleIndex: number; level: string; message: { text: string }; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[]; partialFingerprints: Record<string, string> }[];
  }[];
}

const caseFolders = readdirSync(FIXTURES)
  .filter((rule) => !rule.startsWith("_"))
  .flatMap((rule) => ["pass", "fail"].flatMap((outcome) => {
    const folder = path.join(FIXTURES, rule, outcome);
    try {
      return readdirSync(folder).filter((name) => statSync(path.join(folder, name)).isDirectory()).map((name) => path.join(rule, outcome, name));
    } catch {
      return [];
    }
  }));

describe("sarif", () => {
  it("every fixture project's SARIF validates against the official 2.1.0 schema and GitHub's essentials", async () => {
    expect(caseFolders.length).toBeGreaterThan(20);
    const results = await Promise.all(caseFolders.map((folder) => check(path.join(FIXTURES, folder))));
    const { log } = sarifOf(results);
    expect(validate(log), JSON.stringify(validate.errors?.slice(0, 5), null, 1)).toBe(true);
    expect(log.runs).toHaveLength(caseFolders.length);
    const categories = new Set(log.runs.map((run) => run.automationDetails.id));
    expect(categories.size).toBe(caseFolders.length);
    for (const run of log.runs) {
      for (const result of run.results) {
        // GitHub needs a rule, a location with a repository-relative path and a region on every result.
        expect(run.tool.driver.rules[result.ruleIndex]?.id).toBe(result.ruleId);
        const location = result.locations[0]?.physicalLocation;
        expect(location?.artifactLocation.uri).toMatch(/^[^/\\][^\\]*$/);
        expect(location?.artifactLocation.uri).not.toContain("..");
        expect(location?.region.startLine).toBeGreaterThanOrEqual(1);
        expect(Object.values(result.partialFingerprints)[0]).toMatch(/^[0-9a-f]{32}:\d+$/);
      }
      for (const rule of run.tool.driver.rules) {
        expect(rule.help.markdown.length).toBeGreaterThan(0);
        const severity = rule.properties["security-severity"];
        if (severity !== undefined) expect(Number(severity)).toBeGreaterThan(0);
      }
    }
  });

  it("paths are relative to the repository root when a subfolder is checked; project-level findings sit at the README", async () => {
    const root = tempProject({ "services/churn/requirements.txt": "flask\n", "services/churn/README.md": "# Churn\n", "services/churn/Dockerfile": "FROM python:3.11-slim\n" });
    const result = await check(path.join(root, "services", "churn"));
    const { log } = sarifOf([result], root);
    const uris = log.runs[0]?.results.map((entry) => `${entry.ruleId} ${entry.locations[0]?.physicalLocation.artifactLocation.uri}`) ?? [];
    expect(uris).toContain("pinned-dependencies services/churn/requirements.txt");
    expect(uris).toContain("rollback-script services/churn/README.md");
    expect(log.runs[0]?.automationDetails.id).toBe("mlready/services/churn/");
  });

  it("fingerprints do not change when lines move", async () => {
    const before = await check(tempProject({ "requirements.txt": "flask\nrequests\n" }));
    const after = await check(tempProject({ "requirements.txt": "# pinned soon\n\nflask\nrequests\n" }));
    const prints = (result: CheckResult) => sarifOf([result], result.absoluteRoot).log.runs[0]?.results.map((entry) => entry.partialFingerprints["mlreadyFindingHash/v1"]);
    expect(prints(after)).toEqual(prints(before));
    expect(new Set(prints(before)).size).toBe(prints(before)?.length);
  });

  it("describes every enabled rule with its docs page and gives security rules a security severity", async () => {
    const result = await check(tempProject({ "requirements.txt": "flask==3.0.0\n" }));
    const rules = sarifOf([result], result.absoluteRoot).log.runs[0]?.tool.driver.rules ?? [];
    expect(rules.map((rule) => rule.id)).toEqual(result.rules.filter((rule) => rule.status !== "off").map((rule) => rule.id));
    const pinned = rules.find((rule) => rule.id === "pinned-dependencies");
    expect(pinned?.help.markdown).toMatch(/^# pinned-dependencies/);
    expect(pinned?.helpUri).toMatch(/docs\/rules\/pinned-dependencies\.md$/);
    expect(pinned?.properties["tags"]).toContain("container");
  });
});
