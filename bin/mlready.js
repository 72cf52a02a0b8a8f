#!/usr/bin/env node
import { existsSync } from "node:fs";
import { register } from "node:module";

// A built package runs dist/. A git checkout without a build (a pre-commit hook installs the repository
// with npm and builds nothing) runs src/ through a loader that strips the types in memory.
const built = new URL("../dist/cli.js", import.meta.url);
if (!existsSync(built)) register("./ts-source-loader.js", import.meta.url);
const { main } = await import(existsSync(built) ? built.href : new URL("../src/cli.ts", import.meta.url).href);

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
