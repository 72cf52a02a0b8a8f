import type { Rule } from "../rule.js";
import baseImagePinned from "./base-image-pinned.js";
import businessKpi from "./business-kpi.js";
import execFormEntrypoint from "./exec-form-entrypoint.js";
import healthProbes from "./health-probes.js";
import imageTagPinned from "./image-tag-pinned.js";
import infraMonitoring from "./infra-monitoring.js";
import loadTest from "./load-test.js";
import modelMonitoring from "./model-monitoring.js";
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
import rollbackScriptValid from "./rollback-script-valid.js";
import rollbackTested from "./rollback-tested.js";
import runbookComplete from "./runbook-complete.js";
import runbookLinked from "./runbook-linked.js";
import servingTrainingParity from "./serving-training-parity.js";

/** Every built-in rule, sorted by id. Adding a rule adds one line here. */
export const RULES: readonly Rule<object>[] = [
  baseImagePinned,
  businessKpi,
  execFormEntrypoint,
  healthProbes,
  imageTagPinned,
  infraMonitoring,
  loadTest,
  modelMonitoring,
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
  rollbackScriptValid,
  rollbackTested,
  runbookComplete,
  runbookLinked,
  servingTrainingParity,
] as Rule<object>[];
