import { promises as fs } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { check, type CheckResult } from "./check.js";
import { ConfigError } from "./config/load.js";
import { gitTopLevel } from "./git-root.js";
import { ruleDocs } from "./rule-docs.js";
import { SEVERITY_ORDER, type Severity } from "./model.js";
import { REPORTERS } from "./reporters/index.js";
import { RULES } from "./rules/index.js";
import { SECTIONS } from "./sections.js";
import { TOOL } from "./version.js";


const HELP = `mlready ${TOOL.version}: production-readiness checks for ML model deployments

Usage:
  mlready check [PATH...] [options]   check each PATH (default: .) as one project
  mlready rules [--format json]        list every rule
  mlready explain RULE                 print a rule's documentation

Options for check:
  -f, --format text|json|sarif  output format (default: text)
  -o, --output FILE         write the report to FILE instead of standard output
      --min-score N         exit 1 when a project scores below N (0-100)
      --fail-on LEVEL       exit 1 on a finding at or above LEVEL: error (default), warning, info, none
  -c, --config FILE         use this configuration file instead of searching the project
      --sarif-root DIR      make SARIF paths relative to DIR (default: the git top level)
  -q, --quiet               report errors only
      --color / --no-color  force colour on or off (default: on for a terminal, off with NO_COLOR)
  -h, --help                show this help
  -v, --version             show the version

Exit codes: 0 nothing fails the gate, 1 a finding or the score fails the gate, 2 usage or configuration error.
`;

/** A mistake on the command line: one line on stderr, exit code 2. */
class UsageError extends Error {}

export interface Io {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
}

const defaultIo: Io = { stdout: process.stdout, stderr: process.stderr, env: process.env };

function parseCheckArgs(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      format: { type: "string", short: "f", default: "text" },
      output: { type: "string", short: "o" },
      "min-score": { type: "string" },
      "fail-on": { type: "string", default: "error" },
      config: { type: "string", short: "c" },
      "sarif-root": { type: "string" },
      quiet: { type: "boolean", short: "q", default: false },
      color: { type: "boolean" },
      "no-color": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (!(values.format in REPORTERS)) {
    throw new UsageError(`--format must be one of ${Object.keys(REPORTERS).join(", ")} (got "${values.format}")`);
  }
  const failOn = values["fail-on"];
  if (!["error", "warning", "info", "none"].includes(failOn)) {
    throw new UsageError(`--fail-on must be one of error, warning, info, none (got "${failOn}")`);
  }
  let minScore: number | undefined;
  if (values["min-score"] !== undefined) {
    minScore = Number(values["min-score"]);
    if (!Number.isFinite(minScore) || minScore < 0 || minScore > 100) {
      throw new UsageError(`--min-score must be a number from 0 to 100 (got "${values["min-score"]}")`);
    }
  }
  return { values, paths: positionals.length ? positionals : ["."], failOn: failOn as Severity | "none", minScore };
}

/** Whether the results fail the gate. Internal errors are mlready's bugs and never fail a user's build. */
export function failsGate(results: readonly CheckResult[], failOn: Severity | "none", minScore?: number): boolean {
  for (const result of results) {
    if (minScore !== undefined && result.score < minScore) return true;
    if (failOn === "none") continue;
    const threshold = SEVERITY_ORDER[failOn];
    if (result.findings.some((finding) => finding.ruleId !== "internal-error" && SEVERITY_ORDER[finding.severity] >= threshold)) return true;
  }
  return false;
}

async function runCheck(argv: string[], io: Io): Promise<number> {
  const { values, paths, failOn, minScore } = parseCheckArgs(argv);
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const results: CheckResult[] = [];
  for (const projectPath of paths) {
    results.push(await check(projectPath, values.config ? { configFile: values.config } : {}));
  }
  const color = values["no-color"] ? false : values.color ? true : !values.output && Boolean(io.stdout.isTTY) && !io.env["NO_COLOR"];
  const reporter = REPORTERS[values.format] as (typeof REPORTERS)[string];
  const sarifRootOption = values["sarif-root"];
  const sarifRoot = (result: CheckResult) => (sarifRootOption ? path.resolve(sarifRootOption) : gitTopLevel(result.absoluteRoot));
  const report = reporter(results, { color, quiet: values.quiet, sarifRoot });
  if (values.output) {
    await fs.mkdir(path.dirname(path.resolve(values.output)), { recursive: true });
    await fs.writeFile(values.output, report);
  } else {
    io.stdout.write(report);
  }
  return failsGate(results, failOn, minScore) ? 1 : 0;
}

function runRulesCommand(argv: string[], io: Io): number {
  const { values } = parseArgs({ args: argv, strict: true, options: { format: { type: "string", short: "f", default: "text" } } });
  const rows = RULES.map(({ meta }) => ({ id: meta.id, section: meta.section, severity: meta.severity, weight: meta.weight, title: meta.title }));
  if (values.format === "json") {
    io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  if (values.format !== "text") throw new UsageError(`--format must be text or json (got "${values.format}")`);
  const sectionOrder = new Map(SECTIONS.map((section, index) => [section.id, index]));
  rows.sort((a, b) => (sectionOrder.get(a.section) ?? 0) - (sectionOrder.get(b.section) ?? 0) || a.id.localeCompare(b.id));
  const idWidth = Math.max(...rows.map((row) => row.id.length), 2);
  io.stdout.write(`${"RULE".padEnd(idWidth)}  SECTION     SEVERITY  WEIGHT  TITLE\n`);
  for (const row of rows) {
    io.stdout.write(`${row.id.padEnd(idWidth)}  ${row.section.padEnd(10)}  ${row.severity.padEnd(8)}  ${String(row.weight).padStart(6)}  ${row.title}\n`);
  }
  return 0;
}

function distance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0] as number;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j] as number;
      previous[j] = Math.min(above + 1, (previous[j - 1] as number) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length] as number;
}

function runExplain(argv: string[], io: Io): number {
  const id = argv[0];
  if (!id || argv.length > 1) throw new UsageError("usage: mlready explain RULE (run `mlready rules` to list them)");
  const rule = RULES.find((candidate) => candidate.meta.id === id);
  if (!rule) {
    const closest = [...RULES].sort((a, b) => distance(id, a.meta.id) - distance(id, b.meta.id))[0];
    throw new UsageError(`unknown rule "${id}"${closest ? `; did you mean "${closest.meta.id}"?` : ""}`);
  }
  const docs = ruleDocs(id);
  io.stdout.write(docs ?? `# ${id}\n\n${rule.meta.description}\n`);
  return 0;
}

/** Runs the command line and returns the exit code. Only this module touches stdout, stderr and the process. */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "check":
        return await runCheck(rest, io);
      case "rules":
        return runRulesCommand(rest, io);
      case "explain":
        return runExplain(rest, io);
      case "-v":
      case "--version":
        io.stdout.write(`${TOOL.version}\n`);
        return 0;
      case undefined:
      case "-h":
      case "--help":
      case "help":
        io.stdout.write(HELP);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}" (commands: check, rules, explain; see mlready --help)`);
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      io.stderr.write(`mlready: ${(error as Error).message}\n`);
      return 2;
    }
    io.stderr.write(`mlready: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\nThis is a bug in mlready; please report it.\n`);
    return 2;
  }
}
