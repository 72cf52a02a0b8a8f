import { existsSync, promises as fs } from "node:fs";
import path from "node:path";
import { isMap, isSeq, parseDocument, stringify } from "yaml";
import { check } from "./check.js";
import { ConfigError, loadConfig } from "./config/load.js";
import { discover } from "./discover.js";
import { gitTopLevel } from "./git-root.js";
import type { KubernetesObject } from "./parsers/kubernetes.js";
import { buildProject } from "./project.js";
import type { Rule } from "./rule.js";
import { RULES } from "./rules/index.js";
import { SECTIONS } from "./sections.js";
import { PROJECT_CONFIG_FILES } from "./targets.js";
import { TOOL } from "./version.js";

export const CONFIG_FILE = ".mlreadyrc.yaml";
export const HOOK_REPOSITORY = "https://github.com/mlready/mlready";

/** What `mlready init` did to one file; `file` is relative to the project folder. */
export interface InitAction {
  file: string;
  action: "created" | "updated" | "kept";
  detail: string;
}

export interface InitOptions {
  /** Also write templates for what the check finds missing (rollback script, runbook, PodDisruptionBudgets). */
  scaffold?: boolean;
  rules?: readonly Rule<object>[];
}

/** A YAML flow value: JSON is valid YAML and keeps strings such as `*runbook*.md` quoted. */
function flow(value: unknown): string {
  return JSON.stringify(value);
}

function comment(text: string, indent: string): string[] {
  const words = text.replace(/\s+/g, " ").trim().split(" ");
  const lines: string[] = [];
  let line = "";
  for (const word of words) {
    if (line && line.length + word.length + 1 > 96) {
      lines.push(`${indent}# ${line}`);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(`${indent}# ${line}`);
  return lines;
}

/**
 * The commented configuration `mlready init` writes: every rule with its default severity and options,
 * grouped by checklist section, so that the file documents itself and loads to the same behaviour as no file.
 */
export function defaultConfigText(rules: readonly Rule<object>[] = RULES): string {
  const lines = [
    `# mlready ${TOOL.version} configuration (docs/configuration.md). Written by \`mlready init\`.`,
    "# Every rule is listed with its default: a severity (error, warning, info, or off to disable it),",
    "# or [severity, { options }] for rules with options. `mlready explain RULE` prints a rule's docs.",
    "",
    "# Globs (relative to this folder) that mlready does not read, e.g. vendored charts:",
    "# ignore:",
    '#   - "vendor/**"',
    "",
    "# Section weights in the overall score (docs/scoring.md), e.g.:",
    "# sections:",
    "#   rollout: 2",
    "",
    "rules:",
  ];
  for (const section of SECTIONS) {
    const inSection = rules.filter((rule) => rule.meta.section === section.id).sort((a, b) => a.meta.id.localeCompare(b.meta.id));
    if (inSection.length === 0) continue;
    lines.push("", `  # ${section.title}`);
    for (const { meta } of inSection) {
      lines.push(...comment(`${meta.title}. Default ${meta.severity}, weight ${meta.weight}.`, "  "));
      const options = Object.entries(meta.defaultOptions as Record<string, unknown>);
      if (options.length === 0) {
        lines.push(`  ${meta.id}: ${meta.severity}`);
        continue;
      }
      const properties = ((meta.options as { properties?: Record<string, { description?: string }> } | undefined)?.properties) ?? {};
      lines.push(`  ${meta.id}:`, `    - ${meta.severity}`, "    -");
      for (const [key, value] of options) {
        const description = properties[key]?.description;
        if (description) lines.push(...comment(`${key}: ${description}`, "      "));
        lines.push(`      ${key}: ${flow(value)}`);
      }
    }
  }
  return `${lines.join("\n")}\n`;
}

async function writeNew(root: string, file: string, content: string, detail: string, mode?: number): Promise<InitAction> {
  const target = path.join(root, file);
  if (existsSync(target)) return { file, action: "kept", detail: "already exists; not overwritten" };
  await fs.mkdir(path.dirname(target), { recursive: true });
  await fs.writeFile(target, content, { flag: "wx", ...(mode ? { mode } : {}) });
  return { file, action: "created", detail };
}

/** Adds the mlready hook to an existing `.pre-commit-config.yaml`, keeping its comments and layout. */
async function addPreCommitHook(root: string): Promise<InitAction | undefined> {
  const top = gitTopLevel(root);
  const configPath = [root, top].map((folder) => path.join(folder, ".pre-commit-config.yaml")).find((candidate) => existsSync(candidate));
  if (!configPath) return undefined;
  const file = path.relative(root, configPath).split(path.sep).join("/");
  const text = await fs.readFile(configPath, "utf8");
  const document = parseDocument(text);
  if (document.errors.length > 0) return { file, action: "kept", detail: `not valid YAML (${document.errors[0]?.message.split("\n")[0]}); add the hook by hand (docs/ci.md)` };
  const hookIds = JSON.stringify(document.toJS() ?? {});
  if (/"id":"mlready"/.test(hookIds)) return { file, action: "kept", detail: "already runs the mlready hook" };
  const entry = { repo: HOOK_REPOSITORY, rev: `v${TOOL.version}`, hooks: [{ id: "mlready" }] };
  const repos = isMap(document.contents) ? document.contents.get("repos", true) : undefined;
  if (isSeq(repos)) repos.add(document.createNode(entry));
  else if (repos === undefined && (isMap(document.contents) || document.contents === null)) document.set("repos", document.createNode([entry]));
  else return { file, action: "kept", detail: "has no `repos` list; add the hook by hand (docs/ci.md)" };
  await fs.writeFile(configPath, document.toString());
  return { file, action: "updated", detail: `added the mlready hook (${HOOK_REPOSITORY} v${TOOL.version})` };
}

const ROLLABLE = new Set(["Deployment", "StatefulSet", "DaemonSet"]);

function rollbackScript(workload: KubernetesObject | undefined): string {
  const target = workload ? `${workload.kind.toLowerCase()}/${workload.name}` : '"deployment/${DEPLOYMENT:?set DEPLOYMENT to the Deployment to roll back}"';
  const namespace = workload?.namespace ?? "default";
  return `#!/usr/bin/env bash
# Roll the model server back to its previous revision (or to REVISION): one command, rehearsed before it is needed.
# Written by \`mlready init --scaffold\`; check the namespace and the workload, then link it from the runbook.
set -euo pipefail
NAMESPACE="\${NAMESPACE:-${namespace}}"
kubectl -n "$NAMESPACE" rollout undo ${target} \${REVISION:+--to-revision="$REVISION"}
kubectl -n "$NAMESPACE" rollout status ${target} --timeout=300s
`;
}

function runbook(hasRollbackScript: boolean): string {
  return `# Runbook

Written by \`mlready init --scaffold\`: replace every TODO before the first production deploy.

## Service
TODO: what the model serves, who owns it, where its dashboards are.

## Deploy
TODO: the command or pipeline that releases a new model version, and how to watch the rollout.

## Rollback
${hasRollbackScript ? "Run `scripts/rollback.sh` (set `REVISION` to go back further than one revision)." : "TODO: the single command that rolls back to the previous model version."}

## Dashboards and alerts
TODO: links to the infrastructure, model-quality and business KPI dashboards; what each alert means.

## Escalation
TODO: who to page when the steps above do not help.
`;
}

function podDisruptionBudget(workload: KubernetesObject, labels: Record<string, string>): string {
  const document = {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name: `${workload.name}-pdb`, ...(workload.namespace ? { namespace: workload.namespace } : {}) },
    spec: { maxUnavailable: 1, selector: { matchLabels: labels } },
  };
  return `# Written by \`mlready init --scaffold\`: keeps at most one pod of ${workload.kind}/${workload.name} down during a node drain.\n${stringify(document)}`;
}

function selectorLabels(workload: KubernetesObject): Record<string, string> {
  const spec = workload.value["spec"] as { selector?: { matchLabels?: Record<string, string> }; template?: { metadata?: { labels?: Record<string, string> } } } | undefined;
  return spec?.selector?.matchLabels ?? spec?.template?.metadata?.labels ?? {};
}

/** Templates for what the check found missing. Each is written only when its file does not exist. */
async function scaffold(root: string, rules: readonly Rule<object>[]): Promise<InitAction[]> {
  const actions: InitAction[] = [];
  const result = await check(root, { rules });
  const discovery = await discover(root, { ignore: result.config.ignore ?? [] });
  const { project } = await buildProject(root, discovery);
  const workloads = project.objects.filter((object) => ROLLABLE.has(object.kind) && object.name && !/(^|\/)(tests?|fixtures|e2e)\//.test(object.file));
  const failing = (ruleId: string, messageId: string) => result.findings.filter((finding) => finding.ruleId === ruleId && finding.messageId === messageId);

  const needsRollback = failing("rollback-script", "missing").length > 0;
  if (needsRollback) {
    actions.push(await writeNew(root, "scripts/rollback.sh", rollbackScript(workloads[0]), workloads[0] ? `rolls back ${workloads[0].kind}/${workloads[0].name}` : "set DEPLOYMENT, or edit the workload name", 0o755));
  }

  const noRunbook = failing("runbook-linked", "missing").length > 0;
  const noReadme = failing("runbook-linked", "noReadme").length > 0;
  if (noRunbook || noReadme) {
    const runbookExists = !noRunbook;
    if (noRunbook) actions.push(await writeNew(root, "RUNBOOK.md", runbook(needsRollback), "a runbook outline: fill in the TODOs"));
    if (noReadme) {
      actions.push(await writeNew(root, "README.md", `# ${path.basename(path.resolve(root))}\n\nTODO: what this service does.\n\n## Operations\n\n- [Runbook](RUNBOOK.md)\n`, "links the runbook"));
    } else if (result.readme && !runbookExists) {
      const link = path.posix.relative(path.posix.dirname(result.readme), "RUNBOOK.md");
      const readmePath = path.join(root, result.readme);
      const text = await fs.readFile(readmePath, "utf8");
      if (!text.includes(`](${link})`)) {
        await fs.appendFile(readmePath, `${text.endsWith("\n") ? "" : "\n"}\n## Operations\n\n- [Runbook](${link}): deploy, roll back, alerts, escalation.\n`);
        actions.push({ file: result.readme, action: "updated", detail: `appended a link to ${link}` });
      }
    }
  }

  const written = new Set<string>();
  for (const finding of failing("replicas-ha", "noPdb")) {
    const candidates = workloads.filter((object) => object.file === finding.file && object.location.line <= (finding.line ?? 0));
    const workload = candidates.sort((a, b) => b.location.line - a.location.line)[0];
    const labels = workload ? selectorLabels(workload) : {};
    if (!workload || Object.keys(labels).length === 0 || written.has(`${workload.kind}/${workload.name}`)) continue;
    written.add(`${workload.kind}/${workload.name}`);
    const file = path.posix.join(path.posix.dirname(workload.file), `${workload.name}-pdb.yaml`);
    const inKustomization = project.files.some((other) => other.kind === "kustomization" && path.posix.dirname(other.path) === path.posix.dirname(workload.file));
    actions.push(await writeNew(root, file, podDisruptionBudget(workload, labels), `selects ${Object.entries(labels).map(([key, value]) => `${key}=${value}`).join(", ")}${inKustomization ? "; add it to the kustomization's resources" : ""}`));
  }
  return actions;
}

/**
 * `mlready init`: writes the commented `.mlreadyrc.yaml` unless the project has a configuration, adds the
 * hook to an existing `.pre-commit-config.yaml`, and with `scaffold` writes templates for what is missing.
 * Never overwrites a file (it appends a runbook link to a README, and a hook to the pre-commit config).
 */
export async function initProject(root: string, options: InitOptions = {}): Promise<InitAction[]> {
  const rules = options.rules ?? RULES;
  const stat = await fs.stat(root).catch(() => null);
  if (!stat?.isDirectory()) throw new ConfigError(`${root}: not a folder (mlready init writes into a project folder)`);
  const actions: InitAction[] = [];
  const existing = await loadConfig(root, rules).catch(() => undefined);
  const existingFile = existing?.file ?? PROJECT_CONFIG_FILES.find((name) => existsSync(path.join(root, name)));
  if (existingFile) {
    actions.push({ file: path.relative(root, path.resolve(existingFile)).split(path.sep).join("/"), action: "kept", detail: `the project is already configured; ${CONFIG_FILE} not written` });
  } else {
    actions.push(await writeNew(root, CONFIG_FILE, defaultConfigText(rules), "every rule with its default"));
  }
  const hook = await addPreCommitHook(root);
  if (hook) actions.push(hook);
  if (options.scaffold) actions.push(...(await scaffold(root, rules)));
  return actions;
}
