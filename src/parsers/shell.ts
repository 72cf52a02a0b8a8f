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
  /** Options the shebang passes to the interpreter, e.g. `["-e"]` for `#!/bin/bash -e`. */
  interpreterFlags?: string[];
}

export interface TokenizeOptions {
  /**
   * Make recipe syntax: `$(VAR)`, `${VAR}` and `$X` are make references kept literally in the word,
   * and `$$` is the shell's `$` (so `$$(cmd)` is a command substitution).
   */
  make?: boolean;
}

/** Command substitutions nested deeper than this are kept as text, not tokenised (pathological input). */
const MAX_DEPTH = 16;
/** How far a scan for a closing quote or parenthesis reads once broken input has used up the budget. */
const LIMITED_SCAN = 1024;

interface PendingHeredoc {
  delimiter: string;
  stripTabs: boolean;
}

interface RawCommand {
  words: ShellWord[];
  offset: number;
}

/**
 * A small POSIX-shell lexer. It splits text into simple commands at `&&`, `||`, `;`, `|`, `&`,
 * parentheses and newlines; removes quotes (words keep the offset of their first character,
 * opening quote included); joins backslash-newline continuations and quoted strings that span
 * lines; drops comments, redirections with their targets (`2>/dev/null`, `> out.txt`) and heredoc
 * bodies (data, not commands). Parameter expansions stay literal (`$HOME`, `${APP}` as `$APP`,
 * `$(cmd)` as written); the commands inside `$(...)`, backticks and `<(...)` are tokenised too and
 * returned as commands of their own. Nothing is expanded or executed.
 */
class Lexer {
  private i = 0;
  private readonly commands: RawCommand[] = [];
  private words: ShellWord[] = [];
  private firstWordOffset = 0;
  private word = "";
  private wordStart = -1;
  /** Set after a redirection operator: its target word is read and dropped. */
  private dropNextWord = false;
  private heredocNext = false;
  private heredocStripTabs = false;
  private readonly pendingHeredocs: PendingHeredoc[] = [];

  constructor(
    private readonly text: string,
    private readonly lineIndex: LineIndex,
    private readonly baseOffset: number,
    private readonly options: TokenizeOptions,
    private readonly depth: number,
    /** Characters that failed scans (an unclosed quote) may still read before scans stop at the line end. */
    private readonly budget: { chars: number },
  ) {}

  run(): RawCommand[] {
    const { text } = this;
    while (this.i < text.length) {
      const char = text[this.i] as string;
      const next = text[this.i + 1];
      if (char === "\\") {
        if (next === "\n") {
          this.i += 2;
          continue;
        }
        this.begin();
        if (next !== undefined) this.word += next;
        this.i += next === undefined ? 1 : 2;
        continue;
      }
      if (char === " " || char === "\t" || char === "\r") {
        this.endWord();
        this.i++;
        continue;
      }
      if (char === "\n") {
        this.endWord();
        this.endCommand();
        this.i++;
        this.skipHeredocBodies();
        continue;
      }
      if (char === "#" && this.wordStart < 0) {
        while (this.i < text.length && text[this.i] !== "\n") this.i++;
        continue;
      }
      if (char === "'") {
        this.singleQuoted();
        continue;
      }
      if (char === '"') {
        this.doubleQuoted();
        continue;
      }
      if (char === "`") {
        this.backticks();
        continue;
      }
      if (char === "$") {
        this.dollar(false);
        continue;
      }
      if (char === "<" || char === ">" || (char === "&" && next === ">")) {
        this.redirection();
        continue;
      }
      if (char === "(") {
        this.endWord();
        // `name() {`: a function definition, not a call of `name`.
        const header = /^\([ \t]*\)/.exec(text.slice(this.i, this.i + 64));
        const only = this.words[0];
        if (header && this.words.length === 1 && only && /^[A-Za-z_][\w:.-]*$/.test(only.text)) {
          this.words = [];
          this.i += header[0].length;
          continue;
        }
      }
      if (char === "&" || char === "|" || char === ";" || char === "(" || char === ")") {
        this.endWord();
        this.endCommand();
        // `&&`, `||`, `;;`, `|&`, `;&` are one operator.
        const pair = (char === "&" && next === "&") || (char === "|" && (next === "|" || next === "&")) || (char === ";" && (next === ";" || next === "&"));
        this.i += pair ? 2 : 1;
        continue;
      }
      this.begin();
      this.word += char;
      this.i++;
    }
    this.endWord();
    this.endCommand();
    return this.commands;
  }

  private begin(): void {
    if (this.wordStart < 0) this.wordStart = this.i;
  }

  private endWord(): void {
    if (this.wordStart < 0) return;
    const text = this.word;
    const start = this.baseOffset + this.wordStart;
    this.word = "";
    this.wordStart = -1;
    if (this.heredocNext) {
      this.heredocNext = false;
      this.pendingHeredocs.push({ delimiter: text, stripTabs: this.heredocStripTabs });
      return;
    }
    if (this.dropNextWord) {
      this.dropNextWord = false;
      return;
    }
    if (this.words.length === 0) this.firstWordOffset = start;
    this.words.push({ text, location: this.lineIndex.position(start) });
  }

  private endCommand(): void {
    this.dropNextWord = false;
    this.heredocNext = false;
    if (this.words.length > 0) this.commands.push({ words: this.words, offset: this.firstWordOffset });
    this.words = [];
  }

  /**
   * Finds the character closing a construct opened just before `from`: `'`, `"`, a backtick or `)`.
   * Iterative (no recursion, whatever the nesting), skipping quotes and escapes inside. Returns -1
   * when it is not closed; once unclosed constructs have cost a few times the text's length, scans
   * stop at the end of the line (and after LIMITED_SCAN characters) so that broken input stays linear.
   */
  private scan(from: number, closer: "'" | '"' | "`" | ")"): number {
    const { text } = this;
    const limited = this.budget.chars <= 0;
    let limit = text.length;
    if (limited) {
      const lineEnd = text.indexOf("\n", from);
      limit = Math.min(lineEnd < 0 ? text.length : lineEnd, from + LIMITED_SCAN);
    }
    if (closer === "'") {
      const close = text.indexOf("'", from);
      if (close >= 0 && close < limit) return close;
      this.budget.chars -= limit - from;
      return -1;
    }
    const stack: string[] = [closer];
    for (let j = from; j < limit; j++) {
      const char = text[j];
      const top = stack[stack.length - 1];
      if (char === "\\") {
        j++;
        continue;
      }
      if (top === "`") {
        if (char === "`") {
          stack.pop();
          if (stack.length === 0) return j;
        }
        continue;
      }
      if (top === '"') {
        if (char === '"') {
          stack.pop();
          if (stack.length === 0) return j;
        } else if (char === "$" && text[j + 1] === "(") {
          stack.push(")");
          j++;
        } else if (char === "`") {
          stack.push("`");
        }
        continue;
      }
      if (char === "'") {
        const close = text.indexOf("'", j + 1);
        if (close < 0 || close >= limit) break;
        j = close;
      } else if (char === '"' || char === "`") {
        stack.push(char);
      } else if (char === "(") {
        stack.push(")");
      } else if (char === ")") {
        stack.pop();
        if (stack.length === 0) return j;
      }
    }
    this.budget.chars -= limit - from;
    return -1;
  }

  private singleQuoted(): void {
    const close = this.scan(this.i + 1, "'");
    this.begin();
    if (close < 0) {
      // An unbalanced quote (a snippet such as `don't`): read it as a plain character.
      this.word += "'";
      this.i++;
      return;
    }
    this.word += this.text.slice(this.i + 1, close);
    this.i = close + 1;
  }

  private doubleQuoted(): void {
    const { text } = this;
    const close = this.scan(this.i + 1, '"');
    this.begin();
    if (close < 0) {
      this.word += '"';
      this.i++;
      return;
    }
    this.i++;
    while (this.i < close) {
      const char = text[this.i] as string;
      const next = text[this.i + 1];
      if (char === "\\" && next !== undefined && '"\\$`\n'.includes(next)) {
        if (next !== "\n") this.word += next;
        this.i += 2;
      } else if (char === "$") {
        this.dollar(true);
      } else if (char === "`") {
        this.backticks();
      } else {
        this.word += char;
        this.i++;
      }
    }
    this.i = close + 1;
  }

  /** Tokenises text[start, end) as commands of their own (the inside of `$(...)`, backticks, `<(...)`). */
  private nested(start: number, end: number): void {
    if (this.depth >= MAX_DEPTH || end <= start) return;
    const inner = new Lexer(this.text.slice(start, end), this.lineIndex, this.baseOffset + start, this.options, this.depth + 1, this.budget);
    this.commands.push(...inner.run());
  }

  private backticks(): void {
    const close = this.scan(this.i + 1, "`");
    this.begin();
    if (close < 0) {
      this.word += "`";
      this.i++;
      return;
    }
    this.word += this.text.slice(this.i, close + 1);
    this.nested(this.i + 1, close);
    this.i = close + 1;
  }

  private dollar(inDoubleQuotes: boolean): void {
    const { text } = this;
    this.begin();
    if (this.options.make) {
      const next = text[this.i + 1];
      if (next === "$") {
        // `$$` is the shell's `$`: read on as if the second one were the only one.
        this.i++;
      } else if (next === "(" || next === "{") {
        const end = next === "(" ? this.scan(this.i + 2, ")") : this.braceEnd(this.i + 2);
        const stop = end < 0 ? this.i + 2 : end + 1;
        this.word += text.slice(this.i, stop);
        this.i = stop;
        return;
      } else if (next !== undefined && /[A-Za-z0-9_@<^*?%+|]/.test(next)) {
        this.word += text.slice(this.i, this.i + 2);
        this.i += 2;
        return;
      }
    }
    const next = text[this.i + 1];
    if (next === "(" && text[this.i + 2] === "(") {
      // Arithmetic: kept as written.
      const end = this.scan(this.i + 2, ")");
      // `end` is the first `)` of the closing `))`.
      const stop = end < 0 ? this.i + 3 : Math.min(text.length, end + 1);
      this.word += text.slice(this.i, stop);
      this.i = stop;
      return;
    }
    if (next === "(") {
      const end = this.scan(this.i + 2, ")");
      if (end < 0) {
        this.word += "$(";
        this.i += 2;
        return;
      }
      this.word += text.slice(this.i, end + 1);
      this.nested(this.i + 2, end);
      this.i = end + 1;
      return;
    }
    if (next === "{") {
      const end = this.braceEnd(this.i + 2);
      if (end < 0) {
        this.word += "${";
        this.i += 2;
        return;
      }
      const inner = text.slice(this.i + 2, end);
      this.word += /^[A-Za-z_][A-Za-z0-9_]*$/.test(inner) ? `$${inner}` : text.slice(this.i, end + 1);
      this.i = end + 1;
      return;
    }
    if (!inDoubleQuotes && next === "'") {
      // ANSI-C quoting, $'a\nb': escapes are kept as written.
      let close = this.i + 2;
      while (close < text.length && text[close] !== "'" && text[close] !== "\n") close += text[close] === "\\" ? 2 : 1;
      this.word += text.slice(this.i + 2, Math.min(close, text.length));
      this.i = Math.min(close + 1, text.length);
      return;
    }
    if (!inDoubleQuotes && next === '"') {
      this.i++;
      this.doubleQuoted();
      return;
    }
    const name = /^(?:[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])/.exec(text.slice(this.i + 1, this.i + 129));
    if (name) {
      this.word += `$${name[0]}`;
      this.i += 1 + name[0].length;
      return;
    }
    this.word += "$";
    this.i++;
  }

  /** The `}` closing a `${` whose content starts at `from`, on the same line; -1 when there is none. */
  private braceEnd(from: number): number {
    let depth = 1;
    const limit = Math.min(this.text.length, from + 4096);
    for (let j = from; j < limit; j++) {
      const char = this.text[j];
      if (char === "\\") j++;
      else if (char === "\n") return -1;
      else if (char === "{") depth++;
      else if (char === "}" && --depth === 0) return j;
    }
    return -1;
  }

  private redirection(): void {
    const { text } = this;
    // A word of digits (or `{fd}`) written right against the operator is a file descriptor, not an argument.
    if (this.wordStart >= 0 && /^(\d+|\{[A-Za-z_][A-Za-z0-9_]*\})$/.test(this.word) && !/\s/.test(text.slice(this.wordStart, this.i))) {
      this.word = "";
      this.wordStart = -1;
    } else {
      this.endWord();
    }
    const rest = text.slice(this.i, this.i + 3);
    if (rest.startsWith("<(") || rest.startsWith(">(")) {
      // Process substitution: a word (a file name) whose commands run too.
      const end = this.scan(this.i + 2, ")");
      this.begin();
      const stop = end < 0 ? this.i + 2 : end + 1;
      this.word += text.slice(this.i, stop);
      if (end >= 0) this.nested(this.i + 2, end);
      this.i = stop;
      return;
    }
    if (rest === "<<<") {
      this.i += 3;
      this.dropNextWord = true;
      return;
    }
    if (rest.startsWith("<<")) {
      this.heredocStripTabs = rest === "<<-";
      this.i += this.heredocStripTabs ? 3 : 2;
      this.heredocNext = true;
      return;
    }
    const operator = /^(&>>|&>|>>|>&|>\||<&|<>|>|<)/.exec(rest)?.[0] ?? "<";
    this.i += operator.length;
    this.dropNextWord = true;
  }

  /** After a newline: skips the bodies of the heredocs opened on the line that just ended. */
  private skipHeredocBodies(): void {
    const { text } = this;
    while (this.pendingHeredocs.length > 0) {
      const heredoc = this.pendingHeredocs.shift() as PendingHeredoc;
      while (this.i < text.length) {
        let lineEnd = text.indexOf("\n", this.i);
        if (lineEnd < 0) lineEnd = text.length;
        const line = text.slice(this.i, lineEnd);
        this.i = Math.min(lineEnd + 1, text.length);
        const candidate = heredoc.stripTabs ? line.replace(/^\t+/, "") : line;
        // Lenient: an indented terminator (common in docs and Dockerfiles) also ends the body.
        if (candidate === heredoc.delimiter || line.trim() === heredoc.delimiter) break;
      }
    }
  }
}

/**
 * Tokenises shell text into simple commands. `baseOffset` is where `text` starts inside the text
 * that `lineIndex` indexes, so that each word gets its own line and column in the file.
 */
export function tokenizeShell(text: string, lineIndex: LineIndex, baseOffset = 0, options: TokenizeOptions = {}): ShellCommand[] {
  const raw = new Lexer(text, lineIndex, baseOffset, options, 0, { chars: text.length * 4 + 4096 }).run();
  // Commands inside substitutions are found while their outer command is read: put them in source order.
  raw.sort((a, b) => a.offset - b.offset);
  return raw.map(({ words }) => ({ words, location: (words[0] as ShellWord).location }));
}

export function parseShellScript(text: string, path: string): ShellScript {
  const lineIndex = new LineIndex(text);
  const shebang = /^#![ \t]*(\S+)([^\r\n]*)/.exec(text);
  let interpreter: string | undefined;
  let flags: string[] = [];
  if (shebang) {
    const program = shebang[1] ?? "";
    const rest = (shebang[2] ?? "").trim().split(/[ \t]+/).filter(Boolean);
    if (program.endsWith("/env")) {
      const args = rest[0] === "-S" ? rest.slice(1) : rest;
      interpreter = args[0];
      flags = args.slice(1);
    } else {
      interpreter = program.split("/").pop();
      flags = rest;
    }
    flags = flags.filter((flag) => flag.startsWith("-"));
  }
  return {
    path,
    commands: tokenizeShell(text, lineIndex),
    ...(interpreter ? { interpreter } : {}),
    ...(flags.length > 0 ? { interpreterFlags: flags } : {}),
  };
}

/** Reserved words and wrappers that come before the program a command runs. */
const LEADING_KEYWORDS = new Set(["if", "then", "elif", "else", "do", "while", "until", "!", "{", "time", "exec", "command", "builtin", "nohup"]);

/**
 * The command's words from the program on: leading `VAR=value` assignments, reserved words
 * (`if`, `then`, `do`, `!`, `{`) and wrappers (`sudo`, `exec`, `env`, `nohup`, `time`) are dropped,
 * and the program loses its path, e.g. `then sudo /usr/bin/kubectl get po` -> `kubectl get po`.
 */
export function commandWords(command: ShellCommand): string[] {
  const words = command.words.map((word) => word.text);
  let start = 0;
  for (;;) {
    const word = words[start];
    if (word === undefined) break;
    if (LEADING_KEYWORDS.has(word) || /^[A-Za-z_][A-Za-z0-9_]*\+?=/.test(word)) {
      start++;
      continue;
    }
    if (word === "env") {
      start++;
      while (start < words.length && /^(-[a-zA-Z-]*|[A-Za-z_][A-Za-z0-9_]*=.*)$/s.test(words[start] ?? "")) start++;
      continue;
    }
    if (word === "sudo" || word === "doas") {
      // `sudo -E -u deploy kubectl ...`: options, and the values of those that take one.
      start++;
      while ((words[start] ?? "").startsWith("-")) start += /^-[ugpCDhrtTU]$|^--(user|group|prompt|chdir|host|role|type)$/.test(words[start] ?? "") ? 2 : 1;
      continue;
    }
    break;
  }
  const rest = words.slice(start);
  if (rest[0]) rest[0] = rest[0].split("/").pop() ?? rest[0];
  return rest;
}

/** The words from the program on, as written (paths kept): `FOO=1 sudo ./scripts/x.sh` -> `./scripts/x.sh`. */
export function programWords(command: ShellCommand): ShellWord[] {
  return command.words.slice(command.words.length - commandWords(command).length);
}
