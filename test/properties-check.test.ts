// Property-based tests of the whole check (issue 8, Reliability): projects made of mutated real files,
// arbitrary text and arbitrary bytes, written to a temporary folder. No exception escapes, no rule
// fails internally, every file that mlready reads ends parsed, skipped with a reason or as a
// parse-error finding, and the reporters turn any result into valid JSON and SARIF.
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { check } from "../src/check.js";
import { ConfigError } from "../src/config/load.js";
import { hasInternalError, main, type Io } from "../src/cli.js";
import { discover } from "../src/discover.js";
import { buildProject, type ProjectModel } from "../src/project.js";
import { REPORTERS } from "../src/reporters/index.js";
import type { ArtifactKind, Finding } from "../src/model.js";
import { withoutExternalTools } from "./helpers/env.js";
import { tempProject } from "./helpers/tmp.js";
import { SEED, inputs, lenientText, render, samples, type Input, type Sample } from "./properties-helpers.js";

// A rule that throws when a test turns it on: the only way to get an internal error on purpose
// through the command line, whose rules are the built-in list.
const broken = vi.hoisted(() => ({ throwing: false }));
vi.mock("../src/rules/index.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("../src/rules/index.js")>();
  const throwingRule = {
    meta: {
      id: "test-throwing-rule",
      title: "Throws when the test asks",
      section: "runbook" as const,
      severity: "warning" as const,
      weight: 1,
      description: "Test-only rule.",
      defaultOptions: {},
      messages: { never: "never reported" },
    },
    check(context: { project: ProjectModel }) {
      if (broken.throwing) throw new TypeError(`cannot read properties of undefined (${context.project.files.length} files)`);
    },
  };
  return { ...original, RULES: [...original.RULES, throwingRule] };
});

const NUM_RUNS = Number(process.env["MLREADY_PROPERTY_RUNS"] ?? 60);

/** Where each kind of file sits in a generated project, with real files of that kind to mutate. */
const SLOTS: { path: string; pool: Sample[] }[] = (() => {
  const dockerfiles = samples((file) => /(^|\/)Dockerfile[^/]*$/.test(file), 12);
  const requirements = samples((file) => /(^|\/)requirements[^/]*\.txt$/.test(file), 12);
  const manifests = samples((file) => /\.ya?ml$/.test(file) && /(k8s|kube|deploy|manifest)/i.test(file), 16);
  const markdown = samples((file) => /\.md$/i.test(file), 8);
  const shell = samples((file) => /\.sh$/.test(file), 8);
  const yaml = samples((file) => /\.ya?ml$/.test(file), 16);
  return [
    { path: "Dockerfile", pool: dockerfiles },
    { path: "docker/Dockerfile.gpu", pool: dockerfiles },
    { path: "requirements.txt", pool: requirements },
    { path: "requirements/base.txt", pool: requirements },
    { path: "requirements.in", pool: requirements },
    { path: "pyproject.toml", pool: samples((file) => /pyproject\.toml$/.test(file), 8) },
    { path: "Pipfile", pool: samples((file) => /(^|\/)Pipfile$/.test(file), 8) },
    { path: "environment.yml", pool: samples((file) => /(environment|conda)\.ya?ml$/.test(file), 8) },
    { path: "k8s/deployment.yaml", pool: manifests },
    { path: "k8s/more.yml", pool: manifests },
    { path: "deploy/list.json", pool: samples((file) => /\.json$/.test(file), 8) },
    { path: "kustomization.yaml", pool: samples((file) => /kustomization\.ya?ml$/.test(file), 8) },
    { path: "chart/Chart.yaml", pool: samples((file) => /Chart\.yaml$/.test(file), 8) },
    { path: "chart/values.yaml", pool: samples((file) => /values[^/]*\.yaml$/.test(file), 8) },
    { path: "chart/templates/deployment.yaml", pool: samples((file) => /templates\/[^/]+\.yaml$/.test(file), 8) },
    { path: "model/MLmodel", pool: samples((file) => /(^|\/)MLmodel$/.test(file), 8) },
    { path: "model/conda.yaml", pool: samples((file) => /conda\.ya?ml$/.test(file), 8) },
    { path: "model/python_env.yaml", pool: samples((file) => /python_env\.ya?ml$/.test(file), 8) },
    { path: "dvc.yaml", pool: yaml },
    { path: "bentofile.yaml", pool: samples((file) => /bentofile\.ya?ml$/.test(file), 8) },
    { path: ".github/workflows/deploy.yml", pool: samples((file) => /workflows\/[^/]+\.ya?ml$/.test(file), 8) },
    { path: "README.md", pool: markdown },
    { path: "docs/runbook.md", pool: markdown },
    { path: "scripts/rollback.sh", pool: shell },
    { path: "Makefile", pool: samples((file) => /(^|\/)Makefile$/.test(file), 8) },
    { path: ".dockerignore", pool: samples((file) => /\.dockerignore$/.test(file), 8) },
    { path: ".gitignore", pool: samples((file) => /\.gitignore$/.test(file), 8) },
    { path: ".mlreadyrc.yaml", pool: samples((file) => /\.mlreadyrc\.ya?ml$/.test(file), 8) },
  ];
})();

/** A project: some slots filled with generated content. */
const projects: fc.Arbitrary<{ slot: number; content: Input }[]> = fc
  .uniqueArray(fc.nat({ max: SLOTS.length - 1 }), { minLength: 1, maxLength: 8 })
  .chain((slots) => fc.tuple(...slots.map((slot) => inputs((SLOTS[slot] as (typeof SLOTS)[number]).pool).map((content) => ({ slot, content })))));

function writeProject(entries: { slot: number; content: Input }[]): string {
  const files: Record<string, Uint8Array> = {};
  for (const { slot, content } of entries) {
    const target = SLOTS[slot] as (typeof SLOTS)[number];
    files[target.path] = render(content, target.pool);
  }
  return tempProject(files);
}

/** Paths of every file that a parser turned into part of the model. */
function parsedPaths(project: ProjectModel): Set<string> {
  return new Set([
    ...project.dockerfiles, ...project.requirementsFiles, ...project.requirementsSources, ...project.pyprojects,
    ...project.kubernetesFiles, ...project.markdown, ...project.scripts, ...project.makefiles, ...project.mlflowModels,
    ...project.pipfiles, ...project.dockerignores,
  ].map((model) => model.path).concat([...project.yamlDocuments.keys()]));
}

/** Kinds whose content mlready never parses: listed only (lock files), or a template until rendered. */
const LISTED_ONLY = new Set<ArtifactKind>(["lockfile", "helm-template", "other"]);

/** Files that are neither parsed nor skipped nor a parse error: what the property must never find. */
function unaccounted(project: ProjectModel, findings: Finding[]): string[] {
  const parsed = parsedPaths(project);
  const explained = new Set(findings.filter((finding) => finding.ruleId === "parse-error" || finding.ruleId === "file-skipped").map((finding) => finding.file));
  return project.files
    .filter((file) => !LISTED_ONLY.has(file.kind))
    // A plain `.yaml`/`.json` that is not a Kubernetes manifest is recognised as such and left alone; a CI file that is not YAML (Jenkinsfile) too.
    .filter((file) => file.kind !== "yaml" && !(file.kind === "ci-workflow" && !/\.ya?ml$/.test(file.path)))
    .filter((file) => !parsed.has(file.path) && !explained.has(file.path))
    .map((file) => `${file.path} (${file.kind})`);
}

function silentIo(): Io {
  return { stdout: { write: () => true }, stderr: { write: () => true }, env: {} };
}

describe("check on generated projects (property-based, fixed seed)", () => {
  // kubectl and helm would only slow each run here.
  withoutExternalTools();

  it("no exception, no internal error, every read file parsed, skipped with a reason or a parse-error; JSON and SARIF stay valid", async () => {
    await fc.assert(
      fc.asyncProperty(projects, async (entries) => {
        const root = writeProject(entries);
        const discovery = await discover(root);
        const { project, findings } = await buildProject(root, discovery, { externalTools: false });
        expect(unaccounted(project, findings)).toEqual([]);
        // Config files are generated too: a broken one is a usage error (ConfigError), as the CLI reports it.
        const result = await check(root).catch((error: unknown) => {
          if (error instanceof ConfigError) return null;
          throw error;
        });
        if (!result) return;
        expect(result.findings.filter((finding) => finding.ruleId === "internal-error")).toEqual([]);
        // Every location is inside its file, so that editors and code scanning can show it.
        const lineCounts = new Map(entries.map(({ slot, content }) => {
          const target = SLOTS[slot] as (typeof SLOTS)[number];
          return [target.path, lenientText(render(content, target.pool)).replace(/\r\n?/g, "\n").split("\n").length] as const;
        }));
        for (const finding of result.findings) {
          const where = `${finding.ruleId} at ${finding.file}:${finding.line}:${finding.column}`;
          if (finding.line !== undefined) {
            expect(finding.line, where).toBeGreaterThanOrEqual(1);
            expect(finding.line, where).toBeLessThanOrEqual(lineCounts.get(finding.file ?? "") ?? Infinity);
          }
          if (finding.column !== undefined) expect(finding.column, where).toBeGreaterThanOrEqual(1);
        }
        const options = { color: false, quiet: false, sarifRoot: () => root };
        JSON.parse((REPORTERS["json"] as NonNullable<(typeof REPORTERS)["json"]>)([result], options));
        const sarif = JSON.parse((REPORTERS["sarif"] as NonNullable<(typeof REPORTERS)["sarif"]>)([result], options)) as { runs: { results: unknown[] }[] };
        expect(sarif.runs).toHaveLength(1);
      }),
      { numRuns: NUM_RUNS, seed: SEED },
    );
  }, 120_000);

  it("a rule that throws is one internal-error finding; exit code 2 only with --fail-on-internal-error", async () => {
    broken.throwing = true;
    try {
      await fc.assert(
        fc.asyncProperty(projects, fc.constantFrom("error", "none"), async (entries, failOn) => {
          const root = writeProject(entries.filter((entry) => (SLOTS[entry.slot] as (typeof SLOTS)[number]).path !== ".mlreadyrc.yaml"));
          const result = await check(root);
          const internal = result.findings.filter((finding) => finding.ruleId === "internal-error");
          expect(internal).toHaveLength(1);
          expect(internal[0]?.message).toMatch(/^Rule test-throwing-rule failed/);
          expect(hasInternalError([result])).toBe(true);
          const withFlag = await main(["check", root, "--fail-on", failOn, "--fail-on-internal-error", "--format", "json"], silentIo());
          const withoutFlag = await main(["check", root, "--fail-on", failOn, "--format", "json"], silentIo());
          expect(withFlag).toBe(2);
          expect(withoutFlag).not.toBe(2);
          if (failOn === "none") expect(withoutFlag).toBe(0);
        }),
        { numRuns: Math.ceil(NUM_RUNS / 4), seed: SEED },
      );
    } finally {
      broken.throwing = false;
    }
  }, 120_000);

  it("without an internal error, --fail-on-internal-error changes no exit code", async () => {
    const root = tempProject({ "requirements.txt": "flask\n" });
    expect(await main(["check", root, "--fail-on-internal-error"], silentIo())).toBe(1);
    expect(await main(["check", root, "--fail-on-internal-error", "--fail-on", "none"], silentIo())).toBe(0);
  });
});
