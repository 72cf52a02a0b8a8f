// Kustomize: builds a project's root kustomizations with `kubectl kustomize` when kubectl is on the
// PATH and the kustomization is safe to build offline, and maps every built object back to the files
// that define it. Otherwise the kustomization's files are read as plain manifests (they already are).
// What is built, when, and how findings are located: docs/kubernetes.md.
import { execFile } from "node:child_process";
import { constants, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { SourceLocation } from "./model.js";
import { isRecord, parseKubernetes, type KubernetesObject, type ObjectPath } from "./parsers/kubernetes.js";
import type { ProjectModel } from "./project.js";
import { identityOf, valueAt, workloadsOf, type RenderedObject } from "./workloads.js";

/** What mlready did with one kustomization or chart; reporters show these so that users know what was judged. */
export interface BuildNote {
  kind: "kustomize" | "helm";
  /** The kustomization's or chart's folder, project-relative (`.` for the root). */
  folder: string;
  /** `kubectl`/`helm`: built by the tool; `plain`/`values`: read without it (files as written, values.yaml). */
  mode: "kubectl" | "plain" | "helm" | "values";
  /** Why the tool was not used, or how it failed. */
  reason?: string;
  /** How many built objects replaced the plain-read ones (kubectl/helm). */
  objects?: number;
  /** Built objects with no source file in the project (generated ConfigMaps and Secrets...), left out. */
  unmapped?: number;
}

/**
 * One line for reports: `kustomize: k8s/overlays/prod built with kubectl kustomize (6 objects)`, or
 * `kustomize: k8s/base read as plain files (kubectl is not on the PATH)`.
 */
export function describeBuild(note: BuildNote): string {
  const folder = note.folder;
  const count = (objects: number | undefined, unmapped: number | undefined) =>
    `${objects ?? 0} object${objects === 1 ? "" : "s"}${unmapped ? `; ${unmapped} generated object${unmapped === 1 ? "" : "s"} not checked` : ""}`;
  switch (note.mode) {
    case "kubectl":
      return `kustomize: ${folder} built with kubectl kustomize (${count(note.objects, note.unmapped)})`;
    case "plain":
      return `kustomize: ${folder} read as plain files (${note.reason ?? "not built"})`;
    case "helm":
      return `helm: ${folder} rendered with helm template (${count(note.objects, note.unmapped)})`;
    case "values":
      return `helm: ${folder} read from values.yaml, templates not rendered (${note.reason ?? "not rendered"})`;
  }
}

export interface ToolOptions {
  /** Set to false to never run kubectl or helm (also: environment variable MLREADY_NO_EXTERNAL_TOOLS=1). */
  externalTools?: boolean;
}

export const NO_TOOLS_ENV = "MLREADY_NO_EXTERNAL_TOOLS";

/** Either the option or the environment variable turns external tools off. */
export function externalToolsAllowed(options: ToolOptions = {}): boolean {
  if (options.externalTools === false) return false;
  const flag = process.env[NO_TOOLS_ENV];
  return flag === undefined || flag === "" || flag === "0" || flag.toLowerCase() === "false";
}

const toolPaths = new Map<string, Promise<string | null>>();

/**
 * The absolute path of an executable named `name` on the PATH, or null. Relative PATH entries (`.`,
 * `node_modules/.bin`) and folders inside the checked project are never used: mlready never runs a
 * program that the project itself ships.
 */
export function findTool(name: string, projectRoot: string): Promise<string | null> {
  const key = `${name}\0${projectRoot}\0${process.env["PATH"] ?? ""}`;
  let found = toolPaths.get(key);
  if (!found) {
    found = (async () => {
      const names = process.platform === "win32" ? [`${name}.exe`, `${name}.cmd`] : [name];
      const root = path.resolve(projectRoot);
      for (const folder of (process.env["PATH"] ?? "").split(path.delimiter)) {
        if (!path.isAbsolute(folder)) continue;
        const relative = path.relative(root, folder);
        if (relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative))) continue;
        for (const candidate of names) {
          const file = path.join(folder, candidate);
          const usable = await fs.access(file, constants.X_OK).then(() => fs.stat(file)).then((stat) => stat.isFile(), () => false);
          if (usable) return file;
        }
      }
      return null;
    })();
    toolPaths.set(key, found);
  }
  return found;
}

export const TOOL_TIMEOUT_MS = 10_000;

/** An address on the loopback interface where nothing listens: a connection to it is refused at once. */
const UNREACHABLE_ADDRESS = "http://127.0.0.1:9";

/**
 * The whole environment a tool runs with. No cluster (KUBECONFIG is the null device); no network: every
 * HTTP(S) request goes to a proxy that refuses connections (Go's and git's clients honour these
 * variables); no programs: PATH names no folder, so kustomize cannot start `git` for a remote base,
 * nor an exec plugin, nor helm. Nothing else of the caller's environment is passed on.
 */
export function offlineEnvironment(extraEnv: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {
    PATH: os.devNull,
    HOME: process.env["HOME"] ?? os.tmpdir(),
    KUBECONFIG: os.devNull,
    LANG: "C",
    HTTP_PROXY: UNREACHABLE_ADDRESS,
    HTTPS_PROXY: UNREACHABLE_ADDRESS,
    http_proxy: UNREACHABLE_ADDRESS,
    https_proxy: UNREACHABLE_ADDRESS,
    ALL_PROXY: UNREACHABLE_ADDRESS,
    NO_PROXY: "",
    no_proxy: "",
    GIT_ALLOW_PROTOCOL: "file",
    GIT_TERMINAL_PROMPT: "0",
    ...extraEnv,
  };
  if (process.env["SystemRoot"]) env["SystemRoot"] = process.env["SystemRoot"];
  return env;
}

/** The line that says why a tool failed: kubectl's `# Warning:` lines skipped, klog's `err="..."` or `err=<...>` unwrapped. */
export function failureReason(stderr: string): string {
  const lines = stderr.split(/\r?\n/).filter((line) => line.trim() !== "" && !/^#\s*Warning:/i.test(line.trim()) && !/^W\d{4} /.test(line));
  const klogIndex = lines.findIndex((line) => /\berr=/.test(line));
  let detail = lines[0] ?? "";
  if (klogIndex >= 0) {
    const line = lines[klogIndex] as string;
    const quoted = /\berr="((?:[^"\\]|\\.)*)"/.exec(line)?.[1];
    if (quoted !== undefined) detail = quoted.replace(/\\(.)/g, "$1");
    else if (/\berr=<\s*$/.test(line)) {
      // A multi-line error: the last line before the closing ` >` says what went wrong.
      const body = lines.slice(klogIndex + 1).map((text) => text.trim().replace(/^`:\s*/, "")).filter((text) => text !== ">" && text !== "`");
      detail = body.pop() ?? line;
    }
  }
  detail = detail.trim().replace(/^Error:\s*/, "").replace(/\s+/g, " ");
  return detail === "" ? "failed" : detail.length > 300 ? `${detail.slice(0, 300)}...` : detail;
}

/** Runs a tool (an absolute path) without a shell, with a timeout, in offlineEnvironment(). */
export function runTool(
  file: string,
  args: string[],
  cwd: string,
  extraEnv: Record<string, string> = {},
  timeoutMs = TOOL_TIMEOUT_MS,
): Promise<{ ok: true; stdout: string } | { ok: false; reason: string }> {
  const env = offlineEnvironment(extraEnv);
  return new Promise((resolve) => {
    let timedOut = false;
    const child = execFile(file, args, { cwd, env, maxBuffer: 64 * 1024 * 1024, windowsHide: true, encoding: "utf8" }, (error, stdout, stderr) => {
      clearTimeout(timer);
      if (!error) {
        resolve({ ok: true, stdout });
        return;
      }
      if (timedOut) {
        resolve({ ok: false, reason: `${path.basename(file)} did not finish within ${timeoutMs / 1000} s` });
        return;
      }
      resolve({ ok: false, reason: `${path.basename(file)} failed: ${failureReason(String(stderr || (error as Error).message))}` });
    });
    // Not execFile's own `timeout`: builds start before the project is parsed, the parse keeps the event loop
    // busy, and when that timer fires late execFile destroys the output of a child that already finished, which
    // then reads as a successful empty build (test/task-queue.test.ts). setImmediate lets a waiting exit be seen first.
    const timer = setTimeout(() => {
      setImmediate(() => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        timedOut = true;
        child.kill("SIGKILL");
      });
    }, timeoutMs);
  });
}

/** Starts tasks at most `limit` at a time, in the order they are queued; a queued task can be dropped before it starts. */
export class TaskQueue<R> {
  private running = 0;
  private readonly waiting: { task: () => Promise<R>; resolve: (value: R | undefined) => void }[] = [];

  constructor(private readonly limit: number) {}

  add(task: () => Promise<R>): { result: Promise<R | undefined>; drop: () => void } {
    let entry: (typeof this.waiting)[number] | undefined;
    const result = new Promise<R | undefined>((resolve) => {
      entry = { task, resolve };
      this.waiting.push(entry);
    });
    this.next();
    return {
      result,
      drop: () => {
        const index = entry ? this.waiting.indexOf(entry) : -1;
        if (index >= 0) this.waiting.splice(index, 1)[0]?.resolve(undefined);
      },
    };
  }

  private next(): void {
    while (this.running < this.limit && this.waiting.length > 0) {
      const { task, resolve } = this.waiting.shift() as (typeof this.waiting)[number];
      this.running++;
      void task().then(resolve).finally(() => {
        this.running--;
        this.next();
      });
    }
  }
}

/** Runs `task` over `items` with at most `limit` at a time, keeping the order of results. */
export async function mapLimited<T, R>(items: T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

const KUSTOMIZATION_NAMES = ["kustomization.yaml", "kustomization.yml"];

/** Kustomization fields that change no object: a build of only these gives the plain files back. */
const INERT_FIELDS = new Set([
  "apiVersion", "kind", "metadata", "resources", "bases", "sortOptions", "buildMetadata", "generatorOptions", "configMapGenerator", "secretGenerator",
]);

/** Fields that run programs (plugins, KRM functions, helm): never built. */
const PLUGIN_FIELDS = ["generators", "transformers", "validators"];
const HELM_FIELDS = ["helmCharts", "helmChartInflationGenerator", "helmGlobals"];

/** A remote base or resource: a URL, a git address, a `?ref=`. Kustomize would fetch it. */
const REMOTE = /^(?:[a-z][a-z0-9+.-]*:\/\/|[a-z][a-z0-9+.-]*::|git@|(?:github\.com|gitlab\.com|bitbucket\.org)[/:])|[?&](?:ref|version|submodules|timeout)=|\.git(?:\/\/|$)/i;

/** Any URL, anywhere in a string (`key=https://...` in a generator's `files` too). */
const URL_INSIDE = /[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Kustomization fields whose values kustomize never loads as a file or a URL: labels, annotations,
 * image names, generator literals, inline patches and patch or replacement selectors.
 */
const DATA_KEYS = new Set([
  "apiVersion", "kind", "metadata", "namespace", "namePrefix", "nameSuffix", "commonLabels", "commonAnnotations", "labels",
  "images", "replicas", "literals", "patch", "target", "select", "reject", "source", "targets", "options", "vars",
  "buildMetadata", "sortOptions", "generatorOptions",
]);

/** The first string of a kustomization, outside DATA_KEYS, that names something remote. */
export function remoteReference(value: unknown, depth = 0): string | undefined {
  if (typeof value === "string") return REMOTE.test(value.trim()) || URL_INSIDE.test(value) ? value.trim() : undefined;
  if (depth > 20) return undefined;
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = remoteReference(item, depth + 1);
      if (found !== undefined) return found;
    }
  } else if (isRecord(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (DATA_KEYS.has(key)) continue;
      const found = remoteReference(item, depth + 1);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

export interface Kustomization {
  folder: string;
  file: string;
  isComponent: boolean;
  /** Folders of the kustomizations it includes (resources, bases, components), in order. */
  includes: string[];
  /** Manifest files it lists as resources, in order. */
  resourceFiles: string[];
  /** Strategic-merge patch files. */
  patchFiles: string[];
  namePrefix?: string;
  nameSuffix?: string;
  /** Why it must not be built; absent when it is safe. */
  unsafe?: string;
  /** Only lists resources (see INERT_FIELDS). */
  inert: boolean;
}

function kustomizationIn(folder: string, kustomizations: Map<string, Kustomization>): Kustomization | undefined {
  return kustomizations.get(folder);
}

function readKustomization(project: ProjectModel, file: string): Kustomization {
  const folder = path.posix.dirname(file);
  const document = project.yamlDocuments.get(file)?.[0]?.value;
  const kustomization: Kustomization = { folder, file, isComponent: false, includes: [], resourceFiles: [], patchFiles: [], inert: true };
  if (!isRecord(document)) {
    kustomization.unsafe = `${file} could not be read`;
    return kustomization;
  }
  kustomization.isComponent = document["kind"] === "Component";
  kustomization.inert = Object.keys(document).every((key) => INERT_FIELDS.has(key));
  if (typeof document["namePrefix"] === "string" && document["namePrefix"]) kustomization.namePrefix = document["namePrefix"];
  if (typeof document["nameSuffix"] === "string" && document["nameSuffix"]) kustomization.nameSuffix = document["nameSuffix"];
  const unsafe = (reason: string) => {
    kustomization.unsafe ??= `${file}: ${reason}`;
  };
  // Kustomize fetches a URL wherever it loads a file (resources, patches, generator files, crds,
  // openapi...): any URL-like string outside the fields that only hold data keeps kubectl from running.
  const remote = remoteReference(document);
  if (remote !== undefined) unsafe(`names a remote resource (${remote}); mlready never fetches`);
  for (const field of PLUGIN_FIELDS) if (present(document[field])) unsafe(`uses \`${field}\` plugins, which may run programs`);
  for (const field of HELM_FIELDS) if (present(document[field])) unsafe(`inflates Helm charts (\`${field}\`), which runs helm`);

  /** Resolves an entry to a project path, or records why the kustomization cannot be built. */
  const resolve = (entry: string): string | null => {
    if (REMOTE.test(entry)) {
      unsafe(`names a remote resource (${entry}); mlready never fetches`);
      return null;
    }
    const resolved = path.posix.normalize(path.posix.join(folder, entry)).replace(/\/$/, "");
    if (path.posix.isAbsolute(entry) || resolved === ".." || resolved.startsWith("../")) {
      unsafe(`names ${entry}, outside the project`);
      return null;
    }
    return resolved;
  };
  for (const field of ["resources", "bases", "components"]) {
    for (const entry of strings(document[field])) {
      const target = resolve(entry);
      if (target === null) continue;
      if (project.hasFile(target)) kustomization.resourceFiles.push(target);
      else if (KUSTOMIZATION_NAMES.some((name) => project.hasFile(target === "." ? name : `${target}/${name}`))) kustomization.includes.push(target);
      else unsafe(`names ${entry}, which is neither a file nor a kustomization folder of the project`);
    }
  }
  const patchPaths = [
    ...(Array.isArray(document["patches"]) ? document["patches"] : []).map((patch) => (isRecord(patch) && typeof patch["path"] === "string" ? patch["path"] : undefined)),
    // An entry of patchesStrategicMerge is a file name or an inline patch.
    ...strings(document["patchesStrategicMerge"]).filter((entry) => !/[\n:{]/.test(entry)),
  ];
  for (const entry of patchPaths) {
    if (entry === undefined) continue;
    const target = resolve(entry);
    if (target !== null) kustomization.patchFiles.push(target);
  }
  for (const patch of Array.isArray(document["patchesJson6902"]) ? document["patchesJson6902"] : []) {
    if (isRecord(patch) && typeof patch["path"] === "string") resolve(patch["path"]);
  }
  return kustomization;
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0) && !(isRecord(value) && Object.keys(value).length === 0);
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

/** A root kustomization and everything it includes, as mlready reads it without building. */
export interface Closure {
  root: Kustomization;
  members: Kustomization[];
  resourceFiles: string[];
  patchFiles: string[];
  prefixes: string[];
  suffixes: string[];
  unsafe?: string;
  inert: boolean;
}

function closureOf(root: Kustomization, kustomizations: Map<string, Kustomization>): Closure {
  const members: Kustomization[] = [];
  const seen = new Set<string>();
  // Post-order: a base's files and patches come before its overlay's, as kustomize applies them.
  const visit = (kustomization: Kustomization): void => {
    if (seen.has(kustomization.folder)) return;
    seen.add(kustomization.folder);
    for (const folder of kustomization.includes) {
      const included = kustomizationIn(folder, kustomizations);
      if (included) visit(included);
    }
    members.push(kustomization);
  };
  visit(root);
  const unique = (values: string[]) => [...new Set(values)];
  const unsafe = members.find((member) => member.unsafe)?.unsafe;
  return {
    root,
    members,
    resourceFiles: unique(members.flatMap((member) => member.resourceFiles)),
    patchFiles: unique(members.flatMap((member) => member.patchFiles)),
    prefixes: unique(members.flatMap((member) => (member.namePrefix ? [member.namePrefix] : []))).sort((a, b) => b.length - a.length),
    suffixes: unique(members.flatMap((member) => (member.nameSuffix ? [member.nameSuffix] : []))).sort((a, b) => b.length - a.length),
    ...(unsafe ? { unsafe } : {}),
    inert: members.every((member) => member.inert),
  };
}

/** Kustomizations that no other kustomization of the project includes; Components are never roots. */
function rootsOf(kustomizations: Map<string, Kustomization>): Kustomization[] {
  const included = new Set([...kustomizations.values()].flatMap((kustomization) => kustomization.includes));
  return [...kustomizations.values()].filter((kustomization) => !kustomization.isComponent && !included.has(kustomization.folder));
}

/**
 * `kubectl kustomize` of one folder. Files are loaded from the kustomization's own folder only (bases
 * are folders). `--server`: a kubectl that picks its version from the cluster's (gcloud's dispatcher)
 * asks this refusing address instead of localhost:8080; kustomize itself never talks to a cluster.
 */
export function kustomizeArguments(absoluteFolder: string): string[] {
  return ["kustomize", absoluteFolder, "--load-restrictor", "LoadRestrictionsRootOnly", "--server", UNREACHABLE_ADDRESS];
}

/** At most this many builds run at once: each is a process that mostly waits on its own start-up. */
const PARALLEL_BUILDS = 4;

type ToolResult = Awaited<ReturnType<typeof runTool>>;

/** The kustomizations of a project and the kubectl builds already started for them (see startKustomizeBuilds). */
export interface KustomizeStart {
  kustomizations: Map<string, Kustomization>;
  roots: Kustomization[];
  closures: Map<Kustomization, Closure>;
  allowed: boolean;
  kubectl: string | null;
  builds: Map<Kustomization, { result: Promise<ToolResult | undefined>; drop: () => void }>;
  /** Starts (or returns) the build of a root, e.g. one the early sniff passed over. */
  start: (root: Kustomization) => { result: Promise<ToolResult | undefined>; drop: () => void } | undefined;
}

/** A `kind:` line of a workload kind (src/workloads.ts), anywhere in a file: a cheap guess before the files are parsed. */
const WORKLOAD_SNIFF = /^\s*(?:-\s+)?"?kind"?\s*:\s*["']?(?:Deployment|StatefulSet|DaemonSet|ReplicaSet|ReplicationController|Job|CronJob|Pod|Rollout|InferenceService|SeldonDeployment|Server|ServerConfig)\b/m;

/**
 * Reads the project's kustomizations (only their own files need to be parsed yet) and starts a kubectl
 * build for each root kubectl would be asked to build, so that the builds run on another core while
 * the rest of the project is parsed. buildKustomizations decides which results are used.
 */
export async function startKustomizeBuilds(project: ProjectModel, options: ToolOptions = {}): Promise<KustomizeStart> {
  const kustomizations = new Map<string, Kustomization>();
  for (const file of project.filesOfKind("kustomization")) {
    const kustomization = readKustomization(project, file.path);
    if (!kustomizations.has(kustomization.folder)) kustomizations.set(kustomization.folder, kustomization);
  }
  const roots = rootsOf(kustomizations);
  const closures = new Map(roots.map((root) => [root, closureOf(root, kustomizations)]));
  const allowed = externalToolsAllowed(options);
  const kubectl = allowed && roots.length > 0 ? await findTool("kubectl", project.root) : null;
  const builds: KustomizeStart["builds"] = new Map();
  const queue = new TaskQueue<ToolResult>(PARALLEL_BUILDS);
  const absoluteRoot = path.resolve(project.root);
  const start = (root: Kustomization): ReturnType<KustomizeStart["start"]> => {
    if (!kubectl) return undefined;
    let build = builds.get(root);
    if (!build) {
      build = queue.add(() => runTool(kubectl, kustomizeArguments(path.join(absoluteRoot, root.folder)), absoluteRoot));
      builds.set(root, build);
    }
    return build;
  };
  for (const [root, closure] of closures) {
    // Not started early: what buildKustomizations will surely read plainly, and (by a sniff of the files) a
    // root with no workload to build, which would be a wasted build competing with the parse for the CPU.
    if (closure.unsafe || closure.inert || !closure.resourceFiles.some((file) => WORKLOAD_SNIFF.test(project.text(file) ?? ""))) continue;
    start(root);
  }
  return { kustomizations, roots, closures, allowed, kubectl, builds, start };
}

/**
 * Builds every root kustomization that can be built, and puts the built objects in `project.objects`
 * in place of the plain-read objects of the files they read. Returns one note per root.
 */
export async function buildKustomizations(project: ProjectModel, options: ToolOptions = {}, started?: KustomizeStart): Promise<BuildNote[]> {
  const { roots, closures, allowed, kubectl, builds, start } = started ?? (await startKustomizeBuilds(project, options));
  if (roots.length === 0) return [];
  const objectsByFile = new Map<string, KubernetesObject[]>();
  for (const object of project.objects) objectsByFile.set(object.file, [...(objectsByFile.get(object.file) ?? []), object]);

  const plans = roots.map((root) => {
    const closure = closures.get(root) as Closure;
    const plain = (reason: string) => ({ closure, note: { kind: "kustomize", folder: root.folder, mode: "plain", reason } as BuildNote });
    if (!allowed) return plain(`external tools are turned off (${NO_TOOLS_ENV})`);
    if (!kubectl) return plain("kubectl is not on the PATH");
    if (closure.unsafe) return plain(closure.unsafe);
    const objects = closure.resourceFiles.flatMap((file) => objectsByFile.get(file) ?? []);
    if (workloadsOf(objects).length === 0) return plain("it has no workloads to build");
    if (closure.inert) return plain("it only lists resources, so the plain files are what kustomize builds");
    return { closure, note: undefined };
  });
  // Builds started for roots that turned out to have nothing to build are not waited for (nor started, when still queued).
  for (const plan of plans) if (plan.note) builds.get(plan.closure.root)?.drop();

  const built = await Promise.all(plans.map(async (plan) => {
    const build = plan.note ? undefined : start(plan.closure.root);
    if (plan.note || !build) return { plan, note: plan.note as BuildNote, rendered: [] as KubernetesObject[] };
    const folder = plan.closure.root.folder;
    const root = path.resolve(project.root);
    const result = (await build.result) as ToolResult;
    // Paths in kubectl's messages are shown relative to the project, as everywhere in the report.
    if (!result.ok) return { plan, note: { kind: "kustomize", folder, mode: "plain", reason: result.reason.split(`${root}${path.sep}`).join("") } as BuildNote, rendered: [] };
    const output = parseKubernetes(result.stdout, `${folder}/(kustomize build)`);
    if (output.errors.length > 0) {
      return { plan, note: { kind: "kustomize", folder, mode: "plain", reason: `could not read kubectl's output: ${output.errors[0]?.message}` } as BuildNote, rendered: [] };
    }
    return { plan, note: { kind: "kustomize", folder, mode: "kubectl" } as BuildNote, rendered: output.objects };
  }));

  // Every file a successful build read is represented by the built objects, never twice.
  const replacedFiles = new Set<string>();
  const byPrimary = new Map<KubernetesObject, RenderedObject[]>();
  for (const { plan, note, rendered } of built) {
    if (note.mode !== "kubectl") continue;
    const { closure } = plan;
    for (const file of [...closure.resourceFiles, ...closure.patchFiles]) replacedFiles.add(file);
    const resources = closure.resourceFiles.flatMap((file) => objectsByFile.get(file) ?? []);
    const patches = closure.patchFiles.filter((file) => !closure.resourceFiles.includes(file)).flatMap((file) => objectsByFile.get(file) ?? []);
    let mapped = 0;
    for (const object of rendered) {
      const mapping = mapToSource(object, resources, patches, closure);
      if (!mapping) continue;
      mapped++;
      const siblings = byPrimary.get(mapping.primary) ?? [];
      // Two overlays that build the same base object unchanged give one object, not two.
      const text = JSON.stringify(object.value);
      if (!siblings.some((sibling) => JSON.stringify(sibling.value) === text)) byPrimary.set(mapping.primary, [...siblings, mapping.rendered]);
    }
    note.objects = mapped;
    if (rendered.length > mapped) note.unmapped = rendered.length - mapped;
  }
  if (replacedFiles.size > 0) {
    project.objects = project.objects.flatMap((object) => (replacedFiles.has(object.file) ? byPrimary.get(object) ?? [] : [object]));
  }
  return built.map(({ note }) => note);
}

/** A built name without the kustomizations' name prefixes and suffixes. */
function baseName(name: string, closure: Closure): string {
  let result = name;
  for (let changed = true; changed;) {
    changed = false;
    for (const prefix of closure.prefixes) {
      if (result.startsWith(prefix) && result.length > prefix.length) {
        result = result.slice(prefix.length);
        changed = true;
      }
    }
    for (const suffix of closure.suffixes) {
      if (result.endsWith(suffix) && result.length > suffix.length) {
        result = result.slice(0, -suffix.length);
        changed = true;
      }
    }
  }
  return result;
}

function sameObject(built: KubernetesObject, source: KubernetesObject, closure: Closure): boolean {
  if (built.kind !== source.kind) return false;
  if (built.name === source.name) return true;
  return built.name !== undefined && source.name !== undefined && baseName(built.name, closure) === baseName(source.name, closure);
}

/**
 * Maps a built object to the manifest that defines it (same kind, same name once prefixes and suffixes
 * are taken off; the same namespace preferred) and the patches of it. Null for generated objects.
 */
function mapToSource(
  built: KubernetesObject,
  resources: KubernetesObject[],
  patches: KubernetesObject[],
  closure: Closure,
): { primary: KubernetesObject; rendered: RenderedObject } | null {
  const candidates = resources.filter((source) => sameObject(built, source, closure));
  const primary = candidates.find((source) => source.namespace === built.namespace) ?? candidates[0];
  if (!primary) return null;
  const patchSources = patches.filter((source) => sameObject(built, source, closure));
  return { primary, rendered: renderedFrom(built, primary, patchSources, { source: "kustomize", folder: closure.root.folder }) };
}

/**
 * The path in `source` of the value at `path` in `built`. A list item with a `name` (a container, a
 * port, an env var) is found by name, as a strategic merge matches it; other items by position, only in
 * the object's main source. `complete` is false when the source does not write the whole path.
 */
export function translatePath(built: unknown, source: unknown, objectPath: ObjectPath, byPosition: boolean): { path: ObjectPath; complete: boolean } {
  const translated: ObjectPath = [];
  let builtValue = built;
  let sourceValue = source;
  for (const key of objectPath) {
    if (typeof key === "number") {
      if (!Array.isArray(builtValue) || !Array.isArray(sourceValue)) return { path: translated, complete: false };
      const item: unknown = builtValue[key];
      const name = isRecord(item) ? item["name"] : undefined;
      const index = typeof name === "string"
        ? sourceValue.findIndex((candidate) => isRecord(candidate) && candidate["name"] === name)
        : byPosition && key < sourceValue.length ? key : -1;
      if (index < 0) return { path: translated, complete: false };
      translated.push(index);
      builtValue = item;
      sourceValue = sourceValue[index];
    } else {
      if (!isRecord(sourceValue) || !(key in sourceValue)) return { path: translated, complete: false };
      translated.push(key);
      builtValue = isRecord(builtValue) ? builtValue[key] : undefined;
      sourceValue = sourceValue[key];
    }
  }
  return { path: translated, complete: true };
}

function sameScalar(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) return JSON.stringify(a) === JSON.stringify(b);
  return a !== null && b !== null && typeof a !== "object" && typeof b !== "object" && String(a) === String(b);
}

/**
 * A built object that points into its sources. `locate` stays in the main source (`file`); `origin`
 * finds the last patch that wrote a scalar value (a patch wins over its base, as in kustomize), else
 * the main source.
 */
export function renderedFrom(built: KubernetesObject, primary: KubernetesObject, patches: KubernetesObject[], renderedBy: RenderedObject["renderedBy"]): RenderedObject {
  const inPrimary = (objectPath: ObjectPath) => translatePath(built.value, primary.value, objectPath, true).path;
  const locate = (objectPath: ObjectPath): SourceLocation => primary.locate(inPrimary(objectPath));
  return {
    ...identityOf(built),
    file: primary.file,
    location: primary.location,
    locate,
    locateKey: (objectPath) => primary.locateKey(inPrimary(objectPath)),
    renderedBy,
    origin(objectPath) {
      const value = valueAt(built.value, objectPath);
      const scalar = value !== undefined && !isRecord(value) && !(Array.isArray(value) && value.some((item) => isRecord(item) || Array.isArray(item)));
      if (scalar) {
        for (const source of [...patches].reverse()) {
          const translated = translatePath(built.value, source.value, objectPath, false);
          if (translated.complete && sameScalar(valueAt(source.value, translated.path), value)) return { file: source.file, location: source.locate(translated.path) };
        }
      }
      return { file: primary.file, location: locate(objectPath) };
    },
  };
}
