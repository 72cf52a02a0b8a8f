import type { SourceLocation } from "../model.js";
import { tokenizeShell, type ShellCommand } from "./shell.js";
import { LineIndex } from "./text.js";

export interface MakeTarget {
  name: string;
  location: SourceLocation;
  /** Recipe lines, tokenised; make's `@`, `-` and `+` prefixes are removed. */
  commands: ShellCommand[];
}

export interface Makefile {
  path: string;
  targets: MakeTarget[];
}

const TARGET = /^([A-Za-z0-9_.\-/%]+(?:\s+[A-Za-z0-9_.\-/%]+)*)\s*:(?!=)/;

export function parseMakefile(text: string, path: string): Makefile {
  const lineIndex = new LineIndex(text);
  const targets: MakeTarget[] = [];
  let current: MakeTarget[] = [];
  let offset = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("\t")) {
      const recipe = line.slice(1).replace(/^[@+-]+/, (prefix) => " ".repeat(prefix.length));
      const commands = tokenizeShell(recipe, lineIndex, offset + 1);
      for (const target of current) target.commands.push(...commands);
    } else if (!line.startsWith("#") && line.trim() !== "") {
      const match = TARGET.exec(line);
      current = [];
      if (match && !/^\s*(\.PHONY|\.DEFAULT)/.test(line)) {
        for (const name of (match[1] as string).split(/\s+/)) {
          const target: MakeTarget = { name, location: lineIndex.position(offset + line.indexOf(name)), commands: [] };
          targets.push(target);
          current.push(target);
        }
      }
    }
    offset += line.length + 1;
  }
  return { path, targets };
}
