import { readdirSync, readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { RULES } from "../src/rules/index.js";
import { SECTION_IDS } from "../src/sections.js";
import { listCases, REPO_ROOT } from "./helpers/fixtures.js";

const ruleFiles = readdirSync(path.join(REPO_ROOT, "src", "rules"))
  .filter((file) => file.endsWith(".ts") && file !== "index.ts")
  .map((file) => file.replace(/\.ts$/, ""))
  .sort();

const REQUIRED_HEADINGS = ["## Why it matters", "## How to fix", "## Examples", "## Options"];

describe("rule conventions", () => {
  it("the README's rules table lists every rule with its section and severity", () => {
    const readme = readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
    for (const rule of RULES) {
      const row = readme.split("\n").find((line) => line.startsWith(`| [\`${rule.meta.id}\`](docs/rules/${rule.meta.id}.md) |`));
      expect(row, `README.md has no rules-table row for ${rule.meta.id}`).toBeDefined();
      expect(row?.split("|").slice(2, 4).map((cell) => cell.trim())).toEqual([rule.meta.section, rule.meta.severity]);
    }
  });

  it("the registry lists exactly the rule files, sorted by id, each id once", () => {
    const ids = RULES.map((rule) => rule.meta.id);
    expect(ids).toEqual(ruleFiles);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(RULES.map((rule) => [rule.meta.id, rule] as const))("%s follows the conventions", (id, rule) => {
    const { meta } = rule;
    expect(id).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
    expect(SECTION_IDS).toContain(meta.section);
    expect(["error", "warning", "info"]).toContain(meta.severity);
    expect(meta.weight).toBeGreaterThan(0);
    expect(meta.title.length).toBeGreaterThan(0);
    expect(meta.description.length).toBeGreaterThan(20);
    expect(Object.keys(meta.messages).length).toBeGreaterThan(0);

    // Default options validate against the rule's own schema.
    if (meta.options) {
      const validate = new Ajv({ strict: false }).compile(meta.options);
      expect(validate(meta.defaultOptions), JSON.stringify(validate.errors)).toBe(true);
    }

    const docsPath = path.join(REPO_ROOT, "docs", "rules", `${id}.md`);
    expect(existsSync(docsPath), `docs/rules/${id}.md is missing`).toBe(true);
    const docs = readFileSync(docsPath, "utf8");
    expect(docs.startsWith(`# ${id}`)).toBe(true);
    let position = 0;
    for (const heading of REQUIRED_HEADINGS) {
      const at = docs.indexOf(`\n${heading}`, position);
      expect(at, `docs/rules/${id}.md lacks "${heading}" (in this order)`).toBeGreaterThan(-1);
      position = at;
    }
    // Every option is documented.
    for (const option of Object.keys((meta.options?.["properties"] as Record<string, unknown> | undefined) ?? {})) {
      expect(docs, `docs/rules/${id}.md does not document option ${option}`).toContain(`\`${option}\``);
    }

    const cases = listCases(id);
    expect(cases.filter((fixture) => fixture.outcome === "fail").length, `fixtures/${id}/fail needs 2+ cases`).toBeGreaterThanOrEqual(2);
    expect(cases.filter((fixture) => fixture.outcome === "pass").length, `fixtures/${id}/pass needs 2+ cases`).toBeGreaterThanOrEqual(2);
    for (const fixture of cases.filter((candidate) => candidate.outcome === "fail")) {
      expect(fixture.expected.length, `fixtures/${id}/fail/${fixture.name} expects no finding`).toBeGreaterThan(0);
    }
  });
});
