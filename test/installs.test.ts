import { describe, expect, it } from "vitest";
import { condaInvocation, copiedFiles, lockInvocation, osPackageInvocation, pipInvocation, runCommandsOf, type RunCommand } from "../src/installs.js";
import { parseDockerfile } from "../src/parsers/dockerfile.js";
import { isDevelopmentFile, isDevelopmentPath } from "../src/pinning.js";

function runs(lines: string[], path = "Dockerfile"): RunCommand[] {
  return runCommandsOf(parseDockerfile(["FROM python:3.11.8-slim", ...lines, ""].join("\n"), path));
}
const texts = (words: { text: string }[]) => words.map((word) => word.text);

describe("pipInvocation", () => {
  it.each([
    ["RUN pip install numpy", "install", ["numpy"]],
    ["RUN pip3 --no-cache-dir install -r requirements.txt", "install", ["-r", "requirements.txt"]],
    ["RUN python3.11 -m pip install --upgrade pip", "install", ["--upgrade", "pip"]],
    ["RUN /opt/venv/bin/pip install .", "install", ["."]],
    ["RUN uv pip install --system torch==2.2.1", "install", ["--system", "torch==2.2.1"]],
    ["RUN sudo -H pip install flask", "install", ["flask"]],
    ["RUN pip wheel --wheel-dir /wheels -r requirements.txt", "wheel", ["--wheel-dir", "/wheels", "-r", "requirements.txt"]],
    ['RUN sh -c "pip install gunicorn==21.2.0"', "install", ["gunicorn==21.2.0"]],
  ])("%s", (line, subcommand, args) => {
    const invocation = runs([line]).map(pipInvocation).find((found) => found !== null);
    expect(invocation?.subcommand).toBe(subcommand);
    expect(texts(invocation?.args ?? [])).toEqual(args);
  });

  it("ignores other programs and subcommands", () => {
    expect(runs(["RUN pip freeze > /tmp/x && python -m venv /opt/venv && uv sync"]).map(pipInvocation)).toEqual([null, null, null]);
  });
});

describe("condaInvocation", () => {
  it("reads specs and --file, skipping option values", () => {
    const [run] = runs(["RUN conda install -y -c conda-forge -n serve --file spec.txt numpy=1.26.4 'scikit-learn>=1.4' $EXTRA"]);
    const invocation = condaInvocation(run!);
    expect(invocation?.manager).toBe("conda");
    expect(texts(invocation?.specs ?? [])).toEqual(["numpy=1.26.4", "scikit-learn>=1.4"]);
    expect(texts(invocation?.files ?? [])).toEqual(["spec.txt"]);
  });

  it("reads micromamba's -f as --file and skips `conda env create`", () => {
    const [micromamba, envCreate] = runs(["RUN micromamba install -y -f env.yaml pandas", "RUN conda env create -f environment.yml"]);
    expect(texts(condaInvocation(micromamba!)?.files ?? [])).toEqual(["env.yaml"]);
    expect(texts(condaInvocation(micromamba!)?.specs ?? [])).toEqual(["pandas"]);
    expect(condaInvocation(envCreate!)).toBeNull();
  });
});

describe("lockInvocation", () => {
  it.each([
    ["RUN uv sync --locked --no-dev", "uv", "strict"],
    ["RUN uv sync --no-dev", "uv", "relock"],
    ["RUN uv export --frozen -o requirements.txt", "uv", "export"],
    ["RUN poetry install --no-root --only main", "poetry", "strict"],
    ["RUN pdm install --prod", "pdm", "relock"],
    ["RUN pdm install --frozen-lockfile", "pdm", "strict"],
    ["RUN pdm sync", "pdm", "strict"],
    ["RUN pipenv install --deploy --system", "pipenv", "strict"],
    ["RUN pipenv install", "pipenv", "relock"],
    ["RUN python -m pipenv sync", "pipenv", "strict"],
  ])("%s", (line, tool, mode) => {
    const [run] = runs([line]);
    expect(lockInvocation(run!)).toMatchObject({ tool, mode });
  });

  it("is null for commands that do not install the lock", () => {
    const commands = runs(["RUN pipenv install requests", "RUN uv venv /opt/venv", "RUN poetry config virtualenvs.create false"]);
    expect(commands.map(lockInvocation)).toEqual([null, null, null]);
  });
});

describe("osPackageInvocation", () => {
  it("lists packages without a version", () => {
    const [apt, apk, dnf] = runs([
      "RUN apt-get install -y --no-install-recommends -o Dpkg::Options::=--force-confnew curl=7.88.1-10+deb12u5 git libgomp1 ./local.deb",
      "RUN apk add --no-cache --virtual .build-deps gcc musl-dev=1.2.4-r2",
      "RUN dnf install -y curl-7.76.1-26.el9 @development-tools jq",
    ]);
    expect(osPackageInvocation(apt!)?.unversioned.map((entry) => entry.name)).toEqual(["git", "libgomp1"]);
    expect(osPackageInvocation(apk!)?.unversioned.map((entry) => entry.name)).toEqual(["gcc"]);
    expect(osPackageInvocation(dnf!)?.unversioned.map((entry) => entry.name)).toEqual(["jq"]);
  });

  it("ignores other subcommands", () => {
    expect(runs(["RUN apt-get update"]).map(osPackageInvocation)).toEqual([null]);
  });
});

describe("RunCommand.resolve", () => {
  it("follows WORKDIR, cd and COPY back to the project file", () => {
    const commands = runs(["WORKDIR /app", "COPY deploy/requirements.txt /tmp/req.txt", "COPY service/ ./service/", "RUN pip install -r /tmp/req.txt && cd service && pip install -r requirements.txt"], "docker/Dockerfile");
    const files = new Set(["deploy/requirements.txt", "service/requirements.txt"]);
    const exists = (file: string) => files.has(file);
    expect(commands.map((run) => run.resolve(run.words.at(-1)!.text, exists))).toEqual(["deploy/requirements.txt", "service/requirements.txt"]);
    expect(commands[0]!.resolve("https://example.com/requirements.txt", exists)).toBeNull();
  });
});

describe("copiedFiles", () => {
  it("lists COPY/ADD sources from the Dockerfile's folder and from the root, not from stages", () => {
    const dockerfile = parseDockerfile(
      ["FROM python:3.11.8-slim AS build", "COPY kserve/pyproject.toml kserve/uv.lock kserve/", "FROM python:3.11.8-slim", "COPY --from=build /app /app", "ADD $URL /tmp/", ""].join("\n"),
      "python/sklearn.Dockerfile",
    );
    expect([...copiedFiles(dockerfile)].sort()).toEqual(["kserve/pyproject.toml", "kserve/uv.lock", "python/kserve/pyproject.toml", "python/kserve/uv.lock"]);
  });
});

describe("isDevelopmentFile", () => {
  it.each([
    "requirements-dev.txt",
    "dev-requirements.txt",
    "requirements_test.txt",
    "requirements/docs.txt",
    "requirements/lint.txt",
    "docs/requirements.txt",
    "tests/e2e/requirements.txt",
    "environment-dev.yml",
    "samples/cifar10/requirements_notebook.txt",
    ".devcontainer/requirements.txt",
    ".github/workflows/requirements.txt",
  ])("%s is for developers", (file) => expect(isDevelopmentFile(file)).toBe(true));

  it.each(["requirements.txt", "requirements/base.txt", "requirements-gpu.txt", "serving/requirements.txt", "docs/samples/sklearn/requirements.txt", "environment.yml", "devices/requirements.txt"])(
    "%s is for the deployment",
    (file) => expect(isDevelopmentFile(file)).toBe(false),
  );

  it("treats dev containers and test folders as development, docs/ Dockerfiles not", () => {
    expect(isDevelopmentPath(".devcontainer/Dockerfile")).toBe(true);
    expect(isDevelopmentPath("tests/integration/Dockerfile")).toBe(true);
    expect(isDevelopmentPath("docs/Dockerfile")).toBe(false);
  });
});
