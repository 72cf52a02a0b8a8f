import { hasPlaceholder, imageName, imagePinning, parseImageReference, type ImagePinning } from "../images.js";
import type { DockerStage } from "../parsers/dockerfile.js";
import { defineRule } from "../rule.js";
import { productionDockerfiles, unquoted } from "./multi-stage-build.js";

interface Options {
  requireDigest: boolean;
}

/**
 * ARGs BuildKit defines in the global scope of every build, with a value of the usual shape, so that
 * `FROM python:3.12-${TARGETARCH}` or `FROM ${TARGETARCH}/python:3.12` can be judged.
 */
const PLATFORM_ARGS: Record<string, string> = {
  BUILDPLATFORM: "linux/amd64",
  BUILDOS: "linux",
  BUILDARCH: "amd64",
  BUILDVARIANT: "v1",
  TARGETPLATFORM: "linux/amd64",
  TARGETOS: "linux",
  TARGETARCH: "amd64",
  TARGETVARIANT: "v1",
};
const PLATFORM_ARG_REFERENCE = new RegExp(`\\$\\{(${Object.keys(PLATFORM_ARGS).join("|")})\\}|\\$(${Object.keys(PLATFORM_ARGS).join("|")})(?![A-Za-z0-9_])`, "g");
const ARG_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** The stage a FROM builds on when ARGs pick it, as in `FROM base-${TARGETARCH}` after `FROM ... AS base-amd64`. */
function patternStageRef(image: string, earlierStages: DockerStage[]): string | undefined {
  // A bare `$IMAGE` could be anything: only a name with a fixed part (`base-`) is taken for a stage.
  if (!image.includes("$") || image.replace(ARG_REFERENCE, "") === "") return undefined;
  const pattern = new RegExp(
    `^${image.split(ARG_REFERENCE).filter((_, index) => index % 3 === 0).map((part) => (part ?? "").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("[A-Za-z0-9._-]*")}$`,
    "i",
  );
  return earlierStages.map((stage) => stage.name).find((name): name is string => name !== undefined && pattern.test(name));
}

export default defineRule<Options>({
  meta: {
    id: "base-image-pinned",
    title: "Pin every base image to a version tag or digest",
    section: "container",
    severity: "warning",
    weight: 1,
    description:
      "Every Dockerfile `FROM` names an explicit tag other than `latest`, or a digest, after resolving ARG defaults, so that rebuilding the same commit starts from the same base image.",
    options: {
      type: "object",
      additionalProperties: false,
      properties: {
        requireDigest: {
          type: "boolean",
          description: "Require a digest (`@sha256:…`) on every base image; a tag alone is reported.",
        },
      },
    },
    defaultOptions: { requireDigest: false },
    messages: {
      noTag:
        "FROM {{image}} names no tag, so Docker pulls `latest`, which changes whenever the publisher pushes: two builds of the same commit can get different system libraries or Python. Pin an explicit version tag ({{name}}:<version>) or a digest ({{name}}@sha256:<digest>).",
      latestTag:
        "FROM {{image}} uses the `latest` tag, which changes whenever the publisher pushes: two builds of the same commit can get different system libraries or Python. Pin an explicit version tag ({{name}}:<version>) or a digest ({{name}}@sha256:<digest>).",
      noDigest:
        "FROM {{image}} is pinned by tag only, and a tag can be pushed again with different content (requireDigest is on). Add the digest of the image you tested: {{resolved}}@sha256:<digest> (`docker buildx imagetools inspect {{resolved}}` shows it).",
    },
  },
  check(context) {
    const requireDigest = context.options.requireDigest ?? false;
    const dockerfiles = productionDockerfiles(context.project);
    if (dockerfiles.length === 0) {
      context.skip(context.project.dockerfiles.length > 0 ? "the only Dockerfiles are for tests, development or CI" : "no Dockerfile");
      return;
    }

    /** Base images whose pinning is known, and the build arguments that left the others open. */
    let judged = 0;
    const openArgs = new Set<string>();
    for (const dockerfile of dockerfiles) {
      // Global ARGs with an empty default (`ARG TAG=`): the build is meant to pass a value.
      const emptyArgs = new Set(
        dockerfile.instructions
          .filter((instruction) => instruction.stageIndex < 0 && instruction.keyword === "ARG")
          .flatMap((instruction) => instruction.properties.filter((property) => property.value === "").map((property) => property.name)),
      );
      dockerfile.stages.forEach((stage, index) => {
        const { from } = stage;
        const resolved = unquoted(from.image);
        if (from.raw === "" || from.stageRef !== undefined || resolved.toLowerCase() === "scratch") return;
        // `FROM base-${TARGETARCH}` after `FROM ... AS base-amd64`: an ARG picks one of the earlier stages.
        if (resolved.includes("$") && patternStageRef(resolved, dockerfile.stages.slice(0, index))) return;
        const image = resolved.replace(PLATFORM_ARG_REFERENCE, (_, braced: string | undefined, bare: string | undefined) => PLATFORM_ARGS[(braced ?? bare) as string] ?? "");
        const unresolved = from.unresolvedArgs.filter((name) => !(name in PLATFORM_ARGS));
        const emptyUsed = [...from.raw.matchAll(ARG_REFERENCE)].map((match) => (match[1] ?? match[2]) as string).filter((name) => emptyArgs.has(name));

        const reference = parseImageReference(image);
        const written = parseImageReference(resolved);
        let pinning: ImagePinning = reference ? imagePinning(reference) : "unknown";
        // `python:$TAG` with `ARG TAG=` reads `python:`: the value is meant to come from the build.
        if (emptyUsed.length > 0 && (pinning === "untagged" || pinning === "unknown" || reference === null)) pinning = "unknown";
        const shown = from.raw === resolved ? from.raw : `${from.raw} (${resolved})`;
        const report = (messageId: string, data: Record<string, string> = {}) =>
          context.report({ messageId, data: { image: shown, name: written ? imageName(written) : resolved, ...data }, file: dockerfile.path, at: from.location });

        // An ARG without a default (`FROM ${BASE_IMAGE}`) or a template placeholder leaves the image to whoever
        // builds: not reviewable here, so neither a finding nor a pass.
        if (pinning === "unknown") {
          for (const name of [...unresolved, ...emptyUsed]) openArgs.add(name);
          return;
        }
        judged++;
        if (pinning === "tag" && requireDigest) report("noDigest", { resolved });
        else if (pinning === "latest") report("latestTag");
        else if (pinning === "untagged") report("noTag");
      });
    }
    if (judged === 0 && openArgs.size > 0) {
      const names = [...openArgs];
      context.skip(
        `every base image comes from ${names.length === 1 ? "the build argument" : "the build arguments"} ${names.join(", ")} without a pinned default, so it is chosen outside this repository`,
      );
    } else if (judged === 0 && dockerfiles.some((dockerfile) => dockerfile.stages.some((stage) => hasPlaceholder(stage.from.image)))) {
      context.skip("every base image is a template placeholder, chosen outside this repository");
    }
  },
});
