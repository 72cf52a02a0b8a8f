import path from "node:path";
import type { SourceLocation } from "../model.js";
import type { DockerfileModel, DockerInstruction } from "../parsers/dockerfile.js";
import { isRecord, type KubernetesObject } from "../parsers/kubernetes.js";
import type { ShellWord } from "../parsers/shell.js";
import { defineRule, type RuleContext } from "../rule.js";
import {
  findDocumentCredential,
  findUrlCredentials,
  globToRegExp,
  isPlaceholder,
  isReference,
  isSecretAssignment,
  matchesAnyGlob,
  MIN_SECRET_LENGTH,
  nameWords,
  redact,
  scanForTokens,
  secretFileKind,
} from "../secrets.js";

interface Options {
  /** Globs of COPY/ADD sources that may be copied even though their name looks secret. */
  allowFiles: string[];
  /** Variable names (globs allowed) never reported. */
  ignoreNames: string[];
}

type Context = RuleContext<Options>;

const BY_NAME = "its name says it holds a secret";
const URL_PASSWORD = "a password written into a URL";

/**
 * A place that may hold a secret. `reason` is set when the name heuristic or a URL already
 * decided; `scanText` is what secretlint looks at (a known format also replaces the name reason).
 */
interface Site {
  file: string;
  at: SourceLocation;
  messageId: string;
  data: Record<string, string>;
  /** The secret, for redaction only: never put into a message as is. */
  secret: string;
  reason?: string;
  scanText?: string;
  /** The scanned text is a whole document: redact what secretlint matched, not the document. */
  secretFromMatch?: boolean;
}

/** Values shorter than this cannot hold any token format secretlint knows. */
const MIN_SCANNED_LENGTH = 16;

function nameIgnored(name: string, options: Options): boolean {
  const lower = name.toLowerCase();
  return (options.ignoreNames ?? []).some((pattern) => globToRegExp(pattern.toLowerCase()).test(lower));
}

/**
 * Reports each site whose secret was recognised. secretlint runs once for the whole project, over
 * a synthetic text of the candidate values only (a call costs about 0.5 ms whatever its size, so one
 * call per file would cost more than all the matching), and not at all when there is no candidate.
 */
async function reportSites(context: Context, sites: Site[]): Promise<void> {
  const pending = sites.filter((site) => site.scanText !== undefined);
  if (pending.length > 0) {
    const matches = await scanForTokens(pending.map((site) => site.scanText as string));
    for (const match of matches) {
      const site = pending[match.candidate];
      // A known format says more than the name heuristic; a URL password was already precise.
      if (!site || (site.reason !== undefined && site.reason !== BY_NAME)) continue;
      site.reason = `it matches the ${match.kind} format`;
      if (site.secretFromMatch) site.secret = (site.scanText as string).slice(match.start, match.end);
      // On a command line nothing else names the credential: say which format it has.
      if ("what" in site.data) site.data["what"] = `a ${match.kind}`;
    }
  }
  // One finding per place: a word that is both a URL password and a token is one finding, and the
  // words of an exec-form command share the instruction's location.
  const reported = new Set<string>();
  for (const site of sites) {
    if (site.reason === undefined) continue;
    const key = `${site.file}:${site.at.line}:${site.at.column}:${site.messageId}`;
    if (reported.has(key)) continue;
    reported.add(key);
    context.report({
      messageId: site.messageId,
      data: { ...site.data, redacted: redact(site.secret), why: site.reason },
      file: site.file,
      at: site.at,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Dockerfiles

function checkProperties(instruction: DockerInstruction, file: string, options: Options, sites: Site[]): void {
  for (const property of instruction.properties) {
    const value = property.value;
    if (value === null || nameIgnored(property.name, options)) continue;
    const site: Site = {
      file,
      at: property.valueLocation ?? property.location,
      messageId: "dockerfileLiteral",
      data: { keyword: instruction.keyword, name: property.name },
      secret: value,
    };
    const credential = findUrlCredentials(value)[0];
    if (credential) {
      site.reason = URL_PASSWORD;
      site.secret = credential.secret;
    } else {
      if (isSecretAssignment(property.name, value)) site.reason = BY_NAME;
      // `NAME=value`: some formats (AWS secret keys) are only recognised beside their name.
      if (value.length >= 8 && !isPlaceholder(value)) site.scanText = `${property.name}=${value}`;
    }
    sites.push(site);
  }
}

/** COPY/ADD sources, without the destination (the parser reads the JSON form too). */
function copySources(instruction: DockerInstruction): ShellWord[] {
  return instruction.words.slice(0, -1);
}

/** Folders whose files are test data, not something a build would need to leave out. */
const TEST_FOLDER = /(^|\/)(tests?|testdata|test-data|fixtures?|__tests__|spec|examples?|samples?|docs?)\//i;

function hasDockerignore(context: Context, dockerfile: DockerfileModel, contextFolder: string): boolean {
  const { project } = context;
  const candidates = [
    contextFolder === "." ? ".dockerignore" : `${contextFolder}/.dockerignore`,
    `${dockerfile.path}.dockerignore`,
    ".dockerignore",
  ];
  return candidates.some((candidate) => project.hasFile(candidate));
}

function checkCopy(context: Context, dockerfile: DockerfileModel, instruction: DockerInstruction, sites: Site[]): void {
  const options = context.options;
  const allowFiles = options.allowFiles ?? [];
  const contextFolder = path.posix.dirname(dockerfile.path);
  const fromStage = instruction.flags["from"] !== undefined;
  for (const source of copySources(instruction)) {
    const text = source.text;
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text) || text.startsWith("git@")) continue;
    if (matchesAnyGlob(text, allowFiles)) continue;
    const kind = secretFileKind(text);
    if (kind) {
      context.report({
        messageId: "copiedSecretFile",
        data: { keyword: instruction.keyword, source: text, kind },
        file: dockerfile.path,
        at: source.location,
      });
      continue;
    }
    if (fromStage || /[*?[]/.test(text)) continue;
    // `COPY . .` or `COPY src/ src/`: the secret files it would take from the build context.
    const folder = path.posix.normalize(path.posix.join(contextFolder, text.replace(/^\/+/, "")));
    if (folder.startsWith("..") || !context.project.hasFolder(folder)) continue;
    if (hasDockerignore(context, dockerfile, contextFolder)) continue;
    const prefix = folder === "." ? "" : `${folder}/`;
    const secretFiles = context.project.files.filter((candidate) => {
      if (!candidate.path.startsWith(prefix)) return false;
      const inside = candidate.path.slice(prefix.length);
      if (TEST_FOLDER.test(inside)) return false;
      if (matchesAnyGlob(inside, allowFiles) || matchesAnyGlob(candidate.path, allowFiles)) return false;
      return secretFileKind(candidate.path) !== null;
    });
    const first = secretFiles[0];
    if (!first) continue;
    context.report({
      messageId: "contextSecretFile",
      data: {
        keyword: instruction.keyword,
        source: text,
        file: first.path,
        kind: secretFileKind(first.path) as string,
        more: secretFiles.length > 1 ? ` and ${secretFiles.length - 1} more secret-looking file${secretFiles.length > 2 ? "s" : ""}` : "",
      },
      file: dockerfile.path,
      at: source.location,
    });
  }
}

/** Commands whose `-p`/`--password` argument is a registry password. */
const LOGIN_COMMANDS = new Set(["docker", "podman", "buildah", "skopeo", "helm", "nerdctl", "oras", "crane", "regctl"]);
const PASSWORD_FLAGS = /^--(password|passwd|http-password|ftp-password|proxy-password|token|api-key|apikey|access-token|auth-token|client-secret|secret-key|private-token)$/;
const AUTHORIZATION_HEADER = /^\s*(?:--header=)?\s*(proxy-)?authorization\s*:\s*(?:(bearer|basic|token|bot)\s+)?(\S+)\s*$/i;
const TOKEN_HEADER = /^\s*(?:--header=)?\s*(x-api-key|api-key|apikey|private-token|job-token|x-auth-token|x-access-token|x-vault-token|x-goog-api-key|x-api-token)\s*:\s*(\S+)\s*$/i;
/** `NAME=value` anywhere in a word: `export X=...`, `--build-arg X=...`, `--ServerApp.token=...`, `echo "X=..." >> .env`, `_authToken=...`. */
const ASSIGNMENT = /(?:^|[\s;,"':/-])([A-Za-z_][A-Za-z0-9_.-]*)=([^\s;,"']+)/g;

function isLiteralCredential(value: string, minLength: number): boolean {
  const trimmed = value.trim();
  // A value that starts with `-` is the next flag: the flag before it took no value.
  return trimmed.length >= minLength && !trimmed.startsWith("-") && !/\$[A-Za-z_{(]|\{\{/.test(trimmed) && !isPlaceholder(trimmed) && !isReference(trimmed);
}

/** The first credential a command word holds, with what to call it (never the secret itself). */
function credentialInWord(words: ShellWord[], index: number, program: string, isLogin: boolean, options: Options): { what: string; secret: string } | null {
  const text = (words[index] as ShellWord).text;
  const previous = index > 0 ? (words[index - 1] as ShellWord).text : "";

  const url = findUrlCredentials(text)[0];
  if (url) return { what: URL_PASSWORD, secret: url.secret };

  const header = AUTHORIZATION_HEADER.exec(text);
  if (header && isLiteralCredential(header[3] as string, 8)) return { what: "a literal Authorization header", secret: header[3] as string };
  const tokenHeader = TOKEN_HEADER.exec(text);
  if (tokenHeader && isLiteralCredential(tokenHeader[2] as string, 8)) return { what: `a literal ${tokenHeader[1]} header`, secret: tokenHeader[2] as string };

  if (program === "curl" || program === "wget") {
    let userValue: string | null = null;
    if (previous === "-u" || previous === "--user") userValue = text;
    else if (/^--user=/.test(text)) userValue = text.slice("--user=".length);
    else if (program === "curl" && /^-u[^-]/.test(text)) userValue = text.slice(2);
    const colon = userValue?.indexOf(":") ?? -1;
    if (userValue !== null && colon >= 0) {
      const password = userValue.slice(colon + 1);
      if (isLiteralCredential(password, 4)) return { what: `a password in ${program} --user`, secret: password };
    }
  }

  const flag = /^(--[a-z-]+)=(.*)$/s.exec(text);
  if (flag && PASSWORD_FLAGS.test(flag[1] as string) && isLiteralCredential(flag[2] as string, 6)) return { what: `a literal ${flag[1]}`, secret: flag[2] as string };
  if (PASSWORD_FLAGS.test(previous) && isLiteralCredential(text, 6)) return { what: `a literal ${previous}`, secret: text };
  if (previous === "-p" && LOGIN_COMMANDS.has(program) && isLogin && isLiteralCredential(text, 4)) {
    return { what: `a literal ${program} login password`, secret: text };
  }

  for (const assignment of text.matchAll(ASSIGNMENT)) {
    const name = assignment[1] as string;
    const value = assignment[2] as string;
    if (nameIgnored(name, options)) continue;
    if (isSecretAssignment(name, value)) return { what: `a literal ${name}`, secret: value };
  }
  return null;
}

function checkCommands(instruction: DockerInstruction, file: string, options: Options, sites: Site[]): void {
  for (const command of instruction.commands) {
    const words = command.words;
    const programIndex = words.findIndex((word) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(word.text) && word.text !== "sudo" && word.text !== "env" && word.text !== "export");
    const program = programIndex >= 0 ? ((words[programIndex] as ShellWord).text.split("/").pop() ?? "") : "";
    // `docker login`, `helm registry login`
    const isLogin = words.some((word) => word.text === "login");
    words.forEach((word, index) => {
      const site: Site = {
        file,
        at: word.location,
        messageId: "runInlineCredential",
        data: { keyword: instruction.keyword, what: "a literal credential" },
        secret: word.text,
      };
      const credential = credentialInWord(words, index, program, isLogin, options);
      if (credential) {
        site.reason = credential.what;
        site.secret = credential.secret;
        site.data["what"] = credential.what;
      } else if (word.text.length >= MIN_SCANNED_LENGTH && !isPlaceholder(word.text)) {
        site.scanText = word.text;
      } else {
        return;
      }
      sites.push(site);
    });
  }
}

function dockerfileSites(context: Context, dockerfile: DockerfileModel): Site[] {
  const sites: Site[] = [];
  for (const instruction of dockerfile.instructions) {
    switch (instruction.keyword) {
      case "ENV":
      case "ARG":
      case "LABEL":
        checkProperties(instruction, dockerfile.path, context.options, sites);
        break;
      case "COPY":
      case "ADD":
        checkCopy(context, dockerfile, instruction, sites);
        break;
      case "RUN":
      case "CMD":
      case "ENTRYPOINT":
        checkCommands(instruction, dockerfile.path, context.options, sites);
        break;
      default:
        break;
    }
  }
  return sites;
}

// ---------------------------------------------------------------------------------------------
// Kubernetes

function workloadEnvSites(context: Context): Site[] {
  const sites: Site[] = [];
  for (const workload of context.project.workloads) {
    for (const container of workload.containers) {
      const env = container.value["env"];
      if (!Array.isArray(env)) continue;
      env.forEach((entry, index) => {
        if (!isRecord(entry) || typeof entry["name"] !== "string" || typeof entry["value"] !== "string") return;
        const name = entry["name"];
        const value = entry["value"];
        if (nameIgnored(name, context.options)) return;
        const site: Site = {
          file: workload.object.file,
          at: workload.object.locate([...container.path, "env", index, "value"]),
          messageId: "kubernetesEnvLiteral",
          data: { workload: workload.label, container: container.name, name },
          secret: value,
        };
        const credential = findUrlCredentials(value)[0];
        if (credential) {
          site.reason = URL_PASSWORD;
          site.secret = credential.secret;
        } else {
          if (isSecretAssignment(name, value)) site.reason = BY_NAME;
          if (value.length >= 8 && !isPlaceholder(value)) site.scanText = `${name}=${value}`;
          if (site.reason === undefined && site.scanText === undefined) return;
        }
        sites.push(site);
      });
    }
  }
  return sites;
}

/** Keys of a Secret that name where or who, not the secret: `username`, `endpoint`, `tls.crt`. */
const NOT_SECRET_KEY_WORDS = new Set([
  "USER", "USERNAME", "LOGIN", "EMAIL", "HOST", "HOSTNAME", "PORT", "ENDPOINT", "URL", "URI", "REGION", "BUCKET",
  "DATABASE", "DB", "DBNAME", "NAMESPACE", "ID", "CRT", "CERT", "CERTIFICATE", "PUB", "BUNDLE", "USEHTTPS",
  "VERIFYSSL", "NAME", "TYPE", "SCHEME", "PROTOCOL",
]);

function isPublicKeyName(key: string): boolean {
  const words = nameWords(key);
  const last = words[words.length - 1];
  return last !== undefined && NOT_SECRET_KEY_WORDS.has(last);
}

function decodeBase64(value: string): string | null {
  const compact = value.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) return null;
  return Buffer.from(compact, "base64").toString("utf8");
}

/** Multi-line and JSON values are configuration files; single-line values are the secret itself. */
function isDocument(value: string): boolean {
  return value.includes("\n") || /^\s*[[{]/.test(value);
}

function secretObjectSites(object: KubernetesObject): Site[] {
  const sites: Site[] = [];
  // Kubernetes fills service-account tokens itself; the manifest only asks for one.
  if (object.value["type"] === "kubernetes.io/service-account-token") return sites;
  for (const field of ["data", "stringData"] as const) {
    const entries = object.value[field];
    if (!isRecord(entries)) continue;
    for (const [key, raw] of Object.entries(entries)) {
      if (raw === null || raw === undefined || typeof raw === "object") continue;
      const written = String(raw);
      const decoded = field === "data" ? decodeBase64(written) : written;
      const value = decoded ?? written;
      const site: Site = {
        file: object.file,
        at: object.locate([field, key]),
        messageId: "kubernetesSecretObject",
        data: { secret: object.name ?? "(unnamed)", key },
        secret: written,
      };
      // Key stores and other binary data decode to control characters: report them as they are.
      const binary = decoded !== null && /[\u0000-\u0008\u000e-\u001f\ufffd]/.test(decoded);
      if (decoded !== null && !binary && isDocument(value)) {
        // A configuration file kept in a Secret (alertmanager.yaml, grafana.ini) is reported only
        // when it holds a credential.
        const credential = findDocumentCredential(value);
        if (credential) {
          site.reason = credential.what;
          site.secret = credential.secret;
        }
        site.scanText = value;
        site.secretFromMatch = true;
      } else {
        if (isPlaceholder(written) || isPlaceholder(value) || /\$\{|\{\{/.test(value)) continue;
        const credential = findUrlCredentials(value)[0];
        if (credential) {
          site.reason = URL_PASSWORD;
          site.secret = credential.secret;
        } else if (isPublicKeyName(key)) {
          continue;
        } else if (binary || decoded === null || Array.from(value.trim()).length >= MIN_SECRET_LENGTH) {
          site.reason = "a literal value";
        } else {
          continue;
        }
      }
      sites.push(site);
    }
  }
  return sites;
}

// ---------------------------------------------------------------------------------------------

export default defineRule<Options>({
  meta: {
    id: "no-baked-secrets",
    title: "Keep secrets out of images and manifests",
    section: "container",
    severity: "error",
    weight: 3,
    description:
      "Finds secrets written into Dockerfiles (ENV/ARG/LABEL literals, copied key and credential files, credentials on RUN lines) and Kubernetes manifests (literal env values, committed Secret objects). Anything baked into an image layer or committed to Git can be read by everyone who can pull the image or clone the repository.",
    options: {
      type: "object",
      additionalProperties: false,
      properties: {
        allowFiles: {
          type: "array",
          items: { type: "string", minLength: 1 },
          description: "Globs of COPY/ADD sources that may be copied although their name looks secret (e.g. `certs/ca.pem`).",
        },
        ignoreNames: {
          type: "array",
          items: { type: "string", minLength: 1 },
          description: "Variable names (globs allowed, case-insensitive) that are never reported.",
        },
      },
    },
    defaultOptions: { allowFiles: [], ignoreNames: [] },
    messages: {
      dockerfileLiteral:
        "{{keyword}} {{name}} holds a secret-looking literal ({{redacted}}: {{why}}) that stays in the image's layers and history. Remove it and pass the secret at build time with BuildKit `RUN --mount=type=secret` or at run time from a secret store.",
      copiedSecretFile:
        "{{keyword}} copies {{source}} ({{kind}}) into the image, where every layer keeps it. Mount it only while building with BuildKit `RUN --mount=type=secret`, supply it at run time, and list it in .dockerignore.",
      contextSecretFile:
        "{{keyword}} {{source}} copies {{file}} ({{kind}}){{more}} into the image, and no .dockerignore keeps it out. Add a .dockerignore that excludes secret files, and mount secrets with BuildKit `RUN --mount=type=secret` instead.",
      runInlineCredential:
        "{{keyword}} contains {{what}} ({{redacted}}) that stays in the image history. Pass it while building with BuildKit `RUN --mount=type=secret,id=…` (read from /run/secrets/…), or at run time from a Kubernetes Secret.",
      kubernetesEnvLiteral:
        "Container {{container}} of {{workload}} sets {{name}} to a literal secret ({{redacted}}: {{why}}). Move the value into a Secret and reference it with `valueFrom.secretKeyRef`.",
      kubernetesSecretObject:
        "Secret {{secret}} commits {{key}} ({{redacted}}: {{why}}) to the repository. Keep secret values out of Git: use Sealed Secrets or the External Secrets Operator, or create the Secret at deploy time.",
    },
  },
  async check(context) {
    const { project } = context;
    const secretObjects = project.objects.filter((object) => object.kind === "Secret" && /^v1$/.test(object.apiVersion));
    if (project.dockerfiles.length === 0 && project.workloads.length === 0 && secretObjects.length === 0) {
      context.skip("no Dockerfile, Kubernetes workload or Secret to check");
      return;
    }
    const sites: Site[] = [];
    for (const dockerfile of project.dockerfiles) sites.push(...dockerfileSites(context, dockerfile));
    sites.push(...workloadEnvSites(context));
    for (const object of secretObjects) sites.push(...secretObjectSites(object));
    await reportSites(context, sites);
  },
});
