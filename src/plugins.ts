import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ConfigError } from "./config/load.js";
import { SECTION_IDS } from "./sections.js";
import type { Rule } from "./rule.js";

/** What a plugin says about itself (`export const meta`). */
export interface PluginMeta {
  /** The plugin's name; its rule ids are namespaced by it without the `mlready-plugin-` prefix (`acme/...`). */
  name?: string;
  version?: string;
}

/**
 * What a plugin module exports, as named exports or as its default export: `rules` with un-namespaced ids
 * (`allowed-registries`), and optionally `meta`. `sections` (custom checklist sections) are not supported yet.
 */
export interface Plugin {
  meta?: PluginMeta;
  /** Each rule has its own options type. */
  rules: readonly Rule<object>[];
  sections?: readonly unknown[];
}

/** A plugin that was loaded for a check: where it came from and the (namespaced) ids of its rules. */
export interface LoadedPlugin {
  /** As the config's `plugins` list names it. */
  specifier: string;
  /** The namespace of its rules (`acme`). */
  namespace: string;
  name: string;
  version?: string;
  /** The module file that was imported (absolute). */
  file: string;
  rules: string[];
}

export interface PluginSources {
  /** The checked project's folder: package names are resolved from its node_modules (and those above it). */
  projectRoot: string;
  /** Folder of the config file that lists the plugins: relative paths are relative to it. */
  configFolder: string;
}

const PACKAGE_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;
const KEBAB = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const PREFIX = "mlready-plugin-";
const SEVERITIES = new Set(["error", "warning", "info"]);

function isPath(specifier: string): boolean {
  return specifier.startsWith("./") || specifier.startsWith("../") || specifier.startsWith("file:") || path.isAbsolute(specifier);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The file a package's `exports` (or `main`) names for `import` of its root. */
function exportTarget(exportsField: unknown): string | undefined {
  if (typeof exportsField === "string") return exportsField;
  if (Array.isArray(exportsField)) {
    for (const entry of exportsField) {
      const target = exportTarget(entry);
      if (target) return target;
    }
    return undefined;
  }
  if (!isRecord(exportsField)) return undefined;
  if ("." in exportsField) return exportTarget(exportsField["."]);
  if (Object.keys(exportsField).some((key) => key.startsWith("."))) return undefined;
  for (const condition of ["import", "node", "default"]) {
    if (condition in exportsField) {
      const target = exportTarget(exportsField[condition]);
      if (target) return target;
    }
  }
  return undefined;
}

/**
 * Finds an installed package by walking up from `start` through `node_modules` folders, as Node does, but
 * starting at the checked project, never at mlready's own installation.
 */
function resolvePackage(name: string, starts: readonly string[]): { file: string; packageJson: Record<string, unknown> } | undefined {
  for (const start of starts) {
    for (let folder = path.resolve(start); ; folder = path.dirname(folder)) {
      const packageFolder = path.join(folder, "node_modules", ...name.split("/"));
      const manifest = path.join(packageFolder, "package.json");
      if (existsSync(manifest)) {
        const packageJson = JSON.parse(readFileSync(manifest, "utf8")) as unknown;
        if (!isRecord(packageJson)) throw new Error(`${manifest} is not a JSON object`);
        const target = exportTarget(packageJson["exports"]) ?? (typeof packageJson["main"] === "string" ? packageJson["main"] : "index.js");
        let file = path.resolve(packageFolder, target);
        if (existsSync(file) && statSync(file).isDirectory()) file = path.join(file, "index.js");
        return { file, packageJson };
      }
      if (path.dirname(folder) === folder) break;
    }
  }
  return undefined;
}

/** `mlready-plugin-acme` and `@acme/mlready-plugin` give `acme`; any other name is used as it is. */
export function pluginNamespace(name: string): string {
  const scoped = /^@([^/]+)\/(.+)$/.exec(name);
  if (scoped) return scoped[2] === "mlready-plugin" ? (scoped[1] as string) : pluginNamespace(scoped[2] as string);
  return name.startsWith(PREFIX) ? name.slice(PREFIX.length) : name;
}

function checkRule(rule: unknown, index: number, namespace: string): { rule: Rule<object>; problem?: undefined } | { problem: string } {
  if (!isRecord(rule) || !isRecord(rule["meta"]) || typeof rule["check"] !== "function") {
    return { problem: `rules[${index}] is not a rule ({ meta, check(context) })` };
  }
  const meta = rule["meta"];
  const rawId = meta["id"];
  if (typeof rawId !== "string") return { problem: `rules[${index}] has no meta.id` };
  const id = rawId.startsWith(`${namespace}/`) ? rawId.slice(namespace.length + 1) : rawId;
  if (!KEBAB.test(id)) return { problem: `rule id "${rawId}" is not kebab-case` };
  const where = `rule ${namespace}/${id}`;
  if (typeof meta["section"] !== "string" || !SECTION_IDS.includes(meta["section"] as never)) {
    return { problem: `${where}: meta.section must be one of ${SECTION_IDS.join(", ")} (custom sections are not supported yet)` };
  }
  if (!SEVERITIES.has(meta["severity"] as string)) return { problem: `${where}: meta.severity must be error, warning or info` };
  if (typeof meta["weight"] !== "number" || !(meta["weight"] >= 0)) return { problem: `${where}: meta.weight must be a number, 0 or more` };
  if (typeof meta["title"] !== "string" || typeof meta["description"] !== "string") return { problem: `${where}: meta.title and meta.description must be strings` };
  if (!isRecord(meta["messages"])) return { problem: `${where}: meta.messages must map message ids to templates` };
  if (meta["defaultOptions"] !== undefined && !isRecord(meta["defaultOptions"])) return { problem: `${where}: meta.defaultOptions must be an object` };
  if (meta["options"] !== undefined && !isRecord(meta["options"])) return { problem: `${where}: meta.options must be a JSON Schema object` };
  if (meta["docs"] !== undefined && !isRecord(meta["docs"])) return { problem: `${where}: meta.docs must be { url?, markdown? }` };
  const original = rule as unknown as Rule<object>;
  return {
    rule: {
      meta: { ...original.meta, id: `${namespace}/${id}`, defaultOptions: original.meta.defaultOptions ?? {} },
      check: (context) => original.check(context),
    },
  };
}

/** Turns an imported module into a plugin's namespaced rules, or says in one line what is wrong with it. */
export function pluginRules(module: unknown, fallbackName: string, specifier: string): { namespace: string; name: string; version?: string; rules: Rule<object>[] } {
  const fail = (problem: string): never => {
    throw new ConfigError(`plugin "${specifier}": ${problem}`);
  };
  const namespaceObject = isRecord(module) ? module : {};
  const exported = isRecord(namespaceObject["default"]) && "rules" in (namespaceObject["default"] as object) ? (namespaceObject["default"] as Record<string, unknown>) : namespaceObject;
  const meta = isRecord(exported["meta"]) ? exported["meta"] : {};
  if (meta["name"] !== undefined && typeof meta["name"] !== "string") fail("meta.name must be a string");
  const name = (meta["name"] as string | undefined) ?? fallbackName;
  const namespace = pluginNamespace(name);
  if (!KEBAB.test(namespace)) fail(`cannot namespace its rules by "${namespace}": set meta.name to a kebab-case name such as "mlready-plugin-acme"`);
  if (Array.isArray(exported["sections"]) && exported["sections"].length > 0) {
    fail("custom checklist sections (`sections`) are not supported yet: put its rules in one of the seven built-in sections");
  }
  if (!Array.isArray(exported["rules"])) fail("exports no `rules` array (a plugin exports `{ rules: Rule[] }`)");
  const rules: Rule<object>[] = [];
  const seen = new Set<string>();
  (exported["rules"] as unknown[]).forEach((candidate, index) => {
    const checked = checkRule(candidate, index, namespace);
    if (checked.problem !== undefined) return fail(checked.problem);
    if (seen.has(checked.rule.meta.id)) fail(`defines the rule ${checked.rule.meta.id} twice`);
    seen.add(checked.rule.meta.id);
    rules.push(checked.rule);
  });
  const version = typeof meta["version"] === "string" ? meta["version"] : undefined;
  return { namespace, name, ...(version ? { version } : {}), rules };
}

/**
 * Loads the plugins a config names: a package name is resolved from the checked project's node_modules, a
 * path (`./tools/rules.mjs`) from the config file's folder. This runs the plugins' code, which is why only
 * plugins the user's config names are loaded, and `--no-plugins` turns them off. Every problem is a ConfigError.
 */
export async function loadPlugins(specifiers: readonly string[], sources: PluginSources, builtinIds: ReadonlySet<string>): Promise<{ plugins: LoadedPlugin[]; rules: Rule<object>[] }> {
  const plugins: LoadedPlugin[] = [];
  const rules: Rule<object>[] = [];
  const owner = new Map<string, string>([...builtinIds].map((id) => [id, "a built-in rule"]));
  for (const specifier of specifiers) {
    let file: string;
    let fallbackName: string;
    let packageVersion: string | undefined;
    if (isPath(specifier)) {
      try {
        file = specifier.startsWith("file:") ? fileURLToPath(specifier) : path.resolve(sources.configFolder, specifier);
      } catch {
        throw new ConfigError(`plugin "${specifier}": not a valid file URL`);
      }
      if (!existsSync(file)) throw new ConfigError(`plugin "${specifier}": ${file} does not exist`);
      fallbackName = path.basename(file).replace(/\.[cm]?js$/, "");
    } else {
      if (!PACKAGE_NAME.test(specifier)) throw new ConfigError(`plugin "${specifier}": not a package name or a path (start a path with ./)`);
      let resolved: ReturnType<typeof resolvePackage>;
      try {
        resolved = resolvePackage(specifier, [...new Set([sources.projectRoot, sources.configFolder])]);
      } catch (error) {
        throw new ConfigError(`plugin "${specifier}": ${error instanceof Error ? error.message : String(error)}`);
      }
      if (!resolved) throw new ConfigError(`plugin "${specifier}": not installed in ${sources.projectRoot} (npm install --save-dev ${specifier})`);
      file = resolved.file;
      fallbackName = specifier;
      packageVersion = typeof resolved.packageJson["version"] === "string" ? resolved.packageJson["version"] : undefined;
    }
    let module: unknown;
    try {
      module = await import(pathToFileURL(file).href);
    } catch (error) {
      const detail = error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
      throw new ConfigError(`plugin "${specifier}": could not be loaded: ${detail}`);
    }
    const plugin = pluginRules(module, fallbackName, specifier);
    for (const rule of plugin.rules) {
      const previous = owner.get(rule.meta.id);
      if (previous) throw new ConfigError(`plugin "${specifier}": rule ${rule.meta.id} collides with ${previous}`);
      owner.set(rule.meta.id, `plugin "${specifier}"`);
    }
    const version = plugin.version ?? packageVersion;
    plugins.push({ specifier, namespace: plugin.namespace, name: plugin.name, ...(version ? { version } : {}), file, rules: plugin.rules.map((rule) => rule.meta.id) });
    rules.push(...plugin.rules);
  }
  return { plugins, rules };
}
