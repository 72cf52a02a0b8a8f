import path from "node:path";
import type { DockerfileModel, DockerInstruction, DockerStage } from "../parsers/dockerfile.js";
import type { ShellCommand, ShellWord } from "../parsers/shell.js";
import { isTestPath } from "../paths.js";
import type { ProjectModel } from "../project.js";
import { defineRule } from "../rule.js";
import { globToRegExp } from "../secrets.js";

// ---------------------------------------------------------------------------------------------
// Dockerfile helpers shared with non-root-user: which Dockerfiles build a production image, which
// stages the final image is built on, and what ENV/ARG values a stage sees.

/** `Dockerfile.dev`, `debug.Dockerfile`, `Dockerfile-ci`: images for a developer or a CI job, not for serving. */
const DEVELOPMENT_NAME = /(?:^|[-_.])(?:dev|devel|development|debug|test|tests|testing|ci)(?:[-_.]|$)/i;

/** Dockerfiles of tests, dev containers and development/debug/CI images: they are not what runs in production. */
export function isDevelopmentDockerfile(file: string): boolean {
  return isTestPath(file) || /(?:^|\/)\.devcontainer\//.test(file) || DEVELOPMENT_NAME.test(path.posix.basename(file));
}

/** The Dockerfiles that build images meant for production, each with at least one stage. */
export function productionDockerfiles(project: ProjectModel): DockerfileModel[] {
  return project.dockerfiles.filter((dockerfile) => dockerfile.stages.length > 0 && !isDevelopmentDockerfile(dockerfile.path));
}

/** `FROM "ubuntu:22.04"`: Docker removes the quotes of a FROM image as a shell would. */
export function unquoted(image: string): string {
  return image.replace(/^(["'])(.*)\1$/, "$2");
}

/** A stage and, through `FROM <stage>`, every stage it is built on: the stage itself first, its root last. */
export function stageLineage(dockerfile: DockerfileModel, stage: DockerStage): DockerStage[] {
  const lineage = [stage];
  let current = stage;
  while (current.from.stageRef) {
    const name = current.from.stageRef.toLowerCase();
    const parent = dockerfile.stages.slice(0, current.index).reverse().find((candidate) => candidate.name?.toLowerCase() === name);
    if (!parent) break;
    lineage.push(parent);
    current = parent;
  }
  return lineage;
}

/** The last stage (the default build target) and the stages it is built on. */
export function finalLineage(dockerfile: DockerfileModel): DockerStage[] {
  const final = dockerfile.stages[dockerfile.stages.length - 1];
  return final ? stageLineage(dockerfile, final) : [];
}

export type Variables = Map<string, string | undefined>;

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * Substitutes `$NAME`, `${NAME}`, `${NAME:-default}` and `${NAME:+word}` as Docker and the shell do.
 * Returns null when a variable has no known value, or for a command substitution.
 */
export function expandVariables(text: string, variables: Variables): string | null {
  if (text.includes("$(") || text.includes("`")) return null;
  let unresolved = false;
  const expanded = text.replace(REFERENCE, (_whole, braced: string | undefined, modifier: string | undefined, word: string | undefined, bare: string | undefined) => {
    const value = variables.get((braced ?? bare) as string);
    if (modifier?.endsWith("-")) return value ? value : (word ?? "");
    if (modifier?.endsWith("+")) return value ? (word ?? "") : "";
    if (value === undefined) unresolved = true;
    return value ?? "";
  });
  return unresolved || expanded.includes("$") ? null : expanded;
}

function globalArgs(dockerfile: DockerfileModel): Variables {
  const args: Variables = new Map();
  for (const instruction of dockerfile.instructions) {
    if (instruction.stageIndex !== -1 || instruction.keyword !== "ARG") continue;
    for (const property of instruction.properties) args.set(property.name, property.value === null ? undefined : expandVariables(property.value, args) ?? undefined);
  }
  return args;
}

/**
 * Calls `visit` with each instruction of the stage and the ENV and ARG values it sees, defaults
 * included: ENV carries over from the stages it is built on, ARG does not, and an ARG redeclared
 * without a default takes the one declared before the first FROM. `--build-arg` overrides are unknown.
 */
export function forEachWithVariables(
  dockerfile: DockerfileModel,
  stage: DockerStage,
  visit: (instruction: DockerInstruction, variables: Variables) => void,
): void {
  const defaults = globalArgs(dockerfile);
  const environment: Variables = new Map();
  const apply = (instruction: DockerInstruction, variables: Variables) => {
    if (instruction.keyword !== "ENV" && instruction.keyword !== "ARG") return;
    for (const property of instruction.properties) {
      const value = property.value === null ? undefined : expandVariables(property.value, variables) ?? undefined;
      if (instruction.keyword === "ENV") {
        environment.set(property.name, value);
        variables.set(property.name, value);
      } else if (!environment.has(property.name)) {
        // An ENV of the same name wins over an ARG.
        variables.set(property.name, value ?? defaults.get(property.name));
      }
    }
  };
  const ancestors = stageLineage(dockerfile, stage).slice(1).reverse();
  for (const ancestor of ancestors) {
    const variables: Variables = new Map(environment);
    for (const instruction of ancestor.instructions) apply(instruction, variables);
  }
  const variables: Variables = new Map(environment);
  for (const instruction of stage.instructions) {
    visit(instruction, variables);
    apply(instruction, variables);
  }
}

/** Gitignore-style globs over names (images, packages); a pattern starting with `!` excludes again, and the last match wins. */
export function matchesGlobs(name: string, globs: readonly string[]): boolean {
  let matched = false;
  for (const glob of globs) {
    const negated = glob.startsWith("!");
    if (globToRegExp(negated ? glob.slice(1) : glob).test(name)) matched = !negated;
  }
  return matched;
}

// ---------------------------------------------------------------------------------------------
// Commands of a RUN instruction

/** Prefixes that run the rest of the line as a command. */
const COMMAND_PREFIXES = new Set(["sudo", "env", "exec", "time", "nice", "nohup", "command", "xargs"]);

/** The program (basename) and its arguments, after `VAR=value`, `sudo -E` and the like. */
function programOf(command: ShellCommand): { program: string; args: ShellWord[] } | null {
  const words = command.words;
  let start = 0;
  for (;;) {
    const text = words[start]?.text ?? "";
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(text)) start++;
    else if (COMMAND_PREFIXES.has(path.posix.basename(text))) {
      start++;
      while ((words[start]?.text ?? "").startsWith("-")) start++;
    } else break;
  }
  const first = words[start];
  return first ? { program: path.posix.basename(first.text), args: words.slice(start + 1) } : null;
}

interface PackageManager {
  install: string[];
  remove: string[];
  /** Options that take the next word as their value. */
  valueOptions: string[];
}

const APT: PackageManager = {
  install: ["install"],
  remove: ["purge", "remove"],
  valueOptions: ["-o", "-t", "-c", "--option", "--target-release", "--default-release", "--config-file"],
};
const RPM: PackageManager = {
  install: ["install", "groupinstall"],
  remove: ["remove", "erase", "groupremove"],
  valueOptions: ["-x", "--exclude", "--enablerepo", "--disablerepo", "--releasever", "--installroot", "-c", "--config", "--repo", "--setopt", "--repofrompath"],
};
const CONDA: PackageManager = {
  install: ["install", "create"],
  remove: ["remove", "uninstall"],
  valueOptions: ["-c", "--channel", "-n", "--name", "-p", "--prefix", "--override-channels-file"],
};

const PACKAGE_MANAGERS: Record<string, PackageManager> = {
  "apt-get": APT,
  apt: APT,
  aptitude: APT,
  apk: {
    install: ["add"],
    remove: ["del"],
    valueOptions: ["-t", "--virtual", "-X", "--repository", "-p", "--root", "--arch", "--repositories-file", "--cache-dir", "--keys-dir", "--cache-max-age"],
  },
  yum: RPM,
  dnf: RPM,
  microdnf: RPM,
  tdnf: RPM,
  zypper: { install: ["install", "in"], remove: ["remove", "rm"], valueOptions: ["-r", "--repo", "-t", "--type"] },
  conda: CONDA,
  mamba: CONDA,
  micromamba: CONDA,
};

interface InstalledPackage {
  name: string;
  word: ShellWord;
  manager: string;
  /** apk's `--virtual <name>`: `apk del <name>` removes the whole group. */
  group?: string;
}

interface PackageCommand {
  manager: string;
  action: "install" | "remove";
  names: { name: string; word: ShellWord }[];
  group?: string;
  /** apt's `--auto-remove`, or `apt-get autoremove`: also removes what is marked automatically installed. */
  autoRemove: boolean;
}

/** `gcc=4:12.2`, `libpq-dev:amd64`, `python3-dev/bookworm`, `gcc~=12`, `conda-forge::gcc>=12` to the bare name. */
function packageName(word: string): string {
  return word.replace(/^[\w.-]+::/, "").replace(/[=<>~!].*$/, "").replace(/\/.*$/, "").replace(/:[a-z0-9]+$/, "").toLowerCase();
}

/** Package words after expanding variables (`$buildDeps` may hold several names); words left unresolved are dropped. */
function expandWords(words: ShellWord[], variables: Variables): ShellWord[] {
  return words.flatMap((word) => {
    if (!word.text.includes("$")) return [word];
    const expanded = expandVariables(word.text, variables);
    return expanded === null ? [] : expanded.split(/\s+/).filter(Boolean).map((text) => ({ text, location: word.location }));
  });
}

function packageCommand(program: string, args: ShellWord[], variables: Variables): PackageCommand | null {
  const manager = PACKAGE_MANAGERS[program];
  if (!manager) return null;
  let index = 0;
  const skipOptions = () => {
    while ((args[index]?.text ?? "").startsWith("-")) index += manager.valueOptions.includes(args[index]?.text ?? "") ? 2 : 1;
  };
  skipOptions();
  let subcommand = args[index]?.text ?? "";
  index++;
  // `dnf group install "Development Tools"`
  if ((subcommand === "group" || subcommand === "groups") && ["install", "remove"].includes(args[index]?.text ?? "")) {
    subcommand = `group${args[index]?.text}`;
    index++;
  }
  const autoRemoveCommand = program !== "apk" && subcommand === "autoremove";
  const action = manager.install.includes(subcommand) ? "install" : manager.remove.includes(subcommand) || autoRemoveCommand ? "remove" : null;
  if (!action) return null;
  const names: PackageCommand["names"] = [];
  let group: string | undefined;
  let autoRemove = autoRemoveCommand;
  const rest = args.slice(index);
  for (let position = 0; position < rest.length; position++) {
    const text = rest[position]?.text ?? "";
    if (text.startsWith("-")) {
      const [option, inlineValue] = text.split(/=(.*)/s) as [string, string | undefined];
      const takesValue = manager.valueOptions.includes(option) && inlineValue === undefined;
      const value = inlineValue ?? (takesValue ? rest[position + 1]?.text : undefined);
      if (program === "apk" && (option === "--virtual" || option === "-t")) group = value;
      if (option === "--auto-remove" || option === "--autoremove") autoRemove = true;
      if (takesValue) position++;
      continue;
    }
    for (const word of expandWords([rest[position] as ShellWord], variables)) {
      // Local files (`./x.deb`, `/tmp/x.rpm`) and URLs are not names a toolchain check can read.
      if (/^(?:\.{1,2})?\/|:\/\//.test(word.text)) continue;
      names.push({ name: packageName(word.text), word });
    }
  }
  return { manager: program, action, names, ...(group ? { group } : {}), autoRemove };
}

const PYTHON = /^python(?:\d+(?:\.\d+)?)?$/;
const PIP = /^pip(?:\d+(?:\.\d+)?)?$/;

/** A command that compiles from source, so its toolchain is in the image: `pip wheel`, `go build`... */
function sourceBuild(program: string, args: ShellWord[]): string | null {
  const texts = args.map((word) => word.text);
  let pipArgs: string[] | null = null;
  if (PIP.test(program)) pipArgs = texts;
  else if (program === "uv" && texts[0] === "pip") pipArgs = texts.slice(1);
  else if (PYTHON.test(program)) {
    const module = texts.indexOf("-m");
    if (module >= 0 && texts[module + 1] === "pip") pipArgs = texts.slice(module + 2);
    const script = texts.findIndex((text) => path.posix.basename(text) === "setup.py");
    const setupCommand = script >= 0 ? texts.slice(script + 1).find((text) => !text.startsWith("-")) : undefined;
    if (setupCommand && /^(?:build|build_ext|install|bdist_wheel|bdist_egg|develop)$/.test(setupCommand)) return `python setup.py ${setupCommand}`;
  } else if ((program === "go" || program === "cargo") && (texts[0] === "build" || texts[0] === "install")) {
    return `${program} ${texts[0]}`;
  }
  if (!pipArgs) return null;
  const subcommand = pipArgs.find((text) => !text.startsWith("-"));
  if (subcommand === "wheel") return "pip wheel";
  if (subcommand !== "install") return null;
  for (let position = 0; position < pipArgs.length; position++) {
    const text = pipArgs[position] as string;
    const value = text === "--no-binary" ? pipArgs[position + 1] : text.startsWith("--no-binary=") ? text.slice("--no-binary=".length) : undefined;
    if (value !== undefined && value !== ":none:") return `pip install --no-binary ${value}`;
  }
  return null;
}

/** Compilers, build systems, headers: what building native code needs and running it does not. */
const TOOLCHAIN_PACKAGE = new Set([
  "build-essential", "build-base", "alpine-sdk", "gcc", "g++", "gcc-c++", "gcc-gfortran", "gfortran", "clang", "llvm", "make", "cmake",
  "ninja-build", "autoconf", "automake", "libtool", "rustc", "cargo", "golang", "golang-go", "go", "linux-headers",
  // conda's compiler packages
  "compilers", "c-compiler", "cxx-compiler", "fortran-compiler", "gxx", "gcc_linux-64", "gxx_linux-64", "gfortran_linux-64",
]);
const VERSIONED_COMPILER = /^(?:gcc|g\+\+|clang|gfortran|llvm|golang)-\d[\w.+~-]*$/;
/** `libpq-dev`, `python3.11-devel`, `cuda-cudart-dev-12-4`: headers and static libraries. */
const DEVELOPMENT_PACKAGE = /-(?:dev|devel)(?:-[\d.-]+)?$/;
const DEVELOPMENT_GROUP = /^@?development[- ]tools$/;

function isToolchainPackage(name: string): boolean {
  return TOOLCHAIN_PACKAGE.has(name) || VERSIONED_COMPILER.test(name) || DEVELOPMENT_PACKAGE.test(name) || DEVELOPMENT_GROUP.test(name);
}

interface RunAnalysis {
  /** Toolchain packages this RUN installs. */
  installed: InstalledPackage[];
  /** Those it has not removed again by its end. */
  kept: InstalledPackage[];
  sourceBuilds: { command: string; word: ShellWord }[];
}

/** Names set by `name=value` and `export name=value` in the RUN, for `$buildDeps` lists. */
function assignShellVariable(command: ShellCommand, variables: Variables): void {
  const words = command.words[0]?.text === "export" ? command.words.slice(1) : command.words;
  if (!words.every((word) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(word.text))) return;
  for (const word of words) {
    const equals = word.text.indexOf("=");
    variables.set(word.text.slice(0, equals), expandVariables(word.text.slice(equals + 1), variables) ?? undefined);
  }
}

function analyseRun(instruction: DockerInstruction, stageVariables: Variables, ignored: string[]): RunAnalysis {
  const variables: Variables = new Map(stageVariables);
  const installed: InstalledPackage[] = [];
  const removedNames = new Set<string>();
  const removedGroups = new Set<string>();
  const markedAuto = new Set<string>();
  let markedAllAuto = false;
  let aptAutoRemoved = false;
  const sourceBuilds: RunAnalysis["sourceBuilds"] = [];
  for (const command of instruction.commands) {
    assignShellVariable(command, variables);
    const invocation = programOf(command);
    if (!invocation) continue;
    const { program, args } = invocation;
    if (program === "apt-mark" && args[0]?.text === "auto") {
      // `apt-mark auto '.*'` (the official images' pattern) marks everything; a later `--auto-remove` purges it.
      for (const word of expandWords(args.slice(1), variables)) {
        if (/[*?[\]]|^\.\*$/.test(word.text)) markedAllAuto = true;
        else markedAuto.add(packageName(word.text));
      }
      continue;
    }
    const packages = packageCommand(program, args, variables);
    if (packages?.action === "install") {
      for (const { name, word } of packages.names) installed.push({ name, word, manager: program, ...(packages.group ? { group: packages.group } : {}) });
    } else if (packages?.action === "remove") {
      for (const { name } of packages.names) {
        removedNames.add(name);
        removedGroups.add(name);
      }
      if (packages.autoRemove && PACKAGE_MANAGERS[program] === APT) aptAutoRemoved = true;
    }
    const build = sourceBuild(program, args);
    if (build) sourceBuilds.push({ command: build, word: command.words.find((word) => path.posix.basename(word.text) === program) ?? (command.words[0] as ShellWord) });
  }
  const isRemoved = (item: InstalledPackage) =>
    removedNames.has(item.name) ||
    (item.group !== undefined && removedGroups.has(item.group.toLowerCase()) && item.manager === "apk") ||
    (PACKAGE_MANAGERS[item.manager] === APT && aptAutoRemoved && (markedAllAuto || markedAuto.has(item.name)));
  const toolchain = installed.filter((item) => isToolchainPackage(item.name) && !matchesGlobs(item.name, ignored));
  return { installed: toolchain, kept: toolchain.filter((item) => !isRemoved(item)), sourceBuilds };
}

// ---------------------------------------------------------------------------------------------

interface MultiStageBuildOptions {
  /** Package names (globs) the final image needs at run time, not counted as toolchain. */
  ignorePackages: string[];
  /** A toolchain installed and removed again in the same RUN counts as gone. */
  allowRemovalInSameRun: boolean;
}

/** "`gcc`, `g++` and `python3-dev`", at most `limit` names. */
function listNames(names: string[], limit = 5): string {
  const unique = [...new Set(names)];
  const shown = unique.slice(0, limit).map((name) => `\`${name}\``);
  if (unique.length > limit) shown.push(`${unique.length - limit} more`);
  const last = shown.pop() as string;
  return shown.length ? `${shown.join(", ")} and ${last}` : last;
}

/** "the final stage", or "stage `base` (which the final stage is built FROM)". */
export function describeStage(stage: DockerStage, final: DockerStage): string {
  if (stage === final) return "the final stage";
  return `stage \`${stage.name ?? stage.index}\` (which the final stage is built FROM)`;
}

export default defineRule<MultiStageBuildOptions>({
  meta: {
    id: "multi-stage-build",
    title: "Build native code in a build stage, not in the final image",
    section: "container",
    severity: "info",
    weight: 1,
    description:
      "A Dockerfile that installs a build toolchain (compilers, `build-essential`, `-dev` headers) or compiles from source (`pip wheel`, " +
      "`go build`...) does so in a build stage that the final stage only copies artefacts from, so compilers and headers do not ship " +
      "in the production image, where they add size, pull time and attack surface.",
    options: {
      type: "object",
      additionalProperties: false,
      properties: {
        ignorePackages: {
          type: "array",
          items: { type: "string" },
          description: "Package names (globs such as `libpq-dev` or `*-dev`) that the final image needs at run time.",
        },
        allowRemovalInSameRun: {
          type: "boolean",
          description: "Accept a toolchain that is installed and removed again within the same RUN instruction.",
        },
      },
    },
    defaultOptions: { ignorePackages: [], allowRemovalInSameRun: true },
    messages: {
      toolchain:
        "This RUN installs the build toolchain {{packages}} into {{stage}}, so it ships in the production image; install it in a separate build stage and `COPY --from` only the built artefacts (wheels, binaries) into a slim final stage.",
      sourceBuild:
        "`{{command}}` compiles from source in {{stage}}, so the build toolchain ships in the production image; run it in a separate build stage and `COPY --from` only its output (wheels, binaries) into a slim final stage.",
    },
  },
  check(context) {
    const { project, options } = context;
    if (project.dockerfiles.length === 0) {
      context.skip("no Dockerfile found");
      return;
    }
    const dockerfiles = productionDockerfiles(project);
    if (dockerfiles.length === 0) {
      context.skip("only test, development and debug Dockerfiles found");
      return;
    }
    for (const dockerfile of dockerfiles) {
      const lineage = finalLineage(dockerfile);
      const final = lineage[0] as DockerStage;
      // From the root stage to the final one. A source build is reported once, and only when no RUN before it
      // installed the toolchain (then the base image brought it, as `golang` or `rust` images do).
      let toolchainReported = false;
      for (const stage of [...lineage].reverse()) {
        forEachWithVariables(dockerfile, stage, (instruction, variables) => {
          if (instruction.keyword !== "RUN") return;
          const run = analyseRun(instruction, variables, options.ignorePackages);
          const kept = options.allowRemovalInSameRun ? run.kept : run.installed;
          if (kept.length > 0) {
            toolchainReported = true;
            context.report({
              messageId: "toolchain",
              data: { packages: listNames(kept.map((item) => item.name)), stage: describeStage(stage, final) },
              file: dockerfile.path,
              at: (kept[0] as InstalledPackage).word.location,
            });
            return;
          }
          const build = run.sourceBuilds[0];
          // A source build next to a toolchain it removes again is the accepted single-stage pattern.
          if (build && !toolchainReported && run.installed.length === 0) {
            toolchainReported = true;
            context.report({
              messageId: "sourceBuild",
              data: { command: build.command, stage: describeStage(stage, final) },
              file: dockerfile.path,
              at: build.word.location,
            });
          }
        });
      }
    }
  },
});
