// Helm: renders a project's charts with `helm template` when helm is on the PATH and the chart can be
// rendered offline; otherwise reads each chart's values.yaml for the keys most charts (and `helm create`)
// use, and models the chart as one workload. What is read, and where findings point: docs/kubernetes.md.
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { SourceLocation } from "./model.js";
import { isRecord, parseKubernetes, type KubernetesObject, type ObjectPath } from "./parsers/kubernetes.js";
import type { YamlDocument } from "./parsers/yaml.js";
import type { ProjectModel } from "./project.js";
import { externalToolsAllowed, findTool, mapLimited, NO_TOOLS_ENV, runTool, type BuildNote, type ToolOptions } from "./kustomize.js";
import { identityOf, valueAt, type RenderedObject, type Workload, type WorkloadContainer } from "./workloads.js";

/** Kind and apiVersion of the object mlready builds from a chart's values (never a real Kubernetes object). */
export const HELM_VALUES_KIND = "HelmChart";
export const HELM_VALUES_API_VERSION = "mlready/helm-values";

/** Top-level values.yaml keys copied onto the chart's one container, under the same names. */
const CONTAINER_KEYS = ["resources", "livenessProbe", "readinessProbe", "startupProbe"] as const;

/** Where the chart's container sits in the object built from values: the place of a Deployment's. */
const CONTAINER_PATH: ObjectPath = ["spec", "template", "spec", "containers", 0];

interface Chart {
  folder: string;
  name: string;
  value: Record<string, unknown>;
  values?: { file: string; document: YamlDocument };
}

function chartsOf(project: ProjectModel): Chart[] {
  const charts: Chart[] = [];
  for (const file of project.filesOfKind("helm-chart")) {
    const value = project.yamlDocuments.get(file.path)?.[0]?.value;
    if (!isRecord(value) || value["type"] === "library") continue;
    const folder = path.posix.dirname(file.path);
    const name = typeof value["name"] === "string" && value["name"] ? value["name"] : path.posix.basename(folder);
    const valuesFile = ["values.yaml", "values.yml"].map((base) => (folder === "." ? base : `${folder}/${base}`)).find((candidate) => project.yamlDocuments.has(candidate));
    const document = valuesFile ? project.yamlDocuments.get(valuesFile)?.[0] : undefined;
    charts.push({ folder, name, value, ...(valuesFile && document ? { values: { file: valuesFile, document } } : {}) });
  }
  return charts.sort((a, b) => a.folder.localeCompare(b.folder));
}

/** The outermost chart whose `charts/` folder holds this one (a subchart renders with it), or the chart itself. */
function topChartOf(chart: Chart, charts: Chart[]): Chart {
  const parent = charts.find((candidate) => candidate !== chart && chart.folder.startsWith(candidate.folder === "." ? "charts/" : `${candidate.folder}/charts/`));
  return parent ? topChartOf(parent, charts) : chart;
}

/** Why `helm template` cannot render the chart offline, or null. */
function whyNotRenderable(chart: Chart, project: ProjectModel): string | null {
  const dependencies = chart.value["dependencies"];
  if (!Array.isArray(dependencies)) return null;
  const chartsFolder = chart.folder === "." ? "charts" : `${chart.folder}/charts`;
  for (const dependency of dependencies) {
    if (!isRecord(dependency) || typeof dependency["name"] !== "string") continue;
    const name = dependency["name"];
    const vendored = project.hasFile(`${chartsFolder}/${name}/Chart.yaml`) ||
      project.files.some((file) => file.path.startsWith(`${chartsFolder}/${name}-`) && file.path.endsWith(".tgz"));
    if (!vendored) return `dependency ${name} is not in ${chartsFolder}/ (helm would have to fetch it)`;
  }
  return null;
}

/** The image a `helm create`-style `image:` value names, with an empty tag defaulting to the chart's appVersion. */
export function imageFromValues(image: unknown, appVersion: unknown): string | undefined {
  if (typeof image === "string") return image || undefined;
  if (!isRecord(image) || typeof image["repository"] !== "string" || image["repository"] === "") return undefined;
  const registry = typeof image["registry"] === "string" && image["registry"] ? `${image["registry"]}/` : "";
  const written = image["tag"];
  const tag = typeof written === "string" || typeof written === "number" ? String(written) : "";
  const effectiveTag = tag || (typeof appVersion === "string" || typeof appVersion === "number" ? String(appVersion) : "");
  const digest = typeof image["digest"] === "string" && image["digest"] ? `@${image["digest"]}` : "";
  return `${registry}${image["repository"]}${effectiveTag ? `:${effectiveTag}` : ""}${digest}`;
}

function startsWith(objectPath: ObjectPath, prefix: ObjectPath): boolean {
  return prefix.every((key, index) => objectPath[index] === key);
}

/**
 * The workload mlready reads from a chart's values.yaml when the chart is not rendered: one container
 * named after the chart, with the image from `image.registry`/`image.repository`/`image.tag`/`image.digest`
 * (tag defaulting to appVersion), and `resources` and the three probes as written; `replicaCount` as
 * `spec.replicas` and `autoscaling` as `spec.autoscaling`. Null when values.yaml names neither an image nor
 * resources: nothing then says which container the chart runs.
 */
export function valuesWorkload(chart: Chart): Workload | null {
  const values = chart.values;
  if (!values || !isRecord(values.document.value)) return null;
  const written = values.document.value;
  const image = imageFromValues(written["image"], chart.value["appVersion"]);
  if (!image && !("resources" in written)) return null;
  const container: Record<string, unknown> = { name: chart.name, ...(image ? { image } : {}) };
  for (const key of CONTAINER_KEYS) if (key in written) container[key] = written[key];
  const spec: Record<string, unknown> = { template: { spec: { containers: [container] } } };
  if ("replicaCount" in written) spec["replicas"] = written["replicaCount"];
  if (isRecord(written["autoscaling"])) spec["autoscaling"] = written["autoscaling"];
  const value = { apiVersion: HELM_VALUES_API_VERSION, kind: HELM_VALUES_KIND, metadata: { name: chart.name }, spec };

  const { document, file } = values;
  // The container has no line of its own: its image, else its resources, stand for it.
  const anchor: ObjectPath = "image" in written ? ["image"] : "resources" in written ? ["resources"] : [];
  const inValues = (objectPath: ObjectPath): ObjectPath => {
    if (startsWith(objectPath, CONTAINER_PATH)) {
      const [first, ...rest] = objectPath.slice(CONTAINER_PATH.length);
      if (first === "image") return ["image"];
      if (typeof first === "string" && (CONTAINER_KEYS as readonly string[]).includes(first)) return [first, ...rest];
      return anchor;
    }
    if (objectPath[0] === "spec" && objectPath[1] === "replicas") return ["replicaCount"];
    if (objectPath[0] === "spec" && objectPath[1] === "autoscaling") return ["autoscaling", ...objectPath.slice(2)];
    return [];
  };
  const locate = (objectPath: ObjectPath): SourceLocation => (objectPath.length === CONTAINER_PATH.length && startsWith(objectPath, CONTAINER_PATH)
    ? document.locateKey(anchor)
    : document.locate(inValues(objectPath)));
  const object: RenderedObject = {
    apiVersion: HELM_VALUES_API_VERSION,
    kind: HELM_VALUES_KIND,
    name: chart.name,
    labels: {},
    value,
    file,
    location: document.locate([]),
    locate,
    locateKey: (objectPath) => document.locateKey(inValues(objectPath)),
    renderedBy: { source: "helm-values", folder: chart.folder },
    origin: (objectPath) => ({ file, location: locate(objectPath) }),
  };
  const workloadContainer: WorkloadContainer = {
    name: chart.name,
    ...(image ? { image } : {}),
    role: "container",
    value: container,
    path: CONTAINER_PATH,
    location: locate(CONTAINER_PATH),
  };
  return {
    object,
    label: `${HELM_VALUES_KIND}/${chart.name}`,
    specPath: ["spec", "template", "spec"],
    containers: [workloadContainer],
    source: "helm-values",
    buildFolder: chart.folder,
  };
}

const TEMPLATE_SIZE_LIMIT = 1024 * 1024;

/** One template file's text, read once per render (templates are not part of the parsed project model). */
async function readTemplate(project: ProjectModel, file: string): Promise<string[] | null> {
  if (!project.hasFile(file)) return null;
  try {
    const absolute = path.resolve(project.root, file);
    const stat = await fs.stat(absolute);
    if (stat.size > TEMPLATE_SIZE_LIMIT) return null;
    return (await fs.readFile(absolute, "utf8")).split(/\r?\n/);
  } catch {
    return null;
  }
}

const VALUES_REFERENCE = /\.Values((?:\.[A-Za-z_][A-Za-z0-9_-]*)+)/;

/**
 * Where a path of a rendered object is written in its template: the line of the deepest key found in
 * order, each more indented than the last. When that line (or the line around it: `{{- with .Values.x }}`
 * before, `{{- toYaml .Values.x | nindent }}` after) takes its value from `.Values.x`, also the path into
 * values.yaml of the rest of the value. Templates are text, so this is a best effort.
 */
export function locateInTemplate(lines: string[], kind: string, objectPath: ObjectPath): { location: SourceLocation; values?: ObjectPath } {
  const kindPattern = new RegExp(`^kind:\\s*["']?${kind.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}["']?\\s*$`);
  const kindLine = lines.findIndex((line) => kindPattern.test(line));
  let cursor = Math.max(kindLine, 0);
  let location: SourceLocation = { line: cursor + 1, column: 1 };
  let indent = -1;
  for (const [index, key] of objectPath.entries()) {
    if (typeof key === "number") continue;
    const pattern = new RegExp(`^(\\s*)(?:-\\s+)?["']?${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}["']?\\s*:`);
    let found = -1;
    for (let line = cursor + (index === 0 ? 0 : 1); line < lines.length; line++) {
      const match = pattern.exec(lines[line] as string);
      if (match && (match[1] as string).length > indent) {
        found = line;
        indent = (match[1] as string).length;
        break;
      }
    }
    if (found < 0) break;
    cursor = found;
    location = { line: found + 1, column: indent + 1 };
    const around = [lines[found], lines[found + 1]?.trimStart().startsWith("{{") ? lines[found + 1] : undefined, /\{\{-?\s*with\s/.test(lines[found - 1] ?? "") ? lines[found - 1] : undefined];
    for (const text of around) {
      const reference = text ? VALUES_REFERENCE.exec(text) : null;
      if (reference) return { location, values: [...(reference[1] as string).slice(1).split("."), ...objectPath.slice(index + 1)] };
    }
  }
  return { location };
}

/** Splits `helm template` output into documents with the template each came from (`# Source:`). */
function renderedDocuments(output: string): { source: string; text: string }[] {
  return output.split(/^---[ \t]*$/m).flatMap((text) => {
    const source = /^# Source: (.+)$/m.exec(text)?.[1]?.trim();
    return source && /^\s*[A-Za-z]/m.test(text.replace(/^#.*$/gm, "")) ? [{ source, text }] : [];
  });
}

async function renderChart(project: ProjectModel, chart: Chart, helm: string): Promise<{ note: BuildNote; objects: RenderedObject[] }> {
  const release = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(chart.name) && chart.name.length <= 53 ? chart.name : "release";
  const root = path.resolve(project.root);
  const result = await runTool(helm, ["template", release, path.join(root, chart.folder), "--skip-tests"], root, {
    // Nothing from the user's helm setup (repositories, plugins, registry logins) is read.
    HELM_CACHE_HOME: path.join(os.tmpdir(), "mlready-helm-none", "cache"),
    HELM_CONFIG_HOME: path.join(os.tmpdir(), "mlready-helm-none", "config"),
    HELM_DATA_HOME: path.join(os.tmpdir(), "mlready-helm-none", "data"),
  });
  if (!result.ok) return { note: { kind: "helm", folder: chart.folder, mode: "values", reason: result.reason }, objects: [] };
  const objects: RenderedObject[] = [];
  let unmapped = 0;
  const templates = new Map<string, Promise<string[] | null>>();
  const valuesDocument = chart.values?.document;
  for (const { source, text } of renderedDocuments(result.stdout)) {
    // `# Source: <chart name>/templates/x.yaml`, or `<chart>/charts/<sub>/templates/x.yaml` for a subchart.
    const relative = source.split("/").slice(1).join("/");
    const file = chart.folder === "." ? relative : `${chart.folder}/${relative}`;
    const parsed = parseKubernetes(text, file);
    if (!templates.has(file)) templates.set(file, readTemplate(project, file));
    const lines = await templates.get(file);
    if (!lines) {
      unmapped += parsed.objects.length;
      continue;
    }
    for (const built of parsed.objects) objects.push(renderedFromTemplate(built, file, lines, chart, valuesDocument));
  }
  return { note: { kind: "helm", folder: chart.folder, mode: "helm", objects: objects.length, ...(unmapped ? { unmapped } : {}) }, objects };
}

function renderedFromTemplate(built: KubernetesObject, file: string, lines: string[], chart: Chart, valuesDocument: YamlDocument | undefined): RenderedObject {
  const locate = (objectPath: ObjectPath) => locateInTemplate(lines, built.kind, objectPath).location;
  return {
    ...identityOf(built),
    file,
    location: locate([]),
    locate,
    locateKey: locate,
    renderedBy: { source: "helm", folder: chart.folder },
    origin(objectPath) {
      const found = locateInTemplate(lines, built.kind, objectPath);
      if (found.values && chart.values && valuesDocument && valueAt(valuesDocument.value, found.values.slice(0, 1)) !== undefined) {
        return { file: chart.values.file, location: valuesDocument.locate(found.values) };
      }
      return { file, location: found.location };
    },
  };
}

/** At most this many `helm template` runs at once. */
const PARALLEL_RENDERS = 4;

/**
 * Renders every top-level chart that can be rendered and adds the objects to `project.objects`; every
 * other chart (and each subchart of one) is read from its values.yaml. Returns one note per top-level
 * chart and the workloads read from values.
 */
export async function renderHelmCharts(project: ProjectModel, options: ToolOptions = {}): Promise<{ notes: BuildNote[]; workloads: Workload[] }> {
  const charts = chartsOf(project);
  if (charts.length === 0) return { notes: [], workloads: [] };
  const allowed = externalToolsAllowed(options);
  const helm = allowed ? await findTool("helm", project.root) : null;
  const topLevel = charts.filter((chart) => topChartOf(chart, charts) === chart);
  const results = await mapLimited(topLevel, PARALLEL_RENDERS, async (chart): Promise<{ chart: Chart; note: BuildNote; objects: RenderedObject[] }> => {
    const values = (reason: string) => ({ chart, note: { kind: "helm", folder: chart.folder, mode: "values", reason } as BuildNote, objects: [] });
    if (!allowed) return values(`external tools are turned off (${NO_TOOLS_ENV})`);
    if (!helm) return values("helm is not on the PATH");
    const reason = whyNotRenderable(chart, project);
    if (reason) return values(reason);
    return { chart, ...(await renderChart(project, chart, helm)) };
  });
  const rendered = new Set(results.filter((result) => result.note.mode === "helm").map((result) => result.chart));
  for (const result of results) project.objects.push(...result.objects);
  const workloads = charts.filter((chart) => !rendered.has(topChartOf(chart, charts))).flatMap((chart) => valuesWorkload(chart) ?? []);
  return { notes: results.map((result) => result.note), workloads };
}
