import { promises as fs } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { check, type CheckResult } from "./check.js";
import { BASELINE_FILE, createBaseline, formatBaseline, readBaseline } from "./baseline.js";
import { SourceCache } from "./sources.js";
import { ConfigError, loadConfig } from "./config/load.js";
import { gitTopLevel } from "./git-root.js";
import { ruleHelp } from "./rule-docs.js";
import type { Rule } from "./rule.js";
import { SEVERITY_ORDER, type Severity } from "./model.js";
import { githubStepSummary } from "./reporters/github.js";
import { REPORTERS } from "./reporters/index.js";
import { RULES } from "./rules/index.js";
import { SECTIONS } from "./sections.js";
import { onlyFindingsIn, resolveTargets } from "./targets.js";
import { initProject } from "./init.js";
import { TOOL } from "./version.js";
import { badgeFor } from "./badge.js";


const HELP = `mlready ${TOOL.version}: production-readiness checks for ML model deployments

Usage:
  mlready check [PATH...] [options]   check each PATH (default: .) as one project
  mlready check FILE... [options]     check the project of each FILE, report findings in those files only
  mlready rules [--format json]        list every rule (with the plugins of ./ or -c CONFIG; --no-plugins)
  mlready explain RULE                 print a rule's documentation (plugin rules too)
  mlready baseline [PATH] [-o FILE]    accept today's findings: write PATH/${BASELINE_FILE}
  mlready init [PATH] [--scaffold]     write a commented .mlreadyrc.yaml; --scaffold adds templates for what is missing
  mlready badge [PATH] [-o FILE]       write an SVG badge of the score and grade ("mlready | 87 B")

Options for check:
  -f, --format FORMAT       text (default), json, sarif, github (annotations; with $GITHUB_STEP_SUMMARY set,
                            also a Markdown job summary), markdown, junit or html (one self-contained page)
  -o, --output FILE         write the report to FILE instead of standard output
      --min-score N         exit 1 when a project scores below N (0-100)
      --fail-on LEVEL       exit 1 on a finding at or above LEVEL: error (default), warning, info, none
      --fail-on-internal-error  exit 2 when a rule failed internally (an internal-error finding)
      --max-warnings N      exit 1 when there are more than N warnings (suppressed ones do not count)
      --baseline FILE       suppress the findings FILE accepts (written by \`mlready baseline\`); report its fixed entries
      --no-inline-config    ignore mlready-ignore comments and mlready.dev/ignore annotations
      --no-plugins          do not load the config's plugins (their code runs): for untrusted checkouts
  -c, --config FILE         use this configuration file instead of searching the project
      --sarif-root DIR      make SARIF paths relative to DIR (default: the git top level)
  -q, --quiet               report errors only
      --color / --no-color  force colour on or off (default: on for a terminal, off with NO_COLOR)
  -h, --help                show this help
  -v, --version             show the version

Exit codes: 0 nothing fails the gate, 1 a finding or the score fails the gate, 2 usage or configuration error
(or, with --fail-on-internal-error, a rule that failed internally).
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
      "fail-on-internal-error": { type: "boolean", default: false },
      "max-warnings": { type: "string" },
      baseline: { type: "string" },
      "no-inline-config": { type: "boolean", default: false },
      "no-plugins": { type: "boolean", default: false },
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
  let maxWarnings: number | undefined;
  if (values["max-warnings"] !== undefined) {
    maxWarnings = Number(values["max-warnings"]);
    if (!/^\d+$/.test(values["max-warnings"].trim())) {
      throw new UsageError(`--max-warnings must be a whole number, 0 or more (got "${values["max-warnings"]}")`);
    }
  }
  const paths = positionals.length ? positionals : ["."];
  if (values.baseline !== undefined && paths.length > 1) {
    throw new UsageError("--baseline takes one project PATH (a baseline's file paths are relative to its project)");
  }
  return { values, paths, failOn: failOn as Severity | "none", minScore, maxWarnings };
}

/**
 * Whether the results fail the gate. Internal errors are mlready's bugs and never fail a user's build;
 * suppressed findings never count. `maxWarnings` is ESLint's: more than N warnings in all fail.
 */
export function failsGate(results: readonly CheckResult[], failOn: Severity | "none", minScore?: number, maxWarnings?: number): boolean {
  let warnings = 0;
  for (const result of results) {
    if (minScore !== undefined && result.score < minScore) return true;
    const counted = result.findings.filter((finding) => finding.ruleId !== "internal-error" && !finding.suppressed);
    warnings += counted.filter((finding) => finding.severity === "warning").length;
    if (failOn === "none") continue;
    const threshold = SEVERITY_ORDER[failOn];
    if (counted.some((finding) => SEVERITY_ORDER[finding.severity] >= threshold)) return true;
  }
  return maxWarnings !== undefined && warnings > maxWarnings;
}

/** Whether a rule failed internally in any project: exit code 2 with `--fail-on-internal-error`, never a gate failure otherwise. */
export function hasInternalError(results: readonly CheckResult[]): boolean {
  return results.some((result) => result.findings.some((finding) => finding.ruleId === "internal-error"));
}

async function runCheck(argv: string[], io: Io): Promise<number> {
  const { values, paths, failOn, minScore, maxWarnings } = parseCheckArgs(argv);
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const baseline = values.baseline !== undefined ? { file: values.baseline, baseline: await readBaseline(values.baseline) } : undefined;
  const results: CheckResult[] = [];
  for (const target of await resolveTargets(paths)) {
    const result = await check(target.root, {
      ...(values.config ? { configFile: values.config } : {}),
      ...(values["no-inline-config"] ? { inlineConfig: false } : {}),
      ...(values["no-plugins"] ? { plugins: false } : {}),
      ...(baseline ? { baseline } : {}),
    });
    results.push(target.files ? onlyFindingsIn(result, target.files) : result);
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
  const stepSummary = io.env["GITHUB_STEP_SUMMARY"];
  if (values.format === "github" && stepSummary) await fs.appendFile(stepSummary, githubStepSummary(results));
  if (values["fail-on-internal-error"] && hasInternalError(results)) return 2;
  return failsGate(results, failOn, minScore, maxWarnings) ? 1 : 0;
}

/** `mlready baseline [PATH]`: writes the findings that count today to a baseline file, so that `check --baseline` reports only new ones. */
async function runBaselineCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      output: { type: "string", short: "o" },
      config: { type: "string", short: "c" },
      "no-inline-config": { type: "boolean", default: false },
      "no-plugins": { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    io.stdout.write(`Usage: mlready baseline [PATH] [-o FILE] [-c CONFIG] [--no-inline-config]\n\nWrites PATH/${BASELINE_FILE} (or FILE) with every finding that counts today; \`mlready check --baseline FILE\` then reports only new findings.\n`);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError("usage: mlready baseline [PATH] (one project)");
  const projectPath = positionals[0] ?? ".";
  const result = await check(projectPath, {
    ...(values.config ? { configFile: values.config } : {}),
    ...(values["no-inline-config"] ? { inlineConfig: false } : {}),
    ...(values["no-plugins"] ? { plugins: false } : {}),
  });
  const sources = new SourceCache((file) => path.join(result.absoluteRoot, file), Number.MAX_SAFE_INTEGER);
  const lineTexts = new Map<(typeof result.findings)[number], string | undefined>();
  for (const finding of result.findings) {
    if (finding.file !== undefined && finding.line !== undefined) lineTexts.set(finding, sources.lines(finding.file)?.[finding.line - 1]);
  }
  const baseline = createBaseline(result.findings, (finding) => lineTexts.get(finding));
  const output = values.output ?? path.join(projectPath, BASELINE_FILE);
  await fs.mkdir(path.dirname(path.resolve(output)), { recursive: true });
  await fs.writeFile(output, formatBaseline(baseline));
  io.stdout.write(`mlready: wrote ${baseline.entries.length} ${baseline.entries.length === 1 ? "entry" : "entries"} to ${output}\n`);
  return 0;
}

/** `mlready badge [PATH] [-o FILE]`: the SVG badge of one project (src/badge.ts), to a file or standard output. */
async function runBadgeCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: { output: { type: "string", short: "o" }, config: { type: "string", short: "c" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    io.stdout.write("Usage: mlready badge [PATH] [-o FILE] [-c CONFIG]\n\nWrites a flat SVG badge \"mlready | SCORE GRADE\" coloured by grade to FILE (or standard output).\n");
    return 0;
  }
  if (positionals.length > 1) throw new UsageError("usage: mlready badge [PATH] [-o FILE] (one project)");
  const result = await check(positionals[0] ?? ".", values.config ? { configFile: values.config } : {});
  const svg = badgeFor(result);
  if (values.output) {
    await fs.mkdir(path.dirname(path.resolve(values.output)), { recursive: true });
    await fs.writeFile(values.output, svg);
  } else {
    io.stdout.write(svg);
  }
  return 0;
}

/** `mlready init [PATH] [--scaffold]`: the work is in init.ts; this prints what it did. */
async function runInitCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { scaffold: { type: "boolean", default: false } } });
  if (positionals.length > 1) throw new UsageError("usage: mlready init [PATH] [--scaffold] (one project)");
  for (const { file, action, detail } of await initProject(positionals[0] ?? ".", { scaffold: values.scaffold })) {
    io.stdout.write(`${action.padEnd(7)}  ${file}  ${detail}\n`);
  }
  return 0;
}

const RULE_LIST_OPTIONS = { config: { type: "string", short: "c" }, "no-plugins": { type: "boolean", default: false } } as const;

/** The built-in rules and those of the plugins the config in the current folder (or `-c`) names. */
async function listedRules(values: { config?: string | undefined; "no-plugins"?: boolean | undefined }): Promise<readonly Rule<object>[]> {
  if (values["no-plugins"]) return RULES;
  return (await loadConfig(process.cwd(), RULES, values.config, { plugins: true })).rules;
}

async function runRulesCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args: argv, strict: true, options: { format: { type: "string", short: "f", default: "text" }, ...RULE_LIST_OPTIONS } });
  const rules = await listedRules(values);
  const rows = rules.map(({ meta }) => ({ id: meta.id, section: meta.section, severity: meta.severity, weight: meta.weight, title: meta.title }));
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

async function runExplain(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, strict: true, options: RULE_LIST_OPTIONS });
  const id = positionals[0];
  if (!id || positionals.length > 1) throw new UsageError("usage: mlready explain RULE (run `mlready rules` to list them)");
  const rules = await listedRules(values);
  const rule = rules.find((candidate) => candidate.meta.id === id);
  if (!rule) {
    const closest = [...rules].sort((a, b) => distance(id, a.meta.id) - distance(id, b.meta.id))[0];
    throw new UsageError(`unknown rule "${id}"${closest ? `; did you mean "${closest.meta.id}"?` : ""}`);
  }
  const help = ruleHelp({ id, description: rule.meta.description, ...(rule.meta.docs ? { docs: rule.meta.docs } : {}) });
  io.stdout.write(help.uri && !help.markdown.includes(help.uri) && rule.meta.docs ? `${help.markdown.trimEnd()}\n\n${help.uri}\n` : help.markdown);
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
        return await runRulesCommand(rest, io);
      case "explain":
        return await runExplain(rest, io);
      case "baseline":
        return await runBaselineCommand(rest, io);
      case "badge":
        return await runBadgeCommand(rest, io);
      case "init":
        return await runInitCommand(rest, io);
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
        throw new UsageError(`unknown command "${command}" (commands: check, rules, explain, baseline, init, badge; see mlready --help)`);
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
