import { describe, expect, it } from "vitest";
import { Classifier, DEFAULT_EXCLUDES, discover } from "../src/discover.js";
import { tempProject } from "./helpers/tmp.js";

describe("classification", () => {
  const paths = [
    "Dockerfile", "Dockerfile.gpu", "docker/api.dockerfile", "Containerfile", "requirements.txt", "requirements-dev.txt",
    "requirements/prod.txt", "constraints.txt", "requirements.in", "pyproject.toml", "uv.lock", "poetry.lock",
    "charts/api/Chart.yaml", "charts/api/values.yaml", "charts/api/templates/deployment.yaml", "charts/api/templates/_helpers.tpl",
    "model/MLmodel", "model/python_env.yaml", "model/conda.yaml", "model/requirements.txt", "conda.yaml",
    "dvc.yaml", "dvc.lock", "data/train.csv.dvc", "README.md", "docs/runbook.markdown", "scripts/rollback.sh",
    "Makefile", "build.mk", ".github/workflows/ci.yml", ".gitlab-ci.yml", "k8s/deployment.yaml", "k8s/kustomization.yaml",
    "app/main.py", "notes.txt", "environment.yml", "environment-prod.yaml", "Pipfile", ".dockerignore", "api.Dockerfile.dockerignore", "Dockerfile.dockerignore",
  ];
  const classifier = new Classifier(paths);
  it.each([
    ["Dockerfile", "dockerfile"], ["Dockerfile.gpu", "dockerfile"], ["docker/api.dockerfile", "dockerfile"], ["Containerfile", "dockerfile"],
    ["requirements.txt", "requirements"], ["requirements-dev.txt", "requirements"], ["requirements/prod.txt", "requirements"],
    ["constraints.txt", "requirements"], ["requirements.in", "requirements-source"], ["pyproject.toml", "pyproject"],
    ["uv.lock", "lockfile"], ["poetry.lock", "lockfile"], ["charts/api/Chart.yaml", "helm-chart"], ["charts/api/values.yaml", "helm-values"],
    ["charts/api/templates/deployment.yaml", "helm-template"], ["charts/api/templates/_helpers.tpl", "helm-template"],
    ["model/MLmodel", "mlmodel"], ["model/python_env.yaml", "mlflow-env"], ["model/conda.yaml", "mlflow-env"],
    ["model/requirements.txt", "requirements"], ["conda.yaml", "conda-env"], ["dvc.yaml", "dvc"], ["dvc.lock", "dvc"],
    ["data/train.csv.dvc", "dvc"], ["README.md", "markdown"], ["docs/runbook.markdown", "markdown"], ["scripts/rollback.sh", "shell"],
    ["Makefile", "makefile"], ["build.mk", "makefile"], [".github/workflows/ci.yml", "ci-workflow"], [".gitlab-ci.yml", "ci-workflow"],
    ["k8s/deployment.yaml", "yaml"], ["k8s/kustomization.yaml", "kustomization"], ["app/main.py", "other"], ["notes.txt", "other"], ["environment.yml", "conda-env"], ["environment-prod.yaml", "yaml"],
    ["Pipfile", "pipfile"], [".dockerignore", "dockerignore"], ["api.Dockerfile.dockerignore", "dockerignore"], ["Dockerfile.dockerignore", "dockerignore"],
  ])("%s is %s", (file, kind) => {
    expect(classifier.classify(file)).toBe(kind);
  });
});

describe("default excludes", () => {
  it("leaves out every default folder at any depth, and only folders of exactly that name", async () => {
    const files: Record<string, string> = { "ok/Dockerfile": "FROM python\n", "sub/builder/Dockerfile": "FROM python\n", "dist.md": "# notes\n" };
    for (const glob of DEFAULT_EXCLUDES) {
      const folder = glob.slice("**/".length, -"/**".length);
      files[`${folder}/Dockerfile`] = "FROM python\n";
      files[`deep/er/${folder}/x/Dockerfile`] = "FROM python\n";
    }
    const discovery = await discover(tempProject(files));
    expect(discovery.files.map((file) => file.path)).toEqual(["dist.md", "ok/Dockerfile", "sub/builder/Dockerfile"]);
  });
});
