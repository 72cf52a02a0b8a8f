import { parse as parseShellWords } from "shell-quote";
import type { SourceLocation } from "../model.js";
import { LineIndex } from "./text.js";

/** One word of a simple command, after quote removal, with where it starts in the source. */
export interface ShellWord {
  text: string;
  location: SourceLocation;
}

/** A simple command: `pip install -r requirements.txt`, one pipeline member or `&&` operand. */
export interface ShellCommand {
  words: ShellWord[];
  location: SourceLocation;
}

export interface ShellScript {
  path: string;
  commands: ShellCommand[];
  /** The shebang interpreter, e.g. `bash`, when the first line names one. */
  interpreter?: string;
}

const COMMAND_SEPARATORS = new Set(["&&", "||", ";", ";;", "|", "|&", "&", "(", ")"]);
const REDIRECTIONS = new Set([">", ">>", "<", "<<", "<<<", ">&", "<&", "<(", ">|", "&>", "&>>"]);

interface LogicalLine {
  text: string;
  /** Offset in the source of each character of `text`; continuations are removed. */
  offsets: number[];
  /** Offset just past the end of the logical line. */
  end: number;
}

/**
 * Joins backslash-newline continuations into logical lines, as the shell does before tokenising.
 * Offsets are kept so that each word can be mapped back to its own physical line.
 */
function logicalLines(text: string, baseOffset: number): LogicalLine[] {
  const lines: LogicalLine[] = [];
  let current: LogicalLine = { text: "", offsets: [], end: baseOffset };
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (char === "\\" && text[i + 1] === "\n") {
      i++;
      continue;
    }
    if (char === "\n") {
      current.end = baseOffset + i;
      lines.push(current);
      current = { text: "", offsets: [], end: baseOffset + i + 1 };
      continue;
    }
    current.text += char;
    current.offsets.push(baseOffset + i);
  }
  current.end = baseOffset + text.length;
  lines.push(current);
  return lines;
}

const HEREDOC = /<<-?\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\1/;

/**
 * Tokenises shell text into simple commands with shell-quote. Variables are kept literally
 * (`$HOME` stays `$HOME`): nothing is expanded or executed. Heredoc bodies are data, not commands,
 * and are skipped.
 */
export function tokenizeShell(text: string, lineIndex: LineIndex, baseOffset = 0): ShellCommand[] {
  const commands: ShellCommand[] = [];
  let heredocEnd: string | null = null;
  for (const line of logicalLines(text, baseOffset)) {
    const trimmed = line.text.trim();
    if (heredocEnd !== null) {
      if (trimmed === heredocEnd) heredocEnd = null;
      continue;
    }
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const heredoc = HEREDOC.exec(line.text);
    if (heredoc) heredocEnd = heredoc[2] ?? null;

    let tokens: ReturnType<typeof parseShellWords>;
    try {
      tokens = parseShellWords(line.text, (name) => `$${name}`);
    } catch {
      continue;
    }
    let words: ShellWord[] = [];
    let cursor = 0;
    let skipNext = false;
    const flush = () => {
      const first = words[0];
      if (first) commands.push({ words, location: first.location });
      words = [];
    };
    for (const token of tokens) {
      if (typeof token === "string") {
        if (skipNext) {
          skipNext = false;
          continue;
        }
        const found = line.text.indexOf(token, cursor);
        const at = found >= 0 ? found : Math.min(cursor, Math.max(0, line.offsets.length - 1));
        if (found >= 0) cursor = found + token.length;
        const offset = line.offsets[at] ?? line.end;
        words.push({ text: token, location: lineIndex.position(offset) });
        continue;
      }
      if ("comment" in token) break;
      if ("op" in token) {
        if (token.op === "glob" && "pattern" in token) {
          const pattern = String(token.pattern);
          const found = line.text.indexOf(pattern, cursor);
          const offset = line.offsets[found >= 0 ? found : cursor] ?? line.end;
          if (found >= 0) cursor = found + pattern.length;
          words.push({ text: pattern, location: lineIndex.position(offset) });
        } else if (COMMAND_SEPARATORS.has(token.op)) {
          flush();
        } else if (REDIRECTIONS.has(token.op)) {
          skipNext = true;
        }
      }
    }
    flush();
  }
  return commands;
}

export function parseShellScript(text: string, path: string): ShellScript {
  const lineIndex = new LineIndex(text);
  const shebang = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(text);
  let interpreter: string | undefined;
  if (shebang) {
    const program = shebang[1] ?? "";
    interpreter = program.endsWith("/env") ? shebang[2] : program.split("/").pop();
  }
  return { path, commands: tokenizeShell(text, lineIndex), ...(interpreter ? { interpreter } : {}) };
}

/** The command name without a leading path or `sudo`, e.g. `/usr/bin/kubectl` -> `kubectl`. */
export function commandWords(command: ShellCommand): string[] {
  const words = command.words.map((word) => word.text);
  let start = 0;
  while (start < words.length && (words[start] === "sudo" || /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[start] ?? ""))) start++;
  const rest = words.slice(start);
  if (rest[0]) rest[0] = rest[0].split("/").pop() ?? rest[0];
  return rest;
}
