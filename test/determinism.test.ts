// Determinism (issue 8): the same tree gives byte-identical JSON and SARIF whatever order the file
// system lists its files in. The walk (fast-glob) is shuffled, and so is discovery's own result,
// so that everything after discovery (parsing, rules, reporters) is shown not to depend on order.
import { existsSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it, vi } from "vitest";
import { check } from "../src/check.js";
import { REPORTERS } from "../src/reporters/index.js";
import { REPO_ROOT } from "./helpers/fixtures.js";
import { withoutExternalTools } from "./helpers/env.js";
import { tempProject } from "./helpers/tmp.js";
import { CORPUS, SEED } from "./properties-helpers.js";

/** The order applied to the walk's entries and to discovery's files and findings; identity unless a test sets it. */
const order = vi.hoisted(() => ({
  walk: <T>(items: T[]): T[] => items,
  discovery: <T>(items: T[]): T[] => items,
}));

vi.mock("fast-glob", async (importOriginal) => {
  const original = await importOriginal<{ default: (...args: unknown[]) => Promise<unknown[]> }>();
  const shuffled = async (...args: unknown[]) => order.walk(await original.default(...args));
  return { ...original, default: Object.assign(shuffled, original.default) };
});

vi.mock("../src/discover.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("../src/discover.js")>();
  return {
    ...original,
    discover: async (...args: Parameters<typeof original.discover>) => {
      const discovery = await original.discover(...args);
      return { files: order.discovery(discovery.files), findings: order.discovery(discovery.findings) };
    },
  };
});

/** A seeded Fisher-Yates shuffle (mulberry32), so that a failing order can be replayed from its seed. */
function shuffler(seed: number): <T>(items: T[]) => T[] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
  return <T>(items: T[]): T[] => {
    const copy = [...items];
    for (let index = copy.length - 1; index > 0; index--) {
      const other = Math.floor(random() * (index + 1));
      [copy[index], copy[other]] = [copy[other] as T, copy[index] as T];
    }
    return copy;
  };
}

async function reports(root: string): Promise<{ json: string; sarif: string }> {
  const result = await check(root);
  const options = { color: false, quiet: false, sarifRoot: () => path.dirname(root) };
  return {
    json: (REPORTERS["json"] as NonNullable<(typeof REPORTERS)["json"]>)([result], options),
    sarif: (REPORTERS["sarif"] as NonNullable<(typeof REPORTERS)["sarif"]>)([result], options),
  };
}

const DEPLOYMENT = (name: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  template:
    spec:
      containers:
        - name: ${name}
          image: ${name}:latest
`;

/** Many files that produce the same findings in the same shapes, so that ties in sorting show. */
function tiedProject(): string {
  const files: Record<string, string> = { "README.md": "# Service\n\nNo runbook link.\n" };
  for (const service of ["a", "b", "c", "A", "B", "é", "a-b", "a_b", "a.b", "10", "9"]) {
    files[`services/${service}/requirements.txt`] = "flask\nrequests\nflask\n";
    files[`services/${service}/Dockerfile`] = "FROM python\nRUN pip install flask\nCMD python app.py\n";
    files[`services/${service}/k8s.yaml`] = `${DEPLOYMENT(`svc-${service.replace(/[^a-z0-9]/gi, "x").toLowerCase()}`)}---\n${DEPLOYMENT("same-name")}`;
    files[`services/${service}/rollback.sh`] = "#!/bin/sh\nkubectl rollout undo deployment/missing\n";
  }
  files["broken.yaml"] = "apiVersion: v1\nkind: ConfigMap\ndata: [unclosed\n";
  return tempProject(files);
}

type Shuffled = "walk" | "discovery";

/**
 * `discovery`: everything after discovery is order-independent too. Not yet true of the corpus tree:
 * the kustomize build notes (src/kustomize.ts) and the load-test rule's list of load tests follow
 * discovery's order, which discovery's sort makes canonical; add "discovery" there once they sort.
 */
const TREES: { name: string; root: () => string; runs: number; shuffled: Shuffled[] }[] = [
  { name: "a generated tree with many tied findings", root: tiedProject, runs: 6, shuffled: ["walk", "discovery"] },
  { name: "examples/churn-predictor", root: () => path.join(REPO_ROOT, "examples", "churn-predictor"), runs: 4, shuffled: ["walk", "discovery"] },
  ...(existsSync(CORPUS)
    ? [{ name: "corpus: argoproj/argo-rollouts (101 files)", root: () => path.join(CORPUS, "argoproj__argo-rollouts"), runs: 3, shuffled: ["walk"] as Shuffled[] }]
    : []),
];

describe("the same tree gives byte-identical JSON and SARIF whatever the discovery order", () => {
  withoutExternalTools();
  afterAll(() => {
    order.walk = (items) => items;
    order.discovery = (items) => items;
  });

  for (const tree of TREES) {
    for (const shuffled of tree.shuffled) {
      it(`${tree.name}: ${shuffled === "walk" ? "the file system lists the files in a shuffled order" : "discovery returns the files in a shuffled order"}`, async () => {
        const root = tree.root();
        const expected = await reports(root);
        expect(JSON.parse(expected.json).findings.length).toBeGreaterThan(0);
        await fc.assert(
          fc.asyncProperty(fc.integer(), async (seed) => {
            order[shuffled] = shuffler(seed);
            try {
              const actual = await reports(root);
              expect(actual.json).toBe(expected.json);
              expect(actual.sarif).toBe(expected.sarif);
            } finally {
              order[shuffled] = (items) => items;
            }
          }),
          { numRuns: tree.runs, seed: SEED },
        );
      });
    }
  }
});
