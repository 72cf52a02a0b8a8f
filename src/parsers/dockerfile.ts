import { DockerfileParser, type Instruction } from "dockerfile-ast";
import type { SourceLocation } from "../model.js";
import { tokenizeShell, type ShellCommand } from "./shell.js";
import { LineIndex } from "./text.js";

export interface DockerKeyValue {
  name: string;
  value: string | null;
  location: SourceLocation;
  valueLocation?: SourceLocation;
}

export interface DockerInstruction {
  keyword: string;
  /** Arguments as Docker reads them: continuations joined, comments inside them dropped. */
  args: string;
  location: SourceLocation;
  stageIndex: number;
  /** ENV, ARG and LABEL pairs. */
  properties: DockerKeyValue[];
  /** RUN (shell form and heredocs), CMD and ENTRYPOINT split into simple commands. */
  commands: ShellCommand[];
  /** True for the JSON (exec) form of RUN, CMD and ENTRYPOINT. */
  execForm: boolean;
  /** Flags such as `--from=build` or `--chown=app`, by name without dashes. */
  flags: Record<string, string | null>;
  /** Plain arguments without flags (COPY/ADD sources then destination). */
  words: { text: string; location: SourceLocation }[];
}

export interface DockerFrom {
  /** The image as written, e.g. `python:${PY}-slim`. */
  raw: string;
  /** The image after substituting ARG defaults declared before the first FROM. */
  image: string;
  /** Names of ARGs the image refers to that have no default. */
  unresolvedArgs: string[];
  /** The earlier stage this FROM builds on, when the image names one. */
  stageRef?: string;
  platform?: string;
  location: SourceLocation;
}

export interface DockerStage {
  index: number;
  name?: string;
  from: DockerFrom;
  instructions: DockerInstruction[];
}

export interface DockerfileModel {
  path: string;
  stages: DockerStage[];
  /** Every instruction in order, including ARGs before the first FROM (stageIndex -1). */
  instructions: DockerInstruction[];
}

/** dockerfile-ast's 0-based range (from vscode-languageserver-types, which it does not re-export). */
interface Range {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

export class DockerfileSyntaxError extends Error {}

function toLocation(range: Range): SourceLocation {
  return {
    line: range.start.line + 1,
    column: range.start.character + 1,
    endLine: range.end.line + 1,
    endColumn: range.end.character + 1,
  };
}

const INSTRUCTION_KEYWORDS = new Set([
  "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
  "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
]);

/**
 * Replaces `$NAME`, `${NAME}`, `${NAME:-word}` and `${NAME:+word}` with ARG values. Names without a value are
 * kept as written and listed in `unresolved`, with the names that the used values still depend on (`inherited`).
 */
function substituteArgs(
  text: string,
  args: Map<string, string | undefined>,
  unresolved: string[],
  inherited?: Map<string, string[]>,
): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?([-+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (whole, bracedName: string | undefined, modifier: string | undefined, word: string | undefined, bareName: string | undefined) => {
      const name = (bracedName ?? bareName) as string;
      const value = args.get(name);
      if (value) unresolved.push(...(inherited?.get(name) ?? []));
      if (modifier === "-") return value ? value : (word ?? "");
      if (modifier === "+") return value ? (word ?? "") : "";
      if (value === undefined) {
        unresolved.push(name);
        return whole;
      }
      return value;
    });
}

function instructionText(source: string, lineIndexStarts: number[], range: Range): string {
  const start = (lineIndexStarts[range.start.line] ?? 0) + range.start.character;
  const end = (lineIndexStarts[range.end.line] ?? source.length) + range.end.character;
  return source.slice(start, end);
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function splitFlags(instruction: Instruction): Pick<DockerInstruction, "flags" | "words"> {
  const flags: Record<string, string | null> = {};
  const words: DockerInstruction["words"] = [];
  // COPY, ADD, FROM, RUN ... keep their flags out of getArguments(): `COPY --from=build /app /app`.
  const modifiable = instruction as Instruction & { getFlags?: () => { getName(): string; getValue(): string | null }[] };
  for (const flag of modifiable.getFlags?.() ?? []) flags[flag.getName()] = flag.getValue();
  for (const argument of instruction.getArguments()) {
    const value = argument.getValue();
    const flag = /^--([A-Za-z-]+)(?:=(.*))?$/.exec(value);
    if (flag && words.length === 0) {
      flags[flag[1] as string] = flag[2] ?? null;
      continue;
    }
    words.push({ text: value, location: toLocation(argument.getRange()) });
  }
  return { flags, words };
}

/**
 * Parses a Dockerfile into stages and instructions. `dockerfile-ast` is tolerant, so the only
 * syntax error raised here is a file without any instruction Docker knows.
 */
export function parseDockerfile(text: string, path: string): DockerfileModel {
  const dockerfile = DockerfileParser.parse(text);
  const starts = lineStarts(text);
  const lineIndex = new LineIndex(text);
  const instructions: DockerInstruction[] = [];
  const stages: DockerStage[] = [];
  const globalArgs = new Map<string, string | undefined>();
  /** For each global ARG, the ARGs without a value that its default still refers to. */
  const globalArgsUnresolved = new Map<string, string[]>();
  const stageNames = new Set<string>();
  let known = 0;

  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword().toUpperCase();
    if (INSTRUCTION_KEYWORDS.has(keyword)) known++;
    const location = toLocation(instruction.getRange());
    const argsRange = instruction.getArgumentsRange();
    const args = instruction.getArgumentsContent() ?? "";
    const rawArgs = argsRange ? instructionText(text, starts, argsRange) : "";
    const rawStart = argsRange ? (starts[argsRange.start.line] ?? 0) + argsRange.start.character : 0;
    const execForm = /^\s*\[/.test(args) && isJsonArray(args);
    const model: DockerInstruction = {
      keyword,
      args,
      location,
      stageIndex: stages.length - 1,
      properties: [],
      commands: [],
      execForm,
      ...splitFlags(instruction),
    };

    if (keyword === "ENV" || keyword === "ARG" || keyword === "LABEL") {
      const withProperties = instruction as Instruction & {
        getProperties?: () => {
          getName(): string; getValue(): string | null; getRange(): Range; getValueRange(): Range | null;
        }[];
      };
      for (const property of withProperties.getProperties?.() ?? []) {
        const valueRange = property.getValueRange();
        model.properties.push({
          name: property.getName(),
          value: property.getValue(),
          location: toLocation(property.getRange()),
          ...(valueRange ? { valueLocation: toLocation(valueRange) } : {}),
        });
      }
      if (keyword === "ARG" && stages.length === 0) {
        for (const property of model.properties) {
          // Docker expands a default with the ARGs declared before it: `ARG BASE=python:${PY}-slim`.
          const unresolved: string[] = [];
          const value = property.value === null ? undefined : substituteArgs(property.value, globalArgs, unresolved, globalArgsUnresolved);
          globalArgs.set(property.name, value);
          globalArgsUnresolved.set(property.name, [...new Set(unresolved)]);
        }
      }
    }

    if ((keyword === "COPY" || keyword === "ADD") && model.words[0]?.text.startsWith("[")) {
      // JSON form `COPY ["src", "dest"]`: the words are the array's strings, not its raw fragments.
      const list = jsonStringArray(args.slice(Math.max(0, args.indexOf("["))));
      if (list) model.words = list.map((text) => ({ text, location }));
    }

    if (keyword === "RUN" || keyword === "CMD" || keyword === "ENTRYPOINT") {
      model.commands = commandsOf(model, rawArgs, rawStart, lineIndex, text);
    }

    if (keyword === "FROM") {
      const from = fromOf(instruction, model, globalArgs, stageNames, globalArgsUnresolved);
      const stage: DockerStage = { index: stages.length, from, instructions: [] };
      const name = (instruction as Instruction & { getBuildStage?: () => string | null }).getBuildStage?.();
      if (name) {
        stage.name = name;
        stageNames.add(name.toLowerCase());
      }
      model.stageIndex = stage.index;
      stages.push(stage);
    }
    instructions.push(model);
    stages[model.stageIndex]?.instructions.push(model);
  }

  if (known === 0) {
    throw new DockerfileSyntaxError("no Dockerfile instructions found (is this really a Dockerfile?)");
  }
  return { path, stages, instructions };
}

function jsonStringArray(text: string): string[] | null {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) && value.every((item) => typeof item === "string") ? (value as string[]) : null;
  } catch {
    return null;
  }
}

function isJsonArray(args: string): boolean {
  return jsonStringArray(args) !== null;
}

function commandsOf(
  model: DockerInstruction,
  rawArgs: string,
  rawStart: number,
  lineIndex: LineIndex,
  source: string,
): ShellCommand[] {
  if (model.execForm) {
    const argv = JSON.parse(model.args) as string[];
    return argv.length ? [{ words: argv.map((text) => ({ text, location: model.location })), location: model.location }] : [];
  }
  const heredoc = /^\s*<<-?\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\1[^\n]*\n/.exec(rawArgs);
  if (heredoc) {
    // The heredoc body follows the instruction line; dockerfile-ast's range ends before it.
    const bodyStart = rawStart + heredoc[0].length;
    const rest = source.slice(bodyStart);
    const end = lineStartOf(rest, heredoc[2] as string);
    const body = end >= 0 ? rest.slice(0, end) : rest;
    return tokenizeShell(body, lineIndex, bodyStart);
  }
  // Docker drops comment lines inside a continued RUN, newline included: keep the continuation going
  // (same length, so offsets and therefore line numbers are unchanged).
  const withoutComments = rawArgs.replace(/^([ \t]*#[^\n]*)\n/gm, (_line, comment: string) => " ".repeat(comment.length - 1) + "\\\n");
  return tokenizeShell(withoutComments, lineIndex, rawStart);
}

/**
 * Where the first line that is `delimiter` (blanks around it allowed) starts, or -1. A scan, not a
 * RegExp made from the delimiter: a delimiter tens of thousands of characters long makes RegExp throw.
 */
function lineStartOf(text: string, delimiter: string): number {
  for (let start = 0; ; ) {
    const end = text.indexOf("\n", start);
    if (text.slice(start, end < 0 ? text.length : end).trim() === delimiter) return start;
    if (end < 0) return -1;
    start = end + 1;
  }
}

function fromOf(
  instruction: Instruction,
  model: DockerInstruction,
  globalArgs: Map<string, string | undefined>,
  stageNames: Set<string>,
  globalArgsUnresolved?: Map<string, string[]>,
): DockerFrom {
  const raw = model.words[0]?.text ?? "";
  const found: string[] = [];
  const image = substituteArgs(raw, globalArgs, found, globalArgsUnresolved);
  const unresolvedArgs = [...new Set(found)];
  const from: DockerFrom = { raw, image, unresolvedArgs, location: model.location };
  const platform = model.flags["platform"];
  if (platform) from.platform = platform;
  if (stageNames.has(image.toLowerCase())) from.stageRef = image;
  void instruction;
  return from;
}
