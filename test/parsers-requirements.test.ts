import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parsePyproject } from "../src/parsers/pyproject.js";
import { normaliseName, parsePipInstallArguments, parseRequirements, parseRequirementText } from "../src/parsers/requirements.js";
import { REPO_ROOT } from "./helpers/fixtures.js";

const at = { line: 1, column: 1 };

function only(text: string) {
  const file = parseRequirements(text, "requirements.txt");
  expect(file.errors).toEqual([]);
  expect(file.requirements).toHaveLength(1);
  return file.requirements[0]!;
}

describe("parseRequirementText", () => {
  it.each([
    ["numpy==1.26.4", "numpy", [["==", "1.26.4"]]],
    ["pkg[a,b] >= 1 , < 2", "pkg", [[">=", "1"], ["<", "2"]]],
    ['numpy==1.26.4 ; python_version < "3.12"', "numpy", [["==", "1.26.4"]]],
    ["pkg (==1.0)", "pkg", [["==", "1.0"]]],
    ["torch==2.2.1+cpu", "torch", [["==", "2.2.1+cpu"]]],
    ["pkg===1.0-custom", "pkg", [["===", "1.0-custom"]]],
    ["pkg==1.*", "pkg", [["==", "1.*"]]],
    ["pkg==1!2.0", "pkg", [["==", "1!2.0"]]],
    ["zope.interface~=5.0", "zope.interface", [["~=", "5.0"]]],
    ["PyYAML", "PyYAML", []],
  ])("reads %s as a package", (text, name, specifiers) => {
    const requirement = parseRequirementText(text, at);
    expect(requirement).toMatchObject({ type: "package", name });
    expect("specifiers" in requirement && requirement.specifiers.map((s) => [s.operator, s.version])).toEqual(specifiers);
  });

  it.each([
    ["git+https://github.com/org/lib.git@main#egg=lib", "vcs", "lib"],
    ["lib @ git+https://github.com/org/lib.git@v1.0", "vcs", "lib"],
    ["lib@git+https://github.com/org/lib.git", "vcs", "lib"],
    ["lib @ https://example.com/lib-1.0-py3-none-any.whl", "url", "lib"],
    ["https://github.com/org/lib/archive/main.zip", "url", undefined],
    ["file:///opt/wheels/lib", "local", undefined],
    ["lib @ file:///${PROJECT_ROOT}/../lib", "local", "lib"],
    [".", "local", undefined],
    [".[dev]", "local", undefined],
    ["./pkg[all]", "local", undefined],
    ["../shared/metrics", "local", undefined],
    ["/abs/path.whl", "local", undefined],
    ["src/mypkg", "local", undefined],
    ["wheels/lib-1.0-py3-none-any.whl", "local", undefined],
    ["dist/lib-1.0.tar.gz", "local", undefined],
  ])("reads %s as %s", (text, type, name) => {
    const requirement = parseRequirementText(text, at);
    expect(requirement).toMatchObject({ type });
    expect("name" in requirement ? requirement.name : undefined).toBe(name);
  });

  it("rejects text pip would reject", () => {
    expect(parseRequirementText("numpy==", at)).toHaveProperty("error");
    expect(parseRequirementText("%%%", at)).toHaveProperty("error");
  });
});

describe("parseRequirements", () => {
  it("reads includes in every spelling", () => {
    const file = parseRequirements("-r base.txt\n--requirement=dev.txt\n-c constraints.txt\n--constraint c2.txt\n-rother.txt\n", "requirements.txt");
    expect(file.includes.map((include) => [include.type, include.target, include.location.line])).toEqual([
      ["requirements", "base.txt", 1],
      ["requirements", "dev.txt", 2],
      ["constraints", "constraints.txt", 3],
      ["constraints", "c2.txt", 4],
      ["requirements", "other.txt", 5],
    ]);
  });

  it("joins continuation lines and keeps hashes, reporting the first line", () => {
    const file = parseRequirements("# header\nnumpy==1.26.4 \\\n    --hash=sha256:aaa \\\n    --hash=sha256:bbb\npandas==2.2.1\n", "requirements.txt");
    expect(file.requirements.map((requirement) => [requirement.name, requirement.location.line, requirement.hashes.length])).toEqual([
      ["numpy", 2, 2],
      ["pandas", 5, 0],
    ]);
    expect(file.requirements[0]?.text).toBe("numpy==1.26.4");
  });

  it("ends a continuation at a comment line, as pip does", () => {
    const file = parseRequirements("numpy==1.26.4 \\\n# a comment\npandas==2.2.1\n", "requirements.txt");
    expect(file.requirements.map((requirement) => requirement.name)).toEqual(["numpy", "pandas"]);
  });

  it("ignores comments, blank lines and global options", () => {
    const file = parseRequirements("\n# only a comment\n--index-url https://pypi.org/simple\n--extra-index-url=https://x\n-f ./wheels\n--pre\nnumpy==1.0  # trailing comment\n", "requirements.txt");
    expect(file.errors).toEqual([]);
    expect(file.requirements.map((requirement) => requirement.name)).toEqual(["numpy"]);
  });

  it("reads editable requirements", () => {
    expect(only("-e .")).toMatchObject({ type: "local", editable: true });
    expect(only("-e .[dev]")).toMatchObject({ type: "local", editable: true });
    expect(only("--editable=git+https://github.com/org/lib.git@main#egg=lib")).toMatchObject({ type: "vcs", editable: true, name: "lib" });
  });

  it("does not report a line with a ${VARIABLE} that pip expands at install time", () => {
    const file = parseRequirements("${EXTRA_PACKAGE}\nlib==${LIB_VERSION}\ngit+https://${TOKEN}@github.com/org/lib.git@main#egg=lib\n", "requirements.txt");
    expect(file.errors).toEqual([]);
    expect(file.requirements.map((requirement) => requirement.type)).toEqual(["vcs"]);
  });

  it("reports a line pip would reject and reads the rest", () => {
    const file = parseRequirements("numpy==1.0\nthis is not a requirement\npandas==2.0\n", "requirements.txt");
    expect(file.errors.map((error) => error.location.line)).toEqual([2]);
    expect(file.requirements.map((requirement) => requirement.name)).toEqual(["numpy", "pandas"]);
  });
});

describe("parsePipInstallArguments", () => {
  const words = (text: string) => text.split(" ").map((word, index) => ({ text: word, location: { line: 1, column: index + 1 } }));

  it("separates requirements, includes, options and variables", () => {
    const parsed = parsePipInstallArguments(words("--no-cache-dir -i https://x -r requirements.txt --constraint=c.txt numpy==1.0 pandas $EXTRA torch==$TORCH -e . 2"));
    expect(parsed.requirements.map((requirement) => [requirement.type, requirement.name ?? requirement.url])).toEqual([
      ["package", "numpy"],
      ["package", "pandas"],
      ["local", "."],
    ]);
    expect(parsed.includes.map((include) => [include.type, include.target])).toEqual([
      ["requirements", "requirements.txt"],
      ["constraints", "c.txt"],
    ]);
    expect(parsed.options).toEqual(expect.arrayContaining(["--no-cache-dir", "-i", "-r", "--constraint", "--editable"]));
    expect(parsed.variables.map((word) => word.text)).toEqual(["$EXTRA", "torch==$TORCH"]);
  });

  it("skips the values of options that take one (pip and uv)", () => {
    const parsed = parsePipInstallArguments(words("--find-links /wheels --python /usr/bin/python3 --index-strategy unsafe-best-match -P numpy --no-index lightgbm"));
    expect(parsed.requirements.map((requirement) => requirement.name)).toEqual(["lightgbm"]);
    expect(parsed.options).toContain("--no-index");
  });

  it("reads uv's --requirements and attached -e", () => {
    const parsed = parsePipInstallArguments(words("--requirements requirements.txt -e./lib"));
    expect(parsed.includes.map((include) => include.target)).toEqual(["requirements.txt"]);
    expect(parsed.requirements).toMatchObject([{ type: "local", editable: true }]);
  });
});

describe("normaliseName", () => {
  it("follows PEP 503", () => {
    expect(normaliseName("Zope.Interface")).toBe("zope-interface");
    expect(normaliseName("typing__extensions")).toBe("typing-extensions");
  });
});

describe("parsePyproject", () => {
  it("locates [project] dependencies, including escaped ones", () => {
    const text = '[project]\nname = "x"\ndescription = "uses numpy"\ndependencies = [\n  "numpy>=1.26",\n  "tomli>=1.1.0; python_version < \\"3.11\\"",\n]\n';
    const pyproject = parsePyproject(text, "pyproject.toml");
    expect(pyproject.dependencies.map((dependency) => [dependency.name, dependency.location.line])).toEqual([
      ["numpy", 5],
      ["tomli", 6],
    ]);
  });

  it("reads Poetry versions, paths and git sources", () => {
    const text = [
      "[tool.poetry]",
      'name = "numpy-tools"',
      "[tool.poetry.dependencies]",
      'python = "^3.11"',
      'pandas = "2.2.1"',
      'numpy = "^1.26"',
      'shared = { path = "../shared", develop = true }',
      'lib = { git = "https://github.com/org/lib.git", branch = "main" }',
      "",
    ].join("\n");
    const pyproject = parsePyproject(text, "pyproject.toml");
    expect(pyproject.dependencies.map((dependency) => [dependency.name, dependency.type, dependency.location.line, dependency.specifiers[0]?.operator ?? null])).toEqual([
      ["pandas", "package", 5, "=="],
      ["numpy", "package", 6, "^1.26"],
      ["shared", "local", 7, null],
      ["lib", "vcs", 8, null],
    ]);
    expect(pyproject.dependencies[3]?.url).toBe("git+https://github.com/org/lib.git@main");
  });

  it("applies [tool.uv.sources] and reads the uv workspace", () => {
    const text = [
      "[project]",
      'name = "server"',
      'dependencies = ["kserve", "torch>=2", "lib"]',
      "[tool.uv.sources]",
      'kserve = { path = "../kserve", editable = true }',
      'torch = { index = "pytorch" }',
      'lib = { git = "https://github.com/org/lib", rev = "0123456789abcdef0123456789abcdef01234567" }',
      "[tool.uv.workspace]",
      'members = ["packages/*"]',
      "",
    ].join("\n");
    const pyproject = parsePyproject(text, "pyproject.toml");
    expect(pyproject.dependencies.map((dependency) => dependency.type)).toEqual(["local", "package", "vcs"]);
    expect(pyproject.uvWorkspaceMembers).toEqual(["packages/*"]);
  });
});

// Real-world requirements files: no line pip accepts may be reported as an error.
const CORPUS = path.resolve(REPO_ROOT, "..", "shared", "corpus");

function requirementsFilesUnder(folder: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) found.push(...requirementsFilesUnder(full));
    else if (/^(requirements|constraints)[^/]*\.txt$/i.test(entry.name)) found.push(full);
  }
  return found;
}

describe("requirements files of the real-world corpus", () => {
  if (!existsSync(CORPUS)) {
    it("are not present (../shared/corpus is missing): corpus requirements not parsed in this clone", () => {
      console.log("corpus requirements test not run: ../shared/corpus not found beside the checkout");
      expect(existsSync(CORPUS)).toBe(false);
    });
    return;
  }
  it("parse without errors", () => {
    const files = requirementsFilesUnder(CORPUS);
    expect(files.length).toBeGreaterThan(0);
    const errors = files.flatMap((file) =>
      parseRequirements(readFileSync(file, "utf8").replace(/\r\n?/g, "\n"), file).errors.map((error) => `${path.relative(CORPUS, file)}:${error.location.line} ${error.message}`),
    );
    expect(errors).toEqual([]);
  });
});
