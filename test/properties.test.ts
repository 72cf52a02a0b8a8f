// Property-based tests of every parser in src/parsers/ (issue 8, Reliability): on mutated real files
// (fixtures/, examples/, ../shared/corpus/), arbitrary text and arbitrary bytes, a parser returns a
// model whose locations are inside the file, or throws the one syntax error it documents (which
// src/project.ts turns into a parse-error finding). Any other exception is a bug in the parser.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { condaEnvironmentOf, parseCondaSpec } from "../src/parsers/conda.js";
import { DockerfileSyntaxError, parseDockerfile } from "../src/parsers/dockerfile.js";
import { parseKubernetes } from "../src/parsers/kubernetes.js";
import { parseMakefile } from "../src/parsers/makefile.js";
import { parseMarkdown } from "../src/parsers/markdown.js";
import { MlmodelSyntaxError, parseMlmodel } from "../src/parsers/mlmodel.js";
import { parsePipfile } from "../src/parsers/pipfile.js";
import { parsePyproject } from "../src/parsers/pyproject.js";
import { MAX_INVALID_REQUIREMENT_LINES, parsePipInstallArguments, parseRequirements } from "../src/parsers/requirements.js";
import { commandWords, parseShellScript } from "../src/parsers/shell.js";
import { loadSmolToml } from "../src/parsers/toml.js";
import { decodeText, LineIndex } from "../src/parsers/text.js";
import { parseYaml, type ObjectPath, type YamlDocument } from "../src/parsers/yaml.js";
import { CORPUS_PRESENT, SEED, inputs, lenientText, render, samples, type Sample } from "./properties-helpers.js";

/** The error class the TOML parsers throw (smol-toml as mlready loads it). */
const { TomlError } = loadSmolToml();

/** Runs per parser: bounded so that the file stays well under 30 s on a 2-core machine (MLREADY_PROPERTY_RUNS to explore). */
const NUM_RUNS = Number(process.env["MLREADY_PROPERTY_RUNS"] ?? 100);

/** The text src/project.ts hands a parser: decoded (binary files never get here), newlines normalised, BOM removed. */
function asProjectReads(bytes: Uint8Array): string | null {
  const decoded = decodeText(bytes);
  if (!decoded.ok) return null;
  return decoded.text.startsWith("\uFEFF") ? decoded.text.slice(1) : decoded.text;
}

/** Every `{ line, column }` in the model is 1-based and inside the text (an end may sit just past the last line). */
function badLocations(model: unknown, text: string): string[] {
  const lineCount = text.split("\n").length;
  const problems: string[] = [];
  const seen = new Set<object>();
  const stack: { value: unknown; at: string }[] = [{ value: model, at: "$" }];
  while (stack.length > 0 && problems.length < 5) {
    const { value, at } = stack.pop() as { value: unknown; at: string };
    if (typeof value !== "object" || value === null || seen.has(value)) continue;
    seen.add(value);
    const record = value as Record<string, unknown>;
    if (typeof record["line"] === "number" && typeof record["column"] === "number") {
      const { line, column } = record as { line: number; column: number };
      if (!Number.isInteger(line) || line < 1 || line > lineCount || !Number.isInteger(column) || column < 1) {
        problems.push(`${at}: line ${line}, column ${column} (the text has ${lineCount} lines)`);
      }
      const endLine = record["endLine"];
      if (typeof endLine === "number" && (endLine < line || endLine > lineCount + 1)) problems.push(`${at}: endLine ${endLine} before line ${line} or past the end`);
    }
    // Parsed YAML values (`value`, `metadata`) hold the file's data, not locations.
    for (const [key, child] of Object.entries(record)) if (key !== "value" && key !== "metadata") stack.push({ value: child, at: `${at}.${key}` });
  }
  return problems;
}

/** Exercises a document's locators on paths that exist and paths that do not. */
function locateEverywhere(document: YamlDocument | { locate: YamlDocument["locate"]; locateKey?: YamlDocument["locateKey"]; value: unknown }): unknown[] {
  const paths: ObjectPath[] = [[], ["spec"], ["spec", "template", "spec", "containers", 0, "image"], [0], ["missing", 3]];
  const value = document.value;
  if (value && typeof value === "object") {
    for (const key of Object.keys(value).slice(0, 5)) paths.push([Array.isArray(value) ? Number(key) : key]);
  }
  return paths.flatMap((objectPath) => [document.locate(objectPath), ...(document.locateKey ? [document.locateKey(objectPath)] : [])]);
}

interface ParserCase {
  name: string;
  /** Real files of this kind to mutate. */
  pool: Sample[];
  parse(text: string): unknown;
  /** The syntax errors the parser documents; project.ts reports them as parse-error findings. */
  rejects: (new (...args: never[]) => Error)[];
  /** Fewer runs for a parser whose library is slow on large inputs (micromark: about 1 ms a line). */
  runs?: number;
}

const isDockerfile = (file: string) => /(^|\/)(Dockerfile|Containerfile)([.-][^/]*)?$|\.(dockerfile|containerfile)$/i.test(file);
const isYaml = (file: string) => /\.ya?ml$/i.test(file);

const CASES: ParserCase[] = [
  { name: "dockerfile", pool: samples(isDockerfile), parse: (text) => parseDockerfile(text, "Dockerfile"), rejects: [DockerfileSyntaxError] },
  {
    name: "requirements",
    pool: samples((file) => /(^|\/)(requirements|constraints)[^/]*\.(txt|in)$/i.test(file)),
    parse: (text) => {
      const file = parseRequirements(text, "requirements.txt");
      // The same parser reads `pip install` arguments in Dockerfiles and scripts.
      const words = text.split(/\s+/).filter(Boolean).slice(0, 200).map((word, index) => ({ text: word, location: { line: 1, column: index + 1 } }));
      return { file, install: parsePipInstallArguments(words) };
    },
    rejects: [],
  },
  { name: "pyproject", pool: samples((file) => /(^|\/)pyproject\.toml$/.test(file)), parse: (text) => parsePyproject(text, "pyproject.toml"), rejects: [TomlError] },
  {
    name: "yaml",
    pool: samples(isYaml),
    parse: (text) => {
      const file = parseYaml(text);
      return { file, located: file.documents.flatMap(locateEverywhere) };
    },
    rejects: [],
  },
  {
    name: "kubernetes",
    pool: samples((file) => isYaml(file) && /(k8s|kube|deploy|manifest|config|chart|templates)/i.test(file)),
    parse: (text) => {
      const file = parseKubernetes(text, "deploy.yaml");
      return { file, located: file.objects.flatMap(locateEverywhere) };
    },
    rejects: [],
  },
  { name: "markdown", pool: samples((file) => /\.(md|markdown)$/i.test(file)), parse: (text) => parseMarkdown(text, "README.md"), rejects: [], runs: Math.ceil(NUM_RUNS / 2) },
  {
    name: "shell",
    pool: samples((file) => /\.(sh|bash)$/i.test(file)),
    parse: (text) => {
      const script = parseShellScript(text, "rollback.sh");
      return { script, words: script.commands.map(commandWords) };
    },
    rejects: [],
  },
  { name: "makefile", pool: samples((file) => /(^|\/)(Makefile|GNUmakefile|[^/]+\.mk)$/i.test(file)), parse: (text) => parseMakefile(text, "Makefile"), rejects: [] },
  { name: "mlmodel", pool: samples((file) => /(^|\/)MLmodel$/.test(file)), parse: (text) => parseMlmodel(text, "model/MLmodel"), rejects: [MlmodelSyntaxError] },
  {
    name: "conda",
    pool: samples((file) => /(^|\/)(environment|conda|conda[-_]env[^/]*)\.ya?ml$/i.test(file)),
    parse: (text) => ({
      environments: parseYaml(text).documents.map((document) => condaEnvironmentOf(document, "environment.yml")),
      specs: text.split("\n").slice(0, 200).map(parseCondaSpec),
    }),
    rejects: [],
  },
  { name: "pipfile", pool: samples((file) => /(^|\/)Pipfile$/.test(file)), parse: (text) => parsePipfile(text, "Pipfile"), rejects: [TomlError] },
];

function expectParsesOrRejects(parserCase: ParserCase, text: string, checkLocations: boolean): void {
  let model: unknown;
  try {
    model = parserCase.parse(text);
  } catch (error) {
    const documented = parserCase.rejects.some((errorClass) => error instanceof errorClass);
    if (!documented) throw new Error(`${parserCase.name} parser threw an undocumented ${(error as Error)?.constructor?.name ?? typeof error}: ${String((error as Error)?.message ?? error).slice(0, 300)}`);
    return;
  }
  if (checkLocations) expect(badLocations(model, text)).toEqual([]);
}

describe("every parser survives broken input (property-based, fixed seed)", () => {
  it(`samples real files from fixtures/ and examples/${CORPUS_PRESENT ? " and ../shared/corpus/" : " (../shared/corpus/ is missing here, so no corpus files)"}`, () => {
    for (const parserCase of CASES) expect(parserCase.pool.length, parserCase.name).toBeGreaterThan(0);
  });

  for (const parserCase of CASES) {
    it(`${parserCase.name}: returns a model with in-file locations or throws its documented syntax error`, () => {
      fc.assert(
        fc.property(inputs(parserCase.pool), (input) => {
          const bytes = render(input, parserCase.pool);
          // As the parser would get it from project.ts, locations checked...
          const text = asProjectReads(bytes);
          if (text !== null) expectParsesOrRejects(parserCase, text, true);
          // ...and raw, with CR, BOM and NUL bytes left in: still no crash.
          expectParsesOrRejects(parserCase, lenientText(bytes), false);
        }),
        { numRuns: parserCase.runs ?? NUM_RUNS, seed: SEED },
      );
    }, 120_000);
  }

  it("text: decoding arbitrary bytes never throws, and line positions stay inside the text", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.nat(), (bytes, offset) => {
        const decoded = decodeText(bytes);
        if (!decoded.ok) {
          expect(bytes.subarray(0, 8192).includes(0)).toBe(true);
          return;
        }
        expect(decoded.text).not.toMatch(/\r/);
        const index = new LineIndex(decoded.text);
        const position = index.position(offset % (decoded.text.length + 1));
        expect(position.line).toBeGreaterThanOrEqual(1);
        expect(position.line).toBeLessThanOrEqual(decoded.text.split("\n").length);
        expect(position.column).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 200, seed: SEED },
    );
  });
});

describe("regressions found by the property tests", () => {
  it("requirements: a line with 200,000 spaces inside is judged in linear time (no regex backtracking)", () => {
    // Before: `\s*,?\s*` and `\s*(?:\[...\])?\s*` backtracked quadratically, about 50 s for this line.
    const file = parseRequirements(`mlflow==2.${" ".repeat(200_000)}9.2\nnumpy==1.26.4\n`, "requirements.txt");
    expect(file.errors.map((error) => error.location.line)).toEqual([1]);
    expect(file.requirements.map((requirement) => requirement.name)).toEqual(["numpy"]);
  });

  it(`requirements: a file that is not one stops after ${MAX_INVALID_REQUIREMENT_LINES} invalid lines with one error saying so`, () => {
    const lines = Array.from({ length: 5000 }, (_, index) => `key${index}: value`);
    const file = parseRequirements(`flask==3.0.0\n${lines.join("\n")}\n`, "requirements.txt");
    expect(file.errors).toHaveLength(MAX_INVALID_REQUIREMENT_LINES + 1);
    expect(file.errors.at(-1)).toEqual({ message: expect.stringMatching(/^not read from this line on/), location: { line: MAX_INVALID_REQUIREMENT_LINES + 2, column: 1 } });
    expect(file.requirements.map((requirement) => requirement.name)).toEqual(["flask"]);
  });

  it("pipfile and pyproject: a 40,000-character package name is located, not a RegExp 'too large' crash", () => {
    const name = `p${"x".repeat(40_000)}`;
    const pipfile = parsePipfile(`[packages]\nflask = "==3.0.0"\n${name} = "*"\n`, "Pipfile");
    expect(pipfile.packages.map((requirement) => [requirement.name?.length, requirement.location.line])).toEqual([[5, 2], [name.length, 3]]);
    const pyproject = parsePyproject(`[tool.poetry.dependencies]\npython = "^3.11"\n"${name}" = "1.0"\n`, "pyproject.toml");
    expect(pyproject.dependencies.map((requirement) => requirement.location)).toEqual([{ line: 3, column: 1 }]);
  });

  it("dockerfile: a heredoc with a 40,000-character delimiter is read, not a RegExp 'too large' crash", () => {
    const delimiter = `E${"O".repeat(40_000)}F`;
    const dockerfile = parseDockerfile(`FROM python:3.12-slim\nRUN <<${delimiter}\npip install flask==3.0.0\n${delimiter}\nUSER app\n`, "Dockerfile");
    const run = dockerfile.instructions.find((instruction) => instruction.keyword === "RUN");
    expect(run?.commands.map((command) => command.words.map((word) => word.text).join(" "))).toEqual(["pip install flask==3.0.0"]);
    expect(run?.commands[0]?.location.line).toBe(3);
  });
});
