import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const DOCS_FOLDER = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "docs", "rules");
const cache = new Map<string, string | null>();

/** Where a rule's documentation is published (SARIF `helpUri`, the text report's links). */
export const DOCS_BASE_URL = "https://github.com/mlready/mlready/blob/main/docs/rules";

/** The Markdown documentation page of a built-in rule, or null when it has none. Read once per process. */
export function ruleDocs(id: string): string | null {
  let docs = cache.get(id);
  if (docs === undefined) {
    try {
      docs = readFileSync(path.join(DOCS_FOLDER, `${id}.md`), "utf8");
    } catch {
      docs = null;
    }
    cache.set(id, docs);
  }
  return docs;
}

/**
 * A rule's help: a plugin rule's own `meta.docs` (its Markdown and URL) first, then a built-in rule's page,
 * then the description. `uri` is left out for a plugin rule without `docs.url`: mlready does not host its docs.
 */
export function ruleHelp(rule: { id: string; description: string; docs?: { url?: string; markdown?: string } }): { markdown: string; uri?: string } {
  const builtin = rule.id.includes("/") ? null : ruleDocs(rule.id);
  const markdown = rule.docs?.markdown ?? builtin ?? `# ${rule.id}\n\n${rule.description}\n`;
  const uri = rule.docs?.url ?? (builtin !== null ? `${DOCS_BASE_URL}/${rule.id}.md` : undefined);
  return { markdown, ...(uri ? { uri } : {}) };
}
