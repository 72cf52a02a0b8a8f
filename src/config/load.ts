import { existsSync } from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import type { Ajv, ErrorObject, ValidateFunction } from "ajv";
import validateConfigSchema from "./schema-validator.generated.js";
import type { RuleSetting } from "../engine.js";
import { FILE_SKIPPED, PARSE_ERROR, type SectionId, type Severity } from "../model.js";
import type { Rule } from "../rule.js";
import { loadPlugins, type LoadedPlugin } from "../plugins.js";

/**
 * Findings to suppress (kind `config`) without editing the files that hold them, e.g. a vendored chart:
 * those of `rules` (default: every rule) in `files` (globs; default: anywhere, project-level findings included).
 */
export interface SuppressionOverride {
  files?: string[];
  rules?: string[];
  reason: string;
}

export interface MlreadyConfig {
  rules?: Record<string, Severity | "off" | [Severity | "off", Record<string, unknown>?]>;
  ignore?: string[];
  overrides?: SuppressionOverride[];
  expectedPeakRps?: number;
  sections?: Partial<Record<SectionId, number>>;
  maxFileSize?: number;
  /** Plugins to load: package names (resolved from the project) and paths of ES modules (docs/plugins.md). */
  plugins?: string[];
}

export interface ResolvedConfig {
  /** Where the configuration came from, or undefined when none was found. */
  file?: string;
  config: MlreadyConfig;
  settings: Map<string, RuleSetting>;
  /** The rules to run: those passed in, then each loaded plugin's rules. */
  rules: Rule<object>[];
  /** The plugins that were loaded (none unless `plugins: true`). */
  plugins: LoadedPlugin[];
}

export interface LoadConfigOptions {
  /**
   * Load the plugins the config names (runs their code). Default false: rule ids with a namespace
   * (`acme/...`) in `rules` and `overrides` are then left alone instead of being unknown rules.
   */
  plugins?: boolean;
}

/** A mistake in the user's configuration: printed as one line, exit code 2. */
export class ConfigError extends Error {}


/** The configuration schema's validator, compiled ahead of time (scripts/generate-config-validator.mjs). */
function configValidator(): ValidateFunction<MlreadyConfig> {
  return validateConfigSchema as ValidateFunction<MlreadyConfig>;
}

// ajv itself is loaded only for rules with an options schema that a configuration or a plugin sets.
let ajvInstance: Ajv | undefined;
function ajv(): Ajv {
  if (!ajvInstance) {
    const { Ajv: AjvClass } = createRequire(import.meta.url)("ajv") as typeof import("ajv");
    // Keep these options in step with scripts/generate-config-validator.mjs.
    ajvInstance = new AjvClass({ allErrors: true, strict: false, useDefaults: false });
  }
  return ajvInstance;
}
const optionValidators = new WeakMap<Rule<object>, ValidateFunction>();

/** Findings the engine makes about files, which overrides may name as well as rules. */
const OVERRIDABLE_PSEUDO_RULES = new Set([PARSE_ERROR, FILE_SKIPPED]);

/** Where a project's configuration is searched, in order; `package.json` counts only with an `mlready` key. */
export const SEARCH_PLACES: readonly string[] = [
  "package.json",
  ".mlreadyrc",
  ".mlreadyrc.json",
  ".mlreadyrc.yaml",
  ".mlreadyrc.yml",
  "mlready.config.js",
  "mlready.config.mjs",
  "mlready.config.cjs",
];

function pointer(error: ErrorObject): string {
  const parts = error.instancePath.split("/").slice(1).map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (error.keyword === "additionalProperties") parts.push(String(error.params["additionalProperty"]));
  return parts.length ? parts.join(".") : "(top level)";
}

function describe(error: ErrorObject): string {
  if (error.keyword === "additionalProperties") return "is not a known key";
  if (error.keyword === "pattern" && error.params["pattern"] === "\\S") return "must not be blank";
  if (error.keyword === "enum") return `must be one of ${(error.params["allowedValues"] as unknown[]).map((value) => JSON.stringify(value)).join(", ")}`;
  return error.message ?? "is invalid";
}

/** The most useful error of an ajv run: for `oneOf` failures, the branch errors say more than the `oneOf` itself. */
function firstErrors(errors: ErrorObject[]): ErrorObject[] {
  const specific = errors.filter((error) => error.keyword !== "oneOf" && error.keyword !== "if");
  const seen = new Set<string>();
  return (specific.length ? specific : errors).filter((error) => {
    const key = pointer(error);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Finds the configuration in the project folder (or loads `configFile`), loads its plugins when asked to, and
 * validates it against the schema and each rule's options schema.
 */
export async function loadConfig(projectRoot: string, rules: readonly Rule<object>[], configFile?: string, options: LoadConfigOptions = {}): Promise<ResolvedConfig> {
  let loaded: { config: unknown; filepath: string } | null = null;
  try {
    // cosmiconfig is loaded only when there is something to load (~25 ms of start-up otherwise).
    if (configFile || SEARCH_PLACES.some((place) => existsSync(path.join(projectRoot, place)))) {
      const { cosmiconfig } = await import("cosmiconfig");
      const explorer = cosmiconfig("mlready", { searchPlaces: [...SEARCH_PLACES], searchStrategy: "none" });
      loaded = configFile ? await explorer.load(path.resolve(configFile)) : await explorer.search(projectRoot);
    }
  } catch (error) {
    const detail = error instanceof Error ? error.message.split("\n")[0] : String(error);
    const where = configFile ?? projectRoot;
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new ConfigError(`${where}: config file not found`);
    throw new ConfigError(`${where}: could not load the configuration: ${detail}`);
  }
  if (loaded && loaded.config === undefined) loaded = { ...loaded, config: {} };
  const file = loaded ? path.relative(process.cwd(), loaded.filepath) || loaded.filepath : undefined;
  const config = (loaded?.config ?? {}) as MlreadyConfig;
  const where = file ?? "configuration";
  validateShape(config, where);
  const allRules = [...rules];
  let plugins: LoadedPlugin[] = [];
  if (options.plugins && config.plugins?.length && loaded) {
    try {
      const fromPlugins = await loadPlugins(
        config.plugins,
        { projectRoot, configFolder: path.dirname(loaded.filepath) },
        new Set(rules.map((rule) => rule.meta.id)),
      );
      for (const rule of fromPlugins.rules) {
        const validate = optionValidator(rule, where);
        if (validate && !validate(rule.meta.defaultOptions)) {
          const messages = firstErrors(validate.errors ?? []).map((error) => `option ${pointer(error)} ${describe(error)}`);
          const specifier = fromPlugins.plugins.find((plugin) => plugin.rules.includes(rule.meta.id))?.specifier ?? "?";
          throw new ConfigError(`plugin "${specifier}": rule ${rule.meta.id}: its default options do not fit its own schema: ${messages.join("; ")}`);
        }
      }
      plugins = fromPlugins.plugins;
      allRules.push(...fromPlugins.rules);
    } catch (error) {
      if (error instanceof ConfigError) throw new ConfigError(`${where}: ${error.message}`);
      throw error;
    }
  }
  const settings = resolveSettings(config, allRules, where, { skipNamespaced: !options.plugins });
  return { ...(file ? { file } : {}), config, settings, rules: allRules, plugins };
}

function validateShape(config: unknown, file: string): asserts config is MlreadyConfig {
  const validateConfig = configValidator();
  if (!validateConfig(config)) {
    const messages = firstErrors(validateConfig.errors ?? []).map((error) => `${pointer(error)} ${describe(error)}`);
    throw new ConfigError(`${file}: ${messages.join("; ")}`);
  }
}

/** The compiled options schema of a rule (null when it has none); a schema ajv cannot compile is the rule author's usage error. */
function optionValidator(rule: Rule<object>, file: string): ValidateFunction | null {
  if (!rule.meta.options) return null;
  let validate = optionValidators.get(rule);
  if (!validate) {
    try {
      validate = ajv().compile(rule.meta.options);
    } catch (error) {
      throw new ConfigError(`${file}: rule ${rule.meta.id} has an invalid options schema: ${error instanceof Error ? error.message : String(error)}`);
    }
    optionValidators.set(rule, validate);
  }
  return validate;
}

export function resolveSettings(config: unknown, rules: readonly Rule<object>[], file: string, mode: { skipNamespaced?: boolean } = {}): Map<string, RuleSetting> {
  validateShape(config, file);
  const byId = new Map(rules.map((rule) => [rule.meta.id, rule]));
  const settings = new Map<string, RuleSetting>();
  for (const [id, value] of Object.entries(config.rules ?? {})) {
    const rule = byId.get(id);
    if (!rule && mode.skipNamespaced && id.includes("/")) continue;
    if (!rule) {
      throw new ConfigError(`${file}: rules.${id} is not a known rule (run \`mlready rules\` to list them)`);
    }
    const [severity, options] = Array.isArray(value) ? value : [value, undefined];
    const merged = { ...rule.meta.defaultOptions, ...(options ?? {}) } as Record<string, unknown>;
    const validate = optionValidator(rule, file);
    if (validate) {
      if (!validate(merged)) {
        const messages = firstErrors(validate.errors ?? []).map((error) => `rules.${id} option ${pointer(error)} ${describe(error)}`);
        throw new ConfigError(`${file}: ${messages.join("; ")}`);
      }
    }
    settings.set(id, { severity: severity as Severity | "off", options: merged });
  }
  (config.overrides ?? []).forEach((override, index) => {
    if (!override.files && !override.rules) {
      throw new ConfigError(`${file}: overrides.${index} needs \`files\`, \`rules\` or both (an override of every rule everywhere would silence everything)`);
    }
    for (const id of override.rules ?? []) {
      if (!byId.has(id) && !OVERRIDABLE_PSEUDO_RULES.has(id) && !(mode.skipNamespaced && id.includes("/"))) {
        throw new ConfigError(`${file}: overrides.${index}.rules: ${id} is not a known rule (run \`mlready rules\` to list them)`);
      }
    }
  });
  return settings;
}
