import path from "node:path";
import type { SourceLocation } from "../model.js";
import type { MarkdownDocument } from "../parsers/markdown.js";
import { programWords, tokenizeShell, type ShellCommand } from "../parsers/shell.js";
import { LineIndex } from "../parsers/text.js";
import type { YamlDocument } from "../parsers/yaml.js";
import { isTestPath } from "../paths.js";
import type { ProjectModel } from "../project.js";
import { classify, discoverRollbacks, NOT_OPERATIONS_DOC, rollbackNamed, scriptCall, type NamedCandidate } from "../rollback.js";
import { defineRule } from "../rule.js";

interface RollbackTestedOptions {
  nonProductionEnvironments: string[];
}

const DEFAULT_ENVIRONMENTS = ["staging", "stage", "stg", "dev", "develop", "development", "test", "testing", "qa", "sandbox", "preprod", "pre-prod", "uat", "nonprod", "non-prod", "preview", "review", "e2e"];
const PRODUCTION = /(^|[^a-z0-9])(prod|production|prd|live)([^a-z0-9]|$)/i;

/** A heading or link text about a rollback drill: "Rollback drill", "Rollback rehearsal", "Game day: rolling back". */
const DRILL = /\broll(?:ing|ed)?[\s_-]?backs?\b.*\b(drills?|rehears(?:al|als|ed)|exercises?|game[\s-]?days?|tested|tests?|practi[cs]e)\b|\b(drills?|rehears(?:al|als)|game[\s-]?days?)\b.*\broll(?:ing|ed)?[\s_-]?backs?\b/i;
const MONTH = "(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\\.?";
const DATE = new RegExp(
  [
    "\\b(?:19|20)\\d{2}[-/.](?:0?[1-9]|1[0-2])(?:[-/.](?:0?[1-9]|[12]\\d|3[01]))?\\b",
    "\\b(?:0?[1-9]|[12]\\d|3[01])[./](?:0?[1-9]|1[0-2])[./](?:19|20)\\d{2}\\b",
    `\\b(?:0?[1-9]|[12]\\d|3[01])(?:st|nd|rd|th)?\\s+${MONTH}\\s+(?:19|20)\\d{2}\\b`,
    `\\b${MONTH}\\s+(?:(?:0?[1-9]|[12]\\d|3[01])(?:st|nd|rd|th)?,?\\s+)?(?:19|20)\\d{2}\\b`,
  ].join("|"),
  "i",
);

interface Drill {
  file: string;
  at: SourceLocation;
  dated: boolean;
}

/** Drill records in the operations docs: a heading or link about a rollback drill, dated in itself or in a heading under it. */
function drillRecords(documents: MarkdownDocument[]): Drill[] {
  const drills: Drill[] = [];
  for (const document of documents) {
    if (isTestPath(document.path) || NOT_OPERATIONS_DOC.test(path.posix.basename(document.path))) continue;
    const fileIsDrill = DRILL.test(document.path.replace(/[/_.-]/g, " "));
    document.headings.forEach((heading, index) => {
      if (!DRILL.test(heading.text) && !(fileIsDrill && index === 0)) return;
      let dated = DATE.test(heading.text) || (fileIsDrill && DATE.test(document.path));
      for (const next of document.headings.slice(index + 1)) {
        if (next.depth <= heading.depth) break;
        if (DATE.test(next.text)) dated = true;
      }
      drills.push({ file: document.path, at: heading.location, dated });
    });
    for (const link of document.links) {
      if (DRILL.test(link.text)) drills.push({ file: document.path, at: link.location, dated: DATE.test(link.text) || DATE.test(link.url) });
    }
    // A dated line of prose ("Last rollback drill: 2026-03-12, staging, 4 min"); an undated mention is not a record.
    for (const paragraph of document.paragraphs) {
      paragraph.text.split("\n").forEach((line, offset) => {
        if (DRILL.test(line) && DATE.test(line)) {
          drills.push({ file: document.path, at: { line: paragraph.location.line + offset, column: offset === 0 ? paragraph.location.column : 1 }, dated: true });
        }
      });
    }
  }
  return drills;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** Strings that name where a job deploys: its name, environment, variables. */
function environmentWords(...values: unknown[]): string[] {
  const words: string[] = [];
  for (const value of values) {
    if (typeof value === "string") words.push(value);
    else if (record(value)) {
      const map = record(value) as Record<string, unknown>;
      if (typeof map["name"] === "string") words.push(map["name"]);
      for (const [key, item] of Object.entries(map)) if (key !== "name" && typeof item === "string" && /env|namespace|context|cluster|stage|target/i.test(key)) words.push(item);
    }
  }
  return words;
}

interface RunStep {
  file: string;
  /** Where the `run:`/`script:` text is written. */
  at: SourceLocation;
  text: string;
  /** Names, environments and variables of the job and step. */
  context: string[];
}

/** Shell steps of GitHub Actions workflows and GitLab CI jobs, with the names of where they run. */
function runSteps(file: string, document: YamlDocument): RunStep[] {
  const root = record(document.value);
  if (!root) return [];
  const steps: RunStep[] = [];
  const workflowWords = [path.posix.basename(file), ...(typeof root["name"] === "string" ? [root["name"]] : []), ...environmentWords(root["env"], root["variables"])];
  const jobs = record(root["jobs"]);
  if (jobs) {
    for (const [jobName, jobValue] of Object.entries(jobs)) {
      const job = record(jobValue);
      if (!job) continue;
      const jobWords = [...workflowWords, jobName, ...environmentWords(job["name"], job["environment"], job["env"])];
      const jobSteps = Array.isArray(job["steps"]) ? job["steps"] : [];
      jobSteps.forEach((stepValue, index) => {
        const step = record(stepValue);
        if (typeof step?.["run"] !== "string") return;
        steps.push({ file, at: document.locate(["jobs", jobName, "steps", index, "run"]), text: step["run"], context: [...jobWords, ...environmentWords(step["name"], step["env"])] });
      });
    }
    return steps;
  }
  // GitLab CI: every top-level map with a script is a job.
  for (const [jobName, jobValue] of Object.entries(root)) {
    const job = record(jobValue);
    if (!job || jobName.startsWith(".")) continue;
    const jobWords = [...workflowWords, jobName, ...environmentWords(job["stage"], job["environment"], job["variables"])];
    for (const key of ["before_script", "script", "after_script"]) {
      const script = job[key];
      const lines = typeof script === "string" ? [script] : Array.isArray(script) ? script : [];
      lines.forEach((line, index) => {
        if (typeof line !== "string") return;
        steps.push({ file, at: document.locate([jobName, key, ...(typeof script === "string" ? [] : [index])]), text: line, context: jobWords });
      });
    }
  }
  return steps;
}

/** True when the command runs the rollback: a rollback Makefile target, a rollback script, or a rollback command itself. */
function runsRollback(project: ProjectModel, file: string, command: ShellCommand, candidates: NamedCandidate[]): boolean {
  const words = programWords(command).map((word) => word.text);
  const program = (words[0] ?? "").split("/").pop() ?? "";
  if (program === "make" || program === "gmake") {
    const targets = new Set(candidates.flatMap((candidate) => (candidate.target ? [candidate.target.name] : [])));
    return words.slice(1).some((word) => targets.has(word) || (!word.startsWith("-") && !word.includes("=") && rollbackNamed(word)));
  }
  const call = scriptCall(project, file, command);
  if (call) return rollbackNamed(path.posix.basename(call.written)) || candidates.some((candidate) => candidate.script && candidate.script === call.script);
  return classify(command).tier === "strong";
}

function matchesEnvironment(text: string, environments: string[]): string | undefined {
  const lower = text.toLowerCase();
  return environments.find((name) => new RegExp(`(^|[^a-z0-9])${name.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}([^a-z0-9]|$)`).test(lower));
}

export default defineRule<RollbackTestedOptions>({
  meta: {
    id: "rollback-tested",
    title: "Rehearse the rollback",
    section: "rollback",
    severity: "info",
    weight: 1,
    description:
      "Looks for evidence that the rollback has been tried: a CI workflow (GitHub Actions, GitLab CI) that runs the rollback against a staging, dev or test environment, or a dated rollback drill recorded in the runbook.",
    options: {
      type: "object",
      additionalProperties: false,
      properties: {
        nonProductionEnvironments: {
          type: "array",
          items: { type: "string", minLength: 1 },
          description: "Names that mark a CI job, environment, namespace or context as non-production.",
        },
      },
    },
    defaultOptions: { nonProductionEnvironments: DEFAULT_ENVIRONMENTS },
    messages: {
      untested:
        "Nothing shows that the rollback has ever been run: no CI workflow runs it against a staging, dev or test environment, and no runbook records a rollback drill. Add a CI job that deploys to staging and runs the rollback there (e.g. `make rollback NAMESPACE=churn-staging`), or record each drill under a heading such as `## Rollback drill 2026-03-12`.",
      ciNotRehearsal:
        "This CI step runs the rollback (`{{command}}`), but mlready cannot tell it runs against a non-production environment ({{why}}). A rehearsal runs on staging, dev or test: name the environment in the job (`environment: staging`) or its variables, or add your environment's name to the `nonProductionEnvironments` option.",
      drillUndated:
        "\"{{heading}}\" records a rollback drill but not when it took place. Add the date (e.g. `### 2026-03-12: rolled back 1.4.3 to 1.4.2 on staging`) so that readers can tell whether the rollback still works as written.",
    },
  },
  check(context) {
    const { project, options } = context;
    const discovery = discoverRollbacks(project);
    const drills = drillRecords(project.markdown);
    if (drills.some((drill) => drill.dated)) return;
    if (!discovery.hasRollback && discovery.namedCandidates.length === 0) {
      context.skip("there is no rollback to rehearse (rollback-script reports the missing rollback)");
      return;
    }
    const environments = options.nonProductionEnvironments ?? DEFAULT_ENVIRONMENTS;
    const notRehearsals: { step: RunStep; command: ShellCommand; why: string }[] = [];
    for (const file of project.filesOfKind("ci-workflow")) {
      for (const document of project.yamlDocuments.get(file.path) ?? []) {
        for (const step of runSteps(file.path, document)) {
          const commands = tokenizeShell(step.text, new LineIndex(step.text));
          const rollback = commands.find((command) => runsRollback(project, file.path, command, discovery.namedCandidates));
          if (!rollback) continue;
          const texts = [...step.context, ...commands.map((command) => command.words.map((word) => word.text).join(" "))];
          // An ephemeral cluster made in the job is a test environment whatever the names say.
          const ephemeral = commands.some((command) => /^(kind create cluster|minikube start|k3d cluster create|ctlptl create)/.test(programWords(command).map((word) => word.text).join(" ")));
          if (ephemeral || texts.some((text) => matchesEnvironment(text, environments))) return;
          const production = texts.find((text) => PRODUCTION.test(text));
          const variable = texts.find((text) => /\$\{\{|\$[A-Za-z_{(]/.test(text));
          notRehearsals.push({
            step,
            command: rollback,
            why: production ? `it names production: "${production.length > 60 ? `${production.slice(0, 57)}...` : production}"` : variable ? "the environment is a variable set when the job runs" : "no environment is named",
          });
        }
      }
    }
    for (const { step, command, why } of notRehearsals) {
      const text = programWords(command).map((word) => word.text).join(" ");
      context.report({ messageId: "ciNotRehearsal", data: { command: text.length > 80 ? `${text.slice(0, 77)}...` : text, why }, file: step.file, at: step.at });
    }
    for (const drill of drills) {
      const heading = project.markdown.find((document) => document.path === drill.file)?.headings.find((candidate) => candidate.location.line === drill.at.line)?.text ?? "Rollback drill";
      context.report({ messageId: "drillUndated", data: { heading }, file: drill.file, at: drill.at });
    }
    if (notRehearsals.length === 0 && drills.length === 0) context.report({ messageId: "untested" });
  },
});
