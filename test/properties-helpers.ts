// Generators shared by the property tests (test/properties*.test.ts): real files from fixtures/,
// examples/ and ../shared/corpus/, mutated in the ways real repositories break files.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { REPO_ROOT } from "./helpers/fixtures.js";

/** Fixed for reproducibility; set MLREADY_PROPERTY_SEED to explore other runs. fast-check prints the seed and path of a failure. */
export const SEED = Number(process.env["MLREADY_PROPERTY_SEED"] ?? 20261130);

export const CORPUS = path.join(REPO_ROOT, "..", "shared", "corpus");
export const CORPUS_PRESENT = existsSync(CORPUS);

const SKIPPED_FOLDERS = new Set(["node_modules", ".git", "dist"]);

function walk(folder: string, prefix: string, into: string[]): void {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (SKIPPED_FOLDERS.has(entry.name)) continue;
    const relative = `${prefix}/${entry.name}`;
    if (entry.isDirectory()) walk(path.join(folder, entry.name), relative, into);
    else if (entry.isFile()) into.push(relative);
  }
}

/** Every sample file, as `fixtures/...`, `examples/...` or `corpus/...`, sorted so that runs are reproducible. */
const SAMPLE_FILES: string[] = (() => {
  const files: string[] = [];
  walk(path.join(REPO_ROOT, "fixtures"), "fixtures", files);
  walk(path.join(REPO_ROOT, "examples"), "examples", files);
  if (CORPUS_PRESENT) walk(CORPUS, "corpus", files);
  return files.sort();
})();

function absolute(sample: string): string {
  return sample.startsWith("corpus/") ? path.join(CORPUS, sample.slice("corpus/".length)) : path.join(REPO_ROOT, sample);
}

/** Largest sample read, so that one huge manifest does not dominate the run time. */
const MAX_SAMPLE_BYTES = 64 * 1024;

export interface Sample {
  name: string;
  text: string;
}

/** Up to `limit` real files whose path matches, spread evenly over fixtures, examples and the corpus. */
export function samples(matches: (file: string) => boolean, limit = 40): Sample[] {
  const matching = SAMPLE_FILES.filter((file) => matches(file) && statSync(absolute(file)).size > 0);
  const step = Math.max(1, matching.length / limit);
  const picked: Sample[] = [];
  for (let index = 0; index < matching.length && picked.length < limit; index += step) {
    const name = matching[Math.floor(index)] as string;
    picked.push({ name, text: readFileSync(absolute(name)).subarray(0, MAX_SAMPLE_BYTES).toString("utf8") });
  }
  return picked;
}

/** Fragments that break parsers: quoting, continuation, templating, YAML structure, odd code points. */
const TOKENS = [
  "\n", "\r\n", "\r", "\t", " ", "\\", "\\\n", "\"", "'", "`", "$(", "${", "$$", "}", ")", "(", "[", "]", "{", "{{", "}}",
  "---\n", "--- ", "...\n", "- ", ": ", ":", "? ", "|\n", ">-\n", "#", "=", "==", "@", ";", "&&", "||", "|", "<<EOF\n", "EOF\n",
  "<<-'X'\n", "&a ", "*a", "<<: *a\n", "!!binary ", "!!python/object ", "%YAML 1.2\n", "\u0000", "\uFEFF", "\uFFFD", "\uD800",
  "\uDFFF", "é", "\u2028", "\u00A0", "𝔘", "-r ", "-c ", "-e ", "--hash=sha256:", "git+", "file:", "FROM ", "RUN ", "ARG ", "ENV ",
  "COPY --from=", "ONBUILD ", "# escape=`\n", "apiVersion: v1\n", "kind: Deployment\n", "kind: List\nitems:\n", "spec:\n  ",
  "[[", "]]", "[tool.poetry.dependencies]\n", "[project]\n", "dependencies = [", "\"\"\"", "'''", "```\n", "~~~", "<a href=",
  "](", "![", "[x]: ", "<!--", "-->", "    ", "\t@", ".PHONY:", "define X\n", "endef\n", "ifeq (", "pip:\n", "flavors:\n",
];

const token = fc.constantFrom(...TOKENS);

/** A short piece of text: a breaking token, a run of them, or arbitrary code points (lone surrogates included). */
export const fragment: fc.Arbitrary<string> = fc.oneof(
  token,
  fc.array(token, { maxLength: 12 }).map((tokens) => tokens.join("")),
  fc.string({ unit: "binary", maxLength: 40 }),
);

/** One edit of a real file, kept as data so that a counterexample reads as what was done to which file. */
export type Mutation =
  | { op: "truncate"; at: number }
  | { op: "insert"; at: number; text: string }
  | { op: "delete"; at: number; length: number }
  | { op: "duplicate"; at: number; length: number }
  | { op: "swap-lines"; first: number; second: number }
  | { op: "crlf" }
  | { op: "bom" }
  | { op: "huge-line"; at: number; unit: string; length: number }
  | { op: "nest"; at: number; open: string; depth: number; close: boolean };

const at = fc.nat({ max: 1_000_000 });

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant("truncate" as const), at }),
  fc.record({ op: fc.constant("insert" as const), at, text: fragment }),
  fc.record({ op: fc.constant("delete" as const), at, length: fc.integer({ min: 1, max: 400 }) }),
  fc.record({ op: fc.constant("duplicate" as const), at, length: fc.integer({ min: 1, max: 2000 }) }),
  fc.record({ op: fc.constant("swap-lines" as const), first: at, second: at }),
  fc.constant({ op: "crlf" as const }),
  fc.constant({ op: "bom" as const }),
  // One line (no newline in it) of 10,000 to 50,000 characters. Longer runs of `*a` make micromark
  // (the Markdown parser) take tens of seconds: a known limit, reported, not something to time out on.
  fc.record({ op: fc.constant("huge-line" as const), at, unit: fc.oneof(token.filter((unit) => !/[\r\n]/.test(unit)), fc.constant("x")), length: fc.integer({ min: 10_000, max: 50_000 }) }),
  fc.record({
    op: fc.constant("nest" as const),
    at,
    open: fc.constantFrom("[", "{", "- ", "  ", "(", "$(", "> ", "* ", "a:\n ", "`", "<div>"),
    depth: fc.integer({ min: 50, max: 1500 }),
    close: fc.boolean(),
  }),
);

const CLOSING: Record<string, string> = { "[": "]", "{": "}", "(": ")", "$(": ")", "`": "`", "<div>": "</div>" };

export function applyMutation(text: string, edit: Mutation): string {
  const where = (offset: number) => offset % (text.length + 1);
  switch (edit.op) {
    case "truncate":
      return text.slice(0, where(edit.at));
    case "insert":
      return text.slice(0, where(edit.at)) + edit.text + text.slice(where(edit.at));
    case "delete":
      return text.slice(0, where(edit.at)) + text.slice(where(edit.at) + edit.length);
    case "duplicate": {
      const start = where(edit.at);
      const copy = text.slice(start, start + edit.length);
      return text.slice(0, start) + copy + copy + text.slice(start);
    }
    case "swap-lines": {
      const lines = text.split("\n");
      const first = edit.first % lines.length;
      const second = edit.second % lines.length;
      [lines[first], lines[second]] = [lines[second] as string, lines[first] as string];
      return lines.join("\n");
    }
    case "crlf":
      return text.replace(/\r?\n/g, "\r\n");
    case "bom":
      return `\uFEFF${text}`;
    case "huge-line": {
      const line = edit.unit.repeat(Math.ceil(edit.length / edit.unit.length)).slice(0, edit.length);
      return text.slice(0, where(edit.at)) + line + text.slice(where(edit.at));
    }
    case "nest": {
      const closing = edit.close ? (CLOSING[edit.open] ?? "").repeat(edit.depth) : "";
      return text.slice(0, where(edit.at)) + edit.open.repeat(edit.depth) + closing + text.slice(where(edit.at));
    }
  }
}

/** Where a test input comes from; rendered to bytes by `render`. */
export type Input =
  | { source: "sample"; sample: string; mutations: Mutation[] }
  | { source: "text"; text: string }
  | { source: "bytes"; bytes: Uint8Array };

/**
 * Inputs for one kind of file: mostly mutated real files of that kind, also arbitrary text,
 * concatenated breaking tokens and arbitrary bytes (invalid UTF-8, NUL bytes).
 */
export function inputs(pool: readonly Sample[]): fc.Arbitrary<Input> {
  const byName = pool.map((sample) => sample.name);
  const generated: fc.Arbitrary<Input>[] = [
    fc.string({ unit: "binary", maxLength: 400 }).map((text) => ({ source: "text" as const, text })),
    fc.array(fragment, { maxLength: 30 }).map((parts) => ({ source: "text" as const, text: parts.join("") })),
    fc.uint8Array({ maxLength: 600 }).map((bytes) => ({ source: "bytes" as const, bytes })),
  ];
  if (byName.length === 0) return fc.oneof(...generated);
  const mutated: fc.Arbitrary<Input> = fc.record({
    source: fc.constant("sample" as const),
    sample: fc.constantFrom(...byName),
    mutations: fc.array(mutation, { minLength: 0, maxLength: 4 }),
  });
  return fc.oneof({ weight: 6, arbitrary: mutated }, ...generated.map((arbitrary) => ({ weight: 1, arbitrary })));
}

/** The input's bytes, as a file on disk would hold them. */
export function render(input: Input, pool: readonly Sample[]): Uint8Array {
  switch (input.source) {
    case "bytes":
      return input.bytes;
    case "text":
      return Buffer.from(input.text, "utf8");
    case "sample": {
      const sample = pool.find((candidate) => candidate.name === input.sample) as Sample;
      return Buffer.from(input.mutations.reduce(applyMutation, sample.text), "utf8");
    }
  }
}

/** The text a parser gets from arbitrary bytes when nothing cleans it first (invalid UTF-8 as U+FFFD). */
export function lenientText(bytes: Uint8Array): string {
  return new TextDecoder("utf-8", { fatal: false, ignoreBOM: true }).decode(bytes);
}
