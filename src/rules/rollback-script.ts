import path from "node:path";
import type { SourceLocation } from "../model.js";
import type { MarkdownDocument } from "../parsers/markdown.js";
import type { MakeTarget, Makefile } from "../parsers/makefile.js";
import { commandWords, tokenizeShell, type ShellCommand, type ShellWord } from "../parsers/shell.js";
import { LineIndex } from "../parsers/text.js";
import type { ProjectModel } from "../project.js";
import { isDeployable, isTestPath } from "../paths.js";
import { defineRule } from "../rule.js";

interface RollbackScriptOptions {
  checkWorkloadNames: boolean;
}

/**
 * Where a command was found decides what counts as a rollback:
 * - `anywhere`: only a command that rolls back by itself (`kubectl rollout undo`, `helm rollback`...);
 * - `section`: Markdown under a "Rollback" heading, where a deployment change (`kubectl set image`,
 *   `helm upgrade`, `git revert`...) is the documented way back;
 * - `named`: a script or Makefile target named rollback/undo/revert, where any command that changes
 *   something counts, since its name says what it is for.
 */
type Scope = "anywhere" | "section" | "named";

/** `strong` rolls back by itself; `change` changes a deployment; `inspect` only reads or prints; `other` runs anything else. */
type Tier = "strong" | "change" | "inspect" | "other";

interface WorkloadRef {
  /** Kubernetes kind, or `HelmRelease` for a Helm release name. */
  kind: string;
  name: string;
  word: ShellWord;
}

interface Classified {
  tier: Tier;
  refs: WorkloadRef[];
  /** Release name of `helm install`/`helm upgrade`, for the release check. */
  installsRelease?: string;
}

interface FoundCommand {
  file: string;
  command: ShellCommand;
  scope: Scope;
  classified: Classified;
}

const ROLLBACK_NAME = /roll[-_]?back|(^|[-_.\s])(undo|revert)([-_.\s]|$)/i;
const ROLLBACK_HEADING = /\broll(ing)?[\s-]?backs?\b|\brolled[\s-]back\b|\brevert|\bundo\b|\bdowngrad/i;
/** Markdown that records history or policy, not how to operate the service. */
const NOT_OPERATIONS_DOC = /^(changelog|changes|history|news|release[-_ ]?notes?|releases|contributing|code[-_]of[-_]conduct|security|licen[cs]e|authors|maintainers|governance|support)([-_.]|$)/i;
const SHELL_LANGS = new Set(["", "sh", "bash", "shell", "zsh", "ksh", "console", "shell-session", "sh-session", "shellsession", "terminal", "inline"]);
/** Files that run and whose content mlready does not read: counted by their name alone. */
const UNREAD_SCRIPT = /(^|\/)[^/.]+$|\.(py|ps1|zsh|ksh|rb|js|mjs|ts)$/i;

const KIND_ALIASES: Record<string, string> = {
  deployment: "Deployment", deployments: "Deployment", deploy: "Deployment",
  statefulset: "StatefulSet", statefulsets: "StatefulSet", sts: "StatefulSet",
  daemonset: "DaemonSet", daemonsets: "DaemonSet", ds: "DaemonSet",
  rollout: "Rollout", rollouts: "Rollout", ro: "Rollout",
  deploymentconfig: "DeploymentConfig", deploymentconfigs: "DeploymentConfig", dc: "DeploymentConfig",
};
const ROLLABLE_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet", "Rollout", "DeploymentConfig"]);

/** Options that take a value, per tool: the value is not a positional argument. */
const KUBECTL_VALUE_FLAGS = new Set([
  "-n", "--namespace", "--context", "--kubeconfig", "--cluster", "--user", "-s", "--server", "--token", "-l", "--selector",
  "-o", "--output", "--to-revision", "--as", "--as-group", "--as-uid", "--request-timeout", "--field-selector", "-f",
  "--filename", "-k", "--kustomize", "-c", "--container", "-p", "--patch", "--type", "--timeout", "--revision",
  "--cache-dir", "--certificate-authority", "--client-certificate", "--client-key", "--tls-server-name", "--username",
  "--password", "--field-manager", "--template", "--sort-by", "--replicas", "--from", "--env", "-e", "--patch-file",
]);
const HELM_VALUE_FLAGS = new Set([
  "-n", "--namespace", "--kube-context", "--kubeconfig", "--timeout", "--history-max", "--registry-config",
  "--repository-config", "--repository-cache", "--kube-apiserver", "--kube-token", "--kube-as-user", "--kube-as-group",
  "--kube-ca-file", "--burst-limit", "--qps", "-f", "--values", "--set", "--set-string", "--set-file", "--set-json",
  "--set-literal", "--version", "--repo", "--post-renderer", "--post-renderer-args", "--description", "-o", "--output",
  "--max", "--username", "--password", "--ca-file", "--cert-file", "--key-file",
]);
const ARGOCD_VALUE_FLAGS = new Set(["--server", "--auth-token", "--grpc-web-root-path", "--config", "--revision", "-o", "--output", "--app-namespace", "-N", "--timeout", "--context", "--port-forward-namespace"]);

const KUBECTL_READ_ONLY = new Set([
  "get", "describe", "logs", "top", "explain", "version", "cluster-info", "api-resources", "api-versions", "config",
  "auth", "wait", "diff", "port-forward", "proxy", "events", "completion", "plugin", "kustomize", "whoami",
]);
const HELM_READ_ONLY = new Set([
  "history", "hist", "list", "ls", "status", "get", "show", "inspect", "search", "repo", "template", "lint", "version",
  "env", "dependency", "dep", "package", "pull", "fetch", "verify", "plugin", "completion", "registry", "diff",
]);
/** Commands that only print, test, move around or tidy up: a rollback script made of these rolls nothing back. */
const INSPECT_PROGRAMS = new Set([
  "echo", "printf", "exit", "return", "true", "false", ":", "set", "unset", "shift", "sleep", "cat", "read", "local",
  "export", "declare", "typeset", "readonly", "cd", "pushd", "popd", "pwd", "[", "[[", "test", "trap", "wait", "date",
  "whoami", "id", "hostname", "ls", "grep", "egrep", "fgrep", "sed", "awk", "tr", "cut", "head", "tail", "sort", "uniq",
  "wc", "tee", "jq", "yq", "basename", "dirname", "realpath", "readlink", "mktemp", "mkdir", "touch", "chmod", "rm",
  "source", ".", "usage", "die", "fail", "log", "info", "warn", "warning", "error", "debug", "note", "msg", "fatal",
  "fi", "done", "esac", "}", "for", "case", "in", "function", "select", "getopts", "printenv", "which", "type", "hash",
  "clear", "tput", "logger", "break", "continue", "let", "eval", "alias", "umask", "shopt", "history", "env",
]);

function rollbackNamed(name: string): boolean {
  return ROLLBACK_NAME.test(name);
}

/** A name that is a variable or a placeholder (`$APP`, `{{ .Release.Name }}`, `<name>`, `DEPLOYMENT_NAME`), not a literal. */
function isPlaceholder(name: string): boolean {
  return name === "" || /[$<>{}%*?[\]`@]|\.\.\./.test(name) || /^[A-Z][A-Z0-9_]*$/.test(name) || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name);
}

/** Splits arguments into positionals, skipping options and the values of those that take one. */
function positionals(args: ShellWord[], valueFlags: Set<string>): { positional: ShellWord[]; flags: Map<string, string> } {
  const positional: ShellWord[] = [];
  const flags = new Map<string, string>();
  for (let index = 0; index < args.length; index++) {
    const word = args[index] as ShellWord;
    const text = word.text;
    if (text === "--") {
      positional.push(...args.slice(index + 1));
      break;
    }
    if (text.startsWith("-") && text.length > 1) {
      const equals = text.indexOf("=");
      if (equals > 0) {
        flags.set(text.slice(0, equals), text.slice(equals + 1));
      } else if (valueFlags.has(text)) {
        flags.set(text, args[index + 1]?.text ?? "");
        index++;
      } else {
        flags.set(text, "");
      }
      continue;
    }
    positional.push(word);
  }
  return { positional, flags };
}

/** `deployment/churn-api`, or `deployment churn-api other-api`: the workloads a kubectl verb acts on. */
function kubectlRefs(targets: ShellWord[]): WorkloadRef[] {
  const refs: WorkloadRef[] = [];
  const first = targets[0];
  if (!first) return refs;
  if (first.text.includes("/")) {
    for (const word of targets) {
      const slash = word.text.indexOf("/");
      if (slash < 0) continue;
      const kind = KIND_ALIASES[word.text.slice(0, slash).toLowerCase().replace(/\.(apps|argoproj\.io|apps\.openshift\.io)$/, "")];
      if (kind) refs.push({ kind, name: word.text.slice(slash + 1), word });
    }
    return refs;
  }
  const kind = KIND_ALIASES[first.text.toLowerCase().replace(/\.(apps|argoproj\.io|apps\.openshift\.io)$/, "")];
  if (!kind) return refs;
  for (const word of targets.slice(1)) {
    if (word.text.includes("=")) break;
    refs.push({ kind, name: word.text, word });
  }
  return refs;
}

/** The program, normalised: `/usr/bin/kubectl`, `$KUBECTL`, `$(KUBECTL)`, `kubectl.exe` -> `kubectl`. */
function programOf(word: string): string {
  const variable = /^\$[({]?([A-Za-z_][A-Za-z0-9_]*)[)}]?$/.exec(word);
  const base = (variable ? (variable[1] as string) : word).toLowerCase().replace(/\.exe$/, "");
  if (variable) {
    for (const tool of ["kubectl", "helm", "argocd", "kustomize"]) if (base.includes(tool)) return tool;
    if (base === "oc") return "oc";
  }
  return base;
}

function classify(command: ShellCommand): Classified {
  const texts = commandWords(command);
  // commandWords drops leading words; keep the same tail of ShellWords so that locations survive.
  let words = command.words.slice(command.words.length - texts.length);
  if (words.length === 0) return { tier: "inspect", refs: [] };
  let program = programOf(texts[0] as string);
  // Wrappers around kubectl.
  if ((program === "microk8s" || program === "k3s") && words[1]?.text === "kubectl") {
    words = words.slice(1);
    program = "kubectl";
  } else if (program === "microk8s.kubectl") {
    program = "kubectl";
  } else if (program === "minikube" && words[1]?.text === "kubectl") {
    words = words.slice(words[2]?.text === "--" ? 3 : 2);
    words = [{ text: "kubectl", location: command.location }, ...words];
    program = "kubectl";
  }
  const args = words.slice(1);
  if (program === "kubectl-argo-rollouts") return argoRollouts(args);
  if (program === "kubectl" || program === "oc") {
    const { positional } = positionals(args, KUBECTL_VALUE_FLAGS);
    const verbs = positional.map((word) => word.text);
    const verb = verbs[0] ?? "";
    if (verb === "argo" && verbs[1] === "rollouts") {
      const index = args.findIndex((word) => word === positional[1]);
      return argoRollouts(args.slice(index + 1));
    }
    if (verb === "rollout") {
      const action = verbs[1] ?? "";
      if (action === "undo") {
        const hasTarget = positional.length > 2 || args.some((word) => /^(-f|--filename|-l|--selector|-k|--kustomize)(=|$)/.test(word.text));
        return { tier: hasTarget ? "strong" : "other", refs: kubectlRefs(positional.slice(2)) };
      }
      return { tier: action === "history" || action === "status" ? "inspect" : "change", refs: [] };
    }
    if (program === "oc" && verb === "rollback") {
      const name = positional[1];
      return { tier: name ? "strong" : "other", refs: name ? [{ kind: "DeploymentConfig", name: name.text.replace(/^(dc|deploymentconfig)\//, ""), word: name }] : [] };
    }
    if (verb === "set" && ["image", "env", "resources"].includes(verbs[1] ?? "")) return { tier: "change", refs: kubectlRefs(positional.slice(2)) };
    if (["patch", "scale", "annotate", "label", "edit"].includes(verb)) return { tier: "change", refs: kubectlRefs(positional.slice(1)) };
    if (["apply", "replace", "create", "delete"].includes(verb)) return { tier: "change", refs: [] };
    return { tier: KUBECTL_READ_ONLY.has(verb) ? "inspect" : "other", refs: [] };
  }
  if (program === "helm" || program === "helm3") {
    const { positional } = positionals(args, HELM_VALUE_FLAGS);
    const verb = positional[0]?.text ?? "";
    const release = positional[1];
    if (verb === "rollback") {
      return { tier: release ? "strong" : "other", refs: release ? [{ kind: "HelmRelease", name: release.text, word: release }] : [] };
    }
    if (verb === "upgrade" || verb === "install") return { tier: "change", refs: [], ...(release ? { installsRelease: release.text } : {}) };
    if (verb === "uninstall" || verb === "delete") return { tier: "change", refs: [] };
    return { tier: HELM_READ_ONLY.has(verb) ? "inspect" : "other", refs: [] };
  }
  if (program === "argocd") {
    const { positional } = positionals(args, ARGOCD_VALUE_FLAGS);
    const [noun, verb, app] = positional.map((word) => word.text);
    if (noun === "app" && verb === "rollback") return { tier: app ? "strong" : "other", refs: [] };
    if (noun === "app" && ["sync", "set", "patch", "unset"].includes(verb ?? "")) return { tier: "change", refs: [] };
    return { tier: ["get", "list", "history", "diff", "wait", "manifests", "logs", "resources"].includes(verb ?? "") || noun === "login" || noun === "version" ? "inspect" : "other", refs: [] };
  }
  const rest = texts.slice(1);
  if (program === "docker") {
    // Swarm keeps the previous service spec: `docker service rollback web` / `docker service update --rollback web`.
    if (rest[0] === "service" && (rest[1] === "rollback" || (rest[1] === "update" && rest.includes("--rollback")))) return { tier: "strong", refs: [] };
    if (["tag", "push", "service", "stack", "compose", "run", "pull"].includes(rest[0] ?? "")) return { tier: "change", refs: [] };
    return { tier: ["ps", "images", "logs", "inspect", "version", "info"].includes(rest[0] ?? "") ? "inspect" : "other", refs: [] };
  }
  if (program === "kustomize") return { tier: rest[0] === "edit" ? "change" : "inspect", refs: [] };
  if (program === "git") {
    if (rest[0] === "revert") return { tier: "change", refs: [] };
    return { tier: ["status", "log", "diff", "show", "fetch", "rev-parse", "describe", "branch", "config", "remote"].includes(rest[0] ?? "") ? "inspect" : "other", refs: [] };
  }
  if (program === "gcloud" || program === "aws" || program === "az") {
    const verbs = rest.filter((word) => !word.startsWith("-"));
    if (verbs.some((word) => /^(update-traffic|set-traffic|migrate|swap|rollback|update-service|update-endpoint|update-alias|deploy|update)$/.test(word))) return { tier: "change", refs: [] };
    if (verbs.some((word) => /^(list|describe|show|get)([-_].*)?$/.test(word))) return { tier: "inspect", refs: [] };
    return { tier: rest[0] === "s3" && rest[1] === "cp" ? "change" : "other", refs: [] };
  }
  if (["mlflow", "dvc", "skopeo", "crane", "gsutil", "terraform", "tofu", "flux"].includes(program)) {
    return { tier: ["plan", "show", "validate", "init", "version", "fmt", "status", "get", "ls", "list"].includes(rest[0] ?? "") ? "inspect" : "change", refs: [] };
  }
  if (program === "curl" || program === "wget" || program === "http" || program === "https") {
    const writes = rest.some((word, index) => /^(-X|--request)$/.test(word) ? /^(POST|PUT|PATCH|DELETE)$/i.test(rest[index + 1] ?? "") : /^(-X|--request=)(POST|PUT|PATCH|DELETE)$/i.test(word) || /^(-d|--data.*|--json|-F|--form|--post-data.*)$/.test(word));
    return { tier: writes ? "change" : "inspect", refs: [] };
  }
  if (INSPECT_PROGRAMS.has(program) || program.startsWith("-")) return { tier: "inspect", refs: [] };
  return { tier: "other", refs: [] };
}

function argoRollouts(args: ShellWord[]): Classified {
  const { positional } = positionals(args, KUBECTL_VALUE_FLAGS);
  const verb = positional[0]?.text ?? "";
  const target = positional[verb === "set" ? 2 : 1];
  const refs = target ? [{ kind: "Rollout", name: target.text.replace(/^(rollout|rollouts|ro)(\.argoproj\.io)?\//, ""), word: target }] : [];
  if (verb === "undo" || verb === "abort") return { tier: target ? "strong" : "other", refs };
  if (["get", "list", "status", "version", "lint", "dashboard", "notifications", "completion"].includes(verb)) return { tier: "inspect", refs: [] };
  return { tier: "change", refs };
}

/** Headings enclosing each line: true when one of them is about rolling back. */
function rollbackSections(document: MarkdownDocument): (line: number) => boolean {
  const ranges: { from: number; under: boolean }[] = [];
  const chain: { depth: number; rollback: boolean }[] = [];
  for (const heading of document.headings) {
    while (chain.length > 0 && (chain[chain.length - 1] as { depth: number }).depth >= heading.depth) chain.pop();
    chain.push({ depth: heading.depth, rollback: ROLLBACK_HEADING.test(heading.text) });
    ranges.push({ from: heading.location.line, under: chain.some((entry) => entry.rollback) });
  }
  return (line) => {
    let under = false;
    for (const range of ranges) {
      if (range.from > line) break;
      under = range.under;
    }
    return under;
  };
}

/** Shell commands of a Markdown document's code, with lines in the document. */
function markdownCommands(document: MarkdownDocument): { command: ShellCommand; section: boolean }[] {
  const inSection = rollbackSections(document);
  const found: { command: ShellCommand; section: boolean }[] = [];
  for (const code of document.code) {
    if (!SHELL_LANGS.has(code.lang.toLowerCase())) continue;
    let value = code.value;
    // Console transcripts: with prompts, only the prompted lines are commands; the rest is output.
    if (/^\s*\$ /m.test(value)) value = value.split("\n").map((line) => (/^\s*\$ /.test(line) ? line.replace(/^(\s*)\$ /, "$1  ") : "")).join("\n");
    // `<name>` placeholders would read as redirections: keep them as words.
    value = value.replace(/(^|[^<\w])<([A-Za-z][\w.:/-]*)>/g, (_, before: string, name: string) => `${before}{${name}}`);
    const firstLine = code.contentLine ?? code.location.line;
    const shift = (location: SourceLocation): SourceLocation => ({
      line: location.line + firstLine - 1,
      column: location.line === 1 && code.lang === "inline" ? location.column + code.location.column : location.column,
    });
    for (const command of tokenizeShell(value, new LineIndex(value))) {
      const words = command.words.map((word) => ({ text: word.text, location: shift(word.location) }));
      const location = shift(command.location);
      found.push({ command: { words, location }, section: inSection(location.line) });
    }
  }
  return found;
}

/** A rollback target's commands, with those of the prerequisites it runs first (same Makefile). */
function targetCommands(makefile: Makefile, target: MakeTarget): ShellCommand[] {
  const byName = new Map(makefile.targets.map((candidate) => [candidate.name, candidate]));
  const seen = new Set<MakeTarget>();
  const commands: ShellCommand[] = [];
  const visit = (current: MakeTarget, depth: number) => {
    if (seen.has(current) || depth > 8) return;
    seen.add(current);
    for (const prerequisite of current.prerequisites ?? []) {
      const next = byName.get(prerequisite);
      if (next) visit(next, depth + 1);
    }
    commands.push(...current.commands);
  };
  visit(target, 0);
  return commands;
}

function describeCommand(command: ShellCommand): string {
  const text = commandWords(command).join(" ");
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** `kubectl -n prod rollout history deployment/x` -> `kubectl rollout history`; other programs by name. */
function summarise(command: ShellCommand): string {
  const words = commandWords(command);
  const program = words[0] ?? "";
  if (!["kubectl", "oc", "helm", "argocd", "git", "docker"].includes(program)) return program;
  const verbs = positionals(command.words.slice(command.words.length - words.length + 1), program === "helm" ? HELM_VALUE_FLAGS : KUBECTL_VALUE_FLAGS).positional;
  return [program, ...verbs.slice(0, program === "kubectl" || program === "oc" ? 2 : 1).map((word) => word.text)].join(" ");
}

function listOf(names: Iterable<string>): string {
  const sorted = [...new Set(names)].sort();
  if (sorted.length === 0) return "none";
  return sorted.length > 5 ? `${sorted.slice(0, 5).join(", ")}, ...` : sorted.join(", ");
}

function gatherCommands(project: ProjectModel, namedCandidates: { file: string; label: string; at: SourceLocation; commands: FoundCommand[] }[]): FoundCommand[] {
  const found: FoundCommand[] = [];
  for (const script of project.scripts) {
    if (isTestPath(script.path)) continue;
    const named = rollbackNamed(path.posix.basename(script.path));
    const commands = script.commands.map((command) => ({ file: script.path, command, scope: (named ? "named" : "anywhere") as Scope, classified: classify(command) }));
    found.push(...commands);
    if (named) namedCandidates.push({ file: script.path, label: `\`${script.path}\``, at: { line: 1, column: 1 }, commands });
  }
  for (const makefile of project.makefiles) {
    if (isTestPath(makefile.path)) continue;
    for (const target of makefile.targets) {
      const named = rollbackNamed(target.name);
      if (!named) {
        found.push(...target.commands.map((command) => ({ file: makefile.path, command, scope: "anywhere" as Scope, classified: classify(command) })));
        continue;
      }
      const commands = targetCommands(makefile, target).map((command) => ({ file: makefile.path, command, scope: "named" as Scope, classified: classify(command) }));
      found.push(...commands);
      namedCandidates.push({ file: makefile.path, label: `Makefile target \`${target.name}\``, at: target.location, commands });
    }
  }
  for (const document of project.markdown) {
    if (isTestPath(document.path) || NOT_OPERATIONS_DOC.test(path.posix.basename(document.path))) continue;
    // A document named like a rollback (docs/rollback.md) is a rollback section from top to bottom.
    const wholeDocument = rollbackNamed(path.posix.basename(document.path).replace(/\.(md|markdown)$/i, ""));
    for (const { command, section } of markdownCommands(document)) {
      found.push({ file: document.path, command, scope: section || wholeDocument ? "section" : "anywhere", classified: classify(command) });
    }
  }
  return found;
}

function counts(found: FoundCommand): boolean {
  const { tier } = found.classified;
  if (tier === "strong") return true;
  if (found.scope === "section") return tier === "change";
  if (found.scope === "named") return tier === "change" || tier === "other";
  return false;
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
    const namedCandidates: { file: string; label: string; at: SourceLocation; commands: FoundCommand[] }[] = [];
    const found = gatherCommands(project, namedCandidates);

    // Runnable files named like a rollback whose content mlready does not read (Python, extensionless, CI workflows).
    const unreadNamed = project.files.filter((file) => {
      if (file.kind === "shell" || isTestPath(file.path) || !rollbackNamed(path.posix.basename(file.path))) return false;
      if (file.kind === "ci-workflow") return true;
      return file.kind === "other" && UNREAD_SCRIPT.test(file.path) && !path.posix.basename(file.path).startsWith(".");
    });
    // Shell scripts too large or unreadable are not in project.scripts: count them by name too.
    const parsedScripts = new Set(project.scripts.map((script) => script.path));
    const unparsedShell = project.files.filter((file) => file.kind === "shell" && !parsedScripts.has(file.path) && !isTestPath(file.path) && rollbackNamed(path.posix.basename(file.path)));

    let hasRollback = found.some(counts) || unreadNamed.length > 0 || unparsedShell.length > 0;
    for (const candidate of namedCandidates) {
      if (candidate.commands.some(counts)) {
        hasRollback = true;
        continue;
      }
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
  const namesByKind = new Map<string, Set<string>>();
  const releaseEvidence = new Set<string>();
  for (const object of project.objects) {
    if (!object.name) continue;
    if (!namesByKind.has(object.kind)) namesByKind.set(object.kind, new Set());
    namesByKind.get(object.kind)?.add(object.name);
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
  const hasRollable = [...namesByKind.keys()].some((kind) => ROLLABLE_KINDS.has(kind));
  if (!hasRollable) return;
  // Names rendered from Helm templates are not known; Kustomize may add a prefix or suffix.
  const hasTemplates = project.files.some((file) => file.kind === "helm-chart" || file.kind === "helm-template");
  const hasKustomize = project.files.some((file) => file.kind === "kustomization");
  const generatorNames = project.objects
    .filter((object) => object.name && /^[^/]+\.[^/]+\//.test(object.apiVersion) && !/\.k8s\.io\//.test(object.apiVersion) && !ROLLABLE_KINDS.has(object.kind))
    .map((object) => object.name as string);
  const workloadNames = [...namesByKind.entries()].filter(([kind]) => ROLLABLE_KINDS.has(kind)).flatMap(([, names]) => [...names]);

  let installsVariableRelease = false;
  const all = [
    ...project.scripts.flatMap((script) => script.commands),
    ...project.makefiles.flatMap((makefile) => makefile.targets.flatMap((target) => target.commands)),
    ...project.markdown.flatMap((document) => markdownCommands(document).map((item) => item.command)),
  ];
  for (const command of all) {
    const release = classify(command).installsRelease;
    if (release === undefined) continue;
    if (isPlaceholder(release)) installsVariableRelease = true;
    else releaseEvidence.add(release);
  }

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
