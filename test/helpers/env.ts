import { afterAll, beforeAll } from "vitest";

/**
 * Turns kubectl and helm off (MLREADY_NO_EXTERNAL_TOOLS=1) for the enclosing describe block and puts the
 * variable back after it: they are outside programs with their own tests (test/kubernetes-build.test.ts).
 */
export function withoutExternalTools(): void {
  const saved = process.env["MLREADY_NO_EXTERNAL_TOOLS"];
  beforeAll(() => {
    process.env["MLREADY_NO_EXTERNAL_TOOLS"] = "1";
  });
  afterAll(() => {
    if (saved === undefined) delete process.env["MLREADY_NO_EXTERNAL_TOOLS"];
    else process.env["MLREADY_NO_EXTERNAL_TOOLS"] = saved;
  });
}
