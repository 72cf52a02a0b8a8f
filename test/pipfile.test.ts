import { describe, expect, it } from "vitest";
import { parsePipfile } from "../src/parsers/pipfile.js";
import { isExactPin } from "../src/pinning.js";

const PIPFILE = [
  "[[source]]", // 1
  'url = "https://pypi.org/simple"',
  "verify_ssl = true",
  'name = "pypi"',
  "", // 5
  "[packages]",
  'fastapi = "==0.110.0"',
  'requests = "*"',
  'numpy = ">=1.26,<2"',
  'pandas = {version = "==2.2.1", extras = ["performance"]}', // 10
  'scorer = {path = "./libs/scorer", editable = true}',
  'features = {git = "https://github.com/acme/features.git", ref = "0d1f6c1b9e8a7f6e5d4c3b2a1908f7e6d5c4b3a2"}',
  'wheel-lib = {file = "https://files.example.com/wheel_lib-1.0.0-py3-none-any.whl"}',
  '"zope.interface" = "===6.2"',
  'httpx = "0.27.0"', // 15
  "",
  "[dev-packages]",
  'pytest = "*"',
  "",
  "[requires]",
  'python_version = "3.11"',
  "",
].join("\n");

describe("parsePipfile", () => {
  const pipfile = parsePipfile(PIPFILE, "Pipfile");

  it("reads [packages] with the line of each entry and the entry as written", () => {
    expect(pipfile.path).toBe("Pipfile");
    expect(pipfile.packages.map((requirement) => [requirement.name, requirement.type, requirement.location.line])).toEqual([
      ["fastapi", "package", 7],
      ["requests", "package", 8],
      ["numpy", "package", 9],
      ["pandas", "package", 10],
      ["scorer", "local", 11],
      ["features", "vcs", 12],
      ["wheel-lib", "url", 13],
      ["zope.interface", "package", 14],
      ["httpx", "package", 15],
    ]);
    expect(pipfile.packages[1]?.text).toBe('requests = "*"');
  });

  it("knows which entries are exact pins", () => {
    const pins = Object.fromEntries(pipfile.packages.filter((requirement) => requirement.type === "package").map((requirement) => [requirement.name, isExactPin(requirement)]));
    // A bare version is not a pin for pipenv: it installs the newest release (pypa/pipenv#4971).
    expect(pins).toEqual({ fastapi: true, requests: false, numpy: false, pandas: true, "zope.interface": true, httpx: false });
  });

  it("reads sources: editable paths, git refs and file URLs", () => {
    const byName = new Map(pipfile.packages.map((requirement) => [requirement.name, requirement]));
    expect(byName.get("scorer")).toMatchObject({ url: "./libs/scorer", editable: true });
    expect(byName.get("features")?.url).toBe("git+https://github.com/acme/features.git@0d1f6c1b9e8a7f6e5d4c3b2a1908f7e6d5c4b3a2");
    expect(byName.get("wheel-lib")?.url).toBe("https://files.example.com/wheel_lib-1.0.0-py3-none-any.whl");
  });

  it("keeps [dev-packages] apart", () => {
    expect(pipfile.devPackages.map((requirement) => [requirement.name, requirement.location.line])).toEqual([["pytest", 18]]);
  });

  it("reads a Pipfile without packages", () => {
    expect(parsePipfile('[requires]\npython_version = "3.11"\n', "svc/Pipfile")).toEqual({ path: "svc/Pipfile", packages: [], devPackages: [] });
  });

  it("throws on TOML that does not parse", () => {
    expect(() => parsePipfile("[packages\nx = 1", "Pipfile")).toThrow();
  });
});
