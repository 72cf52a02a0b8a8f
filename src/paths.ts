import path from "node:path";
import type { ArtifactKind } from "./model.js";
import type { ProjectModel } from "./project.js";

/** Tests, fixtures and end-to-end suites: they exercise the service, they are not how operators run it. */
const TEST_FOLDER = /(^|\/)(tests?|__tests__|testdata|test-data|fixtures?|e2e|spec)\//i;
const TEST_NAME = /(^|[-_.])tests?([-_.]|$)/i;

/** True for a project-relative path inside a test folder or named like a test (`test_rollback.sh`). */
export function isTestPath(file: string): boolean {
  return TEST_FOLDER.test(file) || TEST_NAME.test(path.posix.basename(file).replace(/\.[^.]*$/, ""));
}

/** Artifacts that show something is deployed from here: an image, manifests, a chart or a model. */
const DEPLOYABLE_KINDS = new Set<ArtifactKind>(["dockerfile", "kubernetes", "kustomization", "helm-chart", "helm-template", "helm-values", "mlmodel"]);

export function isDeployable(project: ProjectModel): boolean {
  return project.files.some((file) => DEPLOYABLE_KINDS.has(file.kind));
}
