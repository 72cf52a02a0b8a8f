import { createRequire } from "node:module";

type SmolToml = typeof import("smol-toml");
let smolToml: SmolToml | undefined;

/**
 * smol-toml, required on first use: it takes ~25 ms to load and only projects with a pyproject.toml or a
 * Pipfile need it. This is its CommonJS build: errors it throws are this module's `TomlError`, not the
 * ES module's (compare with `loadSmolToml().TomlError`).
 */
export function loadSmolToml(): SmolToml {
  smolToml ??= createRequire(import.meta.url)("smol-toml") as SmolToml;
  return smolToml;
}

/** Parses TOML; throws smol-toml's `TomlError` (the caller makes it a parse error). */
export function parseToml(text: string): Record<string, unknown> {
  return loadSmolToml().parse(text);
}
