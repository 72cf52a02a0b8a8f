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

/** "no CPU request", "no CPU or memory limit". */
function describeMissing(labels: string[], noun: string): string {
  return `no ${labels.join(" or ")} ${noun}`;
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
        "{{subject}} of {{workload}} requests {{request}} {{resource}} but is limited to {{limit}}; Kubernetes rejects a request above its limit, so lower resources.requests.{{resource}} or raise resources.limits.{{resource}}.",
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
    const defaultsByNamespace = limitRangeDefaults(project.objects);
    for (const workload of project.workloads) {
      const defaults = defaultsByNamespace.get(namespaceKey(workload.object)) ?? { limits: {}, requests: {} };
      for (const container of workload.containers) checkContainer(workload, container, defaults);
    }

    function checkContainer(workload: Workload, container: WorkloadContainer, defaults: ContainerDefaults): void {
      const { object } = workload;
      const resources = container.value["resources"];
      const limits = amountsAt(resources, "limits");
      const requests = amountsAt(resources, "requests");
      const data = { subject: subjectOf(container), workload: workload.label };
      const locateAmount = (field: "requests" | "limits", resource: string) =>
        object.locate([...container.path, "resources", field, resource]);

      const missingRequests: string[] = [];
      const missingLimits: string[] = [];
      const fields: string[] = [];
      for (const { key, label } of CORE_RESOURCES) {
        const limit = isWritten(limits, key) ? limits[key] : defaults.limits[key];
        // The API server defaults a request left out to the container's limit; a LimitRange then fills what is still empty.
        const request = isWritten(requests, key) ? requests[key] : isWritten(limits, key) ? limits[key] : defaults.requests[key];
        if (!isEffective(request)) {
          missingRequests.push(label);
          fields.push(`resources.requests.${key}`);
        }
        const required = key === "cpu" ? options.requireCpuLimit : options.requireMemoryLimit;
        if (required && !isEffective(limit)) {
          missingLimits.push(label);
          fields.push(`resources.limits.${key}`);
        }
      }
      if (fields.length > 0) {
        const missing = [
          ...(missingRequests.length ? [describeMissing(missingRequests, "request")] : []),
          ...(missingLimits.length ? [describeMissing(missingLimits, "limit")] : []),
        ].join(" and ");
        context.report({
          messageId: "missing",
          data: { ...data, missing, fields: fields.join(", ").replace(/, ([^,]*)$/, " and $1") },
          file: object.file,
          at: container.location,
        });
      }

      const resourceNames = new Set([...Object.keys(requests), ...Object.keys(limits)]);
      for (const resource of resourceNames) {
        const request = requests[resource];
        const limit = limits[resource];
        if (isNonOvercommittable(resource)) {
          if (isWritten(requests, resource) && !isWritten(limits, resource)) {
            context.report({ messageId: "extendedNoLimit", data: { ...data, resource }, file: object.file, at: locateAmount("requests", resource) });
          } else if (isWritten(requests, resource) && compareQuantities(request, limit) !== 0 && compareQuantities(request, limit) !== null) {
            context.report({
              messageId: "extendedMismatch",
              data: { ...data, resource, request: String(request), limit: String(limit) },
              file: object.file,
              at: locateAmount("requests", resource),
            });
          }
        } else if (isWritten(requests, resource) && isWritten(limits, resource) && (compareQuantities(request, limit) ?? 0) > 0) {
          context.report({
            messageId: "requestAboveLimit",
            data: { ...data, resource, request: String(request), limit: String(limit) },
            file: object.file,
            at: locateAmount("requests", resource),
          });
        }
      }
    }
  },
});
