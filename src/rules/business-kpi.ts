import path from "node:path";
import type { MarkdownDocument } from "../parsers/markdown.js";
import { hasModel } from "../monitoring.js";
import { isDeployable, isTestPath } from "../paths.js";
import { defineRule } from "../rule.js";

interface BusinessKpiOptions {
  /** Phrases (case-insensitive) that also name the KPI, e.g. "conversion rate". */
  keywords: string[];
}

/** Headings, link texts and lines of prose that name the business KPI. */
const KPI_WORDS =
  /\bKPIs?\b|key performance indicators?|\bbusiness (?:metrics?|kpis?|goals?|objectives?|outcomes?|impact|value|success)\b|north[- ]star|\bsuccess (?:metrics?|criteria|measures?)\b|\bOKRs?\b|\bguardrail metrics?\b/i;
const README = /^readme\.(md|markdown)$/i;

function depth(file: string): number {
  return file.split("/").length;
}

export default defineRule<BusinessKpiOptions>({
  meta: {
    id: "business-kpi",
    title: "Name the business KPI the model is meant to move",
    section: "monitoring",
    severity: "info",
    weight: 1,
    description:
      "Checks that the README or runbook names the business KPI the model is meant to move, in a heading or a line such as " +
      "\"Business KPI\", \"Success metrics\" or \"North star\". Without it nobody can tell whether a healthy, drift-free model still earns its keep.",
    options: {
      type: "object",
      additionalProperties: false,
      properties: {
        keywords: {
          type: "array",
          items: { type: "string", minLength: 1 },
          description: "More phrases (case-insensitive) whose presence in a heading, link text or line names the KPI, added to the defaults.",
        },
      },
    },
    defaultOptions: { keywords: [] },
    messages: {
      missing:
        "No README or runbook names the business KPI the model is meant to move ({{looked}}). Add a heading such as `## Business KPI` that says which business number the model should move (retention, conversion, fraud losses), its target, and where it is reported.",
    },
  },
  check(context) {
    const { project, options } = context;
    const documents: MarkdownDocument[] = project.markdown.filter((document) => !isTestPath(document.path));
    if (!isDeployable(project)) {
      context.skip("nothing here is deployed (no Dockerfile, Kubernetes manifest, Helm chart, Kustomization or MLflow model)");
      return;
    }
    if (!hasModel(project)) {
      context.skip("no model found (no MLflow model, KServe or Seldon deployment, or ML library such as scikit-learn, PyTorch or XGBoost in the dependencies)");
      return;
    }
    const keywords = (options.keywords ?? []).map((keyword) => keyword.toLowerCase());
    const names = (text: string) => KPI_WORDS.test(text) || keywords.some((keyword) => text.toLowerCase().includes(keyword));
    // A heading, a link text, or a line of prose ("**Business KPI:** 90-day retention of at-risk customers").
    const named = documents.some((document) =>
      document.headings.some((heading) => names(heading.text)) ||
      document.links.some((link) => names(link.text)) ||
      document.paragraphs.some((paragraph) => paragraph.text.split("\n").some((line) => names(line))));
    if (named) return;
    // The shallowest README, by name at equal depth: one pass, not a sort of every README of a monorepo.
    const readme = documents
      .filter((document) => README.test(path.posix.basename(document.path)))
      .reduce<(typeof documents)[number] | undefined>((best, document) =>
        best === undefined || (depth(document.path) - depth(best.path) || document.path.localeCompare(best.path)) < 0 ? document : best, undefined);
    if (!readme) {
      context.report({ messageId: "missing", data: { looked: documents.length ? `no README; ${documents.length} other Markdown file(s) read` : "the project has no README" } });
      return;
    }
    context.report({ messageId: "missing", data: { looked: `read ${readme.path} and ${documents.length - 1} other Markdown file(s)` }, file: readme.path, at: { line: 1, column: 1 } });
  },
});
