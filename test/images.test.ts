import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  canonicalImageName,
  formatImageReference,
  hasPlaceholder,
  imageName,
  imagePinning,
  isDigest,
  isPinnedImage,
  parseImageReference,
  type ImagePinning,
  type ImageReference,
} from "../src/images.js";
import { parseDockerfile } from "../src/parsers/dockerfile.js";

const SHA = "sha256:d29f48a31a8b408ed19272ca1e7b10ebae13b240a27e862d3d4217c528e2e0c3";

describe("parseImageReference", () => {
  it.each<[string, ImageReference]>([
    ["python", { repository: "python" }],
    ["python:3.11.9-slim", { repository: "python", tag: "3.11.9-slim" }],
    ["kserve/sklearnserver:v0.13.0", { repository: "kserve/sklearnserver", tag: "v0.13.0" }],
    ["gcr.io/distroless/static-debian12:nonroot", { registry: "gcr.io", repository: "distroless/static-debian12", tag: "nonroot" }],
    // The port of a registry is no tag.
    ["localhost:5000/model", { registry: "localhost:5000", repository: "model" }],
    ["localhost:5000/team/model:1.2.0", { registry: "localhost:5000", repository: "team/model", tag: "1.2.0" }],
    ["registry.example.com:5000/ml/runtime", { registry: "registry.example.com:5000", repository: "ml/runtime" }],
    ["localhost/model:2", { registry: "localhost", repository: "model", tag: "2" }],
    ["[::1]:5000/model:2", { registry: "[::1]:5000", repository: "model", tag: "2" }],
    // Docker takes a first component with an upper-case letter for a registry host.
    ["Registry/model", { registry: "Registry", repository: "model" }],
    [`python@${SHA}`, { repository: "python", digest: SHA }],
    [`python:3.11-slim@${SHA}`, { repository: "python", tag: "3.11-slim", digest: SHA }],
    [`localhost:5000/model@${SHA}`, { registry: "localhost:5000", repository: "model", digest: SHA }],
    ["python:", { repository: "python", tag: "" }],
    ["  python:3.12  ", { repository: "python", tag: "3.12" }],
  ])("%s", (text, expected) => {
    expect(parseImageReference(text)).toEqual(expected);
  });

  it.each<[string, ImageReference]>([
    ["${REGISTRY}/python:3.11", { registry: "${REGISTRY}", repository: "python", tag: "3.11" }],
    ["$REGISTRY/team/app", { registry: "$REGISTRY", repository: "team/app" }],
    ["python:${PYTHON_VERSION:-3.11}-slim", { repository: "python", tag: "${PYTHON_VERSION:-3.11}-slim" }],
    ["${IMAGE}", { repository: "${IMAGE}" }],
    ["${IMAGE}:${TAG}", { repository: "${IMAGE}", tag: "${TAG}" }],
    ["{{ .Values.image.repository }}:{{ .Values.image.tag }}", { repository: "{{ .Values.image.repository }}", tag: "{{ .Values.image.tag }}" }],
    ["$(IMAGE_REGISTRY)/model:$(IMAGE_TAG)", { registry: "$(IMAGE_REGISTRY)", repository: "model", tag: "$(IMAGE_TAG)" }],
  ])("keeps placeholders whole: %s", (text, expected) => {
    expect(parseImageReference(text)).toEqual(expected);
  });

  it.each(["", "   ", "python 3.11", "ko://github.com/acme/cmd/server", "docker://python:3.11", ":3.11", "@sha256:abc"])(
    "%j is no reference",
    (text) => {
      expect(parseImageReference(text)).toBeNull();
    },
  );
});

describe("imagePinning", () => {
  it.each<[string, ImagePinning]>([
    ["python", "untagged"],
    ["localhost:5000/model", "untagged"],
    ["python:", "untagged"],
    ["python:latest", "latest"],
    ["localhost:5000/model:latest", "latest"],
    ["python:3", "tag"],
    ["python:3.11.9-slim-bookworm", "tag"],
    ["localhost:5000/model:1.2.0", "tag"],
    // `LATEST` is another tag than `latest` (tags are case-sensitive), and `latest-rust-1.85` names a version.
    ["python:LATEST", "tag"],
    ["lukemathwalker/cargo-chef:latest-rust-1.85.1", "tag"],
    [`python@${SHA}`, "digest"],
    [`python:latest@${SHA}`, "digest"],
    // A malformed digest does not pin; the tag is judged instead.
    ["python@sha256:abc123", "untagged"],
    ["python:3.11@sha256:abc123", "tag"],
    // Placeholders.
    ["${IMAGE}", "unknown"],
    ["model${SUFFIX}", "unknown"],
    ["python:${TAG}", "unknown"],
    ["python:${TAG}${VARIANT}", "unknown"],
    ["python@${DIGEST}", "unknown"],
    ["{{ .Values.image }}", "unknown"],
    ["${REGISTRY}/python", "untagged"],
    ["${REGISTRY}/python:latest", "latest"],
    ["${REGISTRY}/python:3.11", "tag"],
    ["python:3.11-${VARIANT}", "tag"],
    ["vault.habana.ai/gaudi-docker/${HABANA_VERSION}/ubuntu22.04/pytorch-installer:latest", "latest"],
  ])("%s is %s", (text, expected) => {
    const reference = parseImageReference(text);
    expect(reference).not.toBeNull();
    expect(imagePinning(reference as ImageReference)).toBe(expected);
  });
});

describe("isPinnedImage", () => {
  it("accepts an explicit non-latest tag or a digest", () => {
    expect(isPinnedImage("python:3.11.9-slim")).toBe(true);
    expect(isPinnedImage(`python@${SHA}`)).toBe(true);
    expect(isPinnedImage("python")).toBe(false);
    expect(isPinnedImage("python:latest")).toBe(false);
    expect(isPinnedImage("python:${TAG}")).toBe(false);
    expect(isPinnedImage("ko://github.com/acme/cmd")).toBe(false);
  });

  it("accepts only a digest with requireDigest", () => {
    expect(isPinnedImage("python:3.11.9-slim", { requireDigest: true })).toBe(false);
    expect(isPinnedImage(`python:3.11.9-slim@${SHA}`, { requireDigest: true })).toBe(true);
    expect(isPinnedImage(parseImageReference(`localhost:5000/model@${SHA}`) as ImageReference, { requireDigest: true })).toBe(true);
  });
});

describe("names", () => {
  it.each([
    ["python:3.11", "python", "docker.io/library/python"],
    ["library/python", "library/python", "docker.io/library/python"],
    ["kserve/sklearnserver:v0.13.0", "kserve/sklearnserver", "docker.io/kserve/sklearnserver"],
    ["docker.io/python", "docker.io/python", "docker.io/library/python"],
    ["index.docker.io/kserve/agent", "index.docker.io/kserve/agent", "docker.io/kserve/agent"],
    ["localhost:5000/model:1", "localhost:5000/model", "localhost:5000/model"],
    [`gcr.io/distroless/static@${SHA}`, "gcr.io/distroless/static", "gcr.io/distroless/static"],
  ])("%s is named %s, canonically %s", (text, name, canonical) => {
    const reference = parseImageReference(text) as ImageReference;
    expect(imageName(reference)).toBe(name);
    expect(canonicalImageName(reference)).toBe(canonical);
  });
});

describe("helpers", () => {
  it("recognises digests", () => {
    expect(isDigest(SHA)).toBe(true);
    expect(isDigest(`sha512:${"a".repeat(128)}`)).toBe(true);
    expect(isDigest("sha256:abc")).toBe(false);
    expect(isDigest("latest")).toBe(false);
  });

  it("recognises placeholders", () => {
    expect(hasPlaceholder("python:${TAG}")).toBe(true);
    expect(hasPlaceholder("$IMAGE")).toBe(true);
    expect(hasPlaceholder("$(IMAGE)")).toBe(true);
    expect(hasPlaceholder("{{ .Values.image }}")).toBe(true);
    expect(hasPlaceholder("python:3.11")).toBe(false);
    expect(hasPlaceholder("price$")).toBe(false);
  });

  it("writes a parsed reference back as it was written", () => {
    const component = fc.stringMatching(/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/);
    const registry = fc.oneof(
      fc.constant(undefined),
      fc.constantFrom("gcr.io", "localhost", "localhost:5000", "registry.example.com:443", "123456789.dkr.ecr.eu-west-1.amazonaws.com"),
    );
    const tag = fc.oneof(fc.constant(undefined), fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/));
    const digest = fc.oneof(fc.constant(undefined), fc.constant(SHA));
    fc.assert(
      fc.property(registry, fc.array(component, { minLength: 1, maxLength: 3 }), tag, digest, (host, path, tagText, digestText) => {
        const text = `${host ? `${host}/` : ""}${path.join("/")}${tagText !== undefined ? `:${tagText}` : ""}${digestText ? `@${digestText}` : ""}`;
        const reference = parseImageReference(text) as ImageReference;
        expect(formatImageReference(reference)).toBe(text);
        expect(reference.tag).toBe(tagText);
        expect(reference.digest).toBe(digestText);
        expect(imageName(reference)).toBe(`${host ? `${host}/` : ""}${path.join("/")}`);
        // Without a host, a first component with no `.` stays part of the repository (Docker Hub).
        if (!host && !(path.length > 1 && path[0]?.includes("."))) expect(reference.registry).toBeUndefined();
        if (host) expect(reference.registry).toBe(host);
      }),
    );
  });
});

describe("Dockerfile FROM resolution", () => {
  it("expands ARG defaults with the ARGs declared before them, and lists the ARGs without a value", () => {
    const dockerfile = parseDockerfile(
      [
        "ARG PYTHON_VERSION=3.11.9",
        "ARG BASE_IMAGE=python:${PYTHON_VERSION}-slim",
        "ARG TAG",
        "ARG RUNTIME=registry.example.com/runtime:${TAG}",
        "FROM ${BASE_IMAGE} AS build",
        "FROM ${RUNTIME}",
      ].join("\n"),
      "Dockerfile",
    );
    expect(dockerfile.stages.map((stage) => [stage.from.image, stage.from.unresolvedArgs])).toEqual([
      ["python:3.11.9-slim", []],
      ["registry.example.com/runtime:${TAG}", ["TAG"]],
    ]);
  });
});
