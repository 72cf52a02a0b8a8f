import { imageName, imagePinning, isPinnedImage, parseImageReference, type ImagePinning, type ImageReference } from "../images.js";
import { isRecord, type KubernetesObject } from "../parsers/kubernetes.js";
import type { SourceLocation } from "../model.js";
import { isTestPath } from "../paths.js";
import type { ProjectModel } from "../project.js";
import { defineRule } from "../rule.js";
import { isRendered, locateIn, noWorkloadsReason, type Workload, type WorkloadContainer } from "../workloads.js";

interface ImageTagPinnedOptions {
  /** Accept only digests: a tag can be pushed again, a digest cannot. */
  requireDigest: boolean;
}

/** A kustomization `images:` entry: kustomize rewrites every image named `name` when it builds. */
interface ImageOverride {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

/** Every `images:` entry of the project's kustomizations. */
function kustomizeImageOverrides(project: ProjectModel): ImageOverride[] {
  const overrides: ImageOverride[] = [];
  for (const file of project.filesOfKind("kustomization")) {
    for (const document of project.yamlDocuments.get(file.path) ?? []) {
      const images = isRecord(document.value) ? document.value["images"] : undefined;
      if (!Array.isArray(images)) continue;
      for (const entry of images) {
        if (!isRecord(entry) || typeof entry["name"] !== "string") continue;
        const text = (key: string) => (typeof entry[key] === "string" || typeof entry[key] === "number" ? String(entry[key]) : undefined);
        const newName = text("newName");
        const newTag = text("newTag");
        const digest = text("digest");
        overrides.push({
          name: entry["name"],
          ...(newName !== undefined ? { newName } : {}),
          ...(newTag !== undefined ? { newTag } : {}),
          ...(digest !== undefined ? { digest } : {}),
        });
      }
    }
  }
  return overrides;
}

/**
 * The reference kustomize produces from an `images:` entry: the entry's tag or digest replaces the
 * written one (kustomize drops the written tag when it sets a digest), `newName` replaces the name.
 */
function overridden(reference: ImageReference, override: ImageOverride): ImageReference | null {
  const name = override.newName ?? imageName(reference);
  const tag = override.digest !== undefined ? undefined : override.newTag ?? reference.tag;
  const digest = override.digest ?? (override.newTag !== undefined ? undefined : reference.digest);
  const written = parseImageReference(name);
  if (!written) return null;
  return { ...written, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/**
 * Images that Skaffold builds (`build.artifacts[].image` of a `skaffold/*` Config): Skaffold replaces
 * every manifest reference to them with the tag and digest it just built, so the name as written is a
 * stand-in.
 */
function skaffoldArtifacts(objects: KubernetesObject[]): Set<string> {
  const names = new Set<string>();
  for (const object of objects) {
    if (!object.apiVersion.startsWith("skaffold/") || object.kind !== "Config") continue;
    const build = object.value["build"];
    const artifacts = isRecord(build) ? build["artifacts"] : undefined;
    if (!Array.isArray(artifacts)) continue;
    for (const artifact of artifacts) if (isRecord(artifact) && typeof artifact["image"] === "string") names.add(artifact["image"]);
  }
  return names;
}

/**
 * A name that cannot be a real repository: Docker requires lower case, so `IMAGE_PLACEHOLDER`,
 * `MODEL_IMAGE` or `${IMAGE}` as the image's own name is a stand-in that a script or CI job replaces
 * with a whole reference. (An upper-case registry path such as `gcr.io/PROJECT_ID/app` still names the
 * image `app`, whose tag is judged.)
 */
function isStandIn(reference: ImageReference): boolean {
  const lastComponent = reference.repository.slice(reference.repository.lastIndexOf("/") + 1);
  return /[A-Z]/.test(lastComponent);
}

function subjectOf(container: WorkloadContainer): string {
  return container.role === "initContainer" ? `Init container \`${container.name}\`` : `Container \`${container.name}\``;
}

export default defineRule<ImageTagPinnedOptions>({
  meta: {
    id: "image-tag-pinned",
    title: "Pin every container image to a version tag or a digest",
    section: "rollout",
    severity: "error",
    weight: 2,
    description:
      "Every container and init container image of every workload names an explicit tag other than `latest`, or a digest. " +
      "An untagged or `latest` image changes whenever someone pushes, so a restart or a scale-up can run code and a model nobody tested, " +
      "and a rollback has nothing to go back to.",
    options: {
      type: "object",
      additionalProperties: false,
      properties: {
        requireDigest: {
          type: "boolean",
          description: "Accept only images pinned by digest (`@sha256:...`): a tag can be pushed again, a digest cannot.",
        },
      },
    },
    defaultOptions: { requireDigest: false },
    messages: {
      noTag:
        "{{subject}} of {{workload}} uses image `{{image}}` without a tag, so Kubernetes pulls `latest`, whatever was pushed last; pin a version tag (`{{name}}:1.2.3`) or a digest (`{{name}}@sha256:...`).",
      latestTag:
        "{{subject}} of {{workload}} uses image `{{image}}`; `latest` moves with every push, so a restart can run an image nobody tested and a rollback has nothing to return to. Pin a version tag or a digest.",
      noDigest:
        "{{subject}} of {{workload}} uses image `{{image}}`, pinned by tag only, and a tag can be pushed again; pin its digest (`{{name}}@sha256:...`), as the requireDigest option asks.",
    },
  },
  check(context) {
    const { project, options } = context;
    if (project.workloads.length === 0) {
      context.skip(noWorkloadsReason(project, "Kubernetes workloads", "no Kubernetes workloads (Deployments, StatefulSets, Jobs, Pods, InferenceServices...) found"));
      return;
    }
    const overrides = kustomizeImageOverrides(project);
    const builtBySkaffold = skaffoldArtifacts(project.objects);
    // One base built by two overlays maps back to one line: one finding there.
    const reported = new Set<string>();
    let images = 0;
    let judged = 0;
    for (const workload of project.workloads) {
      // Test manifests are not how the service runs; an object named "" is a template that code fills in.
      if (isTestPath(workload.object.file) || workload.object.name === "") continue;
      for (const container of workload.containers) {
        // KServe's `model:` shorthand has no image (its ServingRuntime has); a container without one is a patch.
        if (container.role === "model" || container.image === undefined) continue;
        images++;
        checkImage(workload, container, container.image);
      }
    }
    if (images === 0) context.skip("no container images to judge (test manifests, templates and KServe model-format shorthands are not judged)");
    else if (judged === 0) context.skip("every container image is a placeholder (`${IMAGE}`, `IMAGE_PLACEHOLDER`...) filled in at deploy time");

    function checkImage(workload: Workload, container: WorkloadContainer, image: string): void {
      const reference = parseImageReference(image);
      // Not a reference (`ko://github.com/org/cmd` is built by ko) or a stand-in replaced before deploying.
      if (!reference || isStandIn(reference) || builtBySkaffold.has(imageName(reference))) return;
      const pinning: ImagePinning = imagePinning(reference);
      if (pinning === "unknown") return;
      judged++;
      const messageId = pinning === "untagged" ? "noTag" : pinning === "latest" ? "latestTag" : pinning === "tag" && options.requireDigest ? "noDigest" : null;
      if (messageId === null || pinnedByKustomize(workload, reference)) return;
      const where = whereInValues(workload) ?? locateIn(workload.object, [...container.path, "image"]);
      const key = `${where.file}:${where.at.line}:${where.at.column}`;
      if (reported.has(key)) return;
      reported.add(key);
      context.report({
        messageId,
        data: { subject: subjectOf(container), workload: workload.label, image, name: imageName(reference) },
        file: where.file,
        at: where.at,
      });
    }

    /**
     * A chart read from values.yaml: at `tag:` when values.yaml writes the tag (`tag: latest`), else at
     * `image:`, rather than at the first field of the `image:` map.
     */
    function whereInValues(workload: Workload): { file: string; at: SourceLocation } | null {
      if (workload.source !== "helm-values") return null;
      const file = workload.object.file;
      const document = project.yamlDocuments.get(file)?.[0];
      if (!document || !isRecord(document.value)) return null;
      const image = document.value["image"];
      const tag = isRecord(image) ? image["tag"] : undefined;
      const tagWritten = (typeof tag === "string" && tag !== "") || typeof tag === "number";
      return { file, at: tagWritten ? document.locate(["image", "tag"]) : document.locateKey(["image"]) };
    }

    /**
     * True when a kustomization's `images:` entry pins this image as kustomize builds it. Which overlay
     * is deployed is not known, so one entry that pins it is enough. An object that kustomize built
     * already carries the rewritten image.
     */
    function pinnedByKustomize(workload: Workload, reference: ImageReference): boolean {
      if (isRendered(workload.object) && workload.object.renderedBy.source === "kustomize") return false;
      const name = imageName(reference);
      return overrides.some((override) => {
        if (override.name !== name) return false;
        const result = overridden(reference, override);
        return result !== null && isPinnedImage(result, { requireDigest: options.requireDigest });
      });
    }
  },
});
