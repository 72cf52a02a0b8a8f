#!/usr/bin/env node
// The floor mlready is measured against: glob the tree once, read every file, and parse each file that
// mlready would parse with the same parser mlready uses (every YAML file fully, with no sniffing).
// No rule, no config, no report. Run as a child process by bench/run.mjs so that start-up counts.
// Usage: node bench/floor.mjs <folder>   (prints one JSON line: files read, files parsed)
import { readFileSync } from "node:fs";
import path from "node:path";
import fg from "fast-glob";
import { parseDockerfile } from "../dist/parsers/dockerfile.js";
import { parseMakefile } from "../dist/parsers/makefile.js";
import { parseMarkdown } from "../dist/parsers/markdown.js";
import { parseMlmodel } from "../dist/parsers/mlmodel.js";
import { parsePipfile } from "../dist/parsers/pipfile.js";
import { parsePyproject } from "../dist/parsers/pyproject.js";
import { parseRequirements } from "../dist/parsers/requirements.js";
import { parseShellScript } from "../dist/parsers/shell.js";
import { decodeText } from "../dist/parsers/text.js";
import { parseYaml } from "../dist/parsers/yaml.js";

const MAX_FILE_SIZE = 2 * 1024 * 1024;

/** The parser mlready applies to a file of this name, or undefined when mlready only lists it. */
function parserFor(file) {
  const name = path.posix.basename(file);
  if (/^(Dockerfile|Containerfile)(\..*)?$|\.(dockerfile|containerfile)$/i.test(name)) return parseDockerfile;
  if (/^requirements.*\.(txt|in)$|^constraints.*\.txt$/i.test(name)) return parseRequirements;
  if (/\.(ya?ml)$/i.test(name)) return (text) => parseYaml(text);
  if (name === "MLmodel") return parseMlmodel;
  if (/\.(md|markdown)$/i.test(name)) return parseMarkdown;
  if (/\.(sh|bash)$/i.test(name)) return parseShellScript;
  if (/^(GNU)?makefile$/i.test(name)) return parseMakefile;
  if (name === "pyproject.toml") return parsePyproject;
  if (name === "Pipfile") return parsePipfile;
  return undefined;
}

const root = path.resolve(process.argv[2] ?? ".");
// Synchronous glob and reads, as mlready does them (the faster way on local disks; docs/performance.md).
const files = fg.sync("**/*", { cwd: root, dot: true, onlyFiles: true, followSymbolicLinks: false, ignore: ["**/node_modules/**", "**/.git/**"] });
let parsed = 0;
for (const file of files) {
  const parse = parserFor(file);
  if (!parse) continue;
  let bytes;
  try {
    bytes = readFileSync(path.join(root, file));
  } catch {
    continue;
  }
  if (bytes.length > MAX_FILE_SIZE) continue;
  const decoded = decodeText(bytes);
  if (!decoded.ok) continue;
  try {
    parse(decoded.text, file);
  } catch {
    // A parser that throws is mlready's parse-error finding; the floor only pays for the attempt.
  }
  parsed++;
}
console.log(JSON.stringify({ files: files.length, parsed }));
