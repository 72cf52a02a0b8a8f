import path from "node:path";
import type { DockerfileModel, DockerInstruction } from "../parsers/dockerfile.js";
import { tokenizeShell } from "../parsers/shell.js";
import { LineIndex } from "../parsers/text.js";
import { defineRule, type ReportDescriptor } from "../rule.js";
import { finalLineage, productionDockerfiles } from "./multi-stage-build.js";

/** A CMD or ENTRYPOINT in effect for the final stage, with the SHELL that was in effect where it was written. */
interface Setting {
  instruction: DockerInstruction;
  shell: string[];
}

const DEFAULT_SHELL = ["/bin/sh", "-c"];
const POSIX_SHELLS = new Set(["sh", "bash", "dash", "ash", "ksh", "mksh", "zsh", "busybox"]);
/** First words that make a command a compound command, whose last step cannot simply be exec'd. */
const COMPOUND_KEYWORDS = new Set(["if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac", "{", "}", "!", "function", "select"]);
const ASSIGNMENTS = /^\s*(?:[A-Za-z_][A-Za-z0-9_]*=(?:'[^']*'|"(?:[^"\\]|\\.)*"|\\.|[^\s'"\\])*\s+)*/;

/** One top-level command of a shell script, between operators. */
interface ScriptCommand {
  start: number;
  end: number;
  /** The operator before and after it: `&&`, `||`, `;`, `|`, `&`, a newline. */
  before?: string;
  after?: string;
}

interface ScriptShape {
  commands: ScriptCommand[];
  /** Shell features in the order first seen, as words for a message: "`&&`", "variable expansion". */
  features: string[];
}

function jsonArray(words: string[]): string {
  return `[${words.map((word) => JSON.stringify(word)).join(", ")}]`;
}

function shortened(text: string, length = 60): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > length ? `${oneLine.slice(0, length - 1)}…` : oneLine;
}

/** Index of the character that closes a construct opened before `from`, honouring quotes; -1 when unclosed. */
function closing(script: string, from: number, open: string, close: string): number {
  let depth = 1;
  for (let i = from; i < script.length; i++) {
    const char = script[i];
    if (char === "\\") i++;
    else if (char === "'") {
      const end = script.indexOf("'", i + 1);
      i = end < 0 ? script.length : end;
    } else if (char === open && open !== close) depth++;
    else if (char === close && --depth === 0) return i;
  }
  return -1;
}

/**
 * Splits a shell script at its top-level operators and lists the shell features it uses. Only what decides
 * whether the script is one plain command is read; nothing is expanded.
 */
function shapeOf(script: string): ScriptShape {
  const features = new Set<string>();
  const commands: ScriptCommand[] = [];
  let start = 0;
  let before: string | undefined;
  let wordStart = true;
  const split = (end: number, operator: string, length: number): number => {
    commands.push({ start, end, ...(before ? { before } : {}), after: operator });
    before = operator;
    start = end + length;
    wordStart = true;
    return end + length - 1;
  };
  for (let i = 0; i < script.length; i++) {
    const char = script[i] as string;
    const next = script[i + 1];
    const atWordStart = wordStart;
    wordStart = char === " " || char === "\t";
    if (char === "\\") {
      i++;
    } else if (char === "'") {
      const end = script.indexOf("'", i + 1);
      i = end < 0 ? script.length : end;
    } else if (char === '"') {
      let j = i + 1;
      for (; j < script.length && script[j] !== '"'; j++) {
        if (script[j] === "\\") j++;
        else if (script[j] === "$" && /[A-Za-z_{0-9@*#?$!(-]/.test(script[j + 1] ?? "")) features.add(script[j + 1] === "(" ? "command substitution" : "variable expansion");
        else if (script[j] === "`") features.add("command substitution");
      }
      i = j;
    } else if (char === "$" && next === "(") {
      features.add("command substitution");
      const end = closing(script, i + 2, "(", ")");
      i = end < 0 ? script.length : end;
    } else if (char === "$" && /[A-Za-z_{0-9@*#?$!-]/.test(next ?? "")) {
      features.add("variable expansion");
    } else if (char === "`") {
      features.add("command substitution");
      const end = script.indexOf("`", i + 1);
      i = end < 0 ? script.length : end;
    } else if (char === "&" && next === "&") {
      features.add("`&&`");
      i = split(i, "&&", 2);
    } else if (char === "|" && next === "|") {
      features.add("`||`");
      i = split(i, "||", 2);
    } else if (char === "|") {
      features.add("a pipe");
      i = split(i, "|", 1);
    } else if (char === "<" || char === ">" || (char === "&" && next === ">")) {
      features.add("a redirection");
      // `2>&1`, `&>`, `>>`, `>|`: the operator's second character is no operator of its own.
      if (next === "&" || next === ">" || next === "|") i++;
    } else if (char === "&") {
      features.add("a background job");
      i = split(i, "&", 1);
    } else if (char === ";" || char === "\n") {
      features.add(char === ";" ? "`;`" : "several lines");
      i = split(i, char, 1);
    } else if (char === "(" || char === ")") {
      features.add("a subshell");
    } else if (char === "*" || char === "?" || char === "[") {
      features.add("a glob pattern");
    } else if (char === "#" && atWordStart) {
      features.add("a comment");
      const end = script.indexOf("\n", i);
      i = end < 0 ? script.length : end - 1;
    } else if (char === "~" && atWordStart) {
      features.add("tilde expansion");
    }
  }
  commands.push({ start, end: script.length, ...(before ? { before } : {}) });
  const nonEmpty = commands.filter((command) => script.slice(command.start, command.end).trim() !== "");
  for (const command of nonEmpty) {
    const text = script.slice(command.start, command.end);
    if (/^\s*[A-Za-z_][A-Za-z0-9_]*=/.test(text)) features.add("a variable assignment");
    if (COMPOUND_KEYWORDS.has(firstWord(text))) features.add("a compound command");
  }
  return { commands: nonEmpty, features: [...features] };
}

function firstWord(command: string): string {
  return command.slice(ASSIGNMENTS.exec(command)?.[0].length ?? 0).trim().split(/\s+/)[0] ?? "";
}

/** The words of a script that is one plain command (no shell features), after quote removal. */
function plainWords(script: string): string[] | null {
  const shape = shapeOf(script);
  if (shape.features.length > 0 || shape.commands.length !== 1) return null;
  const commands = tokenizeShell(script, new LineIndex(script));
  return commands.length === 1 ? (commands[0]?.words.map((word) => word.text) ?? null) : null;
}

type ScriptVerdict =
  | { kind: "exec" }
  | { kind: "plain"; words: string[] }
  | { kind: "insertExec"; script: string; features: string[] }
  | { kind: "noExec"; features: string[] };

/** Whether the server a script starts ends up replacing the shell, and if not, how to make it. */
function judgeScript(script: string): ScriptVerdict {
  const shape = shapeOf(script);
  const last = shape.commands.at(-1);
  if (!last) return { kind: "exec" };
  const lastText = script.slice(last.start, last.end);
  const lastWord = firstWord(lastText);
  const inPipeline = last.before === "|" || last.after === "|" || last.after === "&";
  if (lastWord === "exec" && !inPipeline) return { kind: "exec" };
  // `if ...; then exec a; else exec b; fi`: trust an exec written anywhere in a compound command.
  if (COMPOUND_KEYWORDS.has(lastWord) && shape.commands.some((command) => firstWord(script.slice(command.start, command.end)) === "exec")) {
    return { kind: "exec" };
  }
  const words = plainWords(script);
  // `CMD bash`: an interactive shell, no server to signal.
  if (words && POSIX_SHELLS.has(path.posix.basename(words[0] ?? "")) && words.length === 1) return { kind: "exec" };
  if (words) return { kind: "plain", words };
  if (inPipeline || COMPOUND_KEYWORDS.has(lastWord)) return { kind: "noExec", features: shape.features };
  // After leading blanks and `VAR=value` assignments, which then apply to the exec'd server.
  const insertAt = last.start + (ASSIGNMENTS.exec(lastText)?.[0].length ?? 0);
  return { kind: "insertExec", script: `${script.slice(0, insertAt)}exec ${script.slice(insertAt)}`, features: shape.features };
}

function execArgv(instruction: DockerInstruction): string[] {
  return JSON.parse(instruction.args) as string[];
}

/** `["sh", "-c", script, ...]`: the script a shell wrapper in exec form runs. */
function wrappedScript(argv: string[]): string | undefined {
  const program = path.posix.basename(argv[0] ?? "");
  return POSIX_SHELLS.has(program) && /^-[a-z]*c[a-z]*$/.test(argv[1] ?? "") && argv[2] !== undefined ? argv[2] : undefined;
}

/** The ENTRYPOINT and CMD of the image the final stage builds, as Docker composes them across `FROM <stage>`. */
function effectiveSettings(dockerfile: DockerfileModel): { entrypoint?: Setting; cmd?: Setting } {
  let entrypoint: Setting | undefined;
  let cmd: Setting | undefined;
  let shell = DEFAULT_SHELL;
  for (const stage of finalLineage(dockerfile).reverse()) {
    // An ENTRYPOINT resets a CMD inherited from the base, but not one set earlier in the same stage.
    let cmdSetHere = false;
    for (const instruction of stage.instructions) {
      if (instruction.keyword === "SHELL" && instruction.execForm) shell = execArgv(instruction);
      else if (instruction.keyword === "CMD") {
        cmd = { instruction, shell };
        cmdSetHere = true;
      } else if (instruction.keyword === "ENTRYPOINT") {
        entrypoint = { instruction, shell };
        if (!cmdSetHere) cmd = undefined;
      }
    }
  }
  return { ...(entrypoint ? { entrypoint } : {}), ...(cmd ? { cmd } : {}) };
}

function isPosixShell(shell: string[]): boolean {
  return POSIX_SHELLS.has(path.posix.basename(shell[0] ?? ""));
}

/**
 * A JSON-looking CMD that is not JSON (single quotes, a missing comma), repaired when the repair is obvious.
 * The exec form expands no variables, so arguments with `$` go through `sh -c "exec ..."`.
 */
function repairedJson(args: string): string[] | undefined {
  const repaired = args.trim().replace(/'([^'"]*)'/g, '"$1"').replace(/"\s+"/g, '", "').replace(/,\s*\]$/, "]");
  let argv: string[];
  try {
    const value: unknown = JSON.parse(repaired);
    if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) return undefined;
    argv = value as string[];
  } catch {
    return undefined;
  }
  if (!argv.some((word) => word.includes("$"))) return argv;
  const quoted = argv.map((word) => (/^[A-Za-z0-9_@%+=:,./$-]+$/.test(word) ? word : `"${word.replace(/["\\`]/g, "\\$&")}"`));
  return ["sh", "-c", `exec ${quoted.join(" ")}`];
}

export default defineRule({
  meta: {
    id: "exec-form-entrypoint",
    title: "Start the server with the exec (JSON) form of CMD and ENTRYPOINT",
    section: "container",
    severity: "warning",
    weight: 1,
    description:
      "The CMD and ENTRYPOINT that the final stage's image runs use the exec (JSON) form, or `exec` the server, so that the server process receives the SIGTERM Kubernetes sends when a rolling, blue-green or canary switch stops old pods, and can drain its connections.",
    options: { type: "object", additionalProperties: false, properties: {} },
    defaultOptions: {},
    messages: {
      shellForm:
        "{{instruction}} uses the shell form, so `{{shell}}` runs as PID 1 and swallows the SIGTERM that stops old pods in a rolling, blue-green or canary switch: the server never drains its connections and is killed after the grace period. Use the exec (JSON) form: {{fix}}",
      shellScript:
        "{{instruction}} runs the server inside `{{shell}}` ({{reason}}), so the shell stays PID 1 and swallows the SIGTERM that stops old pods in a rolling, blue-green or canary switch: the server is killed mid-request after the grace period. Let the server replace the shell: {{fix}}",
      shellNoExec:
        "{{instruction}} runs the server inside `{{shell}}` in a pipeline, background job or compound command ({{reason}}), so the shell stays PID 1 and swallows the SIGTERM that stops old pods in a rolling, blue-green or canary switch. Move the commands into an entrypoint script that ends with `exec <server command>` and name it in exec form (ENTRYPOINT [\"/entrypoint.sh\"]).",
      shellCmdAfterEntrypoint:
        "CMD uses the shell form, so ENTRYPOINT {{entrypoint}} receives `{{shell}} '{{command}}'` as its arguments and the server runs under that shell, which does not pass on the SIGTERM that stops old pods in a rolling, blue-green or canary switch. Let the server replace the shell: {{fix}}",
      invalidJson:
        "{{instruction}} starts with `[` but is not valid JSON, so Docker runs the whole text as a shell command through `{{shell}}`: the container fails to start, or the shell swallows the SIGTERM of a rollout. Write a JSON array of double-quoted strings separated by commas: {{fix}}",
    },
  },
  check(context) {
    const dockerfiles = productionDockerfiles(context.project);
    if (dockerfiles.length === 0) {
      context.skip(context.project.dockerfiles.length > 0 ? "the only Dockerfiles are for tests, development or CI" : "no Dockerfile");
      return;
    }

    for (const dockerfile of dockerfiles) {
      const { entrypoint, cmd } = effectiveSettings(dockerfile);
      const report = (setting: Setting, messageId: string, data: Record<string, string>) => {
        const descriptor: ReportDescriptor = {
          messageId,
          data: { instruction: setting.instruction.keyword, shell: setting.shell.join(" "), ...data },
          file: dockerfile.path,
          at: setting.instruction.location,
        };
        context.report(descriptor);
      };

      /** Judges a setting whose text a shell runs: a shell-form instruction, or the script of `["sh", "-c", script]`. */
      const judge = (setting: Setting, script: string, wrapper?: string[]) => {
        const keyword = setting.instruction.keyword;
        const underEntrypoint = keyword === "CMD" && entrypoint?.instruction.execForm === true && !wrapper;
        const shown = wrapper ? { ...setting, shell: wrapper.slice(0, 2) } : setting;
        const verdict = judgeScript(script);
        // Continuation lines joined: their indentation is no part of the command.
        const render = (text: string) => (wrapper ? `${keyword} ${jsonArray([...wrapper.slice(0, 2), text, ...wrapper.slice(3)])}` : `${keyword} ${text.replace(/[ \t]{2,}/g, " ").trim()}`);
        if (verdict.kind === "exec") return;
        if (verdict.kind === "noExec") {
          report(shown, "shellNoExec", { reason: verdict.features.join(", ") });
          return;
        }
        // A plain script needs no shell at all, also inside `sh -c` (it uses no positional parameters either).
        const fix = verdict.kind === "plain" ? `${keyword} ${jsonArray(verdict.words)}` : render(verdict.script);
        if (underEntrypoint) {
          report(shown, "shellCmdAfterEntrypoint", { entrypoint: jsonArray(execArgv(entrypoint.instruction)), command: shortened(script), fix });
        } else if (verdict.kind === "plain" && !wrapper) {
          report(shown, "shellForm", { fix });
        } else {
          const features = verdict.kind === "insertExec" && verdict.features.length > 0 ? verdict.features.join(", ") : "shell syntax";
          const reason = wrapper ? `an explicit \`${wrapper.slice(0, 2).join(" ")}\` without exec` : `the shell form with ${features}`;
          report(shown, "shellScript", { reason, fix });
        }
      };

      const inspect = (setting: Setting | undefined) => {
        if (!setting) return;
        const { instruction } = setting;
        if (instruction.execForm) {
          const argv = execArgv(instruction);
          const script = wrappedScript(argv);
          if (script !== undefined) judge(setting, script, argv);
          return;
        }
        // Windows images (SHELL ["powershell", ...] or cmd): no SIGTERM to pass on.
        if (!isPosixShell(setting.shell) || instruction.args.trim() === "") return;
        if (instruction.args.trimStart().startsWith("[")) {
          const repaired = repairedJson(instruction.args);
          report(setting, "invalidJson", { fix: `${instruction.keyword} ${repaired ? jsonArray(repaired) : '["program", "argument"]'}` });
          return;
        }
        judge(setting, instruction.args);
      };

      // A shell-form ENTRYPOINT ignores CMD altogether.
      inspect(entrypoint);
      if (!entrypoint || entrypoint.instruction.execForm) inspect(cmd);
    }
  },
});
