import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain ES module script without type declarations.
import { GENERATED_VALIDATOR, generateConfigValidator } from "../scripts/generate-config-validator.mjs";

describe("the configuration validator compiled ahead of time", () => {
  it("is up to date with schema/mlready.schema.json (run `npm run generate` after editing the schema)", () => {
    expect(readFileSync(GENERATED_VALIDATOR as string, "utf8")).toBe((generateConfigValidator as () => string)());
  });
});
