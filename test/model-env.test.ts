import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { discover } from "../src/discover.js";
import { covers, dockerfilesServing, modelEnvironmentOf, modelPackageVersions, packageOfFlavorKey } from "../src/model-env.js";
import { buildProject } from "../src/project.js";
import { FIXTURES } from "./helpers/fixtures.js";

async function projectAt(folder: string) {
  const root = path.join(FIXTURES, folder);
  const { project } = await buildProject(root, await discover(root), { externalTools: false });
  return project;
}

describe("model environments", () => {
  it("maps MLmodel flavor version keys to PyPI names", () => {
    expect(packageOfFlavorKey("sklearn_version")).toBe("scikit-learn");
    expect(packageOfFlavorKey("xgb_version")).toBe("xgboost");
    expect(packageOfFlavorKey("pytorch_version")).toBe("torch");
    expect(packageOfFlavorKey("cloudpickle_version")).toBe("cloudpickle");
    expect(packageOfFlavorKey("sentence_transformers_version")).toBe("sentence-transformers");
    expect(packageOfFlavorKey("python_version")).toBeNull();
    expect(packageOfFlavorKey("format_version")).toBeNull();
    expect(packageOfFlavorKey("pickled_model")).toBeNull();
  });

  it("tells which folder holds which", () => {
    expect(covers(".", "model")).toBe(true);
    expect(covers("model", "model")).toBe(true);
    expect(covers("models", "models/churn")).toBe(true);
    expect(covers("model", "models/churn")).toBe(false);
  });

  it("reads the Python, flavor versions and pins of an MLflow model, requirements.txt first", async () => {
    const project = await projectAt("reproducible-training-run/fail/unpinned-model-environment");
    const [model] = project.mlflowModels;
    expect(model?.path).toBe("model/MLmodel");
    const environment = modelEnvironmentOf(project, model!);
    expect(environment.files.sort()).toEqual(["model/conda.yaml", "model/python_env.yaml", "model/requirements.txt"]);
    expect(environment.python).toMatchObject({ version: "3.10.14", file: "model/MLmodel" });
    // conda.yaml's pip list repeats requirements.txt: each package is read once, from requirements.txt.
    expect(environment.requirements.map(({ file, requirement }) => `${file}:${requirement.name}`)).toEqual([
      "model/requirements.txt:mlflow", "model/requirements.txt:xgboost", "model/requirements.txt:pandas", "model/requirements.txt:scipy",
      "model/python_env.yaml:pyarrow",
    ]);
    const versions = modelPackageVersions(environment);
    expect(versions.get("xgboost")).toEqual({ version: "2.0.3", source: "model/MLmodel (xgb_version)", from: "flavor" });
    expect(versions.get("pandas")).toEqual({ version: "2.2.1", source: "model/requirements.txt", from: "pip" });
    expect(versions.has("scipy")).toBe(false);
  });

  it("finds the Dockerfiles that copy a model folder, from their folder or the project root", async () => {
    const project = await projectAt("serving-training-parity/fail/library-missing");
    expect(dockerfilesServing(project, "artifacts/model").map((dockerfile) => dockerfile.path)).toEqual(["docker/Dockerfile"]);
    expect(dockerfilesServing(project, "elsewhere/model")).toEqual([]);
  });

  it("does not read a Python version written as a YAML number (`3.10` is 3.1)", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "mlready-model-env-"));
    try {
      mkdirSync(path.join(root, "model"));
      writeFileSync(path.join(root, "model", "MLmodel"), "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n  sklearn:\n    sklearn_version: 1.5.1\nrun_id: abc\n");
      writeFileSync(path.join(root, "model", "python_env.yaml"), "python: 3.10\ndependencies:\n- scikit-learn==1.5.1\n");
      const { project } = await buildProject(root, await discover(root), { externalTools: false });
      const environment = modelEnvironmentOf(project, project.mlflowModels[0]!);
      expect(environment.python).toBeUndefined();
      expect(environment.flavorVersions).toMatchObject([{ name: "scikit-learn", version: "1.5.1" }]);
      expect(environment.requirements.map(({ file }) => file)).toEqual(["model/python_env.yaml"]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
