import { describe, expect, it } from "vitest";
import { locateKey, parsePyproject, sourceTable } from "../src/parsers/pyproject.js";
import { LineIndex } from "../src/parsers/text.js";

describe("parsePyproject: package or application", () => {
  it.each([
    ['[project]\nname = "app"\ndependencies = ["fastapi>=0.110"]\n', false],
    ['[project]\nname = "lib"\n[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n', true],
    ['[tool.poetry]\nname = "svc"\npackage-mode = false\n[build-system]\nrequires = ["poetry-core"]\n', false],
    ['[project]\nname = "svc"\n[tool.uv]\npackage = false\n[build-system]\nrequires = ["hatchling"]\n', false],
    ['[project]\nname = "svc"\n[tool.pdm]\ndistribution = false\n[build-system]\nrequires = ["pdm-backend"]\n', false],
  ])("%j is a package: %s", (text, isPackage) => {
    expect(parsePyproject(text, "pyproject.toml").isPackage).toBe(isPackage);
  });
});

describe("parsePyproject: Poetry tables", () => {
  it("reads git tags, URLs and file paths as sources, with git+ prefixes not doubled", () => {
    const text = [
      "[tool.poetry.dependencies]",
      'python = "^3.11"',
      'lib = { git = "git+https://github.com/org/lib.git", tag = "v1.2.0" }',
      'wheel = { url = "https://files.example.com/wheel-1.0.0-py3-none-any.whl" }',
      'local = { url = "file:///opt/wheels/local-1.0.0-py3-none-any.whl" }',
      'tuned = { version = ">=2.1", extras = ["gpu"] }',
      "",
    ].join("\n");
    const dependencies = parsePyproject(text, "pyproject.toml").dependencies;
    expect(dependencies.map((dependency) => [dependency.name, dependency.type, dependency.url ?? null, dependency.location.line])).toEqual([
      ["lib", "vcs", "git+https://github.com/org/lib.git@v1.2.0", 3],
      ["wheel", "url", "https://files.example.com/wheel-1.0.0-py3-none-any.whl", 4],
      ["local", "local", "file:///opt/wheels/local-1.0.0-py3-none-any.whl", 5],
      ["tuned", "package", null, 6],
    ]);
    expect(dependencies[3]?.specifiers).toEqual([{ operator: ">=2.1", version: "" }]);
  });
});

describe("locateKey", () => {
  it("finds bare and quoted keys from the table's header on", () => {
    const text = '[tool.poetry]\ndescription = "numpy helpers"\n[tool.poetry.dependencies]\n  numpy = "^1.26"\n"zope.interface" = "6.2"\n';
    const index = new LineIndex(text);
    const start = text.indexOf("[tool.poetry.dependencies]");
    expect(locateKey(text, index, start, "numpy")).toEqual({ line: 4, column: 3 });
    expect(locateKey(text, index, start, "zope.interface")).toEqual({ line: 5, column: 1 });
    expect(locateKey(text, index, start, "pandas")).toBeNull();
  });
});

describe("sourceTable", () => {
  const at = { line: 3, column: 1 };
  const poetry = { refKeys: ["rev", "tag", "branch"], urlKey: "url", editableKey: "develop" };
  it("is null for a version table and for a plain version", () => {
    expect(sourceTable("numpy", { version: "^1.26" }, at, poetry)).toBeNull();
    expect(sourceTable("numpy", undefined, at, poetry)).toBeNull();
  });
  it("reads a git source without a ref as the default branch", () => {
    expect(sourceTable("lib", { git: "https://github.com/org/lib.git" }, at, poetry)).toMatchObject({ type: "vcs", url: "git+https://github.com/org/lib.git" });
  });
  it("reads an editable path", () => {
    expect(sourceTable("shared", { path: "../shared", develop: true }, at, poetry)).toMatchObject({ type: "local", editable: true, url: "../shared" });
  });
});
