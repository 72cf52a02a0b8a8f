import { describe, expect, it } from "vitest";
import { main, type Io } from "../src/cli.js";
import { check } from "../src/check.js";
import { ConfigError } from "../src/config/load.js";
import { pluginNamespace } from "../src/plugins.js";
import { tempProject } from "./helpers/tmp.js";

function io() {
  let stdout = "";
  let stderr = "";
  const value: Io = { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) }, env: {} };
  return { io: value, out: () => stdout, err: () => stderr };
}

/** An ES module plugin with one rule that reports every Dockerfile (or whatever `rule` overrides). */
function pluginSource(options: { name?: string; id?: string; section?: string; extra?: string; rule?: string; exportStyle?: "named" | "default" } = {}): string {
  const rule = options.rule ?? `{
    meta: {
      id: ${JSON.stringify(options.id ?? "no-dockerfile")},
      title: "No Dockerfiles",
      section: ${JSON.stringify(options.section ?? "container")},
      severity: "warning",
      weight: 1,
      description: "Reports every Dockerfile.",
      options: { type: "object", additionalProperties: false, properties: { word: { type: "string" } } },
      defaultOptions: { word: "Dockerfile" },
      messages: { found: "{{word}} found." },
    },
    check(context) {
      for (const dockerfile of context.project.dockerfiles) context.report({ messageId: "found", data: { word: context.options.word }, file: dockerfile.path, at: { line: 1, column: 1 } });
      if (context.project.dockerfiles.length === 0) context.skip("no Dockerfile");
    },
  }`;
  const meta = options.name ? `{ name: ${JSON.stringify(options.name)}, version: "2.0.0" }` : "undefined";
  return options.exportStyle === "default"
    ? `export default { meta: ${meta}, rules: [${rule}] ${options.extra ?? ""} };\n`
    : `export const meta = ${meta};\nexport const rules = [${rule}];\n${options.extra ?? ""}\n`;
}

function project(config: Record<string, unknown>, files: Record<string, string> = {}): string {
  return tempProject({ Dockerfile: "FROM python:3.12\n", ".mlreadyrc.json": JSON.stringify(config), ...files });
}

async function usageError(root: string, ...flags: string[]): Promise<string> {
  const run = io();
  expect(await main(["check", root, ...flags], run.io)).toBe(2);
  const message = run.err();
  expect(message.trim().split("\n")).toHaveLength(1);
  expect(message).not.toMatch(/\n\s+at /);
  return message;
}

describe("plugins", () => {
  it("loads a local ES module relative to the config file, namespaces its rules by meta.name and validates their options", async () => {
    const root = project(
      { plugins: ["./tools/rules.mjs"], rules: { "house/no-dockerfile": ["error", { word: "A Dockerfile" }] } },
      { "tools/rules.mjs": pluginSource({ name: "mlready-plugin-house" }) },
    );
    const result = await check(root);
    expect(result.plugins).toEqual([expect.objectContaining({ specifier: "./tools/rules.mjs", namespace: "house", name: "mlready-plugin-house", version: "2.0.0", rules: ["house/no-dockerfile"] })]);
    const finding = result.findings.find((candidate) => candidate.ruleId === "house/no-dockerfile");
    expect(finding).toMatchObject({ severity: "error", message: "A Dockerfile found.", file: "Dockerfile", line: 1 });

    const bad = project(
      { plugins: ["./tools/rules.mjs"], rules: { "house/no-dockerfile": ["error", { word: 3 }] } },
      { "tools/rules.mjs": pluginSource({ name: "mlready-plugin-house" }) },
    );
    expect(await usageError(bad)).toContain("rules.house/no-dockerfile option word must be string");
  });

  it("takes the namespace from the file name without meta, and accepts a default export", async () => {
    const root = project({ plugins: ["./mlready-plugin-team.mjs"] }, { "mlready-plugin-team.mjs": pluginSource({ exportStyle: "default" }) });
    const result = await check(root);
    expect(result.rules.find((rule) => rule.id === "team/no-dockerfile")?.status).toBe("fail");
  });

  it("resolves a package from the checked project's node_modules through its exports' import condition", async () => {
    const root = project(
      { plugins: ["@acme/mlready-plugin"] },
      {
        "node_modules/@acme/mlready-plugin/package.json": JSON.stringify({ name: "@acme/mlready-plugin", version: "3.1.0", exports: { ".": { require: "./index.cjs", import: "./index.mjs" } } }),
        "node_modules/@acme/mlready-plugin/index.mjs": pluginSource(),
        "node_modules/@acme/mlready-plugin/index.cjs": "throw new Error('the CommonJS entry must not be loaded');\n",
      },
    );
    const result = await check(root);
    expect(result.plugins?.[0]).toMatchObject({ namespace: "acme", name: "@acme/mlready-plugin", version: "3.1.0", rules: ["acme/no-dockerfile"] });
  });

  it("names the plugin in one line, exit code 2, when it cannot be loaded or its rules are wrong", async () => {
    expect(await usageError(project({ plugins: ["mlready-plugin-missing"] }))).toContain('plugin "mlready-plugin-missing": not installed in');
    expect(await usageError(project({ plugins: ["./nope.mjs"] }))).toMatch(/plugin "\.\/nope\.mjs": .*nope\.mjs does not exist/);
    expect(await usageError(project({ plugins: ["./boom.mjs"] }, { "boom.mjs": "throw new Error('boom\\nsecond line');\n" }))).toMatch(/^mlready: .*plugin "\.\/boom\.mjs": could not be loaded: boom\n$/);
    expect(await usageError(project({ plugins: ["./syntax.mjs"] }, { "syntax.mjs": "export const rules = [;\n" }))).toContain('plugin "./syntax.mjs": could not be loaded');
    expect(await usageError(project({ plugins: ["./empty.mjs"] }, { "empty.mjs": "export const meta = { name: 'empty' };\n" }))).toContain('plugin "./empty.mjs": exports no `rules` array');
    expect(await usageError(project({ plugins: ["./p.mjs"] }, { "p.mjs": pluginSource({ name: "p", section: "security" }) }))).toContain('plugin "./p.mjs": rule p/no-dockerfile: meta.section must be one of container, registry');
    expect(await usageError(project({ plugins: ["./p.mjs"] }, { "p.mjs": pluginSource({ name: "p", id: "No_Dockerfile" }) }))).toContain('rule id "No_Dockerfile" is not kebab-case');
    expect(await usageError(project({ plugins: ["./p.mjs"] }, { "p.mjs": pluginSource({ name: "p", extra: "export const sections = [{ id: 'security', title: 'Security' }];" }) }))).toContain("custom checklist sections (`sections`) are not supported yet");
    expect(await usageError(project({ plugins: ["./p.mjs"] }, { "p.mjs": pluginSource({ name: "Bad Name" }) }))).toContain("set meta.name to a kebab-case name");
    expect(await usageError(project({ plugins: ["./p.mjs"] }, { "p.mjs": pluginSource({ name: "p" }).replace('defaultOptions: { word: "Dockerfile" }', "defaultOptions: { word: 1 }") }))).toContain('plugin "./p.mjs": rule p/no-dockerfile: its default options do not fit its own schema');
  });

  it("a rule id that collides is a usage error naming the plugin", async () => {
    const root = project(
      { plugins: ["./one.mjs", "./two.mjs"] },
      { "one.mjs": pluginSource({ name: "mlready-plugin-acme" }), "two.mjs": pluginSource({ name: "acme" }) },
    );
    await expect(check(root)).rejects.toThrow(ConfigError);
    expect(await usageError(root)).toContain('plugin "./two.mjs": rule acme/no-dockerfile collides with plugin "./one.mjs"');
  });

  it("a namespaced rule of no loaded plugin is unknown; with --no-plugins it is left alone and nothing runs", async () => {
    const root = project({ plugins: ["./p.mjs"], rules: { "p/no-dockerfile": "error", "other/rule": "warning" } }, { "p.mjs": pluginSource({ name: "p" }) });
    expect(await usageError(root)).toContain("rules.other/rule is not a known rule");
    const safe = project({ plugins: ["./p2.mjs"], rules: { "p/no-dockerfile": "error" } }, { "p2.mjs": `globalThis.__mlreadyUntrusted = true;\n${pluginSource({ name: "p" })}` });
    const run = io();
    expect(await main(["check", safe, "--no-plugins", "--format", "json", "--fail-on", "none"], run.io)).toBe(0);
    expect(run.out()).not.toContain("p/no-dockerfile");
    expect((globalThis as { __mlreadyUntrusted?: boolean }).__mlreadyUntrusted).toBeUndefined();
    expect((await check(safe, { plugins: false })).plugins).toBeUndefined();
  });

  it("derives namespaces like ESLint does", () => {
    expect(pluginNamespace("mlready-plugin-acme")).toBe("acme");
    expect(pluginNamespace("@acme/mlready-plugin")).toBe("acme");
    expect(pluginNamespace("@acme/mlready-plugin-ml")).toBe("ml");
    expect(pluginNamespace("house-rules")).toBe("house-rules");
  });
});
