import { spawnSync } from "node:child_process";
import { accessSync, constants, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
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

let fixtureResults: Promise<CheckResult[]> | undefined;
/** Every fixture case checked once, shared by the schema test and the Multitool test. */
function checkAllFixtures(): Promise<CheckResult[]> {
  fixtureResults ??= Promise.all(caseFolders.map((folder) => check(path.join(FIXTURES, folder))));
  return fixtureResults;
}

describe("sarif", () => {
  it("every fixture project's SARIF validates against the official 2.1.0 schema and GitHub's essentials", async () => {
    expect(caseFolders.length).toBeGreaterThan(20);
    const results = await checkAllFixtures();
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
  }, 300_000); // checks every fixture project: slow on a busy machine

  it("paths are relative to the repository root when a subfolder is checked; project-level findings sit at the README", async () => {
    const root = tempProject({ "services/churn/requirements.txt": "flask\n", "services/churn/README.md": "# Churn\n", "services/churn/Dockerfile": "FROM python:3.11-slim\n" });
    const result = await check(path.join(root, "services", "churn"));
    const { log } = sarifOf([result], root);
    const uris = log.runs[0]?.results.map((entry) => `${entry.ruleId} ${entry.locations[0]?.physicalLocation.artifactLocation.uri}`) ?? [];
    expect(uris).toContain("pinned-dependencies services/churn/requirements.txt");
    expect(uris).toContain("rollback-script services/churn/README.md");
    expect(log.runs[0]?.automationDetails.id).toBe("mlready/services/churn/");
  });

  it("writes paths as percent-encoded URI references and describes findings no rule made", async () => {
    const root = tempProject({
      "my svc/requirements #1.txt": "# mlready-ignore pinned-dependencies: pinned below\nflask==3.0.0\n",
      "my svc/Dockerfile": "FROM python:3.11-slim\n",
    });
    const result = await check(path.join(root, "my svc"));
    const run = sarifOf([result], root).log.runs[0];
    const unused = run?.results.find((entry) => entry.ruleId === "unused-suppression");
    expect(unused?.locations[0]?.physicalLocation.artifactLocation.uri).toBe("my%20svc/requirements%20%231.txt");
    expect(run?.tool.driver.rules[unused?.ruleIndex ?? -1]?.id).toBe("unused-suppression");
    expect(run?.results.every((entry) => run.tool.driver.rules[entry.ruleIndex]?.id === entry.ruleId)).toBe(true);
    expect(run?.results.length).toBe(result.findings.filter((finding) => !finding.suppressed).length);
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

// Microsoft's SARIF Multitool checks what the schema cannot: RFC 3986 URIs, and GitHub code scanning's
// ingestion rules (GHxxxx). It ships a native binary per platform as an optional dependency; its exit
// code is 0 even when it reports errors, so the test reads the log it writes.
const MULTITOOL_PACKAGE = { linux: "sarif-multitool-linux", darwin: "sarif-multitool-darwin", win32: "sarif-multitool-win32" }[process.platform as string];
const MULTITOOL = MULTITOOL_PACKAGE
  ? path.join(REPO_ROOT, "node_modules", "@microsoft", MULTITOOL_PACKAGE, process.platform === "win32" ? "Sarif.Multitool.exe" : "Sarif.Multitool")
  : undefined;

function multitoolAvailable(): boolean {
  if (!MULTITOOL) return false;
  try {
    accessSync(MULTITOOL, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

interface MultitoolResult {
  ruleId: string;
  level?: string;
  message: { text?: string; arguments?: string[] };
  locations?: { physicalLocation?: { artifactLocation?: { uri?: string }; region?: { startLine?: number } } }[];
}

/** Runs the Multitool once over every .sarif file in `folder`; returns its findings and how many files it read. */
function multitoolValidate(folder: string): { findings: MultitoolResult[]; scanned: number; console: string } {
  const out = path.join(folder, "validation.out");
  const run = spawnSync(MULTITOOL as string, [
    "validate", "--rule-kind", "Sarif;Ghas", "--level", "Error;Warning;Note", "--log", "ForceOverwrite", "-o", out, path.join(folder, "*.sarif"),
  ], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: "1" } });
  const console = `${run.stdout ?? ""}${run.stderr ?? ""}${run.error ? String(run.error) : ""}`;
  const log = JSON.parse(readFileSync(out, "utf8")) as { runs: { results?: MultitoolResult[] }[] };
  const scanned = Number(/Done\. (\d+) files? scanned/.exec(console)?.[1] ?? 0);
  return { findings: log.runs.flatMap((entry) => entry.results ?? []), scanned, console };
}

function describeFinding(finding: MultitoolResult): string {
  const where = finding.locations?.[0]?.physicalLocation;
  const file = path.basename(decodeURIComponent(where?.artifactLocation?.uri ?? "?"));
  return `${finding.level ?? "warning"} ${finding.ruleId} ${file}:${where?.region?.startLine ?? "?"} ${finding.message.text ?? finding.message.arguments?.join(" | ") ?? ""}`;
}

describe("sarif: GitHub ingestion rules (SARIF Multitool)", () => {
  if (!multitoolAvailable()) {
    it(`is not checked here: the SARIF Multitool binary is missing for ${process.platform} (${MULTITOOL ?? "no package for this platform"})`, () => {
      expect(multitoolAvailable()).toBe(false);
    });
    return;
  }

  it("every fixture project's SARIF, and awkward paths, pass the Multitool's SARIF and GitHub rules with no error or warning", async () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), "mlready-sarif-"));
    try {
      // Logs of up to 15 fixture projects each, one run per project (what `mlready check a b c -f sarif` writes):
      // few files keep the tool's start-up cost down, and each stays under its 10 MB file limit.
      const results = await checkAllFixtures();
      for (let start = 0; start < results.length; start += 15) {
        writeFileSync(path.join(folder, `fixtures-${String(start).padStart(4, "0")}.sarif`), sarifOf(results.slice(start, start + 15)).text);
      }
      // A subfolder whose paths need percent-encoding, a file that does not parse, and an empty project.
      const repo = tempProject({
        "my svc/requirements 1.txt": "flask\n",
        "my svc/Dockerfile": "FROM python:latest\nUSER\n",
        "my svc/k8s/deploy #1 ü.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: [\n",
      });
      const awkward = await check(path.join(repo, "my svc"));
      expect(awkward.findings.map((finding) => finding.ruleId)).toContain("parse-error");
      writeFileSync(path.join(folder, "awkward-paths.sarif"), sarifOf([awkward], repo).text);
      const empty = await check(tempProject({}));
      writeFileSync(path.join(folder, "empty-project.sarif"), sarifOf([empty], empty.absoluteRoot).text);
      // A canary that breaks GitHub's rules proves the tool ran them.
      writeFileSync(path.join(folder, "canary.sarif"), JSON.stringify({
        version: "2.1.0",
        runs: [{ tool: { driver: { name: "canary", rules: [{ id: "x" }] } }, results: [{ ruleId: "x", message: { text: "No location." } }] }],
      }));
      const files = readdirSync(folder).filter((name) => name.endsWith(".sarif"));

      const { findings, scanned, console } = multitoolValidate(folder);
      expect(scanned, console.slice(-2000)).toBe(files.length);
      const fromCanary = (finding: MultitoolResult) => finding.locations?.[0]?.physicalLocation?.artifactLocation?.uri?.endsWith("/canary.sarif") ?? false;
      expect(findings.filter((finding) => fromCanary(finding) && finding.level === "error" && finding.ruleId.startsWith("GH")).length).toBeGreaterThan(0);
      const problems = findings.filter((finding) => !fromCanary(finding) && (finding.level ?? "warning") !== "note").map(describeFinding);
      expect(problems).toEqual([]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }, 600_000);
});
