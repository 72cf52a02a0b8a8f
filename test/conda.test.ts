import { describe, expect, it } from "vitest";
import { condaEnvironmentOf, parseCondaSpec } from "../src/parsers/conda.js";
import { parseYaml } from "../src/parsers/yaml.js";
import { isCondaPin } from "../src/pinning.js";

describe("parseCondaSpec", () => {
  it.each([
    ["numpy", { name: "numpy", operator: "", version: "" }],
    ["numpy=1.26.4", { name: "numpy", operator: "=", version: "1.26.4" }],
    ["numpy==1.26.4", { name: "numpy", operator: "==", version: "1.26.4" }],
    ["numpy=1.26.4=py311h64a7726_0", { name: "numpy", operator: "=", version: "1.26.4", build: "py311h64a7726_0" }],
    ["numpy 1.26.4 py311_0", { name: "numpy", operator: "==", version: "1.26.4", build: "py311_0" }],
    ["numpy >=1.26,<2", { name: "numpy", operator: ">=", version: "1.26,<2" }],
    ["conda-forge::lightgbm=4.3.0", { name: "lightgbm", channel: "conda-forge", operator: "=", version: "4.3.0" }],
    ["pytorch/label/nightly::pytorch", { name: "pytorch", channel: "pytorch/label/nightly", operator: "", version: "" }],
    ["numpy[version='>=1.26']", { name: "numpy", operator: ">=", version: "1.26" }],
    ["numpy[version='1.26.4', build=py311*]", { name: "numpy", operator: "=", version: "1.26.4", build: "py311*" }],
  ])("reads %s", (written, expected) => {
    expect(parseCondaSpec(written)).toEqual({ ...expected, text: written });
  });

  it("returns null for text that is no spec", () => {
    expect(parseCondaSpec("")).toBeNull();
    expect(parseCondaSpec("=1.2")).toBeNull();
  });
});

describe("isCondaPin", () => {
  const pinned = (written: string) => isCondaPin(parseCondaSpec(written)!);
  it.each(["numpy==1.26.4", "numpy=1.26.4", "numpy 1.26.4", "numpy=1.26=py311_0", "numpy=1.26.4=py311*", "tzdata=2024a", "python=3.11", "python=3.11.8", "pytorch-cuda=12.1", "cuda-version=12.2"])(
    "%s names one release",
    (written) => expect(pinned(written)).toBe(true),
  );
  it.each(["numpy", "numpy=1.26", "numpy=1.26.*", "numpy>=1.26", "numpy=1.26.4|1.26.3", "numpy=1.26=py311*", "python", "python>=3.10"])(
    "%s does not",
    (written) => expect(pinned(written)).toBe(false),
  );
});

describe("condaEnvironmentOf", () => {
  const text = [
    "name: scorer", // 1
    "channels:",
    "  - conda-forge",
    "dependencies:",
    "  - python=3.11", // 5
    "  - numpy=1.26.4",
    "  - pip",
    "  - pip:",
    "      - -r requirements-serving.txt",
    "      - mlflow==2.11.1", // 10
    "      - ./vendor/features-0.4.0-py3-none-any.whl",
    "  - {bad: entry}",
    "",
  ].join("\n");

  it("reads conda specs and the pip: list with the line of each entry", () => {
    const document = parseYaml(text).documents[0]!;
    const environment = condaEnvironmentOf(document, "env/environment.yml")!;
    expect(environment.channels).toEqual(["conda-forge"]);
    expect(environment.dependencies.map((dependency) => [dependency.spec.name, dependency.location.line])).toEqual([
      ["python", 5],
      ["numpy", 6],
      ["pip", 7],
    ]);
    expect(environment.pip?.includes.map((include) => [include.type, include.target, include.location.line])).toEqual([["requirements", "requirements-serving.txt", 9]]);
    expect(environment.pip?.requirements.map((requirement) => [requirement.type, requirement.name ?? null, requirement.location.line])).toEqual([
      ["package", "mlflow", 10],
      ["local", null, 11],
    ]);
  });

  it("is null for YAML that is not an environment", () => {
    expect(condaEnvironmentOf(parseYaml("name: x\nchannels: [defaults]\n").documents[0]!, "environment.yml")).toBeNull();
    expect(condaEnvironmentOf(parseYaml("- a\n- b\n").documents[0]!, "environment.yml")).toBeNull();
  });
});
