import { hasPlaceholder, imageName, parseImageReference } from "../images.js";
import type { SourceLocation } from "../model.js";
import type { DockerfileModel, DockerInstruction, DockerStage } from "../parsers/dockerfile.js";
import { isRecord, type ObjectPath } from "../parsers/kubernetes.js";
import { isTestPath } from "../paths.js";
import { defineRule } from "../rule.js";
import { valueAt, type Workload, type WorkloadContainer } from "../workloads.js";
import { describeStage, expandVariables, finalLineage, forEachWithVariables, matchesGlobs, productionDockerfiles, unquoted } from "./multi-stage-build.js";

interface NonRootUserOptions {
  /** Base images (globs, `!` to exclude) that already run as a non-root user, so a final stage without USER is fine. */
  nonRootBaseImages: string[];
}

/** Images whose own configuration runs as a non-root user. */
const NON_ROOT_BASE_IMAGES = [
  // Distroless `:nonroot`, `:debug-nonroot`, `:nonroot-amd64` (uid 65532).
  "gcr.io/distroless/**:*nonroot*",
  // Chainguard images run as `nonroot` (65532), their `-dev` variants too; wolfi-base and chainguard-base run as root.
  "cgr.dev/**",
  "!cgr.dev/**/wolfi-base*",
  "!cgr.dev/**/chainguard-base*",
  // .NET chiseled images run as `app` (1654).
  "mcr.microsoft.com/dotnet/**:*chiseled*",
  // Jupyter docker-stacks and Kubeflow notebook images (also the older gcr.io/kubeflow-images-public ones) run as
  // jovyan (1000), Ray images as `ray` (1000).
  "jupyter/*",
  "quay.io/jupyter/*",
  "kubeflownotebookswg/*",
  "gcr.io/kubeflow-images-public/*-notebook-*",
  "rayproject/ray",
  "rayproject/ray:*",
  "rayproject/ray-ml",
  "rayproject/ray-ml:*",
  // Red Hat's language images (s2i) run as 1001; plain ubi, ubi-minimal and ubi-micro run as root.
  "registry.access.redhat.com/ubi*/python-*",
  "registry.access.redhat.com/ubi*/nodejs-*",
  "registry.redhat.io/ubi*/python-*",
  "registry.redhat.io/ubi*/nodejs-*",
];

/** `docker.io/library/python:3.11@sha256:...` as `python:3.11`. */
function normaliseImage(image: string): string {
  return image.replace(/@sha256:[0-9a-f]+$/i, "").replace(/^(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\/(?:library\/)?/i, "");
}

function isRootUser(user: string): boolean {
  const name = user.split(":")[0]?.trim().toLowerCase() ?? "";
  return name === "root" || /^0+$/.test(name);
}

type ImageUser =
  | { kind: "user"; user: string; instruction: DockerInstruction; stage: DockerStage }
  | { kind: "unresolved"; instruction: DockerInstruction }
  /** `shown`: the image as written, and what ARG defaults make of it, for the message. */
  | { kind: "base"; image: string; shown: string; known: boolean };

/** Who the final stage runs as: its last USER, else the last USER of the stage it is built FROM, else its base image's default. */
function finalUser(dockerfile: DockerfileModel): ImageUser {
  const lineage = finalLineage(dockerfile);
  for (const stage of lineage) {
    const users = stage.instructions.filter((instruction) => instruction.keyword === "USER" && instruction.args.trim() !== "");
    const last = users[users.length - 1];
    if (!last) continue;
    let resolved: string | null = null;
    forEachWithVariables(dockerfile, stage, (instruction, variables) => {
      if (instruction === last) resolved = expandVariables(last.args.trim(), variables);
    });
    return resolved === null ? { kind: "unresolved", instruction: last } : { kind: "user", user: resolved, instruction: last, stage };
  }
  const root = lineage[lineage.length - 1] as DockerStage;
  const image = unquoted(root.from.image);
  return { kind: "base", image: normaliseImage(image), shown: root.from.raw === image ? `\`${image}\`` : `\`${root.from.raw}\` (\`${image}\`)`, known: root.from.unresolvedArgs.length === 0 };
}

/** The globs' name parts (`gcr.io/distroless/**` of `gcr.io/distroless/**:*nonroot*`), for an image whose tag is unknown. */
function nameGlobs(globs: readonly string[]): string[] {
  return globs.map((glob) => {
    const colon = glob.lastIndexOf(":");
    return colon > glob.lastIndexOf("/") ? glob.slice(0, colon) : glob;
  });
}

/**
 * Whether the base image runs as a non-root user: true or false, or undefined when build arguments without
 * a default decide (`FROM ${BASE_IMAGE}`, or `FROM gcr.io/distroless/python3:${TAG}` where a tag would decide).
 */
function baseRunsNonRoot(image: string, known: boolean, globs: readonly string[]): boolean | undefined {
  if (known) return matchesGlobs(image, globs);
  const reference = parseImageReference(image);
  if (!reference || hasPlaceholder(imageName(reference))) return undefined;
  const name = imageName(reference);
  if (matchesGlobs(name, nameGlobs(globs))) return undefined;
  return false;
}

// ---------------------------------------------------------------------------------------------
// Workloads

type WorkloadVerdict =
  | { kind: "root"; path: ObjectPath; podLevel: boolean }
  | { kind: "nonRoot" | "enforced" | "unset" };

function securityContextAt(value: unknown): Record<string, unknown> {
  const context = isRecord(value) ? value["securityContext"] : undefined;
  return isRecord(context) ? context : {};
}

/** A UID as a number; a placeholder (`${UID}`) is not one. */
function uidOf(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "string" && /^\d+$/.test(value.trim())) return Number(value);
  return undefined;
}

/** What Kubernetes makes of the container's user: the container's securityContext overrides the pod's, field by field. */
function workloadVerdict(workload: Workload, container: WorkloadContainer): WorkloadVerdict {
  const podContext = securityContextAt(valueAt(workload.object.value, workload.specPath));
  const containerContext = securityContextAt(container.value);
  const pick = (field: string): { value: unknown; path: ObjectPath; podLevel: boolean } | undefined => {
    if (containerContext[field] !== undefined && containerContext[field] !== null) {
      return { value: containerContext[field], path: [...container.path, "securityContext", field], podLevel: false };
    }
    if (podContext[field] !== undefined && podContext[field] !== null) {
      return { value: podContext[field], path: [...workload.specPath, "securityContext", field], podLevel: true };
    }
    return undefined;
  };
  const user = pick("runAsUser");
  const uid = uidOf(user?.value);
  if (user && uid === 0) return { kind: "root", path: user.path, podLevel: user.podLevel };
  if (uid !== undefined && uid > 0) return { kind: "nonRoot" };
  // `runAsNonRoot: false` is the default written out: the image's USER still decides.
  if (pick("runAsNonRoot")?.value === true) return { kind: "enforced" };
  return { kind: "unset" };
}

/** Kinds whose containers the API server rejects without an image; an image-less container there is a patch. */
const CONTROLLER_FILLED_KINDS = new Set(["InferenceService", "SeldonDeployment"]);

function isPatchFragment(workload: Workload, container: WorkloadContainer): boolean {
  return container.role === "container" && container.image === undefined && !CONTROLLER_FILLED_KINDS.has(workload.object.kind);
}

interface JudgedContainer {
  workload: Workload;
  container: WorkloadContainer;
  verdict: WorkloadVerdict;
}

/**
 * Containers and model servers of every workload outside test folders (`tests/e2e/kind/...`); init
 * containers (often a root `chown` step) are left out.
 */
function judgedContainers(workloads: Workload[]): JudgedContainer[] {
  return workloads.filter((workload) => !isTestPath(workload.object.file)).flatMap((workload) =>
    workload.containers
      .filter((container) => container.role !== "initContainer")
      .map((container) => ({ workload, container, verdict: workloadVerdict(workload, container) })));
}

/**
 * True when every container of the project's workloads has a verdict of the given kinds, from its own
 * object or from a kustomize patch of it (a container without image of the same kind, name and container name).
 */
function everyContainerIs(judged: JudgedContainer[], kinds: readonly WorkloadVerdict["kind"][]): boolean {
  const key = ({ workload, container }: JudgedContainer) => `${workload.object.kind}/${workload.object.name ?? ""}/${container.name}`;
  const patched = new Set(judged.filter((item) => isPatchFragment(item.workload, item.container) && kinds.includes(item.verdict.kind)).map(key));
  const whole = judged.filter((item) => !isPatchFragment(item.workload, item.container));
  return whole.length > 0 && whole.every((item) => kinds.includes(item.verdict.kind) || patched.has(key(item)));
}

function subjectOf(containers: WorkloadContainer[]): string {
  const names = containers.map((container) => (container.role === "model" ? `\`${container.name}:\`` : `\`${container.name}\``));
  if (containers.length === 1) return containers[0]?.role === "model" ? `the model server ${names[0]}` : `container ${names[0]}`;
  return `containers ${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

/** "`USER root`", or "`USER ${UID}` (`0`)" when a variable gave the value. */
function describeUser(written: string, resolved: string): string {
  return written === resolved ? `\`USER ${written}\`` : `\`USER ${written}\` (\`${resolved}\`)`;
}

export default defineRule<NonRootUserOptions>({
  meta: {
    id: "non-root-user",
    title: "Run the model server as a non-root user",
    section: "container",
    severity: "warning",
    weight: 2,
    description:
      "The image's final stage ends with a USER that is neither root nor 0 (or its base image runs as a non-root user), and no workload " +
      "forces `runAsUser: 0`. A process that runs as root turns any remote-code bug in the model server or a pickled model into root " +
      "in the container, one kernel bug away from the node.",
    options: {
      type: "object",
      additionalProperties: false,
      properties: {
        nonRootBaseImages: {
          type: "array",
          items: { type: "string" },
          description:
            "Base images (globs such as `gcr.io/distroless/**:*nonroot*`; a leading `!` excludes) that already run as a non-root user. Replaces the built-in list.",
        },
      },
    },
    defaultOptions: { nonRootBaseImages: NON_ROOT_BASE_IMAGES },
    messages: {
      rootUser:
        "{{user}} in {{stage}} leaves the image running as root, so any code-execution bug in the model server is root in the container; end the final stage with a non-root user (for example `USER 10001:10001`) after the steps that need root.",
      noUser:
        "The final stage sets no USER, so the container runs as root unless its base image {{image}} sets a user; create a non-root user and end the final stage with `USER` (for example `USER 10001:10001`).",
      workloadRoot:
        "`runAsUser: 0` makes {{subject}} of {{workload}} run as root whatever the image's USER says; set `runAsUser` to a non-zero UID and `runAsNonRoot: true`.",
    },
  },
  check(context) {
    const { project, options } = context;
    const dockerfiles = productionDockerfiles(project);
    const judged = judgedContainers(project.workloads);

    // One finding per written field: a pod-level setting is reported once for the containers that inherit it.
    const workloadFindings = new Map<string, { messageId: string; workload: Workload; containers: WorkloadContainer[]; at: SourceLocation }>();
    for (const { workload, container, verdict } of judged) {
      if (verdict.kind !== "root") continue;
      const at = workload.object.locate(verdict.path);
      const key = `${workload.object.file}:${at.line}:${at.column}`;
      const existing = workloadFindings.get(key);
      if (existing) existing.containers.push(container);
      else workloadFindings.set(key, { messageId: "workloadRoot", workload, containers: [container], at });
    }
    for (const finding of workloadFindings.values()) {
      context.report({
        messageId: finding.messageId,
        data: { subject: subjectOf(finding.containers), workload: finding.workload.label },
        file: finding.workload.object.file,
        at: finding.at,
      });
    }

    if (dockerfiles.length === 0) {
      // The image is built elsewhere: it passes when every container's securityContext keeps it off root
      // (`runAsNonRoot: true`, or a non-zero `runAsUser`); otherwise the image's USER decides, which is not here.
      if (workloadFindings.size === 0 && !everyContainerIs(judged, ["nonRoot", "enforced"])) {
        const where = project.dockerfiles.length > 0 ? "only test, development and debug Dockerfiles found" : "no Dockerfile found";
        context.skip(
          judged.length === 0
            ? `${where}, and no workload to judge`
            : `${where}, and not every workload container sets runAsNonRoot: true or a non-zero runAsUser`,
        );
      }
      return;
    }

    // Kubernetes runs the image as the workload's runAsUser whatever its USER says.
    if (everyContainerIs(judged, ["nonRoot"])) return;

    /** Dockerfiles whose final user is known; the others leave it to build arguments without a default. */
    let judgedImages = 0;
    for (const dockerfile of dockerfiles) {
      const lineage = finalLineage(dockerfile);
      const final = lineage[0] as DockerStage;
      const user = finalUser(dockerfile);
      const runsNonRoot = user.kind === "base" ? baseRunsNonRoot(user.image, user.known, options.nonRootBaseImages) : undefined;
      if (user.kind === "user" || runsNonRoot !== undefined) judgedImages++;
      if (user.kind === "user" && isRootUser(user.user)) {
        context.report({
          messageId: "rootUser",
          data: { user: describeUser(user.instruction.args.trim(), user.user), stage: describeStage(user.stage, final) },
          file: dockerfile.path,
          at: user.instruction.location,
        });
      } else if (user.kind === "base" && runsNonRoot === false) {
        context.report({ messageId: "noUser", data: { image: user.shown }, file: dockerfile.path, at: final.from.location });
      }
    }
    if (judgedImages === 0) {
      context.skip("the user of every image comes from build arguments without a default (USER ${UID}, FROM ${BASE_IMAGE}), chosen outside this repository");
    }
  },
});
