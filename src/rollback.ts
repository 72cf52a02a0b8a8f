import path from "node:path";
import type { ProjectFile, SourceLocation } from "./model.js";
import type { MarkdownDocument } from "./parsers/markdown.js";
import type { MakeTarget, Makefile } from "./parsers/makefile.js";
import { commandWords, programWords, tokenizeShell, type ShellCommand, type ShellScript, type ShellWord } from "./parsers/shell.js";
import { LineIndex } from "./parsers/text.js";
import { oncePer } from "./memo.js";
import type { ProjectModel } from "./project.js";
import { isTestPath } from "./paths.js";

// Rollback discovery shared by the rollback rules: which scripts, Makefile targets and Markdown
// commands roll a deployment back, and how each command is classified.

/**
 * Where a command was found decides what counts as a rollback:
 * - `anywhere`: only a command that rolls back by itself (`kubectl rollout undo`, `helm rollback`...);
 * - `section`: Markdown under a "Rollback" heading, where a deployment change (`kubectl set image`,
 *   `helm upgrade`, `git revert`...) is the documented way back;
 * - `named`: a script or Makefile target named rollback/undo/revert, where any command that changes
 *   something counts, since its name says what it is for.
 */
export type Scope = "anywhere" | "section" | "named";

/** `strong` rolls back by itself; `change` changes a deployment; `inspect` only reads or prints; `other` runs anything else. */
export type Tier = "strong" | "change" | "inspect" | "other";

export interface WorkloadRef {
  /** Kubernetes kind, or `HelmRelease` for a Helm release name. */
  kind: string;
  name: string;
  word: ShellWord;
}

export interface Classified {
  tier: Tier;
  refs: WorkloadRef[];
  /** Release name of `helm install`/`helm upgrade`, for the release check. */
  installsRelease?: string;
}

export interface FoundCommand {
  file: string;
  command: ShellCommand;
  scope: Scope;
  classified: Classified;
}

export const ROLLBACK_NAME = /roll[-_]?back|(^|[-_.\s])(undo|revert)([-_.\s]|$)/i;
export const ROLLBACK_HEADING = /\broll(ing)?[\s-]?backs?\b|\brolled[\s-]back\b|\brevert|\bundo\b|\bdowngrad/i;
/** Markdown that records history or policy, not how to operate the service. */
export const NOT_OPERATIONS_DOC = /^(changelog|changes|history|news|release[-_ ]?notes?|releases|contributing|code[-_]of[-_]conduct|security|licen[cs]e|authors|maintainers|governance|support)([-_.]|$)/i;
export const SHELL_LANGS = new Set(["", "sh", "bash", "shell", "zsh", "ksh", "console", "shell-session", "sh-session", "shellsession", "terminal", "inline"]);
/** Files that run and whose content mlready does not read: counted by their name alone. */
export const UNREAD_SCRIPT = /(^|\/)[^/.]+$|\.(py|ps1|zsh|ksh|rb|js|mjs|ts)$/i;

export const KIND_ALIASES: Record<string, string> = {
  deployment: "Deployment", deployments: "Deployment", deploy: "Deployment",
  statefulset: "StatefulSet", statefulsets: "StatefulSet", sts: "StatefulSet",
  daemonset: "DaemonSet", daemonsets: "DaemonSet", ds: "DaemonSet",
  rollout: "Rollout", rollouts: "Rollout", ro: "Rollout",
  deploymentconfig: "DeploymentConfig", deploymentconfigs: "DeploymentConfig", dc: "DeploymentConfig",
};
export const ROLLABLE_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet", "Rollout", "DeploymentConfig"]);

/** Options that take a value, per tool: the value is not a positional argument. */
export const KUBECTL_VALUE_FLAGS = new Set([
  "-n", "--namespace", "--context", "--kubeconfig", "--cluster", "--user", "-s", "--server", "--token", "-l", "--selector",
  "-o", "--output", "--to-revision", "--as", "--as-group", "--as-uid", "--request-timeout", "--field-selector", "-f",
  "--filename", "-k", "--kustomize", "-c", "--container", "-p", "--patch", "--type", "--timeout", "--revision",
  "--cache-dir", "--certificate-authority", "--client-certificate", "--client-key", "--tls-server-name", "--username",
  "--password", "--field-manager", "--template", "--sort-by", "--replicas", "--from", "--env", "-e", "--patch-file",
]);
export const HELM_VALUE_FLAGS = new Set([
  "-n", "--namespace", "--kube-context", "--kubeconfig", "--timeout", "--history-max", "--registry-config",
  "--repository-config", "--repository-cache", "--kube-apiserver", "--kube-token", "--kube-as-user", "--kube-as-group",
  "--kube-ca-file", "--burst-limit", "--qps", "-f", "--values", "--set", "--set-string", "--set-file", "--set-json",
  "--set-literal", "--version", "--repo", "--post-renderer", "--post-renderer-args", "--description", "-o", "--output",
  "--max", "--username", "--password", "--ca-file", "--cert-file", "--key-file",
]);
export const ARGOCD_VALUE_FLAGS = new Set(["--server", "--auth-token", "--grpc-web-root-path", "--config", "--revision", "-o", "--output", "--app-namespace", "-N", "--timeout", "--context", "--port-forward-namespace"]);

export const KUBECTL_READ_ONLY = new Set([
  "get", "describe", "logs", "top", "explain", "version", "cluster-info", "api-resources", "api-versions", "config",
  "auth", "wait", "diff", "port-forward", "proxy", "events", "completion", "plugin", "kustomize", "whoami",
]);
export const HELM_READ_ONLY = new Set([
  "history", "hist", "list", "ls", "status", "get", "show", "inspect", "search", "repo", "template", "lint", "version",
  "env", "dependency", "dep", "package", "pull", "fetch", "verify", "plugin", "completion", "registry", "diff",
]);
/** Commands that only print, test, move around or tidy up: a rollback script made of these rolls nothing back. */
export const INSPECT_PROGRAMS = new Set([
  "echo", "printf", "exit", "return", "true", "false", ":", "set", "unset", "shift", "sleep", "cat", "read", "local",
  "export", "declare", "typeset", "readonly", "cd", "pushd", "popd", "pwd", "[", "[[", "test", "trap", "wait", "date",
  "whoami", "id", "hostname", "ls", "grep", "egrep", "fgrep", "sed", "awk", "tr", "cut", "head", "tail", "sort", "uniq",
  "wc", "tee", "jq", "yq", "basename", "dirname", "realpath", "readlink", "mktemp", "mkdir", "touch", "chmod", "rm",
  "source", ".", "usage", "die", "fail", "log", "info", "warn", "warning", "error", "debug", "note", "msg", "fatal",
  "fi", "done", "esac", "}", "for", "case", "in", "function", "select", "getopts", "printenv", "which", "type", "hash",
  "clear", "tput", "logger", "break", "continue", "let", "eval", "alias", "umask", "shopt", "history", "env",
]);

export function rollbackNamed(name: string): boolean {
  return ROLLBACK_NAME.test(name);
}

/** A name that is a variable or a placeholder (`$APP`, `{{ .Release.Name }}`, `<name>`, `DEPLOYMENT_NAME`), not a literal. */
export function isPlaceholder(name: string): boolean {
  return name === "" || /[$<>{}%*?[\]`@]|\.\.\./.test(name) || /^[A-Z][A-Z0-9_]*$/.test(name) || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name);
}

/** Splits arguments into positionals, skipping options and the values of those that take one. */
export function positionals(args: ShellWord[], valueFlags: Set<string>): { positional: ShellWord[]; flags: Map<string, string> } {
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
export function kubectlRefs(targets: ShellWord[]): WorkloadRef[] {
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
export function programOf(word: string): string {
  const variable = /^\$[({]?([A-Za-z_][A-Za-z0-9_]*)[)}]?$/.exec(word);
  const base = (variable ? (variable[1] as string) : word).toLowerCase().replace(/\.exe$/, "");
  if (variable) {
    for (const tool of ["kubectl", "helm", "argocd", "kustomize"]) if (base.includes(tool)) return tool;
    if (base === "oc") return "oc";
  }
  return base;
}

export function classify(command: ShellCommand): Classified {
  return classifyOnce(command);
}

// The rollback rules classify the same commands (scripts, Makefile targets, Markdown blocks read once): once each.
const classifyOnce = oncePer(classifyCommand);

function classifyCommand(command: ShellCommand): Classified {
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

export function argoRollouts(args: ShellWord[]): Classified {
  const { positional } = positionals(args, KUBECTL_VALUE_FLAGS);
  const verb = positional[0]?.text ?? "";
  const target = positional[verb === "set" ? 2 : 1];
  const refs = target ? [{ kind: "Rollout", name: target.text.replace(/^(rollout|rollouts|ro)(\.argoproj\.io)?\//, ""), word: target }] : [];
  if (verb === "undo" || verb === "abort") return { tier: target ? "strong" : "other", refs };
  if (["get", "list", "status", "version", "lint", "dashboard", "notifications", "completion"].includes(verb)) return { tier: "inspect", refs: [] };
  return { tier: "change", refs };
}

/** Headings enclosing each line: true when one of them is about rolling back. */
export function rollbackSections(document: MarkdownDocument): (line: number) => boolean {
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
export function markdownCommands(document: MarkdownDocument): { command: ShellCommand; section: boolean }[] {
  return [...markdownCommandsOnce(document)];
}

// Three rollback rules read the same documents' code blocks: tokenized once, handed out as copies.
const markdownCommandsOnce = oncePer(collectMarkdownCommands);

function collectMarkdownCommands(document: MarkdownDocument): { command: ShellCommand; section: boolean }[] {
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
export function targetCommands(makefile: Makefile, target: MakeTarget): ShellCommand[] {
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

export function describeCommand(command: ShellCommand): string {
  const text = commandWords(command).join(" ");
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** `kubectl -n prod rollout history deployment/x` -> `kubectl rollout history`; other programs by name. */
export function summarise(command: ShellCommand): string {
  const words = commandWords(command);
  const program = words[0] ?? "";
  if (!["kubectl", "oc", "helm", "argocd", "git", "docker"].includes(program)) return program;
  const verbs = positionals(command.words.slice(command.words.length - words.length + 1), program === "helm" ? HELM_VALUE_FLAGS : KUBECTL_VALUE_FLAGS).positional;
  return [program, ...verbs.slice(0, program === "kubectl" || program === "oc" ? 2 : 1).map((word) => word.text)].join(" ");
}

export function listOf(names: Iterable<string>): string {
  const sorted = [...new Set(names)].sort();
  if (sorted.length === 0) return "none";
  return sorted.length > 5 ? `${sorted.slice(0, 5).join(", ")}, ...` : sorted.join(", ");
}

/** A script or Makefile target named like a rollback: what an operator runs to roll back. */
export interface NamedCandidate {
  file: string;
  label: string;
  at: SourceLocation;
  commands: FoundCommand[];
  script?: ShellScript;
  makefile?: Makefile;
  target?: MakeTarget;
}

export function gatherCommands(project: ProjectModel, namedCandidates: NamedCandidate[]): FoundCommand[] {
  const found: FoundCommand[] = [];
  for (const script of project.scripts) {
    if (isTestPath(script.path)) continue;
    const named = rollbackNamed(path.posix.basename(script.path));
    const commands = script.commands.map((command) => ({ file: script.path, command, scope: (named ? "named" : "anywhere") as Scope, classified: classify(command) }));
    found.push(...commands);
    if (named) namedCandidates.push({ file: script.path, label: `\`${script.path}\``, at: { line: 1, column: 1 }, commands, script });
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
      namedCandidates.push({ file: makefile.path, label: `Makefile target \`${target.name}\``, at: target.location, commands, makefile, target });
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

export function counts(found: FoundCommand): boolean {
  const { tier } = found.classified;
  if (tier === "strong") return true;
  if (found.scope === "section") return tier === "change";
  if (found.scope === "named") return tier === "change" || tier === "other";
  return false;
}

export interface RollbackDiscovery {
  /** Every command of every script, Makefile target and Markdown code block, classified. */
  found: FoundCommand[];
  /** Scripts and Makefile targets named like a rollback. */
  namedCandidates: NamedCandidate[];
  /** Runnable files named like a rollback whose content is not read (Python, extensionless, CI workflows). */
  unreadNamed: ProjectFile[];
  /** Shell scripts named like a rollback that were too large or unreadable to parse. */
  unparsedShell: ProjectFile[];
  /** True when some rollback was found (a named candidate that rolls back, a rollback command, an unread rollback file). */
  hasRollback: boolean;
}

/** Finds the project's rollbacks the way `rollback-script` does; the other rollback rules start from here. */
export function discoverRollbacks(project: ProjectModel): RollbackDiscovery {
  const { found, namedCandidates, unreadNamed, unparsedShell, hasRollback } = rollbacksOnce(project);
  return { found: [...found], namedCandidates: [...namedCandidates], unreadNamed: [...unreadNamed], unparsedShell: [...unparsedShell], hasRollback };
}

// Three rules ask for the same project's rollbacks: found once, handed out with copied lists.
const rollbacksOnce = oncePer(collectRollbacks);

function collectRollbacks(project: ProjectModel): RollbackDiscovery {
  const namedCandidates: NamedCandidate[] = [];
  const found = gatherCommands(project, namedCandidates);
  const unreadNamed = project.files.filter((file) => {
    if (file.kind === "shell" || isTestPath(file.path) || !rollbackNamed(path.posix.basename(file.path))) return false;
    if (file.kind === "ci-workflow") return true;
    return file.kind === "other" && UNREAD_SCRIPT.test(file.path) && !path.posix.basename(file.path).startsWith(".");
  });
  const parsedScripts = new Set(project.scripts.map((script) => script.path));
  const unparsedShell = project.files.filter((file) => file.kind === "shell" && !parsedScripts.has(file.path) && !isTestPath(file.path) && rollbackNamed(path.posix.basename(file.path)));
  const hasRollback = found.some(counts) || unreadNamed.length > 0 || unparsedShell.length > 0 || namedCandidates.some((candidate) => candidate.commands.some(counts));
  return { found, namedCandidates, unreadNamed, unparsedShell, hasRollback };
}


const SCRIPT_RUNNERS = new Set(["bash", "sh", "zsh", "ksh", "dash", "source", "."]);
/** Prefixes that mean "the folder of this script / Makefile" (`$(dirname "$0")/`, `$(CURDIR)/`, `$SCRIPT_DIR/`). */
const HERE_PREFIX = /^(\$\(dirname ["']?\$0["']?\)|\$\(dirname ["']?\$\{?BASH_SOURCE(\[0\])?\}?["']?\)|\$\{BASH_SOURCE(\[0\])?%\/\*\}|\$\{0%\/\*\}|\$\(CURDIR\)|\$\{CURDIR\}|\$\(PWD\)|\$PWD|\$\(dir \$\(lastword \$\(MAKEFILE_LIST\)\)\)|\$[A-Z_]*(DIR|ROOT|HERE)|\$\([A-Z_]*(DIR|ROOT|HERE)\))\//;

/** A script another one runs: `scripts/rollback.sh`, `bash -e ./rollback.sh`, `source "$(dirname "$0")/lib.sh"`. */
export interface ScriptCall {
  command: ShellCommand;
  /** The path as written, with the here-prefix removed. */
  written: string;
  /** The project's script it runs, when found. */
  script?: ShellScript;
  /** The runner passed `-e` (`bash -e script.sh`): the script runs in strict mode whatever it sets. */
  strict: boolean;
  sourced: boolean;
}

/** The script a command runs, if it runs one by path; resolved against the caller's folder, then the project root. */
export function scriptCall(project: ProjectModel, fromFile: string, command: ShellCommand): ScriptCall | undefined {
  const words = programWords(command);
  const first = words[0]?.text ?? "";
  let strict = false;
  let target: string | undefined;
  const runner = first.split("/").pop() ?? "";
  if (SCRIPT_RUNNERS.has(runner)) {
    for (const word of words.slice(1)) {
      if (word.text.startsWith("-")) {
        if (/^-[a-zA-Z]*e/.test(word.text)) strict = true;
        continue;
      }
      target = word.text;
      break;
    }
  } else if (first.includes("/") || /\.(sh|bash)$/.test(first)) {
    target = first;
  }
  if (!target || /^(-|\/)/.test(target)) return undefined;
  const written = target.replace(HERE_PREFIX, "").replace(/^(\.\/)+/, "");
  if (written.includes("$") || written.includes("`") || written === "") return undefined;
  const candidates = [path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), written)), path.posix.normalize(written)];
  const script = project.scripts.find((candidate) => candidates.includes(candidate.path));
  return { command, written, ...(script ? { script } : {}), strict, sourced: runner === "source" || runner === "." };
}

/** A rollback entry point: a script or Makefile target named like a rollback, with the scripts it runs. */
export interface RollbackEntryPoint {
  candidate: NamedCandidate;
  /** The entry point's own commands (a Makefile target's include its prerequisites'). */
  commands: ShellCommand[];
  /** Every script it runs, directly or through another script (at most a few levels deep). */
  calls: ScriptCall[];
}

/** Scripts and Makefile targets named like a rollback, each with the project scripts it runs. */
export function rollbackEntryPoints(project: ProjectModel, candidates: NamedCandidate[]): RollbackEntryPoint[] {
  return candidates.map((candidate) => {
    const commands = candidate.commands.map((found) => found.command);
    const calls: ScriptCall[] = [];
    const seen = new Set<string>([candidate.file]);
    const visit = (file: string, list: ShellCommand[], depth: number) => {
      for (const command of list) {
        const call = scriptCall(project, file, command);
        if (!call) continue;
        calls.push(call);
        if (call.script && !seen.has(call.script.path) && depth < 4) {
          seen.add(call.script.path);
          visit(call.script.path, call.script.commands, depth + 1);
        }
      }
    };
    visit(candidate.file, commands, 0);
    return { candidate, commands, calls };
  });
}

/**
 * Values of the script's variables that are literal: `DEPLOYMENT=churn-api`, `export APP="${APP:-churn-api}"`.
 * A variable assigned twice with different values, or from anything not literal, maps to null.
 */
export function literalVariables(commands: ShellCommand[]): Map<string, string | null> {
  const variables = new Map<string, string | null>();
  const set = (name: string, value: string | null) => {
    const previous = variables.get(name);
    variables.set(name, previous === undefined || previous === value ? value : null);
  };
  for (const command of commands) {
    const words = command.words.map((word) => word.text);
    const first = words[0] ?? "";
    if (first === "for" || first === "select") {
      if (words[1]) set(words[1], null);
      continue;
    }
    if (first === "read" || first === "getopts") {
      for (const word of words.slice(1)) if (/^[A-Za-z_]\w*$/.test(word)) set(word, null);
      continue;
    }
    const declared = ["export", "readonly", "local", "declare", "typeset"].includes(first);
    const assignments = declared ? words.slice(1).filter((word) => !word.startsWith("-")) : words.slice(0, words.length - programWords(command).length);
    for (const word of assignments) {
      const match = /^([A-Za-z_]\w*)=(.*)$/s.exec(word);
      if (!match) continue;
      const raw = match[2] as string;
      const fallback = /^\$\{[A-Za-z_]\w*:?[-=]([^${}`]*)\}$/.exec(raw);
      const value = fallback ? (fallback[1] as string) : /[$`]/.test(raw) ? null : raw;
      set(match[1] as string, value);
    }
  }
  return variables;
}

/** Replaces `$NAME`, `${NAME}` and `${NAME:-default}` with literal values; unresolved ones stay as written. */
export function resolveWord(word: ShellWord, variables: Map<string, string | null>): ShellWord {
  if (!word.text.includes("$")) return word;
  const text = word.text.replace(/\$\{([A-Za-z_]\w*)(?::?[-=]([^${}`]*))?\}|\$([A-Za-z_]\w*)/g, (whole, braced: string | undefined, fallback: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare) as string;
    const value = variables.get(name);
    if (value !== undefined) return value ?? whole;
    return fallback ?? whole;
  });
  return { text, location: word.location };
}

/**
 * Splits a command where the lexer joined two lines: it reads past the newline that follows `$(( ... ))`,
 * so a word on a later line after an arithmetic word starts a command of its own.
 */
function commandStarts(command: ShellCommand): ShellWord[][] {
  const parts: ShellWord[][] = [[]];
  let commentLine = 0;
  command.words.forEach((word, index) => {
    const previous = command.words[index - 1];
    if (previous && previous.text.includes("$((") && word.location.line > previous.location.line) parts.push([]);
    if (word.location.line === commentLine) return;
    // The newline (and what follows it up to a blank) may be glued to the arithmetic word itself.
    const glued = /^([^]*\$\(\([^]*\)\))\n([^]*)$/.exec(word.text);
    if (!glued) {
      (parts[parts.length - 1] as ShellWord[]).push(word);
      return;
    }
    (parts[parts.length - 1] as ShellWord[]).push({ text: glued[1] as string, location: word.location });
    const rest = glued[2] as string;
    const line = word.location.line + (glued[1] as string).split("\n").length;
    if (rest.startsWith("#")) commentLine = line;
    parts.push(rest === "" || rest.startsWith("#") ? [] : [{ text: rest, location: { line, column: 1 } }]);
  });
  return parts;
}

/** Reserved words after which the next word is a command too: `then if`, `else if`, `do case`, `while {`, `! if`. */
const CHAINING = new Set(["then", "else", "elif", "do", "if", "while", "until", "{", "!", "time"]);

/**
 * The first unbalanced `if`/`fi`, loop (`for`/`while`/`until` ... `done`), `case`/`esac` or `{`/`}`: why
 * the commands are not valid shell. Reads reserved words where the shell does, at the start of a command
 * and after another reserved word; inside `case`, only `esac` and new blocks count, since patterns such
 * as `done)` are words.
 */
export function syntaxProblem(commands: ShellCommand[]): { problem: string; at: SourceLocation } | undefined {
  const CLOSERS: Record<string, string> = { fi: "if", done: "loop", esac: "case", "}": "{" };
  const OPENER_WORD: Record<string, string> = { if: "fi", loop: "done", case: "esac", "{": "}" };
  const stack: { block: string; word: ShellWord }[] = [];
  for (const command of commands) {
    for (const words of commandStarts(command)) {
      for (let index = 0; index < words.length; index++) {
        const word = words[index] as ShellWord;
        const keyword = word.text;
        const top = stack[stack.length - 1]?.block;
        if (keyword === "if") stack.push({ block: "if", word });
        else if (keyword === "for" || keyword === "while" || keyword === "until" || keyword === "select") {
          stack.push({ block: "loop", word });
          // `for name do` needs no `;` before `do`.
          if ((keyword === "for" || keyword === "select") && words[index + 2]?.text === "do") index += 2;
          else if (keyword === "for" || keyword === "select") break;
        } else if (keyword === "case") {
          stack.push({ block: "case", word });
          break;
        } else if (keyword === "{") stack.push({ block: "{", word });
        else if (keyword === "function") {
          if (words[words.length - 1]?.text === "{") stack.push({ block: "{", word: words[words.length - 1] as ShellWord });
          break;
        } else if (top === "case" && keyword !== "esac") break;
        else if (keyword === "then" || keyword === "elif" || keyword === "else") {
          if (top !== "if") return { problem: `\`${keyword}\` without an open \`if\``, at: word.location };
        } else if (keyword === "do") {
          if (top !== "loop") return { problem: "`do` without `for`, `while` or `until`", at: word.location };
        } else if (keyword in CLOSERS) {
          const open = stack.pop();
          if (open?.block !== CLOSERS[keyword]) {
            return {
              problem: open ? `\`${keyword}\` closes \`${open.word.text}\` (line ${open.word.location.line}), which needs \`${OPENER_WORD[open.block]}\`` : `\`${keyword}\` closes nothing`,
              at: word.location,
            };
          }
          break;
        }
        if (!CHAINING.has(keyword)) break;
      }
    }
  }
  const open = stack.pop();
  if (open) return { problem: `\`${open.word.text}\` is never closed with \`${OPENER_WORD[open.block]}\``, at: open.word.location };
  return undefined;
}

/** Where `set -e` (`set -euo pipefail`, `set -o errexit`) is turned on, if it is. */
export function strictModeLine(commands: ShellCommand[]): number | undefined {
  for (const command of commands) {
    const words = programWords(command).map((word) => word.text);
    if (words[0] !== "set") continue;
    if (words.some((word, index) => /^-[a-zA-Z]*e[a-zA-Z]*$/.test(word) || (word === "-o" && words[index + 1] === "errexit"))) return command.location.line;
  }
  return undefined;
}

/** The project's object names by kind, and what makes names uncertain; derived once per project. */
export interface ObjectNames {
  namesByKind: ReadonlyMap<string, ReadonlySet<string>>;
  hasRollable: boolean;
  /** Helm charts or templates: names rendered from them are not known. */
  hasTemplates: boolean;
  /** Kustomize may add a prefix or suffix to names. */
  hasKustomize: boolean;
  /** Custom resources (not `*.k8s.io`) that may generate the workloads a rollback names. */
  generatorNames: readonly string[];
}

export const objectNamesOf = oncePer((project: ProjectModel): ObjectNames => {
  const namesByKind = new Map<string, Set<string>>();
  for (const object of project.objects) {
    if (!object.name) continue;
    if (!namesByKind.has(object.kind)) namesByKind.set(object.kind, new Set());
    namesByKind.get(object.kind)?.add(object.name);
  }
  return {
    namesByKind,
    hasRollable: [...namesByKind.keys()].some((kind) => ROLLABLE_KINDS.has(kind)),
    hasTemplates: project.files.some((file) => file.kind === "helm-chart" || file.kind === "helm-template"),
    hasKustomize: project.files.some((file) => file.kind === "kustomization"),
    generatorNames: project.objects
      .filter((object) => object.name && /^[^/]+\.[^/]+\//.test(object.apiVersion) && !/\.k8s\.io\//.test(object.apiVersion) && !ROLLABLE_KINDS.has(object.kind))
      .map((object) => object.name as string),
  };
});

/**
 * The releases the project's scripts, Makefiles and docs install by name (`helm upgrade --install NAME`), in
 * the order they appear; `variable` when one is installed under a placeholder name. Derived once per project.
 */
export const installedReleasesOf = oncePer((project: ProjectModel): { names: ReadonlySet<string>; variable: boolean } => {
  const names = new Set<string>();
  let variable = false;
  const commands = [
    ...project.scripts.flatMap((script) => script.commands),
    ...project.makefiles.flatMap((makefile) => makefile.targets.flatMap((target) => target.commands)),
    ...project.markdown.flatMap((document) => markdownCommands(document).map((item) => item.command)),
  ];
  for (const command of commands) {
    const release = classify(command).installsRelease;
    if (release === undefined) continue;
    if (isPlaceholder(release)) variable = true;
    else names.add(release);
  }
  return { names, variable };
});
