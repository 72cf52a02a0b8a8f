#!/usr/bin/env node
import { existsSync, readFileSync } from "node:fs";
import { register } from "node:module";

const args = process.argv.slice(2);
// `mlready --version` answers without loading the checker (every rule, parser and reporter): start-up is most of it.
if (args.length === 1 && (args[0] === "--version" || args[0] === "-v")) {
  process.stdout.write(`${JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version}\n`);
  process.exit(0);
}

// A built package runs dist/. A git checkout without a build (a pre-commit hook installs the repository
// with npm and builds nothing) runs src/ through a loader that strips the types in memory.
const built = new URL("../dist/cli.js", import.meta.url);
if (!existsSync(built)) register("./ts-source-loader.js", import.meta.url);
const { main } = await import(existsSync(built) ? built.href : new URL("../src/cli.ts", import.meta.url).href);

main(args).then((code) => {
  process.exitCode = code;
});
