// mlready-plugin-acme: a worked example of an mlready plugin (docs/plugins.md).
// The module exports { meta, rules }. Its rule ids are namespaced by mlready with the package name without its
// `mlready-plugin-` prefix: `acme/allowed-registries` and `acme/required-label`.
// Rules are plain objects typed with JSDoc, so the plugin has no runtime dependency on mlready.

const DOCS_URL = "https://github.com/acme/mlready-plugin-acme#readme";

/** @param {string} text */
function hasPlaceholder(text) {
  return /\$\{?[A-Za-z_]|\{\{/.test(text);
}

/**
 * The image as Docker resolves it: `python:3.12` is `docker.io/library/python:3.12`, `acme/api` is
 * `docker.io/acme/api`; an image whose first part has a dot or a port, or is `localhost`, names its registry.
 * @param {string} image
 */
export function canonicalImage(image) {
  const first = image.split("/")[0] ?? "";
  const hasRegistry = image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  if (hasRegistry) return image;
  return image.includes("/") ? `docker.io/${image}` : `docker.io/library/${image}`;
}

/**
 * Whether the image comes from one of the registries: `ghcr.io/acme` allows `ghcr.io/acme/serving:1.2`,
 * `docker.io` allows `python:3.12`. Prefixes end at a path separator, so `ghcr.io/acme` does not allow `ghcr.io/acmecorp/x`.
 * @param {string} image @param {readonly string[]} registries
 */
export function fromAllowedRegistry(image, registries) {
  const canonical = canonicalImage(image);
  return registries.some((registry) => {
    const prefix = registry.replace(/\/+$/, "");
    return canonical.startsWith(`${prefix}/`) || image.startsWith(`${prefix}/`);
  });
}

/**
 * Where the value at `path` of a Kubernetes object is written: for objects built by kustomize or Helm, the
 * file that wrote it (`origin`), else the manifest itself.
 * @param {import("mlready").KubernetesObject} object @param {import("mlready").ObjectPath} path
 */
function locate(object, path) {
  const built = /** @type {{ origin?: (path: import("mlready").ObjectPath) => { file: string, location: import("mlready").SourceLocation } }} */ (object);
  if (typeof built.origin === "function") {
    const origin = built.origin(path);
    return { file: origin.file, at: origin.location };
  }
  return { file: object.file, at: object.locate(path) };
}

/** @type {import("mlready").Rule<{ registries: string[] }>} */
export const allowedRegistries = {
  meta: {
    id: "allowed-registries",
    title: "Pull every image from an allowed registry",
    section: "container",
    severity: "error",
    weight: 2,
    description:
      "Every Dockerfile base image and every container image of a workload comes from one of Acme's registries, which are scanned, mirrored and kept available.",
    options: {
      type: "object",
      additionalProperties: false,
      required: ["registries"],
      properties: {
        registries: {
          type: "array",
          items: { type: "string", minLength: 1 },
          description: "Registry prefixes images may come from, e.g. `ghcr.io/acme` or `registry.acme.internal`.",
        },
      },
    },
    defaultOptions: { registries: [] },
    messages: {
      baseImage: "FROM {{image}} does not come from an allowed registry ({{registries}}): use the mirrored image from one of them.",
      containerImage: "{{workload}} container {{container}} runs {{image}}, which does not come from an allowed registry ({{registries}}).",
    },
    docs: {
      url: `${DOCS_URL}#allowed-registries`,
      markdown: [
        "# acme/allowed-registries",
        "",
        "Every base image (`FROM`) and every workload container image comes from an allowed registry.",
        "",
        "## Why it matters",
        "",
        "Acme mirrors and scans the images in its registries; a public image can disappear, be rate-limited or change under the same tag.",
        "",
        "## How to fix",
        "",
        "Use the mirrored image: `ghcr.io/acme/mirror/python:3.12-slim` instead of `python:3.12-slim`.",
        "",
        "## Options",
        "",
        "- `registries`: the allowed registry prefixes, e.g. `[\"ghcr.io/acme\"]`.",
        "",
      ].join("\n"),
    },
  },
  check(context) {
    const registries = context.options.registries;
    if (registries.length === 0) return context.skip("no `registries` configured");
    const listed = registries.join(", ");
    let images = 0;
    for (const dockerfile of context.project.dockerfiles) {
      for (const stage of dockerfile.stages) {
        const { from } = stage;
        // An earlier stage, `scratch` and images built from ARGs without a default are not pulls from a registry.
        if (from.stageRef !== undefined || from.unresolvedArgs.length > 0 || from.image === "scratch" || hasPlaceholder(from.image)) continue;
        images++;
        if (!fromAllowedRegistry(from.image, registries)) {
          context.report({ messageId: "baseImage", data: { image: from.image, registries: listed }, file: dockerfile.path, at: from.location });
        }
      }
    }
    for (const workload of context.project.workloads) {
      for (const container of workload.containers) {
        if (!container.image || hasPlaceholder(container.image)) continue;
        images++;
        if (!fromAllowedRegistry(container.image, registries)) {
          const { file, at } = locate(workload.object, [...container.path, "image"]);
          context.report({
            messageId: "containerImage",
            data: { workload: workload.label, container: container.name, image: container.image, registries: listed },
            file,
            at,
          });
        }
      }
    }
    if (images === 0) context.skip("no images in Dockerfiles or workloads");
  },
};

/** @type {import("mlready").Rule<{ label: string }>} */
export const requiredLabel = {
  meta: {
    id: "required-label",
    title: "Label every workload with its owning team",
    section: "runbook",
    severity: "warning",
    weight: 1,
    description: "Every workload (Deployment, InferenceService, ...) carries the label that names the team paged for it.",
    options: {
      type: "object",
      additionalProperties: false,
      properties: {
        label: { type: "string", minLength: 1, description: "The label key every workload must carry, e.g. `acme.com/team`." },
      },
    },
    defaultOptions: { label: "acme.com/team" },
    messages: {
      missing: "{{workload}} has no `{{label}}` label: on-call cannot tell which team owns it.",
      empty: "{{workload}} has an empty `{{label}}` label: name the team that owns it.",
    },
    docs: {
      url: `${DOCS_URL}#required-label`,
      markdown: [
        "# acme/required-label",
        "",
        "Every workload's `metadata.labels` has the configured label with a non-empty value.",
        "",
        "## Options",
        "",
        "- `label`: the label key (default `acme.com/team`).",
        "",
      ].join("\n"),
    },
  },
  check(context) {
    const { label } = context.options;
    const seen = new Set();
    for (const workload of context.project.workloads) {
      // A KServe InferenceService is one object with several workloads (predictor, transformer): judge it once.
      if (seen.has(workload.object)) continue;
      seen.add(workload.object);
      const name = `${workload.object.kind}/${workload.object.name ?? "(unnamed)"}`;
      const value = workload.object.labels[label];
      if (value === undefined) {
        const { file, at } = locate(workload.object, ["metadata"]);
        context.report({ messageId: "missing", data: { workload: name, label }, file, at });
      } else if (String(value).trim() === "") {
        const { file, at } = locate(workload.object, ["metadata", "labels", label]);
        context.report({ messageId: "empty", data: { workload: name, label }, file, at });
      }
    }
    if (seen.size === 0) context.skip("no workloads");
  },
};

export const meta = { name: "mlready-plugin-acme", version: "1.0.0" };

export const rules = [allowedRegistries, requiredLabel];

export default { meta, rules };
