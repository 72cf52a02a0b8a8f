import { isRecord, type KubernetesObject } from "../parsers/kubernetes.js";
import { compareQuantities, parseQuantity } from "../quantity.js";
import { defineRule } from "../rule.js";
import { valueAt, type Workload, type WorkloadContainer } from "../workloads.js";

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

/** Kinds whose containers the API server rejects without an image; an image-less container there is a patch. */
const CONTROLLER_FILLED_KINDS = new Set(["InferenceService", "SeldonDeployment"]);

/**
 * A kustomize strategic-merge patch names a container and the fields it changes, without an image (a
 * Deployment's container needs one). It is not judged on its own; what it sets counts for the
 * container it patches. KServe and Seldon containers may leave the image to their controller.
 */
function isPatchFragment(workload: Workload, container: WorkloadContainer): boolean {
  return container.role !== "model" && container.image === undefined && !CONTROLLER_FILLED_KINDS.has(workload.object.kind);
}

/** Kinds whose API object requires `spec.selector`: one without it is a patch, not a whole object. */
const SELECTOR_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Rollout"]);

function isPartial(workload: Workload, container: WorkloadContainer): boolean {
  return isPatchFragment(workload, container) ||
    (SELECTOR_KINDS.has(workload.object.kind) && valueAt(workload.object.value, ["spec", "selector"]) === undefined);
}

function fragmentKey(object: KubernetesObject, containerName: string): string {
  return `${object.kind}/${object.name ?? ""}/${containerName}`;
}

interface Fragment extends ContainerDefaults {
  source: WorkloadContainer;
  partial: boolean;
}

/**
 * Resources set on each named container by every object of the same kind and name. A base and the
 * kustomize patches over it (which may carry an image too, like an image patch) share them; two whole
 * objects of the same name (copies for two environments) do not.
 */
function containerFragments(workloads: Workload[]): Map<string, Fragment[]> {
  const fragments = new Map<string, Fragment[]>();
  for (const workload of workloads) {
    if (!workload.object.name) continue;
    for (const container of workload.containers) {
      const resources = container.value["resources"];
      const limits = amountsAt(resources, "limits");
      const requests = amountsAt(resources, "requests");
      if (Object.keys(limits).length + Object.keys(requests).length === 0) continue;
      const key = fragmentKey(workload.object, container.name);
      fragments.set(key, [...(fragments.get(key) ?? []), { limits, requests, source: container, partial: isPartial(workload, container) }]);
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
    if (project.workloads.length === 0) {
      const templates = project.filesOfKind("helm-template").length;
      context.skip(
        templates > 0
          ? "no Kubernetes workloads found outside Helm templates (templates are not rendered)"
          : "no Kubernetes workloads (Deployments, StatefulSets, Jobs, Pods, InferenceServices...) found",
      );
      return;
    }
    const limitRanges = limitRangeDefaults(project.objects);
    const fragments = containerFragments(project.workloads);
    for (const workload of project.workloads) {
      const podSpec = valueAt(workload.object.value, workload.specPath);
      const podResources = isRecord(podSpec) ? podSpec["resources"] : undefined;
      const limitRange = limitRanges.get(namespaceKey(workload.object));
      for (const container of workload.containers) {
        if (isPatchFragment(workload, container)) continue;
        // Where a container's own resources are absent, what fills them: the same container in a
        // kustomize patch of the same object, pod-level resources, then a LimitRange of the namespace.
        const partial = isPartial(workload, container);
        const fallbacks: ContainerDefaults[] = [
          ...(fragments.get(fragmentKey(workload.object, container.name)) ?? [])
            .filter((fragment) => fragment.source !== container && (partial || fragment.partial)),
          { limits: amountsAt(podResources, "limits"), requests: amountsAt(podResources, "requests") },
          ...(limitRange ? [limitRange] : []),
        ];
        checkContainer(workload, container, fallbacks);
      }
    }

    function checkContainer(workload: Workload, container: WorkloadContainer, fallbacks: ContainerDefaults[]): void {
      const { object } = workload;
      const resources = container.value["resources"];
      const limits = amountsAt(resources, "limits");
      const requests = amountsAt(resources, "requests");
      const data = { subject: subjectOf(container), workload: workload.label };
      const locateAmount = (field: "requests" | "limits", resource: string) =>
        object.locate([...container.path, "resources", field, resource]);

      const missingRequests: (typeof CORE_RESOURCES)[number][] = [];
      const missingLimits: (typeof CORE_RESOURCES)[number][] = [];
      for (const resource of CORE_RESOURCES) {
        const { key } = resource;
        // The API server defaults a request left out to the container's limit, before anything else fills it.
        const limitSources = [limits, ...fallbacks.map((fallback) => fallback.limits)];
        const requestSources = [requests, limits, ...fallbacks.flatMap((fallback) => [fallback.requests, fallback.limits])];
        const limit = limitSources.find((amounts) => isWritten(amounts, key))?.[key];
        const request = requestSources.find((amounts) => isWritten(amounts, key))?.[key];
        if (!isEffective(request)) missingRequests.push(resource);
        const required = key === "cpu" ? options.requireCpuLimit : options.requireMemoryLimit;
        if (required && !isEffective(limit)) missingLimits.push(resource);
      }
      if (missingRequests.length + missingLimits.length > 0) {
        context.report({
          messageId: "missing",
          data: { ...data, ...describeMissing(missingRequests, missingLimits) },
          file: object.file,
          at: container.location,
        });
      }

      const resourceNames = new Set([...Object.keys(requests), ...Object.keys(limits)]);
      for (const resource of resourceNames) {
        if (!isWritten(requests, resource)) continue;
        const request = requests[resource];
        const limit = limits[resource];
        const comparison = isWritten(limits, resource) ? compareQuantities(request, limit) : null;
        const amounts = { ...data, resource, request: String(request), limit: String(limit) };
        const at = locateAmount("requests", resource);
        if (isNonOvercommittable(resource)) {
          if (!isWritten(limits, resource)) {
            context.report({ messageId: "extendedNoLimit", data: { ...data, resource }, file: object.file, at });
          } else if (comparison !== null && comparison !== 0) {
            context.report({ messageId: "extendedMismatch", data: amounts, file: object.file, at });
          }
        } else if (comparison !== null && comparison > 0) {
          context.report({ messageId: "requestAboveLimit", data: amounts, file: object.file, at });
        }
      }
    }
  },
});
