import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { cosmiconfig } from "cosmiconfig";
import { Ajv, type ErrorObject } from "ajv";
import type { RuleSetting } from "../engine.js";
import type { SectionId, Severity } from "../model.js";
import type { Rule } from "../rule.js";

export interface MlreadyConfig {
  rules?: Record<string, Severity | "off" | [Severity | "off", Record<string, unknown>?]>;
  ignore?: string[];
  expectedPeakRps?: number;
  sections?: Partial<Record<SectionId, number>>;
  maxFileSize?: number;
}

export interface ResolvedConfig {
  /** Where the configuration came from, or undefined when none was found. */
  file?: string;
  config: MlreadyConfig;
  settings: Map<string, RuleSetting>;
}

/** A mistake in the user's configuration: printed as one line, exit code 2. */
export class ConfigError extends Error {}

const schemaPath = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "schema", "mlready.schema.json");
export const CONFIG_SCHEMA = JSON.parse(readFileSync(schemaPath, "utf8")) as Record<string, unknown>;

const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: false });
const validateConfig = ajv.compile<MlreadyConfig>(CONFIG_SCHEMA);
const optionValidators = new WeakMap<Rule<object>, ReturnType<typeof ajv.compile>>();

const SEARCH_PLACES = [
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

/** Finds the configuration in the project folder (or loads `configFile`) and validates it against the schema and each rule's options schema. */
export async function loadConfig(projectRoot: string, rules: readonly Rule<object>[], configFile?: string): Promise<ResolvedConfig> {
  const explorer = cosmiconfig("mlready", { searchPlaces: SEARCH_PLACES, searchStrategy: "none" });
  let loaded: { config: unknown; filepath: string } | null;
  try {
    loaded = configFile ? await explorer.load(path.resolve(configFile)) : await explorer.search(projectRoot);
  } catch (error) {
    const detail = error instanceof Error ? error.message.split("\n")[0] : String(error);
    const where = configFile ?? projectRoot;
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new ConfigError(`${where}: config file not found`);
    throw new ConfigError(`${where}: could not load the configuration: ${detail}`);
  }
  if (loaded && loaded.config === undefined) loaded = { ...loaded, config: {} };
  const file = loaded ? path.relative(process.cwd(), loaded.filepath) || loaded.filepath : undefined;
  const config = (loaded?.config ?? {}) as MlreadyConfig;
  return { ...(file ? { file } : {}), config, settings: resolveSettings(config, rules, file ?? "configuration") };
}

export function resolveSettings(config: unknown, rules: readonly Rule<object>[], file: string): Map<string, RuleSetting> {
  if (!validateConfig(config)) {
    const messages = firstErrors(validateConfig.errors ?? []).map((error) => `${pointer(error)} ${describe(error)}`);
    throw new ConfigError(`${file}: ${messages.join("; ")}`);
  }
  const byId = new Map(rules.map((rule) => [rule.meta.id, rule]));
  const settings = new Map<string, RuleSetting>();
  for (const [id, value] of Object.entries(config.rules ?? {})) {
    const rule = byId.get(id);
    if (!rule) {
      throw new ConfigError(`${file}: rules.${id} is not a known rule (run \`mlready rules\` to list them)`);
    }
    const [severity, options] = Array.isArray(value) ? value : [value, undefined];
    const merged = { ...rule.meta.defaultOptions, ...(options ?? {}) } as Record<string, unknown>;
    if (rule.meta.options) {
      let validate = optionValidators.get(rule);
      if (!validate) {
        validate = ajv.compile(rule.meta.options);
        optionValidators.set(rule, validate);
      }
      if (!validate(merged)) {
        const messages = firstErrors(validate.errors ?? []).map((error) => `rules.${id} option ${pointer(error)} ${describe(error)}`);
        throw new ConfigError(`${file}: ${messages.join("; ")}`);
      }
    }
    settings.set(id, { severity: severity as Severity | "off", options: merged });
  }
  return settings;
}
