import type { SourceLocation } from "../model.js";
import { tokenizeShell, type ShellCommand } from "./shell.js";
import { LineIndex } from "./text.js";

export interface MakeTarget {
  name: string;
  location: SourceLocation;
  /** Recipe lines, tokenised; make's `@`, `-` and `+` prefixes are removed. */
  commands: ShellCommand[];
  /** Prerequisites as written after the colon (`rollback: check-cluster` -> `check-cluster`). */
  prerequisites: string[];
}

export interface Makefile {
  path: string;
  targets: MakeTarget[];
}

const TARGET = /^([A-Za-z0-9_.\-/%]+(?:[ \t]+[A-Za-z0-9_.\-/%]+)*)[ \t]*::?(?!=)/;
/** Conditionals may sit between a rule and its recipe lines without ending the rule. */
const CONDITIONAL = /^\s*(ifeq|ifneq|ifdef|ifndef|else|endif)\b/;
/** `target: VAR = value` sets a target-specific variable; it is not a rule. */
/** `NAME ::= value`, `NAME := value`... are variables, whatever follows. */
const ASSIGNMENT = /^\s*(export\s+|override\s+)?[A-Za-z_][A-Za-z0-9_.]*\s*(:::=|::=|:=|\?=|\+=|!=|=)/;
const TARGET_VARIABLE = /^[^=]*?:[ \t]*(export[ \t]+|override[ \t]+)?[A-Za-z_][A-Za-z0-9_.]*[ \t]*(\?|\+|:|::|!)?=/;

/** Tokenises recipe text that starts at `offset` in the file, with make's prefixes blanked out. */
function recipeCommands(text: string, offset: number, lineIndex: LineIndex): ShellCommand[] {
  const recipe = text.replace(/^[ \t]*[@+-]+/, (prefix) => " ".repeat(prefix.length));
  return tokenizeShell(recipe, lineIndex, offset, { make: true });
}

/**
 * Reads rules, their prerequisites and recipes. Recipe lines are shell run by make: a trailing
 * backslash continues a recipe line on the next one (its leading tab is not part of the command),
 * `$(VAR)` is a make reference and `$$` the shell's `$`. `define ... endef` bodies are skipped.
 */
export function parseMakefile(text: string, path: string): Makefile {
  const lineIndex = new LineIndex(text);
  const targets: MakeTarget[] = [];
  const lines = text.split("\n");
  const starts: number[] = [];
  let position = 0;
  for (const line of lines) {
    starts.push(position);
    position += line.length + 1;
  }
  let current: MakeTarget[] = [];
  let inDefine = false;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] as string;
    const start = starts[index] as number;
    if (inDefine) {
      if (/^\s*endef\b/.test(line)) inDefine = false;
      continue;
    }
    if (line.startsWith("\t") && current.length > 0) {
      // A recipe line, continued over following lines while it ends with a backslash.
      let last = index;
      while (/(^|[^\\])(\\\\)*\\$/.test(lines[last] as string) && last + 1 < lines.length) last++;
      const end = (starts[last] as number) + (lines[last] as string).length;
      const commands = recipeCommands(text.slice(start + 1, end), start + 1, lineIndex);
      for (const target of current) target.commands.push(...commands);
      index = last;
      continue;
    }
    if (line.startsWith("#") || line.trim() === "" || CONDITIONAL.test(line)) continue;
    if (/^\s*define\b/.test(line)) {
      inDefine = true;
      current = [];
      continue;
    }
    current = [];
    const match = TARGET.exec(line);
    if (!match || ASSIGNMENT.test(line) || /^\s*\.(PHONY|DEFAULT|SUFFIXES|SECONDARY|PRECIOUS|INTERMEDIATE|NOTPARALLEL|ONESHELL|SILENT|EXPORT_ALL_VARIABLES|DELETE_ON_ERROR)\b/.test(line) || TARGET_VARIABLE.test(line)) continue;
    // After the colon: prerequisites, then an optional `; recipe` on the same line.
    const afterColon = line.slice(match[0].length);
    const semicolon = afterColon.indexOf(";");
    const prerequisiteText = (semicolon >= 0 ? afterColon.slice(0, semicolon) : afterColon).replace(/#.*$/, "");
    const prerequisites = prerequisiteText.split("|").join(" ").split(/\s+/).filter(Boolean);
    const inline = semicolon >= 0 ? recipeCommands(afterColon.slice(semicolon + 1), start + match[0].length + semicolon + 1, lineIndex) : [];
    let searchFrom = 0;
    for (const name of (match[1] as string).split(/[ \t]+/)) {
      const column = line.indexOf(name, searchFrom);
      searchFrom = column + name.length;
      const target: MakeTarget = { name, location: lineIndex.position(start + column), commands: [...inline], prerequisites };
      targets.push(target);
      current.push(target);
    }
  }
  return { path, targets };
}
