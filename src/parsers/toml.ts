import { createRequire } from "node:module";

type SmolToml = typeof import("smol-toml");
let smolToml: SmolToml | undefined;

/**
 * Parses TOML with smol-toml, required on first use: it takes ~25 ms to load and only projects with a
 * pyproject.toml or a Pipfile need it. Throws smol-toml's errors (the caller makes them parse errors).
 */
export function parseToml(text: string): Record<string, unknown> {
  smolToml ??= createRequire(import.meta.url)("smol-toml") as SmolToml;
  return smolToml.parse(text);
}
