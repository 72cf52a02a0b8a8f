import type { Rule } from "../rule.js";
import noBakedSecrets from "./no-baked-secrets.js";
import pinnedDependencies from "./pinned-dependencies.js";
import resourceLimits from "./resource-limits.js";
import rollbackScript from "./rollback-script.js";
import runbookLinked from "./runbook-linked.js";

/** Every built-in rule, sorted by id. Adding a rule adds one line here. */
export const RULES: readonly Rule<object>[] = [
  noBakedSecrets,
  pinnedDependencies,
  resourceLimits,
  rollbackScript,
  runbookLinked,
] as Rule<object>[];
