// Load tests and the rate they drive, read from the test files and the commands that run them.
// Nothing here runs the project's code: JavaScript, Python, Scala and XML are read with regexes
// over comment-stripped text, so a value computed at run time is "not derivable", never guessed.
import path from "node:path";
import type { SourceLocation } from "./model.js";
import type { ProjectModel } from "./project.js";

export type LoadTool = "k6" | "locust" | "vegeta" | "hey" | "wrk" | "artillery" | "jmeter" | "gatling";

/** One load test and the rate it drives at its highest stage, or why that rate cannot be told. */
export interface LoadTest {
  tool: LoadTool;
  file: string;
  location: SourceLocation;
  /** Requests per second at the highest stage; undefined when it cannot be derived. */
  rps?: number;
  /** How `rps` was derived ("ramping-arrival-rate target 100 per 1s"), or why it could not be. */
  detail: string;
  /** How to make the rate derivable, when it is not. */
  fix?: string;
}

/** A value read from a file, with where it is written. */
interface Located<T> {
  value: T;
  location: SourceLocation;
}

/** Largest file read as a load test, README or script (bytes). */
export const MAX_TEXT_SIZE = 1024 * 1024;
/** At most this many candidate load-test files are read per project. */
const MAX_CANDIDATES = 200;
/** Longer lines are not read as commands or peak declarations. */
const MAX_COMMAND_LINE = 4000;

// ---------------------------------------------------------------- text helpers

function locationAt(text: string, index: number): SourceLocation {
  let line = 1;
  let lineStart = 0;
  for (let position = text.indexOf("\n"); position !== -1 && position < index; position = text.indexOf("\n", position + 1)) {
    line++;
    lineStart = position + 1;
  }
  return { line, column: index - lineStart + 1 };
}

/** Blanks out JavaScript (also Scala, Java, Kotlin) comments, keeping strings, line breaks and offsets. */
export function stripCComments(text: string): string {
  let out = "";
  let index = 0;
  while (index < text.length) {
    const char = text[index] as string;
    const next = text[index + 1];
    if (char === "/" && next === "/") {
      const end = text.indexOf("\n", index);
      const stop = end === -1 ? text.length : end;
      out += " ".repeat(stop - index);
      index = stop;
    } else if (char === "/" && next === "*") {
      const end = text.indexOf("*/", index + 2);
      const stop = end === -1 ? text.length : end + 2;
      out += text.slice(index, stop).replace(/[^\n]/g, " ");
      index = stop;
    } else if (char === "'" || char === '"' || char === "`") {
      let end = index + 1;
      while (end < text.length && text[end] !== char) {
        if (text[end] === "\\") end++;
        else if (text[end] === "\n" && char !== "`") break;
        end++;
      }
      out += text.slice(index, end + 1);
      index = end + 1;
    } else {
      out += char;
      index++;
    }
  }
  return out;
}

/** Blanks out Python `#` comments (outside quotes on the same line). */
export function stripHashComments(text: string): string {
  return text
    .split("\n")
    .map((line) => {
      let quote: string | null = null;
      for (let index = 0; index < line.length; index++) {
        const char = line[index];
        if (quote) {
          if (char === "\\") index++;
          else if (char === quote) quote = null;
        } else if (char === "'" || char === '"') quote = char;
        else if (char === "#") return line.slice(0, index) + " ".repeat(line.length - index);
      }
      return line;
    })
    .join("\n");
}

/** Index of the bracket closing the one at `open` (same kind), skipping strings; -1 when unbalanced. */
function matchingBracket(text: string, open: number): number {
  const opener = text[open];
  const closer = opener === "{" ? "}" : opener === "[" ? "]" : ")";
  let depth = 0;
  for (let index = open; index < text.length; index++) {
    const char = text[index];
    if (char === "'" || char === '"' || char === "`") {
      let end = index + 1;
      while (end < text.length && text[end] !== char) end += text[end] === "\\" ? 2 : 1;
      index = end;
    } else if (char === opener) depth++;
    else if (char === closer) {
      depth--;
      if (depth === 0) return index;
    }
  }
  return -1;
}

/** Index of the `{` of the innermost object that encloses `index`; -1 at top level. */
function enclosingBrace(text: string, index: number): number {
  let depth = 0;
  for (let position = index; position >= 0; position--) {
    const char = text[position];
    if (char === "}") depth++;
    else if (char === "{") {
      if (depth === 0) return position;
      depth--;
    }
  }
  return -1;
}

const round = (value: number): number => Math.round(value * 100) / 100;

/** `100`, `1e3`, `1_000`; a constant's name; `__ENV.RATE || 100` (the default); otherwise undefined. */
function numberOf(expression: string, constants: Map<string, number>): number | undefined {
  const trimmed = expression.trim().replace(/^\(+|\)+$/g, "").trim();
  if (/^\d[\d_]*(\.\d+)?(e\d+)?$/i.test(trimmed)) return Number(trimmed.replace(/_/g, ""));
  if (/^[A-Za-z_$][\w$]*$/.test(trimmed)) return constants.get(trimmed);
  // An environment override with a literal default: the default is what a plain run drives.
  const fallback = /(?:\|\||\?\?)\s*\(?\s*["']?(\d+(?:\.\d+)?)["']?\s*\)?\s*\)?$/.exec(trimmed);
  if (fallback && /__ENV|process\.env|os\.environ|getenv/.test(trimmed)) return Number(fallback[1]);
  const parsed = /^(?:parseInt|parseFloat|Number)\(\s*["']?(\d+(?:\.\d+)?)["']?\s*(?:,\s*10\s*)?\)$/.exec(trimmed);
  if (parsed) return Number(parsed[1]);
  return undefined;
}

/** `const RATE = 100;` and `let VUS = __ENV.VUS || 20` at any depth: names a later option may use. */
function numericConstants(code: string): Map<string, number> {
  const constants = new Map<string, number>();
  for (const match of code.matchAll(/\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*([^;\n,]+)/g)) {
    const value = numberOf(match[2] as string, constants);
    if (value !== undefined) constants.set(match[1] as string, value);
  }
  return constants;
}

/** k6 duration strings: `1s`, `1m`, `500ms`, `1h30m`; a bare number is milliseconds. */
function durationSeconds(written: string): number | undefined {
  const text = written.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) / 1000;
  let total = 0;
  let matched = "";
  for (const part of text.matchAll(/(\d+(?:\.\d+)?)(ms|us|µs|ns|s|m|h)/g)) {
    const value = Number(part[1]);
    const unit = part[2];
    total += unit === "h" ? value * 3600 : unit === "m" ? value * 60 : unit === "s" ? value : unit === "ms" ? value / 1000 : value / 1e6;
    matched += part[0];
  }
  return matched === text && matched !== "" ? total : undefined;
}

// ---------------------------------------------------------------- k6

const K6_IMPORT = /(?:from\s*["']k6(?:\/[\w/-]+)?["']|require\(\s*["']k6(?:\/[\w/-]+)?["']\s*\))/;
const HTTP_CALL = /\bhttp\s*\.\s*(?:get|post|put|patch|del|head|options|request|asyncRequest)\s*\(/g;

/** Every `key: <value>` directly written in `objectText` (nested objects included), with its offset. */
function propertyValues(objectText: string, key: string): { expression: string; index: number }[] {
  const found: { expression: string; index: number }[] = [];
  const pattern = new RegExp(`(?:^|[\\s{,])["']?${key}["']?\\s*:\\s*([^,}\\n]+)`, "g");
  for (const match of objectText.matchAll(pattern)) {
    found.push({ expression: (match[1] as string).trim(), index: (match.index ?? 0) + match[0].indexOf(key) });
  }
  return found;
}

/** The highest `target` of a `stages: [...]` list inside `objectText`, with its offset. */
function highestStageTarget(objectText: string, constants: Map<string, number>): { value: number; index: number } | undefined {
  const stages = /\bstages\s*:\s*\[/.exec(objectText);
  if (!stages) return undefined;
  const open = stages.index + stages[0].length - 1;
  const close = matchingBracket(objectText, open);
  const list = objectText.slice(open, close === -1 ? objectText.length : close + 1);
  let best: { value: number; index: number } | undefined;
  for (const target of propertyValues(list, "target")) {
    const value = numberOf(target.expression, constants);
    if (value === undefined) return undefined;
    if (!best || value > best.value) best = { value, index: open + target.index };
  }
  return best;
}

function literalString(expression: string | undefined): string | undefined {
  const match = expression ? /^["'`]([^"'`]*)["'`]$/.exec(expression.trim()) : null;
  return match ? (match[1] as string) : undefined;
}

/** The body of the function a VU iterates: `export default function` (or the scenario's `exec` function). */
function iterationBody(code: string, execName?: string): string | undefined {
  const exec = execName && /^[A-Za-z_$][\w$]*$/.test(execName) ? execName.replace(/\$/g, "\\$") : undefined;
  const patterns = exec
    ? [new RegExp(`function\\s+${exec}\\s*\\(`), new RegExp(`\\b${exec}\\s*=\\s*(?:async\\s*)?(?:function\\s*)?\\([^)]*\\)\\s*(?:=>)?\\s*\\{`)]
    : [/export\s+default\s+(?:async\s+)?function\s*\w*\s*\(/, /export\s+default\s+(?:async\s*)?\([^)]*\)\s*=>\s*\{/];
  for (const pattern of patterns) {
    const match = pattern.exec(code);
    if (!match) continue;
    const open = code.indexOf("{", match.index + match[0].length - 1);
    if (open === -1) continue;
    const close = matchingBracket(code, open);
    return code.slice(open, close === -1 ? code.length : close + 1);
  }
  return undefined;
}

/** Requests per second of closed-loop VUs: each iteration makes its HTTP calls, then sleeps a fixed time. */
function vuRate(code: string, vus: number, exec: string | undefined): { rps?: number; detail: string; fix?: string } {
  const body = iterationBody(code, exec) ?? code;
  const sleeps = [...body.matchAll(/\bsleep\s*\(([^()]*(?:\([^()]*\))?[^()]*)\)/g)].map((match) => (match[1] as string).trim());
  const requests = Math.max(1, [...body.matchAll(HTTP_CALL)].length);
  const fix = "Use a `constant-arrival-rate` or `ramping-arrival-rate` scenario (rate and timeUnit), or give each iteration a fixed `sleep(seconds)`";
  if (sleeps.length === 0) {
    return { detail: `${vus} VUs iterate without a think time (no \`sleep()\`), so the rate depends on the service's latency`, fix };
  }
  let think = 0;
  for (const written of sleeps) {
    if (!/^\d+(\.\d+)?$/.test(written)) return { detail: `${vus} VUs sleep \`${written}\` seconds per iteration, which is not a fixed think time`, fix };
    think += Number(written);
  }
  if (think <= 0) return { detail: `${vus} VUs iterate with \`sleep(0)\`, so the rate depends on the service's latency`, fix };
  const rps = (vus * requests) / think;
  return { rps, detail: `${vus} VUs x ${requests} request${requests === 1 ? "" : "s"} per ${round(think)} s think time` };
}

/** A k6 script's highest driven rate, from its `options` (scenarios, stages, vus). Null when the text is not a k6 script. */
export function analyzeK6(text: string, file: string): LoadTest | null {
  const code = stripCComments(text);
  if (!K6_IMPORT.test(code)) return null;
  const constants = numericConstants(code);
  let optionsMatch: RegExpExecArray | null = /\b(?:export\s+)?(?:const|let|var)\s+options\s*=\s*\{|export\s+const\s+options\s*:\s*[\w.<>]+\s*=\s*\{/.exec(code);
  if (!optionsMatch) {
    // `export const options = get_options();` with `function get_options() { return { ... } }` in the same file.
    const builder = /\b(?:export\s+)?(?:const|let|var)\s+options\s*=\s*([A-Za-z_$][\w$]*)\s*\(\s*\)/.exec(code);
    const definition = builder ? new RegExp(`function\\s+${(builder[1] as string).replace(/\$/g, "\\$")}\\s*\\([^)]*\\)\\s*\\{[^{}]*?\\breturn\\s*\\{`).exec(code) : null;
    if (definition) optionsMatch = definition;
  }
  const head: LoadTest = { tool: "k6", file, location: locationAt(text, optionsMatch?.index ?? 0), detail: "" };
  if (!optionsMatch) {
    return { ...head, detail: "the script exports no `options` object, so it runs 1 VU unless the command line says otherwise", fix: "Export `options` with a `constant-arrival-rate` scenario: `scenarios: { peak: { executor: \"constant-arrival-rate\", rate: 300, timeUnit: \"1s\", duration: \"10m\", preAllocatedVUs: 100 } }`" };
  }
  const open = optionsMatch.index + optionsMatch[0].length - 1;
  const close = matchingBracket(code, open);
  const optionsText = code.slice(open, close === -1 ? code.length : close + 1);
  const at = (offset: number) => locationAt(text, open + offset);

  const scenarios: LoadTest[] = [];
  for (const executor of code.slice(open, open + optionsText.length).matchAll(/\bexecutor\s*:\s*["'`]([\w-]+)["'`]/g)) {
    const executorIndex = executor.index ?? 0;
    const scenarioOpen = enclosingBrace(optionsText, executorIndex);
    if (scenarioOpen === -1) continue;
    const scenarioClose = matchingBracket(optionsText, scenarioOpen);
    const scenario = optionsText.slice(scenarioOpen, scenarioClose === -1 ? optionsText.length : scenarioClose + 1);
    const name = /["']?([\w-]+)["']?\s*:\s*$/.exec(optionsText.slice(Math.max(0, scenarioOpen - 80), scenarioOpen))?.[1] ?? "scenario";
    const kind = executor[1] as string;
    const first = (key: string) => propertyValues(scenario, key)[0];
    const timeUnitWritten = literalString(first("timeUnit")?.expression) ?? "1s";
    const timeUnit = durationSeconds(timeUnitWritten);
    const base = { ...head, location: at(scenarioOpen + (executorIndex - scenarioOpen)) };
    if (kind === "constant-arrival-rate" || kind === "ramping-arrival-rate") {
      let rate: { value: number; index: number } | undefined;
      if (kind === "constant-arrival-rate") {
        const written = first("rate");
        const value = written ? numberOf(written.expression, constants) : undefined;
        if (written && value !== undefined) rate = { value, index: written.index };
      } else {
        rate = highestStageTarget(scenario, constants);
        const start = first("startRate");
        const startValue = start ? numberOf(start.expression, constants) : undefined;
        if (rate && startValue !== undefined && startValue > rate.value) rate = { value: startValue, index: start?.index ?? 0 };
      }
      if (!rate || timeUnit === undefined || timeUnit <= 0) {
        scenarios.push({ ...base, detail: `scenario "${name}" (${kind}) sets its rate with an expression mlready does not evaluate`, fix: "Write the rate, stage targets and timeUnit as literals (or constants with literal values)" });
        continue;
      }
      scenarios.push({ ...base, location: at(scenarioOpen + rate.index), rps: rate.value / timeUnit, detail: `scenario "${name}": ${kind} ${kind === "ramping-arrival-rate" ? "peak target" : "rate"} ${rate.value} per ${timeUnitWritten}` });
      continue;
    }
    if (kind === "constant-vus" || kind === "ramping-vus" || kind === "per-vu-iterations" || kind === "shared-iterations") {
      const vusWritten = kind === "ramping-vus" ? undefined : first("vus");
      let vus = kind === "ramping-vus" ? highestStageTarget(scenario, constants) : vusWritten ? { value: numberOf(vusWritten.expression, constants) ?? Number.NaN, index: vusWritten.index } : { value: 1, index: executorIndex - scenarioOpen };
      if (kind === "ramping-vus") {
        const start = first("startVUs");
        const startValue = start ? numberOf(start.expression, constants) : undefined;
        if (vus && startValue !== undefined && startValue > vus.value) vus = { value: startValue, index: start?.index ?? 0 };
      }
      if (!vus || Number.isNaN(vus.value)) {
        scenarios.push({ ...base, detail: `scenario "${name}" (${kind}) sets its VUs with an expression mlready does not evaluate`, fix: "Write the VUs and stage targets as literals" });
        continue;
      }
      const exec = literalString(first("exec")?.expression);
      const rate = vuRate(code, vus.value, exec);
      scenarios.push({ ...base, location: at(scenarioOpen + vus.index), ...(rate.rps !== undefined ? { rps: rate.rps } : {}), detail: `scenario "${name}" (${kind}): ${rate.detail}`, ...(rate.fix ? { fix: rate.fix } : {}) });
      continue;
    }
    scenarios.push({ ...base, detail: `scenario "${name}" uses the ${kind} executor, whose rate is set at run time`, fix: "Add a `constant-arrival-rate` scenario at the target rate" });
  }
  if (scenarios.length > 0) {
    // Scenarios may run one after another: the highest one is what the test reaches.
    const derived = scenarios.filter((scenario) => scenario.rps !== undefined).sort((a, b) => (b.rps as number) - (a.rps as number));
    return derived[0] ?? (scenarios[0] as LoadTest);
  }

  const stages = highestStageTarget(optionsText, constants);
  const vusWritten = propertyValues(optionsText, "vus")[0];
  const vus = stages ?? (vusWritten ? { value: numberOf(vusWritten.expression, constants) ?? Number.NaN, index: vusWritten.index } : undefined);
  if (!vus || Number.isNaN(vus.value)) {
    const detail = vusWritten || /\bstages\s*:/.test(optionsText) ? "`options` set the VUs with an expression mlready does not evaluate" : "`options` set neither scenarios, stages nor vus, so the script runs 1 VU unless the command line says otherwise";
    return { ...head, detail, fix: "Add a `constant-arrival-rate` scenario with a literal rate and timeUnit" };
  }
  const rate = vuRate(code, vus.value, undefined);
  return { ...head, location: at(vus.index), ...(rate.rps !== undefined ? { rps: rate.rps } : {}), detail: `${stages ? "stages peak at " : ""}${rate.detail}`, ...(rate.fix ? { fix: rate.fix } : {}) };
}

// ---------------------------------------------------------------- Locust

const LOCUST_IMPORT = /^\s*(?:from\s+locust(?:\.[\w.]+)?\s+import\b|import\s+locust\b)/m;

/** One Locust user class: its task rate per user (tasks per second), or why there is none. */
export interface LocustUserClass {
  name: string;
  location: SourceLocation;
  weight: number;
  perUser?: number;
  waitTime?: string;
  /** Where `wait_time` is written. */
  waitLocation?: SourceLocation;
}

export interface Locustfile {
  file: string;
  classes: LocustUserClass[];
  /** The highest user count of a `LoadTestShape` in the file, which overrides `-u`. */
  shapeUsers?: Located<number>;
}

/** Reads a locustfile's user classes and their `wait_time`; null when the text does not import locust. */
export function parseLocustfile(text: string, file: string): Locustfile | null {
  const code = stripHashComments(text);
  if (!LOCUST_IMPORT.test(code)) return null;
  const lines = code.split("\n");
  interface Block { name: string; bases: string[]; start: number; end: number; indent: number }
  const blocks: Block[] = [];
  lines.forEach((line, index) => {
    const match = /^(\s*)class\s+(\w+)\s*\(([^)]*)\)\s*:/.exec(line);
    if (match) blocks.push({ name: match[2] as string, bases: (match[3] as string).split(",").map((base) => base.trim().split(".").pop() ?? ""), start: index, end: lines.length, indent: (match[1] as string).length });
  });
  for (const block of blocks) {
    for (let index = block.start + 1; index < lines.length; index++) {
      const line = lines[index] as string;
      if (line.trim() === "") continue;
      if ((/^\s*/.exec(line)?.[0].length ?? 0) <= block.indent) {
        block.end = index;
        break;
      }
    }
  }
  const byName = new Map(blocks.map((block) => [block.name, block]));
  const userBases = new Set(["User", "HttpUser", "FastHttpUser", "HttpLocust", "Locust", "GrpcUser"]);
  const isUser = (block: Block, seen = new Set<string>()): boolean =>
    block.bases.some((base) => userBases.has(base) || (!seen.has(base) && byName.has(base) && isUser(byName.get(base) as Block, seen.add(base))));
  const ownLine = (block: Block, pattern: RegExp): { match: RegExpExecArray; line: number } | undefined => {
    for (let index = block.start + 1; index < block.end; index++) {
      const match = pattern.exec(lines[index] as string);
      if (match) return { match, line: index + 1 };
    }
    return undefined;
  };
  const waitOf = (block: Block, seen = new Set<string>()): { match: RegExpExecArray; line: number } | undefined => {
    const own = ownLine(block, /^\s*wait_time\s*=\s*(.+?)\s*$/);
    if (own) return own;
    seen.add(block.name);
    for (const base of block.bases) {
      const parent = byName.get(base);
      const inherited = parent && !seen.has(parent.name) ? waitOf(parent, seen) : undefined;
      if (inherited) return inherited;
    }
    return undefined;
  };

  const classes: LocustUserClass[] = [];
  let shapeUsers: Located<number> | undefined;
  for (const block of blocks) {
    if (block.bases.includes("LoadTestShape")) {
      const body = lines.slice(block.start, block.end).join("\n");
      for (const pattern of [/["']users["']\s*:\s*(\d+)/g, /\busers\s*=\s*(\d+)/g, /\breturn\s*\(?\s*(\d+)\s*,/g]) {
        for (const match of body.matchAll(pattern)) {
          const value = Number(match[1]);
          if (!shapeUsers || value > shapeUsers.value) shapeUsers = { value, location: { line: block.start + 1 + (body.slice(0, match.index).split("\n").length - 1), column: 1 } };
        }
      }
      continue;
    }
    if (!isUser(block) || ownLine(block, /^\s*abstract\s*=\s*True\b/)) continue;
    const weight = Number(ownLine(block, /^\s*weight\s*=\s*(\d+)/)?.match[1] ?? 1);
    const wait = waitOf(block);
    const entry: LocustUserClass = { name: block.name, location: { line: block.start + 1, column: 1 }, weight };
    if (wait) {
      const written = (wait.match[1] as string).trim();
      entry.waitTime = written;
      entry.waitLocation = { line: wait.line, column: 1 };
      const call = /^(?:[\w.]+\.)?(constant_throughput|constant_pacing|constant|between)\s*\(\s*([\d.]+)\s*(?:,\s*([\d.]+)\s*)?\)$/.exec(written);
      const value = call ? Number(call[2]) : Number.NaN;
      if (call && value > 0 && call[1] === "constant_throughput") entry.perUser = value;
      else if (call && value > 0 && (call[1] === "constant_pacing" || call[1] === "constant")) entry.perUser = 1 / value;
    }
    classes.push(entry);
  }
  return { file, classes, ...(shapeUsers ? { shapeUsers } : {}) };
}

/** `users = 100` (or `u = 100`) in a locust.conf. */
export function locustConfUsers(text: string): Located<number> | undefined {
  const lines = text.split("\n");
  for (let index = 0; index < lines.length; index++) {
    const match = /^\s*(?:users|u)\s*=\s*(\d+)\s*(?:#.*)?$/.exec(lines[index] as string);
    if (match) return { value: Number(match[1]), location: { line: index + 1, column: 1 } };
  }
  return undefined;
}

/** Combines a locustfile with the user count its run uses. */
export function analyzeLocust(locustfile: Locustfile, users: (Located<number> & { file: string }) | undefined): LoadTest {
  const first = locustfile.classes[0];
  const head = { tool: "locust" as const, file: locustfile.file, location: first?.location ?? { line: 1, column: 1 } };
  if (!first) return { ...head, detail: "the locustfile defines no user class", fix: "Define an `HttpUser` class with `wait_time = constant_throughput(n)`" };
  const fix = "Give each user class a fixed per-user rate: `wait_time = constant_throughput(2)` (2 tasks per second per user) or `constant_pacing(0.5)`";
  const unknown = locustfile.classes.find((userClass) => userClass.perUser === undefined);
  if (unknown) {
    const detail = unknown.waitTime
      ? `user class ${unknown.name} waits \`${unknown.waitTime}\`, which is not a fixed per-user rate`
      : `user class ${unknown.name} sets no \`wait_time\`, so its users run tasks back to back and the rate depends on the service's latency`;
    return { ...head, location: unknown.waitLocation ?? unknown.location, detail, fix };
  }
  const effectiveUsers = locustfile.shapeUsers ? { ...locustfile.shapeUsers, file: locustfile.file, source: "its LoadTestShape" } : users ? { ...users, source: users.file } : undefined;
  if (!effectiveUsers) {
    return {
      ...head,
      location: first.waitLocation ?? first.location,
      detail: "the number of users is not set anywhere mlready reads",
      fix: "Set `users = 200` in locust.conf, or run it with `locust --headless -u 200 -r 20` in a script or Makefile target",
    };
  }
  const totalWeight = locustfile.classes.reduce((sum, userClass) => sum + userClass.weight, 0);
  const perUser = locustfile.classes.reduce((sum, userClass) => sum + userClass.weight * (userClass.perUser as number), 0) / totalWeight;
  const waits = [...new Set(locustfile.classes.map((userClass) => userClass.waitTime))].join(", ");
  return {
    ...head,
    location: first.waitLocation ?? first.location,
    rps: effectiveUsers.value * perUser,
    detail: `${effectiveUsers.value} users (${effectiveUsers.source}) x ${round(perUser)} tasks/s per user (${waits})`,
  };
}

// ---------------------------------------------------------------- commands (vegeta, hey, wrk, locust -u, k6 run)

export interface CommandFinding {
  /** A load test driven by the command itself (vegeta, hey, wrk). */
  test?: LoadTest;
  /** `locust -u N`: the user count of a Locust run. */
  locustUsers?: Located<number> & { file: string };
  /** A file a load-test command runs (`k6 run x.js`, `locust -f x.py`, `artillery run x.yml`), resolved later. */
  runs?: string;
}

function flagValue(line: string, flags: string[]): string | undefined {
  for (const flag of flags) {
    const escaped = flag.replace(/[-]/g, "\\-");
    const match = new RegExp(`(?:^|\\s)${escaped}(?:=|\\s+)["']?([^\\s"']+)`).exec(line);
    if (match) return match[1] as string;
  }
  return undefined;
}

/** `$(VAR)`, `${VAR}`, `${VAR:-10}` and `$VAR` resolved from `VAR ?= 10`-like lines of the same file. */
function resolveVariables(value: string, fileText: string): string {
  return value.replace(/\$\{?\(?(\w+)(?::?-([^})]*))?[})]?/g, (whole, name: string, fallback: string | undefined) => {
    if (fallback !== undefined && /^\d/.test(fallback)) return fallback;
    const assigned = new RegExp(`^\\s*(?:export\\s+)?${name}\\s*(?:\\?=|:=|::=|=)\\s*["']?(?:\\$\\{${name}:-)?(\\d+(?:\\.\\d+)?)`, "m").exec(fileText);
    return assigned ? (assigned[1] as string) : whole;
  });
}

/** Reads the load-test commands of one file's lines (scripts, Makefiles, CI workflows, README code). */
export function scanCommands(text: string, file: string): CommandFinding[] {
  const found: CommandFinding[] = [];
  const lines = text.split("\n");
  for (let index = 0; index < lines.length; index++) {
    let line = lines[index] as string;
    const start = index;
    while (/\\\s*$/.test(line) && index + 1 < lines.length) line = line.replace(/\\\s*$/, " ") + lines[++index];
    if (/^\s*#/.test(line) && !file.endsWith(".md")) continue;
    // Minified or generated lines are no commands, and long ones would make the lookaheads slow.
    if (line.length > MAX_COMMAND_LINE) continue;
    const location = { line: start + 1, column: 1 };
    const value = (flags: string[]) => {
      const written = flagValue(line, flags);
      return written === undefined ? undefined : resolveVariables(written, text);
    };
    const vegeta = /(?:^|[\s;&|(`"'/])vegeta\s+attack\b/.exec(line);
    if (vegeta) {
      const rate = value(["-rate", "--rate"]);
      const match = rate === undefined ? ["50/1s", "50", "1s"] : /^(\d+(?:\.\d+)?)(?:\/(\d*(?:ms|s|m|h)))?$/.exec(rate);
      const per = match ? durationSeconds(/^\d/.test(match[2] ?? "1s") ? (match[2] ?? "1s") : `1${match[2]}`) : undefined;
      const rps = match && per ? Number(match[1]) / per : undefined;
      found.push({ test: rps !== undefined && rps > 0
        ? { tool: "vegeta", file, location, rps, detail: rate === undefined ? "vegeta attack at its default rate of 50/s" : `vegeta attack -rate=${rate}` }
        : { tool: "vegeta", file, location, detail: `vegeta attack -rate=${rate} is not a fixed rate`, fix: "Write the rate as a literal, e.g. `-rate=300/s`" } });
      continue;
    }
    const hey = /(?:^|[\s;&|(`"'/])hey\s+(?:-[\w]+|https?:)/.exec(line);
    if (hey) {
      const qps = value(["-q"]);
      const workers = value(["-c"]) ?? "50";
      const rps = qps !== undefined && /^\d+(\.\d+)?$/.test(qps) && /^\d+$/.test(workers) ? Number(qps) * Number(workers) : undefined;
      found.push({ test: rps !== undefined
        ? { tool: "hey", file, location, rps, detail: `hey -q ${qps} -c ${workers}` }
        : { tool: "hey", file, location, detail: "hey runs without a literal rate limit (`-q`), so the rate depends on the service's latency", fix: "Add `-q <per-worker rate> -c <workers>` (rate = q x c)" } });
      continue;
    }
    const wrk = /(?:^|[\s;&|(`"'/])wrk2?\s+(?:-[\w-]+|https?:)/.exec(line);
    if (wrk) {
      const rate = value(["-R", "--rate"]);
      found.push({ test: rate !== undefined && /^\d+(\.\d+)?$/.test(rate)
        ? { tool: "wrk", file, location, rps: Number(rate), detail: `wrk2 -R ${rate}` }
        : { tool: "wrk", file, location, detail: "wrk runs closed-loop without a rate (`-R`), so the rate depends on the service's latency", fix: "Use wrk2 with `-R <requests per second>`" } });
      continue;
    }
    const locust = /(?:^|[\s;&|(`"'/=])locust\s+(?=.*\s-(?:u|-users|f|-locustfile)\b)/.exec(line) ?? /(?:^|[\s;&|(`"'/])locust\s+-/.exec(line);
    if (locust) {
      const users = value(["-u", "--users"]);
      if (users !== undefined && /^\d+$/.test(users)) found.push({ locustUsers: { value: Number(users), location, file } });
      const locustfile = value(["-f", "--locustfile"]);
      if (locustfile) found.push({ runs: locustfile });
      continue;
    }
    const runner = /(?:^|[\s;&|(`"'/])(?:k6\s+run|artillery\s+run|jmeter\s.*?-t)\s+(?:.*\s)?["']?([\w./-]+\.(?:js|ts|mjs|ya?ml|jmx))\b/.exec(line);
    if (runner) found.push({ runs: runner[1] as string });
  }
  return found;
}

// ---------------------------------------------------------------- Artillery, JMeter, Gatling

/** Artillery: the highest `arrivalRate`/`rampTo` of `config.phases` (new virtual users per second). */
export function analyzeArtillery(text: string, file: string): LoadTest | null {
  if (!/^\s*phases\s*:/m.test(text) || !/^\s*scenarios\s*:/m.test(text)) return null;
  const lines = text.split("\n");
  let best: Located<number> | undefined;
  let unknown: SourceLocation | undefined;
  lines.forEach((line, index) => {
    const match = /^\s*-?\s*(arrivalRate|rampTo|arrivalCount)\s*:\s*(\S+)/.exec(line);
    if (!match || match[1] === "arrivalCount") return;
    const value = Number(match[2]);
    if (Number.isNaN(value)) unknown ??= { line: index + 1, column: 1 };
    else if (!best || value > best.value) best = { value, location: { line: index + 1, column: 1 } };
  });
  const requestSteps = lines.filter((line) => /^\s*-\s*(get|post|put|patch|delete|head)\s*:/.test(line)).length;
  const scenarios = Math.max(1, lines.filter((line) => /^\s*(?:-\s*)?flow\s*:/.test(line)).length);
  const perUser = Math.max(1, Math.floor(requestSteps / scenarios));
  if (!best) {
    return { tool: "artillery", file, location: unknown ?? { line: 1, column: 1 }, detail: "no phase sets a literal `arrivalRate`", fix: "Add a phase with `arrivalRate: <users per second>` (and `rampTo`)" };
  }
  const peak: Located<number> = best;
  return { tool: "artillery", file, location: peak.location, rps: peak.value * perUser, detail: `${peak.value} arrivals/s x ${perUser} request${perUser === 1 ? "" : "s"} per scenario` };
}

/** JMeter: a Constant Throughput Timer (per minute) or a throughput shaping timer's highest stage. */
export function analyzeJmeter(text: string, file: string): LoadTest {
  const head = { tool: "jmeter" as const, file };
  const timer = /<ConstantThroughputTimer\b[\s\S]*?<\/ConstantThroughputTimer>/.exec(text);
  const threads = /<(?:stringProp|intProp)\s+name="ThreadGroup\.num_threads">\s*(\d+)\s*</.exec(text);
  if (timer) {
    const throughput = /<name>throughput<\/name>\s*<value>\s*([\d.]+)|name="throughput">\s*([\d.]+)\s*</.exec(timer[0]);
    const mode = /name="calcMode">\s*(\d)\s*</.exec(timer[0]);
    const perMinute = throughput ? Number(throughput[1] ?? throughput[2]) : Number.NaN;
    const location = locationAt(text, timer.index);
    if (!Number.isNaN(perMinute)) {
      // calcMode 0 is "this thread only": every thread gets the target.
      const multiplier = (mode?.[1] ?? "0") === "0" ? Number(threads?.[1] ?? Number.NaN) : 1;
      if (!Number.isNaN(multiplier)) return { ...head, location, rps: (perMinute * multiplier) / 60, detail: `Constant Throughput Timer ${perMinute}/min${multiplier !== 1 ? ` x ${multiplier} threads` : ""}` };
    }
    return { ...head, location, detail: "the Constant Throughput Timer's target is a variable", fix: "Write the timer's throughput (samples per minute) as a number" };
  }
  const shaping = [...text.matchAll(/<collectionProp\s+name="load_profile">([\s\S]*?)<\/collectionProp>\s*<\/kg\.apc/g)];
  if (shaping.length > 0) {
    let best = 0;
    for (const profile of shaping) for (const row of (profile[1] as string).matchAll(/<collectionProp[^>]*>\s*<stringProp[^>]*>\s*([\d.]+)\s*<\/stringProp>\s*<stringProp[^>]*>\s*([\d.]+)\s*</g)) best = Math.max(best, Number(row[1]), Number(row[2]));
    return { ...head, location: locationAt(text, shaping[0]?.index ?? 0), rps: best, detail: `Throughput Shaping Timer peak ${best}/s` };
  }
  return { ...head, location: threads ? locationAt(text, threads.index) : { line: 1, column: 1 }, detail: `the test plan runs ${threads?.[1] ?? "its"} threads with no throughput timer, so the rate depends on the service's latency`, fix: "Add a Constant Throughput Timer with the target samples per minute" };
}

/** Gatling: open injection (`constantUsersPerSec`, `rampUsersPerSec(..).to(..)`) or `throttle(reachRps(n))`. */
export function analyzeGatling(text: string, file: string): LoadTest | null {
  const code = stripCComments(text);
  if (!/\bextends\s+Simulation\b|:\s*Simulation\s*\(|\bimport\s+(?:static\s+)?io\.gatling/.test(code)) return null;
  const requests = Math.max(1, [...code.matchAll(/\bhttp\s*\(\s*["']/g)].length);
  const reach = [...code.matchAll(/\breachRps\s*\(\s*([\d.]+)\s*\)/g)];
  if (reach.length > 0) {
    const top = reach.reduce((a, b) => (Number(b[1]) > Number(a[1]) ? b : a));
    return { tool: "gatling", file, location: locationAt(text, top.index ?? 0), rps: Number(top[1]), detail: `throttle reachRps(${top[1]})` };
  }
  let best: { value: number; index: number } | undefined;
  for (const match of code.matchAll(/\b(?:constantUsersPerSec|rampUsersPerSec)\s*\(\s*([\d.]+)\s*\)(?:\s*\.\s*to\s*\(\s*([\d.]+)\s*\))?/g)) {
    const value = Math.max(Number(match[1]), Number(match[2] ?? 0));
    if (!best || value > best.value) best = { value, index: match.index ?? 0 };
  }
  if (best) return { tool: "gatling", file, location: locationAt(text, best.index), rps: best.value * requests, detail: `${best.value} users/s x ${requests} request${requests === 1 ? "" : "s"} per user` };
  return { tool: "gatling", file, location: { line: 1, column: 1 }, detail: "the injection profile is closed (concurrent users) or not literal", fix: "Inject with `constantUsersPerSec(n)` or throttle with `reachRps(n)`" };
}

// ---------------------------------------------------------------- expected peak

/** A declared expected peak: "Expected peak traffic: 150 requests per second", "peak | **50 RPS**", "peak QPS: 2,000". */
export function declaredPeak(text: string): (Located<number> & { written: string }) | undefined {
  const rate = /(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(k\b)?\s*\**\s*(rps|qps|rpm|req(?:uests?)?\s*(?:\/|per)\s*(?:s|sec|second|min|minute)\b|requests?\s*(?:\/|per)\s*(?:s|sec|second|min|minute)\b|queries\s+per\s+(?:second|minute)|(?:calls|predictions|inferences)\s+per\s+(?:second|minute)|per\s+(second|minute))/i;
  const lines = text.split("\n");
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] as string;
    if (line.length > MAX_COMMAND_LINE) continue;
    const peak = /\bpeak\b/i.exec(line);
    if (!peak) continue;
    // "100 RPS, twice the peak" describes the test, not the peak: a rate before "peak" counts only without such words.
    const after = rate.exec(line.slice(peak.index)) ?? (/\b(twice|double|2\s*x|x\s*2|times|load[- ]?test|headroom)\b/i.test(line) ? null : rate.exec(line));
    if (!after) continue;
    let value = Number((after[1] as string).replace(/,/g, "")) * (after[2] ? 1000 : 1);
    const unit = (after[3] as string).toLowerCase();
    if (unit === "rpm" || /min/.test(unit)) value /= 60;
    return { value, written: after[0].replace(/\*/g, "").trim(), location: { line: index + 1, column: 1 } };
  }
  return undefined;
}

// ---------------------------------------------------------------- finding the tests of a project

/** Path hints of load-test files; content decides (a k6 import, `from locust import`, ...). */
const LOAD_FOLDER = /(^|\/)[^/]*(load|perf|stress|soak|spike|bench|k6|locust|gatling|artillery|jmeter|capacity)[^/]*\//i;
const LOAD_NAME = /(load|perf|stress|soak|spike|bench|k6|locust|gatling|artillery|jmeter|simulation)/i;

export type FileKindOfLoadTest = "script" | "locustfile" | "locust-conf" | "yaml" | "jmx" | "jvm";

/** Which candidate reader applies to a project file, judged by its path. */
export function loadTestCandidate(file: string): FileKindOfLoadTest | undefined {
  const base = path.posix.basename(file).toLowerCase();
  const hinted = LOAD_FOLDER.test(file) || LOAD_NAME.test(base);
  if (base.endsWith(".jmx")) return "jmx";
  if (/^\.?locust.*\.conf$/.test(base)) return "locust-conf";
  if (/^locustfile.*\.py$/.test(base)) return "locustfile";
  if (!hinted) return undefined;
  if (/\.(js|mjs|cjs|ts)$/.test(base) && !base.endsWith(".d.ts") && !base.endsWith(".min.js")) return "script";
  if (base.endsWith(".py")) return "locustfile";
  if (/\.ya?ml$/.test(base)) return "yaml";
  if (/\.(scala|java|kt)$/.test(base)) return "jvm";
  return undefined;
}

/**
 * A project file's text, from the project's one read of each file; undefined when it is not a project file,
 * too large (MAX_TEXT_SIZE characters) or binary. Never leaves the project root (discovery's read paths).
 */
export async function readProjectText(project: ProjectModel, file: string): Promise<string | undefined> {
  const text = project.text(file);
  if (text === undefined || text.length > MAX_TEXT_SIZE || text.includes("\u0000")) return undefined;
  return text;
}

export type TextReader = (file: string) => Promise<string | undefined>;

// Not Dockerfiles: a `RUN hey ...` there checks the tool at build time, it does not load the service.
// Kubernetes manifests too: Flagger webhooks (`cmd: "hey -z 1m -q 10 -c 2 ..."`) and Jobs run load tests in-cluster.
const COMMAND_KINDS = new Set(["shell", "makefile", "ci-workflow", "kubernetes", "helm-template"]);
const COMMAND_FILE = /(^|\/)(docker-compose[^/]*|compose)\.ya?ml$|(^|\/)(tox\.ini|noxfile\.py|justfile|taskfile\.ya?ml|procfile)$/i;
const DOC_FILE = /(^|\/)(readme|[^/]*run[-_ ]?book[^/]*|[^/]*playbook[^/]*|operations|[^/]*on[-_]?call[^/]*|[^/]*load[-_ ]?test[^/]*|[^/]*capacity[^/]*|[^/]*performance[^/]*|[^/]*slo[^/]*)\.(md|markdown)$/i;

/** README, runbooks and capacity docs: where a peak is declared and load-test commands are shown. */
export function peakDocuments(project: ProjectModel): string[] {
  return project.files
    .filter((file) => file.kind === "markdown" && DOC_FILE.test(file.path))
    .map((file) => file.path)
    .sort((a, b) => a.split("/").length - b.split("/").length || (/readme/i.test(path.posix.basename(b)) ? 1 : 0) - (/readme/i.test(path.posix.basename(a)) ? 1 : 0) || a.localeCompare(b));
}

/** Every load test of the project with its driven rate (or why it has none). */
export async function findLoadTests(project: ProjectModel, read: TextReader): Promise<LoadTest[]> {
  const tests: LoadTest[] = [];
  const locustUsers: (Located<number> & { file: string })[] = [];
  const referenced = new Set<string>();
  const commandFiles = project.files
    .filter((file) => COMMAND_KINDS.has(file.kind) || COMMAND_FILE.test(file.path))
    .map((file) => file.path)
    .concat(peakDocuments(project));
  for (const file of commandFiles) {
    const text = await read(file);
    if (text === undefined) continue;
    for (const command of scanCommands(text, file)) {
      if (command.test) tests.push(command.test);
      if (command.locustUsers) locustUsers.push(command.locustUsers);
      if (command.runs) {
        // A path in a script is relative to where it runs: try the file's folder, then the root.
        for (const candidate of [path.posix.normalize(path.posix.join(path.posix.dirname(file), command.runs)), path.posix.normalize(command.runs.replace(/^\.\//, ""))]) {
          if (project.hasFile(candidate)) referenced.add(candidate);
        }
      }
    }
  }

  const candidates = new Map<string, FileKindOfLoadTest>();
  for (const file of project.files) {
    const kind = loadTestCandidate(file.path);
    if (kind) candidates.set(file.path, kind);
  }
  for (const file of referenced) {
    if (candidates.has(file)) continue;
    const kind: FileKindOfLoadTest | undefined = /\.py$/.test(file) ? "locustfile" : /\.(m?js|cjs|ts)$/.test(file) ? "script" : /\.ya?ml$/.test(file) ? "yaml" : /\.jmx$/.test(file) ? "jmx" : undefined;
    if (kind) candidates.set(file, kind);
  }

  const locustfiles: Locustfile[] = [];
  let read_ = 0;
  for (const [file, kind] of [...candidates].sort(([a], [b]) => a.localeCompare(b))) {
    if (read_++ >= MAX_CANDIDATES) break;
    const text = await read(file);
    if (text === undefined) continue;
    if (kind === "script") {
      const test = analyzeK6(text, file);
      if (test) tests.push(test);
    } else if (kind === "locustfile") {
      const locustfile = parseLocustfile(text, file);
      if (locustfile) locustfiles.push(locustfile);
    } else if (kind === "locust-conf") {
      const users = locustConfUsers(text);
      if (users) locustUsers.push({ ...users, file });
    } else if (kind === "yaml") {
      const test = analyzeArtillery(text, file);
      if (test) tests.push(test);
    } else if (kind === "jmx") {
      if (/<jmeterTestPlan\b/.test(text)) tests.push(analyzeJmeter(text, file));
    } else {
      const test = analyzeGatling(text, file);
      if (test) tests.push(test);
    }
  }
  // Several runs (a smoke run and a full run): the largest user count is the one that reaches the peak.
  const users = locustUsers.sort((a, b) => b.value - a.value)[0];
  for (const locustfile of locustfiles) {
    // A helper module that imports locust (events, shared tasks) is not a locustfile by itself.
    if (locustfile.classes.length === 0 && !locustfile.shapeUsers && !/^locustfile/i.test(path.posix.basename(locustfile.file))) continue;
    tests.push(analyzeLocust(locustfile, users));
  }
  return tests;
}

export function formatRate(rps: number): string {
  return String(round(rps));
}
