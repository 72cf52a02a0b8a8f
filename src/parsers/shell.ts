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

export interface TokenizeOptions {
  /**
   * Make recipe syntax: `$(VAR)`, `${VAR}` and `$X` are make references kept literally in the word,
   * and `$$` is the shell's `$` (so `$$(cmd)` is a command substitution).
   */
  make?: boolean;
}

/** Command substitutions nested deeper than this are kept as text, not tokenised (pathological input). */
const MAX_DEPTH = 16;

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
  private word = "";
  private wordStart = -1;
  /** Set while reading a redirection target: the word is read and dropped. */
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
        this.dollar();
        continue;
      }
      if (char === "<" || char === ">" || (char === "&" && next === ">")) {
        this.redirection();
        continue;
      }
      if (char === "&" || char === "|" || char === ";" || char === "(" || char === ")") {
        this.endWord();
        this.endCommand();
        // `&&`, `||`, `;;`, `|&`, `;&` are one operator: the second character adds nothing.
        this.i += (char === "&" && next === "&") || (char === "|" && (next === "|" || next === "&")) || (char === ";" && (next === ";" || next === "&")) ? 2 : 1;
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

  private begin(at = this.i): void {
    if (this.wordStart < 0) this.wordStart = at;
  }

  private endWord(): void {
    if (this.wordStart < 0) return;
    const text = this.word;
    const start = this.wordStart;
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
    this.words.push({ text, location: this.lineIndex.position(this.baseOffset + start) });
  }

  private endCommand(): void {
    this.dropNextWord = false;
    this.heredocNext = false;
    const first = this.words[0];
    if (first) this.commands.push({ words: this.words, offset: this.offsetOf(first) });
    this.words = [];
  }

  private offsetOf(word: ShellWord): number {
    // Only used to order commands; line and column are enough.
    return word.location.line * 1_000_000 + word.location.column;
  }

  /** Index of the quote closing the one at `from`, or -1. */
  private singleQuoted(): void {
    const close = this.text.indexOf("'", this.i + 1);
    if (close < 0) {
      // An unbalanced quote (a snippet such as `don't`): read it as a plain character.
      this.begin();
      this.word += "'";
      this.i++;
      return;
    }
    this.begin();
    this.word += this.text.slice(this.i + 1, close);
    this.i = close + 1;
  }

  private doubleQuoted(): void {
    const { text } = this;
    const close = this.findDoubleQuoteEnd(this.i + 1);
    if (close < 0) {
      this.begin();
      this.word += '"';
      this.i++;
      return;
    }
    this.begin();
    let j = this.i + 1;
    while (j < close) {
      const char = text[j] as string;
      const next = text[j + 1];
      if (char === "\\" && next !== undefined && '"\\$`\n'.includes(next)) {
        if (next !== "\n") this.word += next;
        j += 2;
        continue;
      }
      if (char === "$" || char === "`") {
        this.i = j;
        if (char === "$") this.dollar();
        else this.backticks();
        j = this.i;
        continue;
      }
      this.word += char;
      j++;
    }
    this.i = close + 1;
  }

  /** Finds the `"` ending a double-quoted string that starts at `from`, skipping escapes and substitutions. */
  private findDoubleQuoteEnd(from: number): number {
    const { text } = this;
    let j = from;
    while (j < text.length) {
      const char = text[j];
      if (char === "\\") {
        j += 2;
        continue;
      }
      if (char === '"') return j;
      if (char === "$" && text[j + 1] === "(") {
        const end = this.findClosingParen(j + 2);
        if (end < 0) return -1;
        j = end + 1;
        continue;
      }
      if (char === "`") {
        const end = this.findBacktickEnd(j + 1);
        if (end < 0) return -1;
        j = end + 1;
        continue;
      }
      j++;
    }
    return -1;
  }

  private findBacktickEnd(from: number): number {
    for (let j = from; j < this.text.length; j++) {
      if (this.text[j] === "\\") j++;
      else if (this.text[j] === "`") return j;
    }
    return -1;
  }

  /** Finds the `)` matching an opening parenthesis just before `from`, skipping quoted text. */
  private findClosingParen(from: number): number {
    const { text } = this;
    let depth = 1;
    for (let j = from; j < text.length; j++) {
      const char = text[j];
      if (char === "\\") {
        j++;
      } else if (char === "'") {
        const close = text.indexOf("'", j + 1);
        if (close < 0) return -1;
        j = close;
      } else if (char === '"') {
        const close = this.findDoubleQuoteEnd(j + 1);
        if (close < 0) return -1;
        j = close;
      } else if (char === "(") {
        depth++;
      } else if (char === ")") {
        depth--;
        if (depth === 0) return j;
      }
    }
    return -1;
  }

  private findClosingBrace(from: number): number {
    let depth = 1;
    for (let j = from; j < this.text.length; j++) {
      const char = this.text[j];
      if (char === "\\") j++;
      else if (char === "{") depth++;
      else if (char === "}" && --depth === 0) return j;
      else if (char === "\n") return -1;
    }
    return -1;
  }

  /** Tokenises `inner` (which starts at `start` in this lexer's text) as commands of their own. */
  private nested(start: number, end: number): void {
    if (this.depth >= MAX_DEPTH || end <= start) return;
    const inner = new Lexer(this.text.slice(start, end), this.lineIndex, this.baseOffset + start, this.options, this.depth + 1);
    this.commands.push(...inner.run());
  }

  private backticks(): void {
    const close = this.findBacktickEnd(this.i + 1);
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

  private dollar(): void {
    const { text } = this;
    let next = text[this.i + 1];
    if (this.options.make) {
      if (next === "$") {
        // `$$` is the shell's `$`: go on as if the second one were the only one.
        this.begin();
        this.i++;
        next = text[this.i + 1];
        this.shellDollar(next, true);
        return;
      }
      if (next === "(" || next === "{") {
        const end = next === "(" ? this.findClosingParen(this.i + 2) : this.findClosingBrace(this.i + 2);
        this.begin();
        const stop = end < 0 ? this.i + 2 : end + 1;
        this.word += text.slice(this.i, stop);
        this.i = stop;
        return;
      }
      if (next !== undefined && /[A-Za-z0-9_@<^*?%+|]/.test(next)) {
        this.begin();
        this.word += text.slice(this.i, this.i + 2);
        this.i += 2;
        return;
      }
    }
    this.shellDollar(next, false);
  }

  private shellDollar(next: string | undefined, afterMakeEscape: boolean): void {
    const { text } = this;
    this.begin();
    if (next === "(" && text[this.i + 2] === "(") {
      const end = this.findClosingParen(this.i + 2);
      const stop = end < 0 ? text.length : Math.min(text.length, end + 2);
      this.word += text.slice(this.i, stop);
      this.i = stop;
      return;
    }
    if (next === "(") {
      const end = this.findClosingParen(this.i + 2);
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
      const end = this.findClosingBrace(this.i + 2);
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
    if (next === "'") {
      // ANSI-C quoting: $'a\nb'. Escapes are kept as written; nothing here names a command.
      let j = this.i + 2;
      while (j < text.length && text[j] !== "'") j += text[j] === "\\" ? 2 : 1;
      this.word += text.slice(this.i + 2, Math.min(j, text.length));
      this.i = Math.min(j + 1, text.length);
      return;
    }
    if (next === '"') {
      this.i++;
      this.doubleQuoted();
      return;
    }
    const name = /^(?:[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])/.exec(text.slice(this.i + 1, this.i + 65));
    if (name) {
      this.word += `$${name[0]}`;
      this.i += 1 + name[0].length;
      return;
    }
    this.word += "$";
    this.i++;
    void afterMakeEscape;
  }

  private redirection(): void {
    const { text } = this;
    // A word of digits (or `{fd}`) right before the operator is a file descriptor, not an argument.
    if (this.wordStart >= 0 && this.wordStart + this.word.length === this.i && /^(\d+|\{[A-Za-z_][A-Za-z0-9_]*\})$/.test(this.word)) {
      this.word = "";
      this.wordStart = -1;
    } else {
      this.endWord();
    }
    const rest = text.slice(this.i, this.i + 3);
    if (rest.startsWith("<(") || rest.startsWith(">(")) {
      // Process substitution: a word (a file name) whose commands run too.
      const end = this.findClosingParen(this.i + 2);
      this.begin();
      const stop = end < 0 ? text.length : end + 1;
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
    const operator = /^(&>>|&>|>>|>&|>\||<&|<>|>|<)/.exec(rest)?.[0] ?? rest[0] ?? "";
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
        // Lenient: indented or trailing-space terminators (common in docs and Dockerfiles) also end the body.
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
  const raw = new Lexer(text, lineIndex, baseOffset, options, 0).run();
  // Commands inside substitutions are found while their outer command is read: put them in source order.
  raw.sort((a, b) => a.offset - b.offset);
  return raw.map(({ words }) => ({ words, location: (words[0] as ShellWord).location }));
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

/** Reserved words and wrappers that come before the program a command runs. */
const LEADING_KEYWORDS = new Set(["if", "then", "elif", "else", "do", "while", "until", "!", "{", "time", "exec", "command", "builtin", "nohup", "sudo", "doas"]);

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
    if (LEADING_KEYWORDS.has(word) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(word)) {
      start++;
      continue;
    }
    if (word === "env") {
      start++;
      while (start < words.length && /^(-[a-zA-Z-]*|[A-Za-z_][A-Za-z0-9_]*=.*)$/.test(words[start] ?? "")) start++;
      continue;
    }
    break;
  }
  const rest = words.slice(start);
  if (rest[0]) rest[0] = rest[0].split("/").pop() ?? rest[0];
  return rest;
}
