import { isRecord, type KubernetesObject } from "../parsers/kubernetes.js";
import type { SourceLocation } from "../model.js";
import { compareQuantities, parseQuantity } from "../quantity.js";
import { defineRule } from "../rule.js";
import { isPatchObject, locateIn, valueAt, type Workload, type WorkloadContainer } from "../workloads.js";

interface ResourceLimitsOptions {
  /** Require a CPU limit. Many teams leave it out on purpose: a CPU limit throttles even an idle node. */
  requireCpuLimit: boolean;
  requireMemoryLimit: boolean;
}

type Amounts = Record<string, unknown>;

/** Defaults a LimitRange gives containers of its namespace: `default` is the limit, `defaultRequest` the request. */
interface ContainerDefaults {
  limits: Amounts;
  requests: Amounts;
}

const CORE_RESOURCES = [
  { key: "cpu", label: "CPU" },
  { key: "memory", label: "memory" },
] as const;

/**
 * Resources Kubernetes does not overcommit: extended resources (`nvidia.com/gpu`) and huge pages.
 * Their request must equal their limit, and a request needs a limit (apimachinery's IsOvercommitAllowed).
 */
function isNonOvercommittable(resource: string): boolean {
  if (resource.startsWith("hugepages-")) return true;
  const slash = resource.indexOf("/");
  if (slash < 0) return false;
  const domain = resource.slice(0, slash);
  return domain !== "kubernetes.io" && !domain.endsWith(".kubernetes.io");
}

function amountsOf(container: WorkloadContainer): ContainerDefaults {
  const resources = container.value["resources"];
  return { limits: amountsAt(resources, "limits"), requests: amountsAt(resources, "requests") };
}

function amountsAt(value: unknown, key: string): Amounts {
  const amounts = isRecord(value) ? value[key] : undefined;
  return isRecord(amounts) ? amounts : {};
}

function isWritten(amounts: Amounts, resource: string): boolean {
  return amounts[resource] !== undefined && amounts[resource] !== null && amounts[resource] !== "";
}

/** A written, non-zero amount. A zero limit means "no limit" to the kubelet; a value that is not a quantity (`${CPU}`) counts as set. */
function isEffective(amount: unknown): boolean {
  return amount !== undefined && amount !== null && amount !== "" && parseQuantity(amount) !== 0;
}

function namespaceKey(object: KubernetesObject): string {
  return object.namespace ?? "";
}

/** Container defaults of every LimitRange in the project, by namespace (objects without one share ""). */
function limitRangeDefaults(objects: KubernetesObject[]): Map<string, ContainerDefaults> {
  const byNamespace = new Map<string, ContainerDefaults>();
  for (const object of objects) {
    if (object.kind !== "LimitRange") continue;
    const limits = valueAt(object.value, ["spec", "limits"]);
    if (!Array.isArray(limits)) continue;
    for (const item of limits) {
      if (!isRecord(item) || item["type"] !== "Container") continue;
      const defaults = byNamespace.get(namespaceKey(object)) ?? { limits: {}, requests: {} };
      const defaultLimits = amountsAt(item, "default");
      // A LimitRange's defaultRequest itself defaults to its default limit.
      Object.assign(defaults.limits, defaultLimits);
      Object.assign(defaults.requests, defaultLimits, amountsAt(item, "defaultRequest"));
      byNamespace.set(namespaceKey(object), defaults);
    }
  }
  return byNamespace;
}

function subjectOf(container: WorkloadContainer): string {
  if (container.role === "initContainer") return `Init container \`${container.name}\``;
  if (container.role === "model") return `Model server (\`${container.name}:\`)`;
  return `Container \`${container.name}\``;
}

type CoreResource = (typeof CORE_RESOURCES)[number];

/** "no CPU request and no memory limit", and the fields to set, for the `missing` message. */
function describeMissing(requests: CoreResource[], limits: CoreResource[]): { missing: string; fields: string } {
  if (requests.length === CORE_RESOURCES.length && limits.length === CORE_RESOURCES.length) {
    return { missing: "no CPU or memory requests or limits", fields: "resources.requests and resources.limits for cpu and memory" };
  }
  const parts: string[] = [];
  if (requests.length) parts.push(`no ${requests.map((resource) => resource.label).join(" or ")} request`);
  if (limits.length) parts.push(`no ${limits.map((resource) => resource.label).join(" or ")} limit`);
  const fields = [
    ...requests.map((resource) => `resources.requests.${resource.key}`),
    ...limits.map((resource) => `resources.limits.${resource.key}`),
  ];
  const last = fields.pop() as string;
  return { missing: parts.join(" and "), fields: fields.length ? `${fields.join(", ")} and ${last}` : last };
}

/**
 * Kinds whose containers may leave the image to a controller: KServe, Seldon, and a Seldon v2 Server,
 * whose podSpec containers override the ServerConfig's containers of the same name.
 */
const CONTROLLER_FILLED_KINDS = new Set(["InferenceService", "SeldonDeployment", "Server"]);

/**
 * A kustomize strategic-merge patch names a container and the fields it changes, without an image (a
 * Deployment's container needs one). It is not judged on its own; what it sets counts for the
 * container it patches. KServe and Seldon containers may leave the image to their controller.
 */
function isPatchFragment(workload: Workload, container: WorkloadContainer): boolean {
  return container.role !== "model" && container.image === undefined && !CONTROLLER_FILLED_KINDS.has(workload.object.kind);
}

function isPartial(workload: Workload, container: WorkloadContainer, objects: readonly KubernetesObject[]): boolean {
  return isPatchFragment(workload, container) || isPatchObject(workload.object, objects);
}

function fragmentKey(object: KubernetesObject, containerName: string): string {
  return `${object.kind}/${object.name ?? ""}/${containerName}`;
}

interface Fragment extends ContainerDefaults {
  workload: Workload;
  source: WorkloadContainer;
  partial: boolean;
}

/**
 * Resources set on each named container by every object of the same kind and name. A base and the
 * kustomize patches over it (which may carry an image too, like an image patch) share them; two whole
 * objects of the same name (copies for two environments) do not.
 */
function containerFragments(workloads: Workload[], objects: readonly KubernetesObject[]): Map<string, Fragment[]> {
  const fragments = new Map<string, Fragment[]>();
  for (const workload of workloads) {
    if (!workload.object.name) continue;
    for (const container of workload.containers) {
      const { limits, requests } = amountsOf(container);
      if (Object.keys(limits).length + Object.keys(requests).length === 0) continue;
      const key = fragmentKey(workload.object, container.name);
      fragments.set(key, [...(fragments.get(key) ?? []), { limits, requests, workload, source: container, partial: isPartial(workload, container, objects) }]);
    }
  }
  return fragments;
}

export default defineRule<ResourceLimitsOptions>({
  meta: {
    id: "resource-limits",
    title: "Set CPU and memory requests and limits on every container",
    section: "rollout",
    severity: "error",
    weight: 2,
    description:
      "Every container of every workload (Deployments to KServe InferenceServices and Seldon deployments) sets CPU and memory requests and limits, " +
      "requests do not exceed limits, and GPUs and other extended resources request exactly their limit. Without them a model server is scheduled " +
      "where it does not fit, is evicted first under pressure, or starves its neighbours.",
    options: {
      type: "object",
      additionalProperties: false,
      properties: {
        requireCpuLimit: {
          type: "boolean",
          description: "Require a CPU limit. Turn off when you deliberately run without CPU limits to avoid CFS throttling.",
        },
        requireMemoryLimit: {
          type: "boolean",
          description: "Require a memory limit.",
        },
      },
    },
    defaultOptions: { requireCpuLimit: true, requireMemoryLimit: true },
    messages: {
      missing:
        "{{subject}} of {{workload}} sets {{missing}}; set {{fields}} so that the scheduler reserves what it needs and a runaway process cannot starve its neighbours.",
      requestAboveLimit:
        "{{subject}} of {{workload}} requests more {{resource}} ({{request}}) than its limit ({{limit}}); Kubernetes rejects such a pod, so lower resources.requests.{{resource}} or raise resources.limits.{{resource}}.",
      extendedMismatch:
        "{{subject}} of {{workload}} requests {{request}} `{{resource}}` but its limit is {{limit}}; Kubernetes rejects this for extended resources such as GPUs, so make the request equal the limit (or set only the limit).",
      extendedNoLimit:
        "{{subject}} of {{workload}} requests `{{resource}}` without a limit; Kubernetes rejects this for extended resources such as GPUs, so set resources.limits.{{resource}} (the request then defaults to it).",
    },
  },
  check(context) {
    const { project, options } = context;
    // Judged: every container but kustomize patch fragments (their values count for the container they
    // patch) and charts whose values.yaml has no top-level `resources` (they keep them where mlready does not read).
    const judged = project.workloads.flatMap((workload) => workload.containers
      .filter((container) => !isPatchFragment(workload, container) && !(workload.source === "helm-values" && !("resources" in container.value)))
      .map((container) => ({ workload, container })));
    if (judged.length === 0) {
      const charts = project.workloads.some((workload) => workload.source === "helm-values");
      context.skip(
        charts
          ? "no workloads to judge: the Helm charts' values.yaml files have no top-level `resources` (charts are read from values.yaml when helm cannot render them)"
          : project.workloads.length > 0
            ? "no workloads to judge: only kustomize patch fragments were found"
            : "no Kubernetes workloads (Deployments, StatefulSets, Jobs, Pods, InferenceServices, Helm chart values...) found",
      );
      return;
    }
    const limitRanges = limitRangeDefaults(project.objects);
    const fragments = containerFragments(project.workloads, project.objects);
    // Two kustomize overlays of one base can give the same finding on the same base line: report it once.
    const reported = new Set<string>();
    const report = (descriptor: { messageId: string; data: Record<string, string>; file: string; at: SourceLocation }) => {
      const { workload: _label, ...facts } = descriptor.data;
      const key = JSON.stringify([descriptor.messageId, descriptor.file, descriptor.at.line, descriptor.at.column, facts]);
      if (reported.has(key)) return;
      reported.add(key);
      context.report(descriptor);
    };
    for (const { workload, container } of judged) {
      const podSpec = valueAt(workload.object.value, workload.specPath);
      const podResources = isRecord(podSpec) ? podSpec["resources"] : undefined;
      const limitRange = limitRanges.get(namespaceKey(workload.object));
      // What sets a container's resources, first wins: its kustomize patches (same kind, object and
      // container name; a patch overrides its base), the container itself; where both are silent, pod-level
      // resources, then a LimitRange of the namespace. A patch-like object takes its base's values after its own.
      const partial = isPartial(workload, container, project.objects);
      const own: Fragment = { ...amountsOf(container), workload, source: container, partial };
      const others = (fragments.get(fragmentKey(workload.object, container.name)) ?? [])
        .filter((fragment) => fragment.source !== container && (partial || fragment.partial));
      const containerLevel = partial ? [own, ...others] : [...others, own];
      const defaults: ContainerDefaults[] = [
        { limits: amountsAt(podResources, "limits"), requests: amountsAt(podResources, "requests") },
        ...(limitRange ? [limitRange] : []),
      ];
      checkContainer(workload, container, containerLevel, defaults);
    }

    function checkContainer(workload: Workload, container: WorkloadContainer, containerLevel: Fragment[], defaults: ContainerDefaults[]): void {
      const data = { subject: subjectOf(container), workload: workload.label };
      const written = (field: "requests" | "limits", resource: string) => containerLevel.find((fragment) => isWritten(fragment[field], resource));

      const missingRequests: (typeof CORE_RESOURCES)[number][] = [];
      const missingLimits: (typeof CORE_RESOURCES)[number][] = [];
      for (const resource of CORE_RESOURCES) {
        const { key } = resource;
        // The API server defaults a request left out to the container's limit, before anything else fills it.
        const limit = written("limits", key)?.limits[key] ?? defaults.map((fallback) => fallback.limits).find((amounts) => isWritten(amounts, key))?.[key];
        const request = written("requests", key)?.requests[key] ?? written("limits", key)?.limits[key] ??
          defaults.flatMap((fallback) => [fallback.requests, fallback.limits]).find((amounts) => isWritten(amounts, key))?.[key];
        if (!isEffective(request)) missingRequests.push(resource);
        const required = key === "cpu" ? options.requireCpuLimit : options.requireMemoryLimit;
        if (required && !isEffective(limit)) missingLimits.push(resource);
      }
      if (missingRequests.length + missingLimits.length > 0) {
        // A chart's container has no line of its own: point at its `resources:` in values.yaml.
        const where = workload.source === "helm" || workload.source === "helm-values"
          ? locateIn(workload.object, [...container.path, "resources"])
          : { file: workload.object.file, at: container.location };
        report({ messageId: "missing", data: { ...data, ...describeMissing(missingRequests, missingLimits) }, ...where });
      }

      const resourceNames = new Set(containerLevel.flatMap((fragment) => [...Object.keys(fragment.requests), ...Object.keys(fragment.limits)]));
      for (const resource of resourceNames) {
        const requestSource = written("requests", resource);
        if (!requestSource) continue;
        const limitSource = written("limits", resource);
        const request = requestSource.requests[resource];
        const limit = limitSource?.limits[resource];
        const comparison = limitSource ? compareQuantities(request, limit) : null;
        const amounts = { ...data, resource, request: String(request), limit: String(limit) };
        // At the request, in the file that writes it (the manifest, a patch, values.yaml).
        const where = locateIn(requestSource.workload.object, [...requestSource.source.path, "resources", "requests", resource]);
        if (isNonOvercommittable(resource)) {
          if (!limitSource) {
            report({ messageId: "extendedNoLimit", data: { ...data, resource }, ...where });
          } else if (comparison !== null && comparison !== 0) {
            report({ messageId: "extendedMismatch", data: amounts, ...where });
          }
        } else if (comparison !== null && comparison > 0) {
          report({ messageId: "requestAboveLimit", data: amounts, ...where });
        }
      }
    }
  },
});
