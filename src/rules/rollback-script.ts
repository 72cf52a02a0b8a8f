import type { SourceLocation } from "../model.js";
import type { ProjectModel } from "../project.js";
import { isDeployable } from "../paths.js";
import {
  counts,
  describeCommand,
  discoverRollbacks,
  installedReleasesOf,
  isPlaceholder,
  listOf,
  objectNamesOf,
  ROLLABLE_KINDS,
  summarise,
  type FoundCommand,
} from "../rollback.js";
import { defineRule } from "../rule.js";

interface RollbackScriptOptions {
  checkWorkloadNames: boolean;
}

export default defineRule<RollbackScriptOptions>({
  meta: {
    id: "rollback-script",
    title: "Provide a single-command rollback",
    section: "rollback",
    severity: "error",
    weight: 2,
    description:
      "Looks for a rollback that one command runs: a rollback script, a Makefile rollback target or a documented `kubectl rollout undo`/`helm rollback`, and checks that it names a workload the project deploys.",
    options: {
      type: "object",
      additionalProperties: false,
      properties: {
        checkWorkloadNames: {
          type: "boolean",
          description: "Check that the workload or Helm release a rollback command names is defined in the project.",
        },
      },
    },
    defaultOptions: { checkWorkloadNames: true },
    messages: {
      missing:
        "No single-command rollback found: mlready looked for a rollback script (rollback*.sh, scripts/rollback*, bin/rollback), a Makefile target such as `rollback:` and a `kubectl rollout undo` or `helm rollback` command in the Markdown docs. Add scripts/rollback.sh that runs `kubectl rollout undo deployment/<name>` and link it from the runbook.",
      noRollbackCommand:
        "{{what}} is named like a rollback but runs no command that rolls a deployment back ({{seen}}). Make it run the rollback, e.g. `kubectl rollout undo deployment/<name>` or `helm rollback <release>`, or rename it.",
      unknownWorkload:
        "`{{command}}` rolls back {{kind}} \"{{name}}\", but the project's manifests define no {{kind}} of that name ({{kind}} names found: {{known}}). Point the command at the workload you deploy, or the rollback will fail when it is needed.",
      unknownRelease:
        "`{{command}}` rolls back Helm release \"{{name}}\", but nothing in the project installs a release of that name or deploys a workload named after it (releases found: {{known}}). Use the release name of your `helm upgrade --install` command.",
    },
  },
  check(context) {
    const { project, options } = context;
    const { found, namedCandidates, hasRollback } = discoverRollbacks(project);
    for (const candidate of namedCandidates) {
      if (candidate.commands.some(counts)) continue;
      const programs = [...new Set(candidate.commands.map((item) => summarise(item.command)).filter((word) => word !== ""))];
      context.report({
        messageId: "noRollbackCommand",
        data: { what: candidate.label, seen: programs.length ? `it only runs ${listOf(programs)}` : "it runs no commands" },
        file: candidate.file,
        at: candidate.at,
      });
    }

    if (options.checkWorkloadNames !== false) checkNames(project, found.filter(counts), context.report.bind(context));

    if (!hasRollback && namedCandidates.length === 0) {
      if (!isDeployable(project)) {
        context.skip("nothing here is deployed (no Dockerfile, Kubernetes manifest, Helm chart, Kustomization or MLflow model)");
        return;
      }
      context.report({ messageId: "missing" });
    }
  },
});

type Report = (descriptor: { messageId: string; data?: Record<string, string | number>; file?: string; at?: SourceLocation }) => void;

/** Cross-artifact check: the workload or release a rollback names must be one the project deploys. */
function checkNames(project: ProjectModel, rollbacks: FoundCommand[], report: Report): void {
  const { namesByKind, hasRollable, hasTemplates, hasKustomize, generatorNames } = objectNamesOf(project);
  if (!hasRollable) return;
  const releaseEvidence = new Set<string>();
  for (const object of project.objects) {
    if (!object.name) continue;
    if (object.kind === "HelmRelease") {
      releaseEvidence.add(object.name);
      const spec = object.value["spec"] as Record<string, unknown> | undefined;
      if (typeof spec?.["releaseName"] === "string") releaseEvidence.add(spec["releaseName"]);
    }
    if (object.kind === "Application") {
      const source = (object.value["spec"] as Record<string, unknown> | undefined)?.["source"] as Record<string, unknown> | undefined;
      const helm = source?.["helm"] as Record<string, unknown> | undefined;
      if (typeof helm?.["releaseName"] === "string") releaseEvidence.add(helm["releaseName"]);
      if (helm) releaseEvidence.add(object.name);
    }
  }
  // Names rendered from Helm templates are not known; Kustomize may add a prefix or suffix.
  const workloadNames = [...namesByKind.entries()].filter(([kind]) => ROLLABLE_KINDS.has(kind)).flatMap(([, names]) => [...names]);
  const installed = installedReleasesOf(project);
  for (const release of installed.names) releaseEvidence.add(release);
  const installsVariableRelease = installed.variable;

  const reported = new Set<string>();
  for (const rollback of rollbacks) {
    for (const ref of rollback.classified.refs) {
      if (isPlaceholder(ref.name)) continue;
      const key = `${rollback.file}:${ref.word.location.line}:${ref.word.location.column}`;
      if (reported.has(key)) continue;
      if (ref.kind === "HelmRelease") {
        if (hasTemplates || installsVariableRelease) continue;
        const known = releaseEvidence.has(ref.name) || workloadNames.some((name) => name === ref.name || name.startsWith(`${ref.name}-`));
        if (known) continue;
        reported.add(key);
        report({
          messageId: "unknownRelease",
          data: { command: describeCommand(rollback.command), name: ref.name, known: listOf(releaseEvidence) },
          file: rollback.file,
          at: ref.word.location,
        });
        continue;
      }
      const names = namesByKind.get(ref.kind) ?? new Set<string>();
      if (names.has(ref.name)) continue;
      if (hasKustomize && [...names].some((name) => ref.name.includes(name))) continue;
      // Operators name the workloads they create after their custom resource: `churn` -> `churn-predictor`.
      if (generatorNames.some((name) => ref.name.startsWith(`${name}-`))) continue;
      if (hasTemplates) continue;
      reported.add(key);
      report({
        messageId: "unknownWorkload",
        data: { command: describeCommand(rollback.command), kind: ref.kind, name: ref.name, known: listOf(names) },
        file: rollback.file,
        at: ref.word.location,
      });
    }
  }
}
