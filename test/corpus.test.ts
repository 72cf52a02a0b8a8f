import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { check } from "../src/check.js";
import { REPO_ROOT } from "./helpers/fixtures.js";

// Real-world deployment files from public repositories (read in place, never copied into this repo).
// CI has ../shared/corpus; a user's clone does not, and this file then says so in a test name.
const CORPUS = path.join(REPO_ROOT, "..", "shared", "corpus");
const present = existsSync(CORPUS);

/** Every parse error the corpus produces, reviewed: file -> why the file really is broken or unreadable. */
const JUSTIFIED_PARSE_ERRORS = JSON.parse(readFileSync(path.join(REPO_ROOT, "test", "corpus-parse-errors.json"), "utf8")) as Record<string, string>;

const repositories = present
  ? readdirSync(CORPUS).filter((name) => statSync(path.join(CORPUS, name)).isDirectory()).sort()
  : [];

describe("real-world corpus", () => {
  if (!present) {
    it("is not present (../shared/corpus is missing): corpus checks not run in this clone", () => {
      console.log("corpus tests skipped: ../shared/corpus not found beside the checkout");
      expect(present).toBe(false);
    });
    return;
  }

  it.each(repositories)("%s: checks end to end with no internal error and only justified parse errors", async (repository) => {
    const result = await check(path.join(CORPUS, repository));
    expect(result.findings.filter((finding) => finding.ruleId === "internal-error")).toEqual([]);
    expect(Number.isInteger(result.score)).toBe(true);
    const parseErrors = result.findings
      .filter((finding) => finding.ruleId === "parse-error")
      .map((finding) => `${repository}/${finding.file}`);
    const unjustified = parseErrors.filter((file) => !(file in JUSTIFIED_PARSE_ERRORS));
    expect(unjustified, "parse errors nobody reviewed: add them to test/corpus-parse-errors.json with a reason, or fix the parser").toEqual([]);
    const expectedHere = Object.keys(JUSTIFIED_PARSE_ERRORS).filter((file) => file.startsWith(`${repository}/`));
    expect([...new Set(parseErrors)].sort()).toEqual(expectedHere.sort());
  });
});
