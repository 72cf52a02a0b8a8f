import path from "node:path";
import type { SourceLocation } from "../model.js";
import type { KubernetesObject } from "../parsers/kubernetes.js";
import { programWords, type ShellCommand, type ShellScript, type ShellWord } from "../parsers/shell.js";
import type { ProjectModel } from "../project.js";
import {
  classify,
  describeCommand,
  discoverRollbacks,
  HELM_VALUE_FLAGS,
  installedReleasesOf,
  isPlaceholder,
  KIND_ALIASES,
  KUBECTL_VALUE_FLAGS,
  listOf,
  literalVariables,
  objectNamesOf,
  positionals,
  programOf,
  resolveWord,
  ROLLABLE_KINDS,
  rollbackEntryPoints,
  scriptCall,
  strictModeLine,
  summarise,
  syntaxProblem,
  type ObjectNames,
  type RollbackEntryPoint,
  type ScriptCall,
} from "../rollback.js";
import { defineRule, type ReportDescriptor } from "../rule.js";

interface RollbackScriptValidOptions {
  requireStrictMode: boolean;
  checkReferences: boolean;
  requireWait: boolean;
}

/** Kinds a rollback script names besides the rollable workloads; judged only when the project defines one of that kind. */
const RESOURCE_ALIASES: Record<string, string> = {
  ...KIND_ALIASES,
  service: "Service", services: "Service", svc: "Service",
  horizontalpodautoscaler: "HorizontalPodAutoscaler", horizontalpodautoscalers: "HorizontalPodAutoscaler", hpa: "HorizontalPodAutoscaler",
  inferenceservice: "InferenceService", inferenceservices: "InferenceService", isvc: "InferenceService",
  cronjob: "CronJob", cronjobs: "CronJob", cj: "CronJob",
  seldondeployment: "SeldonDeployment", seldondeployments: "SeldonDeployment", sdep: "SeldonDeployment",
  poddisruptionbudget: "PodDisruptionBudget", poddisruptionbudgets: "PodDisruptionBudget", pdb: "PodDisruptionBudget",
};
/** kubectl verbs whose first positional names resources. */
const KUBECTL_REF_VERBS = new Set(["patch", "scale", "annotate", "label", "get", "describe", "wait", "delete", "autoscale", "logs", "edit"]);
const SHELLS = new Set(["sh", "bash", "zsh", "ksh", "dash", "ash", "busybox"]);

interface ResourceRef {
  kind: string;
  name: string;
  word: ShellWord;
}

interface References {
  refs: ResourceRef[];
  /** `container=image` words of `kubectl set image` / `kubectl argo rollouts set image`. */
  containers: ShellWord[];
}

function kindOf(text: string): string | undefined {
  return RESOURCE_ALIASES[text.toLowerCase().replace(/\.(apps|argoproj\.io|apps\.openshift\.io|serving\.kserve\.io|autoscaling|batch|policy)$/, "")];
}

/** `deployment/churn-api svc/churn-api`, or `deployment churn-api`: the resources a kubectl verb names. */
function resourceRefs(targets: ShellWord[]): ResourceRef[] {
  const first = targets[0];
  if (!first) return [];
  const refs: ResourceRef[] = [];
  if (first.text.includes("/")) {
    for (const word of targets) {
      const slash = word.text.indexOf("/");
      const kind = slash > 0 ? kindOf(word.text.slice(0, slash)) : undefined;
      if (kind) refs.push({ kind, name: word.text.slice(slash + 1), word });
    }
    return refs;
  }
  const kind = kindOf(first.text);
  if (!kind) return refs;
  for (const word of targets.slice(1)) {
    if (word.text.includes("=")) break;
    refs.push({ kind, name: word.text, word });
  }
  return refs;
}

function argoReferences(args: ShellWord[]): References {
  const { positional } = positionals(args, KUBECTL_VALUE_FLAGS);
  const verb = positional[0]?.text ?? "";
  if (["list", "version", "dashboard", "lint", "completion", "notifications", "create", "help"].includes(verb)) return { refs: [], containers: [] };
  let target = positional[1];
  if (verb === "set") target = positional[2];
  else if ((verb === "get" || verb === "retry") && /^(rollout|rollouts|ro)$/.test(positional[1]?.text ?? "")) target = positional[2];
  else if (verb === "get" || verb === "retry") target = undefined;
  const refs = target ? [{ kind: "Rollout", name: target.text.replace(/^(rollout|rollouts|ro)(\.argoproj\.io)?\//, ""), word: target }] : [];
  const containers = verb === "set" && positional[1]?.text === "image" ? positional.slice(3).filter((word) => /^[^=/]+=./.test(word.text)) : [];
  return { refs, containers };
}

/** The words of a command after its program, with kubectl wrappers (`microk8s kubectl`) unwrapped. */
function toolAndArgs(command: ShellCommand): { program: string; args: ShellWord[] } {
  let words = programWords(command);
  let program = programOf((words[0]?.text ?? "").split("/").pop() ?? "");
  if ((program === "microk8s" || program === "k3s") && words[1]?.text === "kubectl") {
    words = words.slice(1);
    program = "kubectl";
  } else if (program === "microk8s.kubectl") {
    program = "kubectl";
  }
  return { program, args: words.slice(1) };
}

/** Resources a command names: kubectl/oc verbs, Argo Rollouts and Helm releases. */
function referencesOf(command: ShellCommand): References {
  const { program, args } = toolAndArgs(command);
  if (program === "kubectl-argo-rollouts") return argoReferences(args);
  if (program === "kubectl" || program === "oc") {
    const { positional } = positionals(args, KUBECTL_VALUE_FLAGS);
    const verb = positional[0]?.text ?? "";
    if (verb === "argo" && positional[1]?.text === "rollouts") {
      const index = args.indexOf(positional[1]);
      return argoReferences(args.slice(index + 1));
    }
    if (verb === "rollout") return { refs: resourceRefs(positional.slice(2)), containers: [] };
    if (verb === "set" && ["image", "env", "resources"].includes(positional[1]?.text ?? "")) {
      const targets = positional.slice(2);
      const containers = positional[1]?.text === "image" ? targets.filter((word) => /^[^=/]+=./.test(word.text)) : [];
      return { refs: resourceRefs(targets), containers };
    }
    if (KUBECTL_REF_VERBS.has(verb)) return { refs: resourceRefs(positional.slice(1)), containers: [] };
    return { refs: [], containers: [] };
  }
  if (program === "helm" || program === "helm3") {
    const { positional } = positionals(args, HELM_VALUE_FLAGS);
    const verb = positional[0]?.text ?? "";
    const release = ["rollback", "status", "history", "hist"].includes(verb) ? positional[1] : undefined;
    return { refs: release ? [{ kind: "HelmRelease", name: release.text, word: release }] : [], containers: [] };
  }
  return { refs: [], containers: [] };
}

/** A command that changes the cluster and returns before the change is rolled out. */
function needsWait(command: ShellCommand): boolean {
  const { program, args } = toolAndArgs(command);
  const argo = (rest: ShellWord[]) => ["undo", "abort", "promote", "set", "retry", "restart"].includes(positionals(rest, KUBECTL_VALUE_FLAGS).positional[0]?.text ?? "");
  if (program === "kubectl-argo-rollouts") return argo(args);
  if (program === "kubectl" || program === "oc") {
    const verbs = positionals(args, KUBECTL_VALUE_FLAGS).positional;
    const [verb, action] = verbs.map((word) => word.text);
    if (verb === "argo" && action === "rollouts") return argo(args.slice(args.indexOf(verbs[1] as ShellWord) + 1));
    if (verb === "rollout") return ["undo", "restart", "resume"].includes(action ?? "");
    if (verb === "set") return ["image", "env", "resources"].includes(action ?? "");
    return ["patch", "apply", "replace"].includes(verb ?? "") || (program === "oc" && verb === "rollback");
  }
  if (program === "helm" || program === "helm3") {
    const { positional, flags } = positionals(args, HELM_VALUE_FLAGS);
    return ["rollback", "upgrade", "install"].includes(positional[0]?.text ?? "") && !helmWaits(flags);
  }
  return false;
}

function helmWaits(flags: Map<string, string>): boolean {
  const wait = flags.get("--wait");
  return (wait !== undefined && wait !== "false" && wait !== "none") || flags.has("--atomic") || flags.has("--rollback-on-failure");
}

/** A command that waits until the rollout is done (or failed). */
function isWait(command: ShellCommand): boolean {
  const first = command.words[0]?.text ?? "";
  const { program, args } = toolAndArgs(command);
  if ((first === "while" || first === "until") && ["kubectl", "oc", "helm", "curl", "kubectl-argo-rollouts", "argocd"].includes(program)) return true;
  const watches = args.some((word) => /^(-w|--watch)(=true)?$/.test(word.text));
  if (program === "kubectl-argo-rollouts") return args.some((word) => word.text === "status") || watches;
  if (program === "kubectl" || program === "oc") {
    const verbs = positionals(args, KUBECTL_VALUE_FLAGS).positional.map((word) => word.text);
    if (verbs[0] === "argo" && verbs[1] === "rollouts") return verbs[2] === "status" || watches;
    return (verbs[0] === "rollout" && verbs[1] === "status") || verbs[0] === "wait" || (verbs[0] === "get" && watches);
  }
  if (program === "helm" || program === "helm3") {
    const { positional, flags } = positionals(args, HELM_VALUE_FLAGS);
    return ["rollback", "upgrade", "install"].includes(positional[0]?.text ?? "") && helmWaits(flags);
  }
  if (program === "argocd") return args.some((word) => word.text === "wait");
  return false;
}





interface ObjectIndex extends ObjectNames {
  objects: KubernetesObject[];
  releases: Set<string>;
  judgeReleases: boolean;
}

function indexObjects(project: ProjectModel): ObjectIndex {
  const names = objectNamesOf(project);
  const releases = new Set<string>();
  for (const object of project.objects) {
    if (!object.name) continue;
    if (object.kind === "HelmRelease") releases.add(object.name);
    if (object.kind === "Application" && (object.value["spec"] as Record<string, unknown> | undefined)?.["source"]) releases.add(object.name);
  }
  const installed = installedReleasesOf(project);
  for (const release of installed.names) releases.add(release);
  return { ...names, objects: project.objects, releases, judgeReleases: !names.hasTemplates && !installed.variable };
}

/** True when the reference is not judged or names something the project defines. */
function resolvable(index: ObjectIndex, ref: ResourceRef): boolean {
  if (isPlaceholder(ref.name)) return true;
  if (ref.kind === "HelmRelease") {
    if (!index.judgeReleases || !index.hasRollable) return true;
    const workloads = [...index.namesByKind.entries()].filter(([kind]) => ROLLABLE_KINDS.has(kind)).flatMap(([, names]) => [...names]);
    return index.releases.has(ref.name) || workloads.some((name) => name === ref.name || name.startsWith(`${ref.name}-`));
  }
  const names = index.namesByKind.get(ref.kind);
  if (ROLLABLE_KINDS.has(ref.kind) ? !index.hasRollable : !names) return true;
  if (names?.has(ref.name)) return true;
  if (index.hasKustomize && [...(names ?? [])].some((name) => ref.name.includes(name))) return true;
  if (index.generatorNames.some((name) => ref.name.startsWith(`${name}-`))) return true;
  return index.hasTemplates;
}

function knownOf(index: ObjectIndex, kind: string): string {
  if (kind === "HelmRelease") return `releases found: ${listOf(index.releases)}`;
  const names = index.namesByKind.get(kind);
  if (names && names.size > 0) return `${kind} names found: ${listOf(names)}`;
  const workloads = [...index.namesByKind.entries()].filter(([candidate]) => ROLLABLE_KINDS.has(candidate)).flatMap(([candidate, set]) => [...set].map((name) => `${candidate}/${name}`));
  return `no ${kind} at all; workloads found: ${listOf(workloads)}`;
}

function containersOf(project: ProjectModel, kind: string, name: string): string[] | undefined {
  const workloads = project.workloads.filter((workload) => (workload.object.kind === kind && workload.object.name === name) || (kind === "Rollout" && workload.rolloutRef?.name === name));
  const names = workloads.flatMap((workload) => workload.containers.filter((container) => container.role !== "model").map((container) => container.name));
  return names.length > 0 ? names : undefined;
}

export default defineRule<RollbackScriptValidOptions>({
  meta: {
    id: "rollback-script-valid",
    title: "Make the rollback script run: valid, strict, aimed at real resources, waiting for the result",
    section: "rollback",
    severity: "error",
    weight: 2,
    description:
      "Checks the rollback script or Makefile target that rollback-script finds: it parses as shell, runs with `set -e`, every kubectl/Helm/Argo Rollouts command names a resource the project's manifests define, and it waits for the rollout to finish.",
    options: {
      type: "object",
      additionalProperties: false,
      properties: {
        requireStrictMode: { type: "boolean", description: "Require `set -e` (or `set -euo pipefail`) in rollback shell scripts." },
        checkReferences: { type: "boolean", description: "Compare the resources and scripts the rollback names with the project's manifests and files." },
        requireWait: { type: "boolean", description: "Require the rollback to wait for the rollout (`rollout status`, `kubectl wait`, `--wait`)." },
      },
    },
    defaultOptions: { requireStrictMode: true, checkReferences: true, requireWait: true },
    messages: {
      syntax: "`{{file}}` does not parse as shell: {{problem}}. The rollback would stop with a syntax error exactly when it is needed; fix it and check with `bash -n {{file}}`.",
      notStrict:
        "`{{file}}` does not run in strict mode: there is no `set -e` before its first command that changes the cluster (line {{line}}), so a failing command is ignored and the script goes on and ends as if the rollback worked. Add `set -euo pipefail` after the shebang.",
      dangling:
        "`{{command}}` targets {{kind}} \"{{name}}\", which the project does not define ({{known}}). This line fails when the rollback is needed; use the name in the manifest's `metadata.name`.",
      unknownContainer:
        "`{{command}}` sets the image of container \"{{container}}\", but {{kind}} \"{{name}}\" has no container of that name (containers: {{known}}). `kubectl set image` fails on an unknown container.",
      missingScript: "`{{command}}` runs `{{script}}`, which is not in the project: the rollback fails before it starts. Point it at the rollback script's real path.",
      noWait:
        "{{what}} runs `{{command}}` but never waits for the result, so it reports success while the old version is still starting (or failing). Follow it with `kubectl rollout status <kind>/<name> --timeout=5m` (or `kubectl wait`, `kubectl argo rollouts status <rollout>`, `helm rollback ... --wait`).",
      onlyEchoes:
        "{{what}} only prints or inspects ({{seen}}): it tells the operator what to do instead of doing it. Make it run the rollback, e.g. `kubectl rollout undo deployment/<name>` followed by `kubectl rollout status deployment/<name>`.",
    },
  },
  check(context) {
    const { project, options } = context;
    const discovery = discoverRollbacks(project);
    const entries = rollbackEntryPoints(project, discovery.namedCandidates);
    if (entries.length === 0) {
      context.skip(
        discovery.hasRollback
          ? "the rollback is a documented command or a program mlready does not read, not a shell script or Makefile target it can validate"
          : "no rollback script or Makefile target (rollback-script reports the missing rollback)",
      );
      return;
    }
    const reported = new Set<string>();
    const report = (descriptor: ReportDescriptor & { file: string; at: SourceLocation }) => {
      const key = `${descriptor.messageId}:${descriptor.file}:${descriptor.at.line}:${descriptor.at.column}`;
      if (reported.has(key)) return;
      reported.add(key);
      context.report(descriptor);
    };
    const index = indexObjects(project);
    const namedScripts = new Set(entries.flatMap((entry) => (entry.candidate.script ? [entry.candidate.script.path] : [])));

    // Every script to validate, and how it is run: directly by the operator, by `bash -e`, or sourced.
    const scripts = new Map<string, { script: ShellScript; direct: boolean; strictCaller: boolean; sourcedOnly: boolean }>();
    for (const entry of entries) {
      if (entry.candidate.script) scripts.set(entry.candidate.script.path, { script: entry.candidate.script, direct: true, strictCaller: false, sourcedOnly: false });
    }
    for (const call of entries.flatMap((entry) => entry.calls)) {
      if (!call.script) continue;
      const known = scripts.get(call.script.path) ?? { script: call.script, direct: false, strictCaller: true, sourcedOnly: true };
      known.strictCaller &&= call.strict;
      known.sourcedOnly &&= call.sourced;
      scripts.set(call.script.path, known);
    }

    for (const { script, direct, strictCaller, sourcedOnly } of scripts.values()) {
      if (script.interpreter && !SHELLS.has(script.interpreter)) continue;
      const syntax = syntaxProblem(script.commands);
      if (syntax) report({ messageId: "syntax", data: { file: script.path, problem: syntax.problem }, file: script.path, at: syntax.at });
      if (options.requireStrictMode !== false && !sourcedOnly && (direct || !strictCaller)) checkStrict(project, script, report);
      if (options.checkReferences !== false) checkReferences(project, index, script.path, script.commands, report);
    }
    for (const entry of entries) {
      const { candidate } = entry;
      if (candidate.target && candidate.makefile) {
        const syntax = syntaxProblem(candidate.target.commands);
        if (syntax) report({ messageId: "syntax", data: { file: candidate.makefile.path, problem: syntax.problem }, file: candidate.makefile.path, at: syntax.at });
        if (options.checkReferences !== false) checkReferences(project, index, candidate.makefile.path, entry.commands, report);
      }
      if (options.checkReferences !== false) {
        for (const call of entry.calls) {
          if (call.script || call.sourced) continue;
          const callerFile = callerOf(entry, call);
          const folder = path.posix.dirname(callerFile);
          if (project.hasFile(path.posix.normalize(path.posix.join(folder, call.written))) || project.hasFile(path.posix.normalize(call.written))) continue;
          const written = programWords(call.command).map((word) => word.text).join(" ");
          report({ messageId: "missingScript", data: { command: written.length > 80 ? `${written.slice(0, 77)}...` : written, script: call.written }, file: callerFile, at: call.command.location });
        }
      }
      checkEntry(entry, namedScripts, options, report);
    }
  },
});

type Reporter = (descriptor: ReportDescriptor & { file: string; at: SourceLocation }) => void;

/** The file a call is written in: the entry point itself or one of the scripts it runs. */
function callerOf(entry: RollbackEntryPoint, call: ScriptCall): string {
  if (entry.commands.includes(call.command)) return entry.candidate.file;
  for (const other of entry.calls) if (other.script?.commands.includes(call.command)) return other.script.path;
  return entry.candidate.file;
}

function checkStrict(project: ProjectModel, script: ShellScript, report: Reporter): void {
  const firstChange = script.commands.find((command) => needsWait(command) || ["strong", "change"].includes(classify(command).tier));
  const limit = firstChange?.location.line ?? Number.POSITIVE_INFINITY;
  const own = strictModeLine(script.commands);
  if (own !== undefined && own <= limit) return;
  // `#!/bin/bash -e` (or -eu, -eo pipefail) turns errexit on for the whole script.
  if (script.interpreterFlags?.some((flag) => /^-[a-zA-Z]*e[a-zA-Z]*$/.test(flag))) return;
  // A sourced library may turn strict mode on; one mlready cannot find is not judged.
  for (const command of script.commands) {
    if (command.location.line > limit) break;
    const runner = programWords(command)[0]?.text;
    if (runner !== "source" && runner !== ".") continue;
    const call = scriptCall(project, script.path, command);
    if (!call?.script) return;
    if (strictModeLine(call.script.commands) !== undefined) return;
  }
  report({
    messageId: "notStrict",
    data: { file: script.path, line: firstChange ? String(firstChange.location.line) : "none" },
    file: script.path,
    at: { line: 1, column: 1 },
  });
}

function checkReferences(project: ProjectModel, index: ObjectIndex, file: string, commands: ShellCommand[], report: Reporter): void {
  const variables = literalVariables(commands);
  for (const original of commands) {
    const command = { words: original.words.map((word) => resolveWord(word, variables)), location: original.location };
    const { refs, containers } = referencesOf(command);
    for (const ref of refs) {
      if (resolvable(index, ref)) {
        if (containers.length === 0 || isPlaceholder(ref.name)) continue;
        const known = containersOf(project, ref.kind, ref.name);
        if (!known) continue;
        for (const word of containers) {
          const container = word.text.slice(0, word.text.indexOf("="));
          if (container === "*" || isPlaceholder(container) || known.includes(container)) continue;
          report({ messageId: "unknownContainer", data: { command: describeCommand(original), container, kind: ref.kind, name: ref.name, known: listOf(known) }, file, at: word.location });
        }
        continue;
      }
      // rollback-script already reports a rollback command (`rollout undo`, `helm rollback`) whose target, as
      // written, is missing; this rule adds what it finds through variables and in the other commands.
      const asWritten = classify(original);
      if (asWritten.tier === "strong" && asWritten.refs.some((written) => written.kind === ref.kind && written.name === ref.name)) continue;
      report({
        messageId: "dangling",
        data: { command: describeCommand(original), kind: ref.kind === "HelmRelease" ? "Helm release" : ref.kind, name: ref.name, known: knownOf(index, ref.kind) },
        file,
        at: ref.word.location,
      });
    }
  }
}

function checkEntry(entry: RollbackEntryPoint, namedScripts: Set<string>, options: RollbackScriptValidOptions, report: Reporter): void {
  const { candidate } = entry;
  const withFiles: { file: string; command: ShellCommand }[] = [
    ...entry.commands.map((command) => ({ file: candidate.file, command })),
    ...entry.calls.flatMap((call) => (call.script ? call.script.commands.map((command) => ({ file: (call.script as ShellScript).path, command })) : [])),
  ];
  const callCommands = new Set(entry.calls.map((call) => call.command));
  const acting = withFiles.filter(({ command }) => !callCommands.has(command) && classify(command).tier !== "inspect");
  if (acting.length === 0) {
    // A target that hands over to a rollback script, or to a missing one, is judged through that script.
    const delegates = entry.calls.some((call) => !call.script || namedScripts.has(call.script.path));
    if (!delegates) {
      const programs = [...new Set(withFiles.map(({ command }) => summarise(command)).filter((word) => word !== ""))];
      report({ messageId: "onlyEchoes", data: { what: candidate.label, seen: programs.length > 0 ? `it runs only ${listOf(programs)}` : "it runs no commands" }, file: candidate.file, at: candidate.at });
    }
    return;
  }
  if (options.requireWait === false) return;
  const first = withFiles.find(({ command }) => needsWait(command));
  if (!first || withFiles.some(({ command }) => isWait(command))) return;
  report({ messageId: "noWait", data: { what: candidate.label, command: describeCommand(first.command) }, file: first.file, at: first.command.location });
}
