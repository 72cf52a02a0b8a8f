import { readProjectText } from "../loadtest.js";
import { defineRule } from "../rule.js";
import { DEFAULT_RUNBOOK_PATTERNS, runbookFiles } from "./runbook-linked.js";

type Topic = "rollback" | "dashboards" | "escalation";

interface RunbookCompleteOptions {
  runbookPatterns: string[];
  topics: Topic[];
}

/** Words that show a runbook covers a topic, in its headings or its text. */
const TOPIC_WORDS: Record<Topic, RegExp> = {
  rollback: /\broll(?:ing|ed)?[- ]?backs?\b|\brollout\s+undo\b|\brevert(?:ing|ed)?\b|\bundo\s+(?:the\s+)?(?:deploy|release|rollout)/i,
  dashboards: /\bdashboards?\b|\balerts?\b|\balerting\b|\bgrafana\b|\balertmanager\b|\bprometheusrules?\b/i,
  escalation: /\bescalat(?:e|es|ed|ion|ions|ing)\b|\bon[- ]?call\b|\bpager(?:duty)?\b|\bopsgenie\b|\bincident\s+(?:commander|manager)\b/i,
};

const MESSAGE_IDS: Record<Topic, string> = { rollback: "noRollback", dashboards: "noDashboards", escalation: "noEscalation" };

export default defineRule<RunbookCompleteOptions>({
  meta: {
    id: "runbook-complete",
    title: "Cover rollback, dashboards and alerts, and escalation in the runbook",
    section: "runbook",
    severity: "info",
    weight: 1,
    description:
      "Checks that the runbook (the files runbook-linked finds) says how to roll back, where the dashboards and alerts are, and whom to escalate to or page; each missing topic is one finding in the runbook.",
    options: {
      type: "object",
      additionalProperties: false,
      properties: {
        runbookPatterns: {
          type: "array",
          items: { type: "string", minLength: 1 },
          description: "Globs naming runbook files, as in runbook-linked; they replace the default list.",
        },
        topics: {
          type: "array",
          uniqueItems: true,
          items: { enum: ["rollback", "dashboards", "escalation"] },
          description: "The topics the runbook must cover.",
        },
      },
    },
    defaultOptions: { runbookPatterns: DEFAULT_RUNBOOK_PATTERNS, topics: ["rollback", "dashboards", "escalation"] },
    messages: {
      noRollback:
        "{{runbook}} does not say how to roll back (no \"rollback\", \"roll back\" or \"revert\"{{where}}). Add a \"Roll back\" section with the one command to run (e.g. `make rollback` or `kubectl rollout undo deployment/<name>`) and how to check it worked.",
      noDashboards:
        "{{runbook}} names no dashboards or alerts{{where}}. Add where the dashboards are (links) and what each alert means and what to do when it fires.",
      noEscalation:
        "{{runbook}} does not say whom to escalate to (no \"escalation\", \"on-call\" or pager{{where}}). Add an \"Escalation\" section: the on-call rotation, the next level and how to reach them.",
    },
  },
  async check(context) {
    const { project, options } = context;
    const runbooks = runbookFiles(project, options.runbookPatterns ?? DEFAULT_RUNBOOK_PATTERNS);
    if (runbooks.length === 0) {
      context.skip("the project has no runbook file (runbook-linked reports a missing runbook)");
      return;
    }
    // Runbooks split over several files (docs/runbooks/*.md) cover a topic when any of them does.
    const texts: string[] = [];
    for (const runbook of runbooks) {
      const text = await readProjectText(project, runbook);
      if (text !== undefined) texts.push(text);
    }
    if (texts.length === 0) {
      context.skip(`${runbooks[0]} could not be read (too large or not text)`);
      return;
    }
    const runbook = runbooks[0] as string;
    const where = runbooks.length > 1 ? ` in any of ${runbooks.length} runbook files` : "";
    for (const topic of options.topics ?? ["rollback", "dashboards", "escalation"]) {
      if (texts.some((text) => TOPIC_WORDS[topic].test(text))) continue;
      context.report({ messageId: MESSAGE_IDS[topic], data: { runbook, where }, file: runbook, at: { line: 1, column: 1 } });
    }
  },
});
