// Conformance with peer linters: Polaris's and kube-score's own test cases for the checks that
// overlap mlready's rules, run through mlready. Where mlready judges differently on purpose, the
// case is listed below and in docs/conformance.md with the reason; every other case must agree.
import { existsSync, promises as fs, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { check } from "../src/check.js";
import resourceLimits from "../src/rules/resource-limits.js";
import type { Rule } from "../src/rule.js";
import { REPO_ROOT } from "./helpers/fixtures.js";

const PEERS = path.join(REPO_ROOT, "..", "shared", "peers");
const peersPresent = existsSync(path.join(PEERS, "polaris_cases.jsonl")) && existsSync(path.join(PEERS, "kube-score_cases.jsonl"));
const CONFORMANCE_DOC = path.join(REPO_ROOT, "docs", "conformance.md");

type Aspect = "CPU request" | "memory request" | "CPU limit" | "memory limit";

/** Polaris checks that `resource-limits` covers, and the one thing each looks at. */
const POLARIS_RESOURCE_CHECKS: Record<string, Aspect> = {
  cpuRequestsMissing: "CPU request",
  memoryRequestsMissing: "memory request",
  cpuLimitsMissing: "CPU limit",
  memoryLimitsMissing: "memory limit",
};

/**
 * Cases where mlready deliberately disagrees, by `<peer>:<case>`, with the reason. Each must really
 * disagree (so the list stays true) and must be named in docs/conformance.md.
 */
const DELIBERATE_DIFFERENCES: Record<string, string> = {
  "kube-score:TestPodContainerResourceLimits":
    "limits without requests: Kubernetes defaults each request to its limit, so mlready does not report it (kube-score warns)",
  "kube-score:TestDeploymentResources":
    "limits without requests: Kubernetes defaults each request to its limit, so mlready does not report it (kube-score warns)",
  "kube-score:TestStatefulSetResources":
    "limits without requests: Kubernetes defaults each request to its limit, so mlready does not report it (kube-score warns)",
};

interface PolarisCase {
  check: string;
  file: string;
  expect: string;
}

interface KubeScoreCase {
  test: string;
  check: string;
  files: string[];
  expected_grade: "GradeCritical" | "GradeWarning" | "GradeAllOK";
  run_config: string | null;
}

function readJsonLines<T>(file: string): T[] {
  return readFileSync(file, "utf8").split("\n").filter((line) => line.trim()).map((line) => JSON.parse(line) as T);
}

/** What a `missing` message says is missing: "no CPU or memory request and no memory limit". */
function missingAspects(message: string): Set<Aspect> {
  const aspects = new Set<Aspect>();
  if (/no CPU or memory requests or limits/.test(message)) {
    return new Set<Aspect>(["CPU request", "memory request", "CPU limit", "memory limit"]);
  }
  for (const match of message.matchAll(/no ((?:CPU|memory)(?: or (?:CPU|memory))?) (request|limit)\b/g)) {
    for (const resource of (match[1] as string).split(" or ")) aspects.add(`${resource} ${match[2]}` as Aspect);
  }
  return aspects;
}

const temporaryFolders: string[] = [];

/** Runs one rule over copies of the given peer files, in a fresh folder with the given options. */
async function runOn(rule: Rule<object>, files: string[], options?: Record<string, unknown>) {
  const folder = await fs.mkdtemp(path.join(os.tmpdir(), "mlready-conformance-"));
  temporaryFolders.push(folder);
  for (const file of files) await fs.copyFile(path.join(PEERS, file), path.join(folder, path.basename(file)));
  if (options) {
    await fs.writeFile(path.join(folder, ".mlreadyrc.json"), JSON.stringify({ rules: { [rule.meta.id]: ["error", options] } }));
  }
  const result = await check(folder, { rules: [rule] });
  const ruleResult = result.rules.find((candidate) => candidate.id === rule.meta.id);
  return { result, ruleResult };
}

const tally = new Map<string, { agree: number; different: number; total: number }>();
function count(peer: string, agrees: boolean): void {
  const entry = tally.get(peer) ?? { agree: 0, different: 0, total: 0 };
  entry.total++;
  if (agrees) entry.agree++;
  else entry.different++;
  tally.set(peer, entry);
}

/** Agreement, or a listed deliberate difference that really is one. */
function expectConformance(peer: string, caseId: string, peerFails: boolean, mlreadyFails: boolean, detail: string): void {
  const key = `${peer}:${caseId}`;
  const difference = DELIBERATE_DIFFERENCES[key];
  count(peer, peerFails === mlreadyFails);
  if (difference) {
    expect(mlreadyFails, `${key} is listed as a deliberate difference but mlready agrees now; remove it from the list and docs/conformance.md`).not.toBe(peerFails);
  } else {
    expect(mlreadyFails, `${key}: ${peer} says ${peerFails ? "fail" : "pass"}, mlready says ${mlreadyFails ? "fail" : "pass"} (${detail})`).toBe(peerFails);
  }
}

if (!peersPresent) {
  it("peer data not present (../shared/peers missing): conformance cases not run", () => {
    console.log(`conformance: ${PEERS} is missing, so the Polaris and kube-score conformance cases were not run.`);
    expect(peersPresent).toBe(false);
  });
} else {
  const polarisCases = readJsonLines<PolarisCase>(path.join(PEERS, "polaris_cases.jsonl"))
    .filter((peerCase) => peerCase.check in POLARIS_RESOURCE_CHECKS && (peerCase.expect === "pass" || peerCase.expect === "fail"));
  const kubeScoreCases = readJsonLines<KubeScoreCase>(path.join(PEERS, "kube-score_cases.jsonl"))
    .filter((peerCase) => peerCase.check === "Container Resources");

  afterAll(async () => {
    for (const folder of temporaryFolders) await fs.rm(folder, { recursive: true, force: true });
    for (const [peer, { agree, different, total }] of tally) {
      console.log(`conformance resource-limits vs ${peer}: ${agree}/${total} cases agree, ${different} documented deliberate difference(s)`);
    }
  });

  describe("resource-limits agrees with Polaris (cpu/memory requests/limits missing)", () => {
    it("has cases to run", () => {
      expect(polarisCases.length).toBeGreaterThanOrEqual(8);
    });

    it.each(polarisCases.map((peerCase) => [`${peerCase.file} (${peerCase.expect})`, peerCase] as const))("%s", async (_, peerCase) => {
      const aspect = POLARIS_RESOURCE_CHECKS[peerCase.check] as Aspect;
      const { ruleResult } = await runOn(resourceLimits as Rule<object>, [peerCase.file]);
      const reported = new Set<Aspect>();
      for (const finding of ruleResult?.findings ?? []) {
        if (finding.messageId === "missing") for (const missing of missingAspects(finding.message)) reported.add(missing);
      }
      const caseId = `${peerCase.check}/${path.basename(peerCase.file)}`;
      expectConformance("Polaris", caseId, peerCase.expect === "fail", reported.has(aspect), `reported: ${[...reported].join(", ") || "nothing"}`);
    });
  });

  describe("resource-limits agrees with kube-score (Container Resources)", () => {
    it("has cases to run", () => {
      expect(kubeScoreCases.length).toBeGreaterThanOrEqual(5);
    });

    it.each(kubeScoreCases.map((peerCase) => [peerCase.test, peerCase] as const))("%s", async (_, peerCase) => {
      // kube-score's run configuration maps onto the rule's options.
      const runConfig = peerCase.run_config ?? "";
      const options: Record<string, unknown> = {};
      if (/IgnoreContainerCpuLimitRequirement:\s*true/.test(runConfig)) options["requireCpuLimit"] = false;
      if (/IgnoreContainerMemoryLimitRequirement:\s*true/.test(runConfig)) options["requireMemoryLimit"] = false;
      const { ruleResult } = await runOn(resourceLimits as Rule<object>, peerCase.files, Object.keys(options).length ? options : undefined);
      expect(ruleResult?.status).not.toBe("skip");
      const findings = ruleResult?.findings ?? [];
      expectConformance(
        "kube-score",
        peerCase.test,
        peerCase.expected_grade !== "GradeAllOK",
        findings.length > 0,
        findings.map((finding) => finding.message).join(" | ") || "no findings",
      );
    });
  });

  describe("docs/conformance.md", () => {
    it("names every deliberate difference", () => {
      const doc = readFileSync(CONFORMANCE_DOC, "utf8");
      for (const key of Object.keys(DELIBERATE_DIFFERENCES)) {
        expect(doc, `docs/conformance.md does not mention ${key}`).toContain(key.split(":")[1] as string);
      }
    });
  });
}
