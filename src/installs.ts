// What the RUN commands of a Dockerfile install: pip, conda/mamba, OS package managers and the
// lock-file tools (uv, Poetry, PDM, pipenv), with the folder each command runs in and a way back
// from the paths it names to the project files they were copied from.
import path from "node:path";
import type { DockerfileModel, DockerInstruction } from "./parsers/dockerfile.js";
import { programWords, tokenizeShell, type ShellCommand, type ShellWord } from "./parsers/shell.js";
import { LineIndex } from "./parsers/text.js";
import { oncePer } from "./memo.js";

/** One simple command of a RUN instruction, where it runs and how to find the files it names. */
export interface RunCommand {
  instruction: DockerInstruction;
  command: ShellCommand;
  /** The words from the program on (`sudo`, `env X=1`, `VAR=value` dropped). */
  words: ShellWord[];
  /** The program's base name: `pip3`, `conda`, `apt-get`. */
  program: string;
  /** Absolute folder in the image: the stage's WORKDIR, then any `cd` earlier in the same RUN. */
  cwd: string;
  /**
   * The project file a path written in the command was copied from (through the stage's COPY/ADD
   * instructions so far, or by taking the Dockerfile's folder or the project root as the build
   * context), among the files `exists` accepts; null when it is a URL, holds a variable or is unknown.
   */
  resolve(target: string, exists: (file: string) => boolean): string | null;
}

interface Copy {
  sources: string[];
  /** Absolute; ends with `/` when the destination is a folder. */
  destination: string;
}

/** Every simple command of every RUN, in order, with the script of `sh -c '...'` opened up. */
export function runCommandsOf(dockerfile: DockerfileModel): RunCommand[] {
  return [...runCommandsOnce(dockerfile)];
}

// Several rules walk the same Dockerfile's commands: opened once, handed out as copies.
const runCommandsOnce = oncePer(collectRunCommands);

function collectRunCommands(dockerfile: DockerfileModel): RunCommand[] {
  const dockerfileFolder = path.posix.dirname(dockerfile.path);
  const workdirs = new Map<number, string>();
  const copies = new Map<number, Copy[]>();
  const result: RunCommand[] = [];
  for (const instruction of dockerfile.instructions) {
    const stage = instruction.stageIndex;
    const workdir = workdirs.get(stage) ?? "/";
    if (instruction.keyword === "WORKDIR") {
      const target = instruction.words[0]?.text ?? "";
      if (target && !target.includes("$")) workdirs.set(stage, path.posix.resolve(workdir, target));
      continue;
    }
    if ((instruction.keyword === "COPY" || instruction.keyword === "ADD") && !instruction.flags["from"] && !instruction.execForm) {
      const words = instruction.words.map((word) => word.text);
      const destination = words.pop();
      if (!destination || words.length === 0) continue;
      const absolute = path.posix.resolve(workdir, destination) + (destination.endsWith("/") || destination === "." ? "/" : "");
      copies.set(stage, [...(copies.get(stage) ?? []), { sources: words, destination: absolute }]);
      continue;
    }
    if (instruction.keyword !== "RUN") continue;
    // A snapshot: a COPY after this RUN does not explain what it reads.
    const stageCopies = copies.get(stage) ?? [];
    let cwd = workdir;
    for (const command of openShellScripts(instruction.commands)) {
      const words = programWords(command);
      const program = path.posix.basename(words[0]?.text ?? "");
      if (program === "cd") {
        const target = words[1]?.text;
        if (target && !target.includes("$") && !target.startsWith("-")) cwd = path.posix.resolve(cwd, target);
        continue;
      }
      const commandCwd = cwd;
      result.push({
        instruction,
        command,
        words,
        program,
        cwd: commandCwd,
        resolve: (target, exists) => resolveFromImage(target, commandCwd, stageCopies, dockerfileFolder, exists),
      });
    }
  }
  return result;
}

/** The commands of a RUN, each followed by the commands of its `sh -c "..."` script. */
function openShellScripts(commands: ShellCommand[]): ShellCommand[] {
  const opened: ShellCommand[] = [];
  for (const command of commands) {
    opened.push(command);
    const words = programWords(command);
    if (!["sh", "bash", "dash", "ash", "zsh"].includes(path.posix.basename(words[0]?.text ?? ""))) continue;
    const flag = words.findIndex((word, index) => index > 0 && /^-[a-z]*c[a-z]*$/.test(word.text));
    const script = flag > 0 ? words[flag + 1] : undefined;
    if (!script) continue;
    // Locations inside the quoted script point at the script word itself.
    for (const inner of tokenizeShell(script.text, new LineIndex(script.text))) {
      opened.push({ location: script.location, words: inner.words.map((word) => ({ text: word.text, location: script.location })) });
    }
  }
  return opened;
}

function resolveFromImage(target: string, cwd: string, copies: Copy[], dockerfileFolder: string, exists: (file: string) => boolean): string | null {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target) || target.includes("$")) return null;
  const inImage = path.posix.resolve(cwd, target);
  const candidates: string[] = [];
  for (const copy of [...copies].reverse()) {
    for (const source of copy.sources) {
      const cleanSource = source.replace(/\/$/, "");
      if (copy.destination.endsWith("/")) {
        // `COPY requirements.txt /app/` or `COPY requirements/ /app/requirements/`
        const folder = copy.destination.slice(0, -1);
        if (inImage === `${folder}/${path.posix.basename(cleanSource)}`) candidates.push(cleanSource);
        if (inImage.startsWith(`${folder}/`)) candidates.push(path.posix.join(cleanSource, inImage.slice(folder.length + 1)));
      } else if (inImage === copy.destination) {
        candidates.push(cleanSource);
      } else if (inImage.startsWith(`${copy.destination}/`)) {
        candidates.push(path.posix.join(cleanSource, inImage.slice(copy.destination.length + 1)));
      }
    }
  }
  if (!path.posix.isAbsolute(target)) candidates.push(target);
  candidates.push(path.posix.basename(target));
  for (const candidate of candidates) {
    for (const context of [dockerfileFolder, "."]) {
      const resolved = path.posix.normalize(path.posix.join(context, candidate));
      if (!resolved.startsWith("..") && exists(resolved)) return resolved;
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// pip

const PYTHON = /^python(?:\d+(?:\.\d+)?)?$/;
const PIP = /^pip(?:\d+(?:\.\d+)?)?$/;
/** pip's general options that take a value, which may come before the subcommand. */
const PIP_GENERAL_OPTIONS_WITH_VALUE = new Set([
  "--python", "--log", "--log-file", "--proxy", "--retries", "--timeout", "--exists-action", "--trusted-host",
  "--cert", "--client-cert", "--cache-dir", "--use-feature", "--use-deprecated", "--resume-retries", "--keyring-provider",
]);

export interface PipInvocation {
  subcommand: "install" | "wheel" | "download";
  /** The words after the subcommand. */
  args: ShellWord[];
}

/**
 * `pip install` (and `pip wheel`/`pip download`, which fetch what a later `--no-index` install
 * uses): `pip`, `pip3`, `/opt/venv/bin/pip`, `python -m pip`, `python3.11 -m pip`, `uv pip`.
 */
export function pipInvocation(run: RunCommand): PipInvocation | null {
  const { words, program } = run;
  let index: number;
  if (PIP.test(program)) index = 1;
  else if (PYTHON.test(program)) {
    let cursor = 1;
    while (cursor < words.length && words[cursor]?.text !== "-m" && (words[cursor]?.text ?? "").startsWith("-")) cursor++;
    if (words[cursor]?.text !== "-m" || words[cursor + 1]?.text !== "pip") return null;
    index = cursor + 2;
  } else if (program === "uv") {
    if (words[1]?.text !== "pip") return null;
    index = 2;
  } else return null;
  // General options may precede the subcommand: `pip --no-cache-dir install`.
  while (index < words.length && (words[index]?.text ?? "").startsWith("-")) {
    index += PIP_GENERAL_OPTIONS_WITH_VALUE.has(words[index]?.text ?? "") ? 2 : 1;
  }
  const subcommand = words[index]?.text;
  if (subcommand !== "install" && subcommand !== "wheel" && subcommand !== "download") return null;
  return { subcommand, args: words.slice(index + 1) };
}

// ---------------------------------------------------------------------------------------------
// conda, mamba, micromamba

/** Options of `conda install`/`create` (and mamba's, micromamba's) that take the next word as their value. */
const CONDA_OPTIONS_WITH_VALUE = new Set([
  "-c", "--channel", "-n", "--name", "-p", "--prefix", "--file", "-f", "-r", "--root-prefix", "--solver",
  "--repodata-fn", "--experimental", "--platform", "--subdir", "--channel-priority", "--override-channels-file",
  "--json-output", "--rc-file", "--relocate-prefix", "--clone", "-e", "--env",
]);

export interface CondaInvocation {
  /** `conda`, `mamba` or `micromamba`. */
  manager: string;
  /** Package specs as words: `numpy=1.26.4`, `"scikit-learn>=1.4"`, `conda-forge::pandas`. */
  specs: ShellWord[];
  /** `--file` (and micromamba's `-f`) arguments: spec files or environment YAML files. */
  files: ShellWord[];
}

/** `conda install`, `conda create`, `mamba install`, `micromamba install`/`create`; not `conda env create -f`. */
export function condaInvocation(run: RunCommand): CondaInvocation | null {
  const { words, program } = run;
  if (program !== "conda" && program !== "mamba" && program !== "micromamba") return null;
  let index = 1;
  while (index < words.length && (words[index]?.text ?? "").startsWith("-")) index += CONDA_OPTIONS_WITH_VALUE.has(words[index]?.text ?? "") ? 2 : 1;
  const subcommand = words[index]?.text;
  if (subcommand !== "install" && subcommand !== "create") return null;
  const specs: ShellWord[] = [];
  const files: ShellWord[] = [];
  const args = words.slice(index + 1);
  for (let position = 0; position < args.length; position++) {
    const word = args[position] as ShellWord;
    if (word.text.startsWith("-")) {
      const [option, inline] = word.text.split(/=(.*)/s) as [string, string | undefined];
      const takesValue = CONDA_OPTIONS_WITH_VALUE.has(option) && inline === undefined;
      const value = inline !== undefined ? { text: inline, location: word.location } : takesValue ? args[position + 1] : undefined;
      // micromamba's `-f` is `--file`; conda's old `-f` was `--force`, which takes no value.
      const isFile = option === "--file" || (option === "-f" && program === "micromamba");
      if (isFile && value) files.push(value);
      if (takesValue && (option !== "-f" || program === "micromamba")) position++;
      continue;
    }
    if (word.text.includes("$")) continue; // known at build time only
    specs.push(word);
  }
  return { manager: program, specs, files };
}

// ---------------------------------------------------------------------------------------------
// OS package managers

interface OsManager {
  install: string[];
  /** Options that take the next word as their value. */
  valueOptions: Set<string>;
  /** How a pinned package is written, for messages. */
  example: string;
  /** True when the package word carries a version. */
  versioned(word: string): boolean;
}

const APT: OsManager = {
  install: ["install"],
  valueOptions: new Set(["-o", "-t", "-c", "--option", "--target-release", "--default-release", "--config-file"]),
  example: "<package>=<version>, as `apt-cache policy <package>` shows it",
  // `pkg=1.2-3`, `pkg:amd64=1.2-3`; `pkg/bookworm` names a release, not a version.
  versioned: (word) => /^[^=]+=[^=]+$/.test(word),
};
const RPM: OsManager = {
  install: ["install"],
  valueOptions: new Set(["-x", "--exclude", "--enablerepo", "--disablerepo", "--releasever", "--installroot", "-c", "--config", "--repo", "--setopt", "--repofrompath"]),
  example: "<package>-<version>, e.g. curl-7.76.1-26.el9",
  // `pkg-1.2.3`, `pkg-1.2.3-1.el9`, `pkg-0:1.2.3`, `pkg-1.2.3-1.el9.x86_64`.
  versioned: (word) => /-(?:\d+:)?\d[\w.+~^]*(?:-[\w.+~^]+)?$/.test(word),
};

const OS_MANAGERS: Record<string, OsManager> = {
  "apt-get": APT,
  apt: APT,
  apk: {
    install: ["add"],
    valueOptions: new Set(["-t", "--virtual", "-X", "--repository", "-p", "--root", "--arch", "--repositories-file", "--cache-dir", "--keys-dir", "--cache-max-age"]),
    example: "<package>=<version>, e.g. curl=8.5.0-r0",
    // `pkg=1.2.3-r0`, or the fuzzy `pkg~1.2` / `pkg~=1.2` that apk offers for one release series.
    versioned: (word) => /^[^=<>~]+(?:=|~=?)[^=<>~]+$/.test(word),
  },
  yum: RPM,
  dnf: RPM,
  microdnf: RPM,
  tdnf: RPM,
};

export interface OsPackageInvocation {
  manager: string;
  example: string;
  /** Packages written without a version. */
  unversioned: { name: string; word: ShellWord }[];
}

/** `apt-get install`, `apt install`, `apk add`, `yum`/`dnf`/`microdnf`/`tdnf install`, with the packages that carry no version. */
export function osPackageInvocation(run: RunCommand): OsPackageInvocation | null {
  const { words, program } = run;
  const manager = OS_MANAGERS[program];
  if (!manager) return null;
  let index = 1;
  while ((words[index]?.text ?? "").startsWith("-")) index += manager.valueOptions.has(words[index]?.text ?? "") ? 2 : 1;
  if (!manager.install.includes(words[index]?.text ?? "")) return null;
  const unversioned: OsPackageInvocation["unversioned"] = [];
  const args = words.slice(index + 1);
  for (let position = 0; position < args.length; position++) {
    const word = args[position] as ShellWord;
    const text = word.text;
    if (text.startsWith("-")) {
      if (manager.valueOptions.has(text)) position++; // `--virtual .build-deps` names a group, not a package
      continue;
    }
    // Variables, local files, URLs, groups (`@development-tools`) and globs carry no version to check.
    if (/[$*?@]|:\/\/|^[./~]|\.(?:deb|rpm|apk)$/.test(text) || text === "") continue;
    if (manager.versioned(text)) continue;
    unversioned.push({ name: text.replace(/[=/~].*$/, ""), word });
  }
  return { manager: program, example: manager.example, unversioned };
}

// ---------------------------------------------------------------------------------------------
// Lock-file tools

export type LockTool = "uv" | "poetry" | "pdm" | "pipenv";

export interface LockInvocation {
  tool: LockTool;
  /** The manifest the tool reads from the command's folder: pyproject.toml or Pipfile. */
  manifest: "pyproject.toml" | "Pipfile";
  /**
   * `strict`: installs exactly the lock, or fails (`uv sync --locked`, `poetry install`, `pdm sync`,
   * `pipenv install --deploy`). `relock`: installs the lock when it is current, but silently locks
   * again when it is not (`uv sync`, `pdm install`, `pipenv install`). `export`: writes the locked
   * versions as a requirements file (`uv export`, `poetry export`, `pdm export`, `pipenv requirements`).
   */
  mode: "strict" | "relock" | "export";
  /** The command as written, for messages: `uv sync --no-dev`. */
  text: string;
  /** The flag or subcommand that would make a `relock` command strict. */
  strict: string;
}

/** Flags that make a command that would lock again install exactly the lock (or fail). */
const STRICT_FLAGS = /^--(?:frozen|locked|frozen-lockfile|deploy|ignore-pipfile)$/;
/** pipenv options whose value is the next word (so it is not taken for a package name). */
const PIPENV_OPTIONS_WITH_VALUE = new Set(["--python", "--pypi-mirror", "--categories", "--extra-pip-args", "-r", "--requirements", "-c", "--constraints", "--index"]);

/** `uv sync`, `poetry install`/`sync`, `pdm sync`/`install`, `pipenv install`/`sync`, and their `export`s. */
export function lockInvocation(run: RunCommand): LockInvocation | null {
  const { words } = run;
  let program = run.program;
  let start = 0;
  // `python -m pipenv install`, `python -m poetry install`
  if (PYTHON.test(program) && words[1]?.text === "-m") {
    program = words[2]?.text ?? "";
    start = 2;
  }
  if (program !== "uv" && program !== "poetry" && program !== "pdm" && program !== "pipenv") return null;
  const tool: LockTool = program;
  const rest = words.slice(start + 1).map((word) => word.text);
  const subcommand = rest.find((text) => !text.startsWith("-"));
  const flags = rest.filter((text) => text.startsWith("-"));
  const text = [program, ...rest].join(" ");
  const manifest = tool === "pipenv" ? "Pipfile" : "pyproject.toml";
  const strictFlag = flags.some((flag) => STRICT_FLAGS.test(flag));
  const invocation = (mode: LockInvocation["mode"], strict: string): LockInvocation => ({ tool, manifest, mode, text, strict });
  switch (tool) {
    case "uv":
      if (subcommand === "export") return invocation("export", "uv export --frozen");
      if (subcommand === "sync") return invocation(strictFlag ? "strict" : "relock", "uv sync --locked");
      return null;
    case "poetry":
      if (subcommand === "export") return invocation("export", "poetry export");
      // Poetry installs from poetry.lock and stops when the lock no longer matches pyproject.toml.
      if (subcommand === "install" || subcommand === "sync") return invocation("strict", "poetry install");
      return null;
    case "pdm":
      if (subcommand === "export") return invocation("export", "pdm export");
      if (subcommand === "sync") return invocation("strict", "pdm sync");
      if (subcommand === "install") return invocation(strictFlag ? "strict" : "relock", "pdm install --frozen-lockfile");
      return null;
    case "pipenv": {
      if (subcommand === "requirements") return invocation("export", "pipenv requirements");
      if (subcommand === "sync") return invocation("strict", "pipenv sync");
      if (subcommand !== "install") return null;
      // `pipenv install <package>` adds a package: not an install of the lock.
      const after = rest.slice(rest.indexOf("install") + 1);
      const addsPackage = after.some((word, position) => !word.startsWith("-") && !PIPENV_OPTIONS_WITH_VALUE.has(after[position - 1] ?? ""));
      if (addsPackage) return null;
      return invocation(strictFlag ? "strict" : "relock", "pipenv install --deploy");
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Build context

/**
 * The project files a Dockerfile's COPY/ADD instructions name (not `--from` a stage), each as it would be
 * read from the Dockerfile's folder and from the project root, since the build context is either.
 * A lock file named here exists when the image is built, even if it is not among the files mlready read.
 */
export function copiedFiles(dockerfile: DockerfileModel): Set<string> {
  const dockerfileFolder = path.posix.dirname(dockerfile.path);
  const files = new Set<string>();
  for (const instruction of dockerfile.instructions) {
    if ((instruction.keyword !== "COPY" && instruction.keyword !== "ADD") || instruction.flags["from"] || instruction.execForm) continue;
    const sources = instruction.words.slice(0, -1).map((word) => word.text);
    for (const source of sources) {
      if (source.includes("$") || /^[a-z][a-z0-9+.-]*:\/\//i.test(source)) continue;
      for (const context of [dockerfileFolder, "."]) {
        const resolved = path.posix.normalize(path.posix.join(context, source));
        if (!resolved.startsWith("..")) files.add(resolved);
      }
    }
  }
  return files;
}
