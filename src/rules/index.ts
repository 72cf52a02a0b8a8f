import type { Rule } from "../rule.js";
import baseImagePinned from "./base-image-pinned.js";
import execFormEntrypoint from "./exec-form-entrypoint.js";
import healthProbes from "./health-probes.js";
import imageTagPinned from "./image-tag-pinned.js";
import modelSignature from "./model-signature.js";
import modelVersioned from "./model-versioned.js";
import multiStageBuild from "./multi-stage-build.js";
import noBakedSecrets from "./no-baked-secrets.js";
import nonRootUser from "./non-root-user.js";
import pinnedDependencies from "./pinned-dependencies.js";
import progressiveDelivery from "./progressive-delivery.js";
import replicasHa from "./replicas-ha.js";
import reproducibleTrainingRun from "./reproducible-training-run.js";
import resourceLimits from "./resource-limits.js";
import rollbackScript from "./rollback-script.js";
import runbookLinked from "./runbook-linked.js";
import servingTrainingParity from "./serving-training-parity.js";

/** Every built-in rule, sorted by id. Adding a rule adds one line here. */
export const RULES: readonly Rule<object>[] = [
  baseImagePinned,
  execFormEntrypoint,
  healthProbes,
  imageTagPinned,
  modelSignature,
  modelVersioned,
  multiStageBuild,
  noBakedSecrets,
  nonRootUser,
  pinnedDependencies,
  progressiveDelivery,
  replicasHa,
  reproducibleTrainingRun,
  resourceLimits,
  rollbackScript,
  runbookLinked,
  servingTrainingParity,
] as Rule<object>[];
