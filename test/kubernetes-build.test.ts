// A chart and kustomizations under fixtures/ checked in every mode mlready has: external tools turned off
// (MLREADY_NO_EXTERNAL_TOOLS=1), neither kubectl nor helm on the PATH, and kubectl on the PATH (kustomize
// built, helm still absent). Also: kustomizations that name remote resources never reach kubectl, and
// kubectl runs with no network. What the modes do: docs/kubernetes.md.
import { existsSync, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { check, type CheckResult } from "../src/check.js";
import { imageFromValues, locateInTemplate } from "../src/helm.js";
import { describeBuild, externalToolsAllowed, failureReason, kustomizeArguments, NO_TOOLS_ENV, remoteReference, runTool, type BuildNote } from "../src/kustomize.js";
import { formatJson } from "../src/reporters/json.js";
import { formatText } from "../src/reporters/text.js";
import { RULES } from "../src/rules/index.js";
import { FIXTURES } from "./helpers/fixtures.js";

const KUBECTL = "/usr/bin/kubectl";
const hasKubectl = existsSync(KUBECTL);
const resourceLimits = RULES.filter((rule) => rule.meta.id === "resource-limits");

let scratch = "";
/** A PATH folder with nothing in it, and one with only a link to kubectl (so helm is surely absent). */
let emptyBin = "";
let kubectlBin = "";

beforeAll(async () => {
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), "mlready-kubernetes-build-"));
  emptyBin = path.join(scratch, "empty-bin");
  kubectlBin = path.join(scratch, "kubectl-bin");
  await fs.mkdir(emptyBin);
  await fs.mkdir(kubectlBin);
  if (hasKubectl) await fs.symlink(KUBECTL, path.join(kubectlBin, "kubectl"));
});

afterAll(async () => {
  if (scratch) await fs.rm(scratch, { recursive: true, force: true });
});

/** Runs `task` with PATH and MLREADY_NO_EXTERNAL_TOOLS set as given, and puts both back after. */
async function withEnvironment<T>(environment: { PATH?: string; noTools?: boolean }, task: () => Promise<T>): Promise<T> {
  const saved = { PATH: process.env["PATH"], flag: process.env[NO_TOOLS_ENV] };
  if (environment.PATH !== undefined) process.env["PATH"] = environment.PATH;
  if (environment.noTools) process.env[NO_TOOLS_ENV] = "1";
  else delete process.env[NO_TOOLS_ENV];
  try {
    return await task();
  } finally {
    if (saved.PATH === undefined) delete process.env["PATH"];
    else process.env["PATH"] = saved.PATH;
    if (saved.flag === undefined) delete process.env[NO_TOOLS_ENV];
    else process.env[NO_TOOLS_ENV] = saved.flag;
  }
}

/** Stand-in kubectl scripts are shell scripts. */
const posix = process.platform !== "win32";

/** Writes a stand-in kubectl (a shell script, given the path of a log file it may write) into a PATH folder of its own. */
async function standInKubectl(name: string, script: (log: string) => string[]): Promise<{ bin: string; calls: string }> {
  const bin = path.join(scratch, `${name}-kubectl-bin`);
  const calls = path.join(scratch, `${name}-kubectl-calls.log`);
  await fs.mkdir(bin, { recursive: true });
  await fs.writeFile(path.join(bin, "kubectl"), ["#!/bin/sh", ...script(calls), ""].join("\n"), { mode: 0o755 });
  return { bin, calls };
}

type Mode = "no-tools" | "empty-path" | "kubectl";

function environmentOf(mode: Mode): { PATH: string; noTools?: boolean } {
  if (mode === "no-tools") return { PATH: process.env["PATH"] ?? "", noTools: true };
  return { PATH: mode === "empty-path" ? emptyBin : kubectlBin };
}

/** The fallback reason each mode gives for a tool that was not used. */
function fallbackReason(mode: Mode, tool: "kubectl" | "helm"): string {
  return mode === "no-tools" ? "external tools are turned off (MLREADY_NO_EXTERNAL_TOOLS)" : `${tool} is not on the PATH`;
}

async function checkFixture(mode: Mode, fixture: string): Promise<CheckResult> {
  return withEnvironment(environmentOf(mode), () => check(path.join(FIXTURES, "resource-limits", fixture), { rules: resourceLimits }));
}

/** `file:line messageId` of each finding, and the workload label the message names. */
function findingsOf(result: CheckResult): string[] {
  return result.findings.map((finding) => `${finding.file}:${finding.line} ${finding.messageId} ${/ of (\S+?) /.exec(finding.message)?.[1] ?? "?"}`);
}

interface Expectation {
  fixture: string;
  status: "pass" | "fail" | "skip";
  findings: (mode: Mode) => string[];
  builds: (mode: Mode) => BuildNote[];
}

const helmValues = (folder: string) => (mode: Mode): BuildNote[] => [{ kind: "helm", folder, mode: "values", reason: fallbackReason(mode, "helm") }];
const kustomizePlain = (...folders: string[]) => (mode: Mode): BuildNote[] =>
  folders.map((folder) => ({ kind: "kustomize", folder, mode: "plain", reason: fallbackReason(mode, "kubectl") }));

const EXPECTATIONS: Expectation[] = [
  {
    // A `helm create` chart: values.yaml has `resources: {}`; templates are never parse errors.
    fixture: "fail/helm-values-fallback",
    status: "fail",
    findings: () => ["charts/fraud-scorer/values.yaml:15 missing HelmChart/fraud-scorer"],
    builds: helmValues("charts/fraud-scorer"),
  },
  {
    fixture: "fail/helm-values-gpu",
    status: "fail",
    findings: () => [
      "deploy/helm/llm-server/values.yaml:12 requestAboveLimit HelmChart/llm-server",
      "deploy/helm/llm-server/values.yaml:14 extendedMismatch HelmChart/llm-server",
    ],
    builds: helmValues("deploy/helm/llm-server"),
  },
  {
    // A chart whose dependency is not vendored is never rendered, even with helm; values.yaml names no
    // resources, so the rule cannot judge and says so.
    fixture: "pass/helm-values-without-resources",
    status: "skip",
    findings: () => [],
    builds: (mode) => [{ kind: "helm", folder: "chart", mode: "values", reason: fallbackReason(mode, "helm") }],
  },
  {
    // Two overlays over one base; kubectl builds them with their name prefixes, the fallback reads the
    // base and the patch as written. The same lines either way; the built name shows which was judged.
    fixture: "fail/kustomize-overlays",
    status: "fail",
    findings: (mode) => {
      const name = mode === "kubectl" ? "Deployment/prod-sentiment-api" : "Deployment/sentiment-api";
      return [`k8s/base/deployment.yaml:18 missing ${name}`, `k8s/overlays/prod/gpu-patch.yaml:13 extendedMismatch ${name}`];
    },
    builds: (mode) => mode === "kubectl"
      ? [
          { kind: "kustomize", folder: "k8s/overlays/prod", mode: "kubectl", objects: 2, unmapped: 1 },
          { kind: "kustomize", folder: "k8s/overlays/staging", mode: "kubectl", objects: 2, unmapped: 1 },
        ]
      : kustomizePlain("k8s/overlays/prod", "k8s/overlays/staging")(mode),
  },
  {
    // An overlay with a component (the GPU patch) over a base with its own patch.
    fixture: "pass/kustomize-overlay-and-component",
    status: "pass",
    findings: () => [],
    builds: (mode) => mode === "kubectl"
      ? [{ kind: "kustomize", folder: "deploy/overlays/prod", mode: "kubectl", objects: 2 }]
      : kustomizePlain("deploy/overlays/prod")(mode),
  },
];

const MODES: { mode: Mode; title: string }[] = [
  { mode: "no-tools", title: "fallback: MLREADY_NO_EXTERNAL_TOOLS=1" },
  { mode: "empty-path", title: "fallback: neither kubectl nor helm on the PATH" },
  { mode: "kubectl", title: "kubectl on the PATH (kustomize built), helm not" },
];

for (const { mode, title } of MODES) {
  describe(title, () => {
    if (mode === "kubectl" && !hasKubectl) {
      it(`is not run: ${KUBECTL} does not exist on this machine, so nothing can be built with kubectl`, () => {
        expect(existsSync(KUBECTL)).toBe(false);
      });
      return;
    }
    it.each(EXPECTATIONS.map((expectation) => [expectation.fixture, expectation] as const))("%s", async (_, expectation) => {
      const result = await checkFixture(mode, expectation.fixture);
      expect(result.rules[0]?.status, result.rules[0]?.reason).toBe(expectation.status);
      expect(findingsOf(result)).toEqual(expectation.findings(mode));
      expect(result.builds).toEqual(expectation.builds(mode));
    }, 30_000);

    it("says in the text and JSON reports how each kustomization or chart was read", async () => {
      const result = await checkFixture(mode, "fail/kustomize-overlays");
      const text = formatText([result], { color: false });
      const expected = mode === "kubectl"
        ? "kustomize: k8s/overlays/prod built with kubectl kustomize (2 objects; 1 generated object not checked)"
        : `kustomize: k8s/overlays/prod read as plain files (${fallbackReason(mode, "kubectl")})`;
      expect(text).toContain(`  ${expected}\n`);
      const json = JSON.parse(formatJson([result])) as { builds: { folder: string; mode: string; message: string }[] };
      expect(json.builds.map((build) => [build.folder, build.mode, build.message])[0]).toEqual(["k8s/overlays/prod", mode === "kubectl" ? "kubectl" : "plain", expected]);
    }, 30_000);
  });
}

describe("remote resources", () => {
  it.each([
    ["resources", { resources: ["deployment.yaml", "https://raw.githubusercontent.com/acme/platform/main/sidecar.yaml"] }],
    ["a git base", { resources: ["deployment.yaml", "github.com/acme/platform//deploy/base?ref=v1.2.0"] }],
    ["an ssh git base", { resources: ["deployment.yaml", "git@github.com:acme/platform.git//base"] }],
    ["components", { resources: ["deployment.yaml"], components: ["https://github.com/acme/components/gpu?ref=main"] }],
    ["a patch path", { resources: ["deployment.yaml"], patches: [{ path: "https://example.com/patch.yaml" }] }],
    ["patchesStrategicMerge", { resources: ["deployment.yaml"], patchesStrategicMerge: ["http://example.com/patch.yaml"] }],
    ["a generator file", { resources: ["deployment.yaml"], configMapGenerator: [{ name: "config", files: ["model.json=https://example.com/model.json"] }] }],
    ["crds", { resources: ["deployment.yaml"], crds: ["https://example.com/crd.json"] }],
    ["openapi", { resources: ["deployment.yaml"], openapi: { path: "https://example.com/schema.json" } }],
  ])("are found in %s", (_, kustomization) => {
    expect(remoteReference(kustomization)).toMatch(/(https?:|github\.com|git@)/);
  });

  it("are not looked for in labels, annotations, image names, literals or inline patches", () => {
    expect(remoteReference({
      resources: ["deployment.yaml", "../base"],
      commonAnnotations: { "docs.acme.io/runbook": "https://runbooks.acme.io/sentiment" },
      labels: [{ pairs: { source: "github.com/acme/sentiment" } }],
      images: [{ name: "ghcr.io/acme/sentiment-api", newTag: "1.3.0" }],
      configMapGenerator: [{ name: "config", literals: ["MODEL_URI=https://models.acme.io/sentiment/v4"] }],
      patches: [{ patch: "- op: add\n  path: /metadata/annotations/source\n  value: https://github.com/acme/sentiment\n", target: { kind: "Deployment" } }],
    })).toBeUndefined();
  });

  // A stand-in kubectl that records how it was called, so the test sees which folders reach it.
  if (!posix) it("keep kubectl from running: not tried on Windows (the stand-in kubectl is a shell script)", () => expect(posix).toBe(false));
  else it("keep kubectl from running at all; a local kustomization beside them is built", async () => {
    const project = path.join(scratch, "remote-project");
    const { bin, calls } = await standInKubectl("fake", (log) => [
      `echo "args: $*" >> '${log}'`,
      `echo "env: PATH=$PATH HTTPS_PROXY=$HTTPS_PROXY KUBECONFIG=$KUBECONFIG" >> '${log}'`,
      "echo 'fake kubectl: no build' >&2",
      "exit 1",
    ]);
    const deployment = [
      "apiVersion: apps/v1", "kind: Deployment", "metadata: {name: api}", "spec:", "  selector: {matchLabels: {app: api}}",
      "  template:", "    metadata: {labels: {app: api}}", "    spec:", "      containers:", "        - name: api", "          image: ghcr.io/acme/api:1.0.0", "",
    ].join("\n");
    const folders: Record<string, string> = {
      local: "namePrefix: prod-\nresources:\n  - deployment.yaml\n",
      "remote-resource": "namePrefix: prod-\nresources:\n  - deployment.yaml\n  - https://raw.githubusercontent.com/acme/platform/main/sidecar.yaml\n",
      "remote-base": "namePrefix: prod-\nresources:\n  - deployment.yaml\n  - github.com/acme/platform//deploy/base?ref=v1.2.0\n",
      "remote-patch": "namePrefix: prod-\nresources:\n  - deployment.yaml\npatches:\n  - path: https://example.com/patch.yaml\n",
      "remote-generator-file": "namePrefix: prod-\nresources:\n  - deployment.yaml\nconfigMapGenerator:\n  - name: config\n    files:\n      - model.json=https://example.com/model.json\n",
    };
    for (const [folder, kustomization] of Object.entries(folders)) {
      await fs.mkdir(path.join(project, folder), { recursive: true });
      await fs.writeFile(path.join(project, folder, "kustomization.yaml"), kustomization);
      await fs.writeFile(path.join(project, folder, "deployment.yaml"), deployment);
    }
    const result = await withEnvironment({ PATH: bin }, () => check(project, { rules: resourceLimits }));
    const log = await fs.readFile(calls, "utf8");
    // Exactly one run, for the local kustomization, with no PATH, no cluster and no way out.
    expect(log.split("\n").filter((line) => line.startsWith("args:"))).toEqual([`args: ${kustomizeArguments(path.join(project, "local")).join(" ")}`]);
    expect(log).toContain(`env: PATH=${os.devNull} HTTPS_PROXY=http://127.0.0.1:9 KUBECONFIG=${os.devNull}`);
    expect(result.builds.map(describeBuild)).toEqual([
      "kustomize: local read as plain files (kubectl failed: fake kubectl: no build)",
      "kustomize: remote-base read as plain files (remote-base/kustomization.yaml: names a remote resource (github.com/acme/platform//deploy/base?ref=v1.2.0); mlready never fetches)",
      "kustomize: remote-generator-file read as plain files (remote-generator-file/kustomization.yaml: names a remote resource (model.json=https://example.com/model.json); mlready never fetches)",
      "kustomize: remote-patch read as plain files (remote-patch/kustomization.yaml: names a remote resource (https://example.com/patch.yaml); mlready never fetches)",
      "kustomize: remote-resource read as plain files (remote-resource/kustomization.yaml: names a remote resource (https://raw.githubusercontent.com/acme/platform/main/sidecar.yaml); mlready never fetches)",
    ]);
  }, 30_000);

  if (hasKubectl) {
    // Were the static check ever to miss one, the kubectl run itself has no network: its HTTP client
    // goes to a proxy that refuses, and it finds no `git` to clone with.
    it("would fail fast and offline even if kubectl were run on them", async () => {
      const folder = path.join(scratch, "remote-direct");
      await fs.mkdir(folder, { recursive: true });
      await fs.writeFile(path.join(folder, "kustomization.yaml"), "resources:\n  - https://example.com/app.yaml\n");
      const result = await runTool(KUBECTL, kustomizeArguments(folder), scratch);
      // Refused by the proxy (the reason names it), not killed by the timeout.
      expect(result.ok).toBe(false);
      expect(result.ok ? "" : result.reason).toContain("127.0.0.1:9");
    }, 30_000);
  } else {
    it(`kubectl's offline run is not tried: ${KUBECTL} does not exist on this machine`, () => {
      expect(existsSync(KUBECTL)).toBe(false);
    });
  }
});

describe("builds started while the project is parsed", () => {
  if (!posix) it("are not tried on Windows (the stand-in kubectl is a shell script)", () => expect(posix).toBe(false));
  else it("start for roots whose files name a workload kind, later for one the sniff missed, never for one without workloads", async () => {
    const project = path.join(scratch, "early-project");
    // A stand-in kubectl that "builds" a folder by printing its deployment (or nothing).
    const { bin, calls } = await standInKubectl("echo", (log) => [`echo "$2" >> '${log}'`, '/bin/cat "$2/deployment.yaml" "$2/deployment.json" 2>/dev/null', "exit 0"]);
    const deployment = (name: string) => [
      "apiVersion: apps/v1", "kind: Deployment", `metadata: {name: ${name}}`, "spec:", `  selector: {matchLabels: {app: ${name}}}`,
      "  template:", `    metadata: {labels: {app: ${name}}}`, "    spec:", "      containers:", `        - {name: api, image: "ghcr.io/acme/${name}:1.0.0"}`, "",
    ].join("\n");
    const files: Record<string, string> = {
      "block/kustomization.yaml": "commonLabels: {team: ml}\nresources:\n  - deployment.yaml\n",
      "block/deployment.yaml": deployment("block"),
      // JSON on one line: the `kind:` line sniff does not see the workload, the parse does.
      "json/kustomization.yaml": "commonLabels: {team: ml}\nresources:\n  - deployment.json\n",
      "json/deployment.json": `${JSON.stringify({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "json" }, spec: { selector: { matchLabels: { app: "json" } }, template: { metadata: { labels: { app: "json" } }, spec: { containers: [{ name: "api", image: "ghcr.io/acme/json:1.0.0" }] } } } })}\n`,
      "config-only/kustomization.yaml": "commonLabels: {team: ml}\nresources:\n  - config.yaml\n",
      "config-only/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: b}\n",
    };
    for (const [file, content] of Object.entries(files)) {
      await fs.mkdir(path.dirname(path.join(project, file)), { recursive: true });
      await fs.writeFile(path.join(project, file), content);
    }
    const result = await withEnvironment({ PATH: bin }, () => check(project, { rules: resourceLimits }));
    const built = (await fs.readFile(calls, "utf8")).trim().split("\n").map((folder) => path.relative(project, folder));
    expect(built.sort()).toEqual(["block", "json"]);
    expect(result.builds.map(describeBuild)).toEqual([
      "kustomize: block built with kubectl kustomize (1 object)",
      "kustomize: config-only read as plain files (it has no workloads to build)",
      "kustomize: json built with kubectl kustomize (1 object)",
    ]);
  }, 30_000);
});

describe("pieces", () => {
  it("MLREADY_NO_EXTERNAL_TOOLS turns tools off for any value but empty, 0 or false; the option too", async () => {
    const allowed = (flag: string | undefined, externalTools?: boolean) =>
      withEnvironment({ noTools: false }, async () => {
        if (flag !== undefined) process.env[NO_TOOLS_ENV] = flag;
        return externalToolsAllowed(externalTools === undefined ? {} : { externalTools });
      });
    expect(await Promise.all([undefined, "", "0", "false", "FALSE", "1", "true", "yes"].map((flag) => allowed(flag)))).toEqual([true, true, true, true, true, false, false, false]);
    expect(await allowed(undefined, false)).toBe(false);
  });

  it("reads why kubectl failed past its warnings and klog wrapping", () => {
    expect(failureReason([
      "# Warning: 'commonLabels' is deprecated. Please use 'labels' instead.",
      'E1130 23:24:55.640643   11998 run.go:72] "command failed" err="accumulating resources: \\"x\\" not found"',
    ].join("\n"))).toBe('accumulating resources: "x" not found');
    expect(failureReason([
      "# Warning: 'patchesJson6902' is deprecated.",
      'E1130 23:24:56.323615   12010 run.go:72] "command failed" err=<',
      "\ttrouble configuring builtin PatchTransformer with config: `",
      "\tpath: patch.yaml",
      "\t`: failed to get the patch file from path(patch.yaml): no such file or directory",
      " >",
    ].join("\n"))).toBe("failed to get the patch file from path(patch.yaml): no such file or directory");
    expect(failureReason("Error: unknown flag: --nope\n")).toBe("unknown flag: --nope");
  });

  it("builds a chart's image from values as helm create does: the tag defaults to appVersion", () => {
    expect(imageFromValues({ repository: "ghcr.io/acme/api", tag: "" }, "1.8.0")).toBe("ghcr.io/acme/api:1.8.0");
    expect(imageFromValues({ registry: "ghcr.io", repository: "acme/llm", tag: "0.6.3" }, "9")).toBe("ghcr.io/acme/llm:0.6.3");
    expect(imageFromValues({ repository: "acme/api", digest: "sha256:abc" }, undefined)).toBe("acme/api@sha256:abc");
    expect(imageFromValues("acme/api:2", undefined)).toBe("acme/api:2");
    expect(imageFromValues({ tag: "1" }, "1")).toBeUndefined();
  });

  it("finds a rendered value's template line, and the values.yaml path a template takes it from", () => {
    const template = [
      "apiVersion: apps/v1",
      "kind: Deployment",
      "spec:",
      "  template:",
      "    spec:",
      "      containers:",
      "        - name: {{ .Chart.Name }}",
      '          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"',
      "          resources:",
      "            {{- toYaml .Values.resources | nindent 12 }}",
    ];
    expect(locateInTemplate(template, "Deployment", ["spec", "template", "spec", "containers", 0, "resources", "limits", "cpu"]))
      .toEqual({ location: { line: 9, column: 11 }, values: ["resources", "limits", "cpu"] });
    expect(locateInTemplate(template, "Deployment", ["spec", "template", "spec", "containers", 0, "image"]))
      .toEqual({ location: { line: 8, column: 11 }, values: ["image", "repository"] });
  });
});
