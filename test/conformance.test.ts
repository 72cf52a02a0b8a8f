// Conformance with peer linters: Polaris's and kube-score's own test cases for the checks that
// overlap mlready's rules, run through mlready. Where mlready judges differently on purpose, the
// case is listed below and in docs/conformance.md with the reason; every other case must agree.
import { existsSync, promises as fs, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import { check } from "../src/check.js";
import healthProbes from "../src/rules/health-probes.js";
import imageTagPinned from "../src/rules/image-tag-pinned.js";
import replicasHa from "../src/rules/replicas-ha.js";
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

/** A peer check that an mlready rule covers: which of the rule's findings mean "fails this check". */
interface CheckMapping {
  rule: Rule<object>;
  messageIds: readonly string[];
  /** Rule options that isolate the one judgment the peer check makes. */
  options?: Record<string, unknown>;
}

const HEALTH_PROBES = healthProbes as unknown as Rule<object>;
const IMAGE_TAG_PINNED = imageTagPinned as unknown as Rule<object>;
const REPLICAS_HA = replicasHa as unknown as Rule<object>;

/**
 * replicas-ha reports a single replica before a missing PodDisruptionBudget (a budget over one replica
 * either blocks every drain or protects nothing), so the budget checks run with `minReplicas: 1` to judge
 * the budget alone, as the peers do.
 */
const BUDGET_ALONE = { minReplicas: 1 };

/** Polaris checks that the rollout rules cover (see ../shared/peers/README.md). */
const POLARIS_ROLLOUT_CHECKS: Record<string, CheckMapping> = {
  readinessProbeMissing: { rule: HEALTH_PROBES, messageIds: ["missingReadiness"] },
  livenessProbeMissing: { rule: HEALTH_PROBES, messageIds: ["missingLiveness"] },
  tagNotSpecified: { rule: IMAGE_TAG_PINNED, messageIds: ["noTag", "latestTag"] },
  deploymentMissingReplicas: { rule: REPLICAS_HA, messageIds: ["singleReplica"] },
  hpaMinAvailability: { rule: REPLICAS_HA, messageIds: ["singleReplica"] },
  missingPodDisruptionBudget: { rule: REPLICAS_HA, messageIds: ["noPdb"], options: BUDGET_ALONE },
};

/** kube-score checks that the rollout rules cover, and how a test's run configuration maps onto the rule's options. */
const KUBE_SCORE_ROLLOUT_CHECKS: Record<string, CheckMapping & { runConfig?: RegExp }> = {
  "Pod Probes": { rule: HEALTH_PROBES, messageIds: ["missingReadiness", "missingLiveness"] },
  "Pod Probes Identical": { rule: HEALTH_PROBES, messageIds: ["identicalProbes"] },
  "Container Image Tag": { rule: IMAGE_TAG_PINNED, messageIds: ["noTag", "latestTag"] },
  "Deployment Replicas": { rule: REPLICAS_HA, messageIds: ["singleReplica"], runConfig: /MinReplicasDeployment:\s*(\d+)/ },
  "HorizontalPodAutoscaler Replicas": { rule: REPLICAS_HA, messageIds: ["singleReplica"], runConfig: /MinReplicasHPA:\s*(\d+)/ },
  "Deployment has PodDisruptionBudget": { rule: REPLICAS_HA, messageIds: ["noPdb"], options: BUDGET_ALONE },
  "StatefulSet has PodDisruptionBudget": { rule: REPLICAS_HA, messageIds: ["noPdb"], options: BUDGET_ALONE },
};

/** Why mlready does not ask probes of the peers' bare busybox Pods. */
const NOT_SERVING =
  "a bare Pod running a shell script, with no port and no Service selecting it, serves no traffic; mlready asks probes only of " +
  "serving containers (a Service selects the pod, it declares ports, or it runs a model server), as kube-score does";

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
  "Polaris:readinessProbeMissing/failure.yaml": NOT_SERVING,
  "Polaris:livenessProbeMissing/failure.yaml": NOT_SERVING,
  "kube-score:TestStatefulsetTemplateIgnores":
    "kube-score skips the check for its own `kube-score/ignore` pod annotation; mlready does not read other tools' annotations " +
    "(a rule is turned off in .mlreadyrc.json), so it reports the `latest` image",
  "Polaris:hpaMinAvailability/failure.yaml":
    "the HorizontalPodAutoscaler targets a Deployment that is not in the project; mlready judges the replica floor of the " +
    "serving workloads it finds (an autoscaler's minReplicas counts for the workload it targets), not an autoscaler alone",
  "kube-score:TestHPATargetsDeployment":
    "kube-score's Deployment Replicas check skips a Deployment an autoscaler controls (its HorizontalPodAutoscaler Replicas check " +
    "judges minReplicas instead); mlready counts the autoscaler's minReplicas: 1 as the Deployment's replicas and reports it",
};

interface PolarisCase {
  check: string;
  file: string;
  expect: string;
}

interface KubeScoreCase {
  test: string;
  check: string | null;
  helper: string;
  files: string[];
  /** Set when the test asserts a grade. */
  expected_grade?: "GradeCritical" | "GradeWarning" | "GradeAllOK";
  /** Set by `wasSkipped` tests: `true` when kube-score does not grade the check for this input. */
  expected_skipped?: boolean | string;
  run_config: string | null;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
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
async function runOn(rule: Rule<object>, files: string[], options?: Record<string, unknown>, transform?: (text: string) => string) {
  const folder = await fs.mkdtemp(path.join(os.tmpdir(), "mlready-conformance-"));
  temporaryFolders.push(folder);
  for (const file of files) {
    const text = await fs.readFile(path.join(PEERS, file), "utf8");
    await fs.writeFile(path.join(folder, path.basename(file)), transform ? transform(text) : text);
  }
  if (options) {
    await fs.writeFile(path.join(folder, ".mlreadyrc.json"), JSON.stringify({ rules: { [rule.meta.id]: [rule.meta.severity, options] } }));
  }
  const result = await check(folder, { rules: [rule] });
  const ruleResult = result.rules.find((candidate) => candidate.id === rule.meta.id);
  return { result, ruleResult };
}

/** Agreement per rule and peer ("health-probes vs kube-score"), printed at the end. */
const tally = new Map<string, { agree: number; different: number; total: number }>();
function count(ruleId: string, peer: string, agrees: boolean): void {
  const key = `${ruleId} vs ${peer}`;
  const entry = tally.get(key) ?? { agree: 0, different: 0, total: 0 };
  entry.total++;
  if (agrees) entry.agree++;
  else entry.different++;
  tally.set(key, entry);
}

/** Agreement, or a listed deliberate difference that really is one. */
function expectConformance(ruleId: string, peer: string, caseId: string, peerFails: boolean, mlreadyFails: boolean, detail: string): void {
  const key = `${peer}:${caseId}`;
  const difference = DELIBERATE_DIFFERENCES[key];
  count(ruleId, peer, peerFails === mlreadyFails);
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
    for (const [peer, { agree, different, total }] of [...tally].sort(([a], [b]) => a.localeCompare(b))) {
      console.log(`conformance ${peer}: ${agree}/${total} cases agree, ${different} documented difference(s)`);
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
      expectConformance("resource-limits", "Polaris", caseId, peerCase.expect === "fail", reported.has(aspect), `reported: ${[...reported].join(", ") || "nothing"}`);
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
        "resource-limits",
        "kube-score",
        peerCase.test,
        peerCase.expected_grade !== "GradeAllOK",
        findings.length > 0,
        findings.map((finding) => finding.message).join(" | ") || "no findings",
      );
    });
  });

  /** One peer case for a rollout rule: the peer's verdict and how mlready is asked. */
  interface RolloutCase {
    peer: "Polaris" | "kube-score";
    peerCheck: string;
    caseId: string;
    files: string[];
    peerFails: boolean;
    mapping: CheckMapping;
    options?: Record<string, unknown>;
  }

  const rolloutCases: RolloutCase[] = [];
  for (const peerCase of readJsonLines<PolarisCase>(path.join(PEERS, "polaris_cases.jsonl"))) {
    const mapping = POLARIS_ROLLOUT_CHECKS[peerCase.check];
    if (!mapping || (peerCase.expect !== "pass" && peerCase.expect !== "fail")) continue;
    rolloutCases.push({
      peer: "Polaris",
      peerCheck: peerCase.check,
      caseId: `${peerCase.check}/${path.basename(peerCase.file)}`,
      files: [peerCase.file],
      peerFails: peerCase.expect === "fail",
      mapping,
      ...(mapping.options ? { options: mapping.options } : {}),
    });
  }
  const kubeScoreRollout = readJsonLines<KubeScoreCase>(path.join(PEERS, "kube-score_cases.jsonl")).filter((peerCase) => {
    if (!peerCase.check || !(peerCase.check in KUBE_SCORE_ROLLOUT_CHECKS)) return false;
    // A graded test, or one that asserts kube-score does not grade the input at all (nothing to report).
    return peerCase.expected_grade !== undefined || (peerCase.helper === "wasSkipped" && peerCase.expected_skipped === true);
  });
  for (const peerCase of kubeScoreRollout) {
    const mapping = KUBE_SCORE_ROLLOUT_CHECKS[peerCase.check as string] as CheckMapping & { runConfig?: RegExp };
    const options: Record<string, unknown> = { ...mapping.options };
    const configured = mapping.runConfig?.exec(peerCase.run_config ?? "")?.[1];
    if (configured !== undefined) options["minReplicas"] = Number(configured);
    // One test may run several inputs (a loop over API versions): name the input too.
    const sameTest = kubeScoreRollout.filter((other) => other.test === peerCase.test).length > 1;
    rolloutCases.push({
      peer: "kube-score",
      peerCheck: peerCase.check as string,
      caseId: sameTest ? `${peerCase.test}[${path.basename(peerCase.files[0] as string)}]` : peerCase.test,
      files: peerCase.files,
      peerFails: peerCase.expected_grade !== undefined && peerCase.expected_grade !== "GradeAllOK",
      mapping,
      ...(Object.keys(options).length ? { options } : {}),
    });
  }

  for (const rule of [HEALTH_PROBES, IMAGE_TAG_PINNED, REPLICAS_HA]) {
    for (const peer of ["Polaris", "kube-score"] as const) {
      const cases = rolloutCases.filter((rolloutCase) => rolloutCase.mapping.rule === rule && rolloutCase.peer === peer);
      const checks = [...new Set(cases.map((rolloutCase) => rolloutCase.peerCheck))];
      describe(`${rule.meta.id} agrees with ${peer} (${checks.join(", ")})`, () => {
        it("has cases to run", () => {
          expect(cases.length).toBeGreaterThanOrEqual(3);
        });

        it.each(cases.map((rolloutCase) => [`${rolloutCase.caseId} (${rolloutCase.peerFails ? "fail" : "pass"})`, rolloutCase] as const))("%s", async (_, rolloutCase) => {
          const { ruleResult } = await runOn(rule, rolloutCase.files, rolloutCase.options);
          const findings = ruleResult?.findings ?? [];
          const relevant = findings.filter((finding) => rolloutCase.mapping.messageIds.includes(finding.messageId ?? ""));
          const detail = ruleResult?.status === "skip"
            ? `skipped: ${ruleResult.reason ?? "no reason"}`
            : findings.map((finding) => `${finding.messageId}: ${finding.message}`).join(" | ") || "no findings";
          expectConformance(rule.meta.id, peer, rolloutCase.caseId, rolloutCase.peerFails, relevant.length > 0, detail);
        });
      });
    }
  }

  describe("docs/conformance.md", () => {
    it("names every deliberate difference", () => {
      const doc = readFileSync(CONFORMANCE_DOC, "utf8");
      for (const key of Object.keys(DELIBERATE_DIFFERENCES)) {
        expect(doc, `docs/conformance.md does not mention ${key}`).toContain(key.split(":")[1] as string);
      }
    });

    // Runs after the cases above (a file's tests run in order), so the tally is complete.
    it("states the agreement figures the cases give", () => {
      const doc = readFileSync(CONFORMANCE_DOC, "utf8");
      expect(tally.size).toBe(8);
      for (const [key, { agree, total }] of tally) {
        const [ruleId, peer] = key.split(" vs ") as [string, string];
        const row = doc.split("\n").find((line) => line.startsWith(`| \`${ruleId}\` |`));
        const cell = row?.split("|")[peer === "Polaris" ? 2 : 3]?.trim() ?? "";
        expect(cell, `docs/conformance.md's agreement table, ${key}`).toMatch(new RegExp(`^${agree} of ${total}\\b`));
      }
    });
  });
}
