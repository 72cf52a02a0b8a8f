import path from "node:path";
import type { ProjectFile, SourceLocation } from "../model.js";
import type { DockerfileModel, DockerInstruction } from "../parsers/dockerfile.js";
import { isRecord, type KubernetesObject } from "../parsers/kubernetes.js";
import type { ShellWord } from "../parsers/shell.js";
import type { ObjectPath } from "../parsers/yaml.js";
import { isTestPath } from "../paths.js";
import type { DockerignoreFile, ProjectModel } from "../project.js";
import { firstByPath, oncePer } from "../memo.js";
import { defineRule, type RuleContext } from "../rule.js";
import {
  committedSecretFileKind,
  compileAllowList,
  dockerignoreMatcher,
  findDocumentCredential,
  findUrlCredentials,
  globToRegExp,
  isAllowed,
  isEncrypted,
  isPlaceholder,
  isReference,
  isSamplePath,
  isSecretAssignment,
  isSopsDocument,
  looksLikeSecretValue,
  matchesAnyGlob,
  MIN_SECRET_LENGTH,
  nameWords,
  redact,
  scanForTokens,
  secretFileKind,
  secretKindOfName,
  URL_PASSWORD_KIND,
  type AllowList,
} from "../secrets.js";

interface Options {
  /** Regular expressions of known test values that are never reported. */
  allow: string[];
  /** Globs of files that may be copied or committed even though their name looks secret. */
  allowFiles: string[];
  /** Variable names (globs allowed) never reported. */
  ignoreNames: string[];
}

type Context = RuleContext<Options>;

/**
 * A place that may hold a secret. `kind` is set when a name, a URL or a document already decided
 * what the secret is; `scanText` is what the token-format scan looks at (a known format also
 * replaces a `refinable` kind, which is only a guess from a name or a flag).
 */
interface Site {
  file: string;
  at: SourceLocation;
  messageId: string;
  data: Record<string, string>;
  /** The secret, for redaction only: never put into a message as is. */
  secret: string;
  /** The value as written, matched against `allow` with the secret. */
  written: string;
  kind?: string;
  refinable?: boolean;
  /** The kind is a vendor's token format (not a name, a URL password or a private key): reported in sample folders too. */
  issued?: boolean;
  scanText?: string;
  /** Characters of `scanText` before the value (`NAME=`): a match inside them is not the secret. */
  scanOffset?: number;
}

/** Values shorter than this cannot hold any token format the scan knows. */
const MIN_SCANNED_LENGTH = 16;

function nameIgnored(name: string, options: Options): boolean {
  const lower = name.toLowerCase();
  return (options.ignoreNames ?? []).some((pattern) => globToRegExp(pattern.toLowerCase()).test(lower));
}

/** Multi-line and JSON values are configuration files; single-line values are the secret itself. */
function isDocument(value: string): boolean {
  return value.includes("\n") || /^\s*[[{]/.test(value);
}

/** "a private key" -> "private key": file kinds carry an article, value kinds do not. */
function withoutArticle(kind: string): string {
  return kind.replace(/^an? /, "");
}

/**
 * The site of a literal `value` written under `name` (an ENV, an env var, a ConfigMap key, a Helm
 * value), or null when nothing about it can be a secret. Decides by URL credentials, then by name,
 * and queues the value for the token-format scan. Documents (multi-line values) are searched for
 * credentials as a whole.
 */
function valueSite(base: Omit<Site, "secret" | "written">, name: string, value: string): Site | null {
  if (isEncrypted(value)) return null;
  const site: Site = { ...base, secret: value, written: value };
  if (isDocument(value)) {
    const credential = findDocumentCredential(value);
    if (credential) {
      site.kind = credential.kind;
      site.secret = credential.secret;
      site.written = credential.secret;
    }
    if (value.length >= MIN_SCANNED_LENGTH) site.scanText = value;
    return site.kind !== undefined || site.scanText !== undefined ? site : null;
  }
  const url = findUrlCredentials(value)[0];
  if (url) {
    site.kind = URL_PASSWORD_KIND;
    site.secret = url.secret;
    return site;
  }
  const kind = secretKindOfName(name);
  if (kind && looksLikeSecretValue(value)) {
    site.kind = kind;
    site.refinable = true;
  }
  // `NAME=value`: some formats (AWS secret keys) are only recognised beside their name.
  if (value.length >= MIN_SECRET_LENGTH && !isPlaceholder(value)) {
    site.scanText = `${name}=${value}`;
    site.scanOffset = name.length + 1;
  }
  return site.kind !== undefined || site.scanText !== undefined ? site : null;
}

/**
 * Reports each site whose secret was recognised. The token-format scan runs once for the whole
 * project, over a synthetic text of the candidate values only (a secretlint call costs about 0.5 ms
 * whatever its size, so one call per file would cost more than all the matching), and not at all
 * when there is no candidate.
 */
async function reportSites(context: Context, sites: Site[], allow: AllowList): Promise<void> {
  const pending = sites.filter((site) => site.scanText !== undefined);
  if (pending.length > 0) {
    const matches = await scanForTokens(pending.map((site) => site.scanText as string));
    for (const match of matches) {
      const site = pending[match.candidate];
      // A known format says more than a name or a flag; a URL password or a document credential was already precise.
      if (!site || (site.kind !== undefined && !site.refinable)) continue;
      site.kind = match.kind;
      site.refinable = false;
      site.issued = match.issued;
      if (match.start >= (site.scanOffset ?? 0)) {
        site.secret = (site.scanText as string).slice(match.start, match.end);
        if (site.scanOffset === undefined) site.written = site.secret;
      }
    }
  }
  // One finding per place: a word that is both a URL password and a token is one finding, and the
  // words of an exec-form command share the instruction's location.
  const reported = new Set<string>();
  for (const site of sites) {
    if (site.kind === undefined || isAllowed(allow, [site.secret, site.written])) continue;
    // Docs, examples, samples and tests are full of example passwords and demo TLS keys; a token in
    // a vendor's format there was pasted from a real account, so only those are reported.
    if (isSamplePath(site.file) && !site.issued) continue;
    const key = `${site.file}:${site.at.line}:${site.at.column}:${site.messageId}`;
    if (reported.has(key)) continue;
    reported.add(key);
    context.report({
      messageId: site.messageId,
      data: { ...site.data, kind: site.kind, redacted: redact(site.secret) },
      file: site.file,
      at: site.at,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Dockerfiles

/** `${TOKEN:-s3cr3t}` and `${TOKEN-s3cr3t}`: the default is a literal written into the Dockerfile. */
function literalOf(value: string): string {
  return /^\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]*)\}$/.exec(value.trim())?.[1] ?? value;
}

function checkProperties(instruction: DockerInstruction, file: string, options: Options, sites: Site[]): void {
  for (const property of instruction.properties) {
    if (property.value === null || nameIgnored(property.name, options)) continue;
    const site = valueSite(
      { file, at: property.valueLocation ?? property.location, messageId: "dockerfileLiteral", data: { keyword: instruction.keyword, name: property.name } },
      property.name,
      literalOf(property.value),
    );
    if (site) sites.push({ ...site, written: property.value });
  }
}

/** COPY/ADD sources, without the destination (the parser reads the JSON form too). */
function copySources(instruction: DockerInstruction): ShellWord[] {
  return instruction.words.slice(0, -1);
}

const REMOTE_SOURCE = /^[a-z][a-z0-9+.-]*:\/\/|^git@/i;

/** A source path that names one place in the build context (no URL, glob, variable or heredoc). */
function isPlainSource(text: string): boolean {
  return !REMOTE_SOURCE.test(text) && !/[*?[$]/.test(text) && !text.startsWith("<<");
}

/** A path of the build context as a project-relative path, or null when it leaves the project. */
function inContext(contextFolder: string, source: string): string | null {
  const joined = path.posix.normalize(path.posix.join(contextFolder, source.replace(/^\/+/, "")));
  return joined === ".." || joined.startsWith("../") ? null : joined.replace(/\/$/, "") || ".";
}

/**
 * The build context a Dockerfile is built from, which the project does not say: the nearest folder,
 * from the Dockerfile's own up to the root, from which most COPY/ADD sources exist (a Dockerfile in
 * `docker/` that copies `requirements.txt` from the root is built from the root). Without any
 * resolvable source, the Dockerfile's folder.
 */
function buildContextOf(project: ProjectModel, dockerfile: DockerfileModel): string {
  const folder = path.posix.dirname(dockerfile.path);
  const sources = dockerfile.instructions
    .filter((instruction) => (instruction.keyword === "COPY" || instruction.keyword === "ADD") && instruction.flags["from"] === undefined)
    .flatMap((instruction) => copySources(instruction).map((word) => word.text))
    .filter((text) => isPlainSource(text) && text.replace(/^\.\/?/, "") !== "");
  let best = folder;
  let bestCount = 0;
  for (let candidate = folder; ; candidate = path.posix.dirname(candidate)) {
    const count = sources.filter((source) => {
      const target = inContext(candidate, source);
      return target !== null && (project.hasFile(target) || project.hasFolder(target));
    }).length;
    if (count > bestCount) {
      best = candidate;
      bestCount = count;
    }
    if (candidate === ".") break;
  }
  return best;
}

/** The ignore file BuildKit uses: `<Dockerfile>.dockerignore` beside the Dockerfile, else `.dockerignore` at the context root. */
function dockerignoreOf(project: ProjectModel, dockerfile: DockerfileModel, contextFolder: string): DockerignoreFile | undefined {
  const atContext = contextFolder === "." ? ".dockerignore" : `${contextFolder}/.dockerignore`;
  const byPath = dockerignoresByPath(project);
  return byPath.get(`${dockerfile.path}.dockerignore`) ?? byPath.get(atContext);
}

/** The first ignore file of each path, indexed once per project: searching them all per Dockerfile was Dockerfiles × ignore files. */
const dockerignoresByPath = oncePer((project: ProjectModel) => firstByPath(project.dockerignores));

/**
 * The project's files whose name looks secret, in project order. Listed once per project: filtering
 * every project file for each `COPY . .` was Dockerfiles × files.
 */
const secretLookingFiles = oncePer((project: ProjectModel): readonly ProjectFile[] => project.files.filter((file) => secretFileKind(file.path) !== null));

function checkCopies(context: Context, dockerfile: DockerfileModel, sites: Site[]): void {
  const { project, options } = context;
  const allowFiles = options.allowFiles ?? [];
  const contextFolder = buildContextOf(project, dockerfile);
  const ignoreFile = dockerignoreOf(project, dockerfile, contextFolder);
  const excluded = dockerignoreMatcher(ignoreFile?.patterns.map((entry) => entry.pattern) ?? []);
  const relativeToContext = (file: string) => (contextFolder === "." ? file : file.slice(contextFolder.length + 1));
  for (const instruction of dockerfile.instructions) {
    if (instruction.keyword !== "COPY" && instruction.keyword !== "ADD") continue;
    const fromStage = instruction.flags["from"] !== undefined;
    for (const source of copySources(instruction)) {
      const text = source.text;
      if (REMOTE_SOURCE.test(text)) {
        // `ADD https://user:token@host/file`: the URL is kept in the image history.
        // `ADD https://host/file?token=...`: a token in the query is kept the same way.
        const credential = findUrlCredentials(text)[0];
        const base = { file: dockerfile.path, at: source.location, messageId: "runInlineCredential", data: { keyword: instruction.keyword } };
        if (credential) sites.push({ ...base, secret: credential.secret, written: credential.secret, kind: URL_PASSWORD_KIND });
        else if (text.length >= MIN_SCANNED_LENGTH) sites.push({ ...base, secret: text, written: text, scanText: text });
        continue;
      }
      if (matchesAnyGlob(text, allowFiles)) continue;
      const target = fromStage || !isPlainSource(text) ? null : inContext(contextFolder, text);
      // A source that .dockerignore leaves out is never copied (the build fails instead).
      if (target !== null && target !== "." && excluded(relativeToContext(target))) continue;
      const kind = secretFileKind(text);
      if (kind) {
        context.report({ messageId: "copiedSecretFile", data: { keyword: instruction.keyword, source: text, kind }, file: dockerfile.path, at: source.location });
        continue;
      }
      // `COPY . .` or `COPY src/ src/`: the secret files it takes from the build context.
      if (target === null || !project.hasFolder(target)) continue;
      const prefix = target === "." ? "" : `${target}/`;
      const secretFiles = secretLookingFiles(project).filter((candidate) => {
        if (!candidate.path.startsWith(prefix)) return false;
        const inside = candidate.path.slice(prefix.length);
        if (isSamplePath(inside) || matchesAnyGlob(inside, allowFiles) || matchesAnyGlob(candidate.path, allowFiles)) return false;
        return !excluded(relativeToContext(candidate.path));
      });
      const first = secretFiles[0];
      if (!first) continue;
      const them = secretFiles.length > 1 ? "them" : "it";
      context.report({
        messageId: "contextSecretFile",
        data: {
          keyword: instruction.keyword,
          source: text,
          file: first.path,
          kind: secretFileKind(first.path) as string,
          more: secretFiles.length > 1 ? ` and ${secretFiles.length - 1} more secret-looking file${secretFiles.length > 2 ? "s" : ""}` : "",
          reason: ignoreFile ? `${ignoreFile.path} does not exclude ${them}` : "there is no .dockerignore",
        },
        file: dockerfile.path,
        at: source.location,
      });
    }
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

interface CommandCredential {
  kind: string;
  secret: string;
  /** False only for a URL password: a token format cannot say more about it. */
  refinable: boolean;
}

/** The first credential a command word holds, with what kind it is (never the secret itself). */
function credentialInWord(words: ShellWord[], index: number, program: string, isLogin: boolean, options: Options): CommandCredential | null {
  const text = (words[index] as ShellWord).text;
  const previous = index > 0 ? (words[index - 1] as ShellWord).text : "";

  const url = findUrlCredentials(text)[0];
  if (url) return { kind: URL_PASSWORD_KIND, secret: url.secret, refinable: false };

  const header = AUTHORIZATION_HEADER.exec(text);
  if (header && isLiteralCredential(header[3] as string, 8)) return { kind: "credential in an Authorization header", secret: header[3] as string, refinable: true };
  const tokenHeader = TOKEN_HEADER.exec(text);
  if (tokenHeader && isLiteralCredential(tokenHeader[2] as string, 8)) return { kind: `credential in a ${tokenHeader[1]} header`, secret: tokenHeader[2] as string, refinable: true };

  if (program === "curl" || program === "wget") {
    let userValue: string | null = null;
    if (previous === "-u" || previous === "--user") userValue = text;
    else if (/^--user=/.test(text)) userValue = text.slice("--user=".length);
    else if (program === "curl" && /^-u[^-]/.test(text)) userValue = text.slice(2);
    const colon = userValue?.indexOf(":") ?? -1;
    if (userValue !== null && colon >= 0) {
      const password = userValue.slice(colon + 1);
      if (isLiteralCredential(password, 4)) return { kind: `password in ${program} --user`, secret: password, refinable: true };
    }
  }

  const flagKind = (flag: string) => `${secretKindOfName(flag) ?? "credential"} in ${flag}`;
  const flag = /^(--[a-z-]+)=(.*)$/s.exec(text);
  if (flag && PASSWORD_FLAGS.test(flag[1] as string) && isLiteralCredential(flag[2] as string, 6)) return { kind: flagKind(flag[1] as string), secret: flag[2] as string, refinable: true };
  if (PASSWORD_FLAGS.test(previous) && isLiteralCredential(text, 6)) return { kind: flagKind(previous), secret: text, refinable: true };
  if (previous === "-p" && LOGIN_COMMANDS.has(program) && isLogin && isLiteralCredential(text, 4)) {
    return { kind: `registry password in ${program} login -p`, secret: text, refinable: true };
  }

  for (const assignment of text.matchAll(ASSIGNMENT)) {
    const name = assignment[1] as string;
    const value = assignment[2] as string;
    if (nameIgnored(name, options)) continue;
    if (isSecretAssignment(name, value)) return { kind: `${secretKindOfName(name)} in ${name}`, secret: value, refinable: true };
  }
  return null;
}

function checkCommands(instruction: DockerInstruction, file: string, options: Options, sites: Site[]): void {
  for (const command of instruction.commands) {
    const words = command.words;
    const programIndex = words.findIndex((word) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(word.text) && !word.text.startsWith("--mount=") && word.text !== "sudo" && word.text !== "env" && word.text !== "export");
    const program = programIndex >= 0 ? ((words[programIndex] as ShellWord).text.split("/").pop() ?? "") : "";
    // `docker login`, `helm registry login`
    const isLogin = words.some((word) => word.text === "login");
    words.forEach((word, index) => {
      // `RUN --mount=type=secret,id=...` is the fix, never a finding.
      if (word.text.startsWith("--mount=")) return;
      const base = { file, at: word.location, messageId: "runInlineCredential", data: { keyword: instruction.keyword } };
      const credential = credentialInWord(words, index, program, isLogin, options);
      if (credential) {
        sites.push({ ...base, secret: credential.secret, written: word.text, kind: credential.kind, refinable: credential.refinable, scanText: word.text });
      } else if (word.text.length >= MIN_SCANNED_LENGTH && !isPlaceholder(word.text)) {
        sites.push({ ...base, secret: word.text, written: word.text, scanText: word.text });
      }
    });
  }
}

/** HEALTHCHECK, ONBUILD, USER...: no structure worth modelling, but a token format or a URL password anywhere is still kept in the image. */
function checkOtherInstruction(instruction: DockerInstruction, file: string, sites: Site[]): void {
  const text = instruction.args;
  const base = { file, at: instruction.location, messageId: "runInlineCredential", data: { keyword: instruction.keyword } };
  const credential = findUrlCredentials(text)[0];
  if (credential) sites.push({ ...base, secret: credential.secret, written: credential.secret, kind: URL_PASSWORD_KIND });
  else if (text.length >= MIN_SCANNED_LENGTH) sites.push({ ...base, secret: text, written: text, scanText: text });
}

function dockerfileSites(context: Context, dockerfile: DockerfileModel): Site[] {
  const sites: Site[] = [];
  checkCopies(context, dockerfile, sites);
  for (const instruction of dockerfile.instructions) {
    switch (instruction.keyword) {
      case "ENV":
      case "ARG":
      case "LABEL":
        checkProperties(instruction, dockerfile.path, context.options, sites);
        break;
      case "COPY":
      case "ADD":
        break;
      case "RUN":
      case "CMD":
      case "ENTRYPOINT":
        checkCommands(instruction, dockerfile.path, context.options, sites);
        break;
      default:
        checkOtherInstruction(instruction, dockerfile.path, sites);
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
        if (nameIgnored(name, context.options)) return;
        const site = valueSite(
          {
            file: workload.object.file,
            at: workload.object.locate([...container.path, "env", index, "value"]),
            messageId: "kubernetesEnvLiteral",
            data: { workload: workload.label, container: container.name, name },
          },
          name,
          entry["value"],
        );
        if (site) sites.push(site);
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

/** Key stores and other binary data decode to control characters. */
function isBinary(decoded: string): boolean {
  return /[\u0000-\u0008\u000e-\u001f\ufffd]/.test(decoded);
}

function secretObjectSites(object: KubernetesObject): Site[] {
  const sites: Site[] = [];
  // Kubernetes fills service-account tokens itself; the manifest only asks for one. SOPS-encrypted Secrets are safe to commit.
  if (object.value["type"] === "kubernetes.io/service-account-token" || isSopsDocument(object.value)) return sites;
  for (const field of ["data", "stringData"] as const) {
    const entries = object.value[field];
    if (!isRecord(entries)) continue;
    for (const [key, raw] of Object.entries(entries)) {
      if (raw === null || raw === undefined || typeof raw === "object") continue;
      const written = String(raw);
      const decoded = field === "data" ? decodeBase64(written) : written;
      const value = decoded ?? written;
      if (isEncrypted(written) || isEncrypted(value)) continue;
      const base = { file: object.file, at: object.locate([field, key]), messageId: "kubernetesSecretObject", data: { secret: object.name ?? "(unnamed)", key } };
      const binary = decoded !== null && isBinary(decoded);
      if (decoded !== null && !binary && isDocument(value)) {
        // A configuration file kept in a Secret (alertmanager.yaml, grafana.ini) is reported only when it holds a credential.
        const site = valueSite(base, key, value);
        if (site) sites.push(site);
        continue;
      }
      if (isPlaceholder(written) || isPlaceholder(value) || /\$\{|\{\{/.test(value)) continue;
      const site: Site = { ...base, secret: written, written: value };
      const credential = findUrlCredentials(value)[0];
      if (credential) {
        site.kind = URL_PASSWORD_KIND;
        site.secret = credential.secret;
      } else if (isPublicKeyName(key)) {
        continue;
      } else if (binary) {
        const fileKind = secretFileKind(key);
        site.kind = fileKind ? withoutArticle(fileKind) : (secretKindOfName(key) ?? "binary secret");
      } else if (decoded === null || Array.from(value.trim()).length >= MIN_SECRET_LENGTH) {
        site.kind = secretKindOfName(key) ?? "secret value";
        site.refinable = true;
        if (decoded !== null) {
          site.secret = value;
          site.scanText = `${key}=${value}`;
          site.scanOffset = key.length + 1;
        }
      } else {
        continue;
      }
      sites.push(site);
    }
  }
  return sites;
}

/** Trust stores and CA bundles hold public certificates. */
const TRUST_STORE_NAME = /trust|(^|[-_.])(ca|cacerts?|certs?|certificates?)([-_.]|$)/i;

/** ConfigMap keys named like secrets (`DB_PASSWORD`, `api-token`) with literals, token formats in any value, credentials in config files. */
function configMapSites(object: KubernetesObject, options: Options): Site[] {
  const sites: Site[] = [];
  if (isSopsDocument(object.value)) return sites;
  for (const field of ["data", "binaryData"] as const) {
    const entries = object.value[field];
    if (!isRecord(entries)) continue;
    for (const [key, raw] of Object.entries(entries)) {
      if (raw === null || raw === undefined || typeof raw === "object" || nameIgnored(key, options)) continue;
      const written = String(raw);
      const base = { file: object.file, at: object.locate([field, key]), messageId: "configMapLiteral", data: { configMap: object.name ?? "(unnamed)", key } };
      let value = written;
      if (field === "binaryData") {
        const decoded = decodeBase64(written);
        if (decoded === null) continue;
        if (isBinary(decoded)) {
          // A key store or a DER key shipped as binary data: judged by its file name.
          const fileKind = TRUST_STORE_NAME.test(key) ? null : secretFileKind(key);
          if (fileKind) sites.push({ ...base, secret: written, written, kind: withoutArticle(fileKind) });
          continue;
        }
        value = decoded;
      }
      const site = valueSite(base, key, value);
      if (site) sites.push(site);
    }
  }
  return sites;
}

// ---------------------------------------------------------------------------------------------
// Helm values

/** `postgresql.auth.password`, `extraEnv[2].value` */
function dottedPath(objectPath: ObjectPath): string {
  return objectPath.map((step, index) => (typeof step === "number" ? `[${step}]` : `${index > 0 ? "." : ""}${step}`)).join("");
}

/** The key's path, and the env name when a `value` is named by its entry: `extraEnv[1].value (STRIPE_API_KEY)`. */
function describeKey(objectPath: ObjectPath, name: string): string {
  return objectPath[objectPath.length - 1] === name ? dottedPath(objectPath) : `${dottedPath(objectPath)} (${name})`;
}

/** Calls `visit` for every string in a values document, with the name that says what it holds. */
function walkStrings(value: unknown, objectPath: ObjectPath, visit: (objectPath: ObjectPath, name: string, text: string) => void, depth = 0): void {
  if (depth > 64) return;
  if (Array.isArray(value)) {
    value.forEach((item, index) => walkStrings(item, [...objectPath, index], visit, depth + 1));
    return;
  }
  if (!isRecord(value)) return;
  // `{ name: DB_PASSWORD, value: ... }` (an env list in values): the entry's name says what the value is.
  const entryName = typeof value["name"] === "string" && typeof value["value"] === "string" ? value["name"] : undefined;
  for (const [key, child] of Object.entries(value)) {
    if (typeof child === "string") visit([...objectPath, key], key === "value" && entryName ? entryName : key, child);
    else walkStrings(child, [...objectPath, key], visit, depth + 1);
  }
}

function helmValuesSites(context: Context): Site[] {
  const { project, options } = context;
  const sites: Site[] = [];
  for (const file of project.filesOfKind("helm-values")) {
    for (const document of project.yamlDocuments.get(file.path) ?? []) {
      if (isSopsDocument(document.value)) continue;
      walkStrings(document.value, [], (objectPath, name, text) => {
        if (nameIgnored(name, options)) return;
        const site = valueSite({ file: file.path, at: document.locate(objectPath), messageId: "helmValuesLiteral", data: { key: describeKey(objectPath, name) } }, name, text);
        if (site) sites.push(site);
      });
    }
  }
  return sites;
}

// ---------------------------------------------------------------------------------------------
// Committed secret files

const COMMITTED_FIX: Record<string, string> = {
  "a .env file": "commit a template with placeholders (`.env.example`) instead",
  "a kubeconfig": "let the deploy job obtain cluster credentials at run time (e.g. `aws eks update-kubeconfig`, workload identity)",
};

function committedFiles(context: Context): void {
  const allowFiles = context.options.allowFiles ?? [];
  for (const file of context.project.files) {
    if (isSamplePath(file.path) || isTestPath(file.path) || matchesAnyGlob(file.path, allowFiles)) continue;
    const kind = committedSecretFileKind(file.path);
    if (!kind) continue;
    context.report({
      messageId: "secretFileCommitted",
      data: { file: file.path, kind, fix: COMMITTED_FIX[kind] ?? "supply it at deploy time from a secret store" },
      file: file.path,
    });
  }
}

// ---------------------------------------------------------------------------------------------

export default defineRule<Options>({
  meta: {
    id: "no-baked-secrets",
    title: "Keep secrets out of images and manifests",
    section: "container",
    severity: "error",
    weight: 3,
    // A leaked credential is a high-severity security alert in GitHub code scanning (7.0 to 8.9 is "high").
    securitySeverity: 8.0,
    description:
      "Finds secrets written into Dockerfiles (ENV/ARG/LABEL literals, token formats anywhere, copied key and credential files, credentials on RUN lines), Kubernetes manifests (literal env values, ConfigMap keys, committed Secret objects), Helm values files, and secret files committed to the project (.env, private keys, kubeconfigs). Anything baked into an image layer or committed to Git can be read by everyone who can pull the image or clone the repository.",
    options: {
      type: "object",
      additionalProperties: false,
      properties: {
        allow: {
          type: "array",
          items: { type: "string", minLength: 1 },
          description: "Regular expressions of known test values (e.g. Stripe's documented test key) that are never reported.",
        },
        allowFiles: {
          type: "array",
          items: { type: "string", minLength: 1 },
          description: "Globs of files that may be copied or committed although their name looks secret (e.g. `certs/ca.pem`).",
        },
        ignoreNames: {
          type: "array",
          items: { type: "string", minLength: 1 },
          description: "Variable and key names (globs allowed, case-insensitive) that are never reported.",
        },
      },
    },
    defaultOptions: { allow: [], allowFiles: [], ignoreNames: [] },
    messages: {
      dockerfileLiteral:
        "{{keyword}} {{name}} holds a literal {{kind}}: {{redacted}}. Image layers and `docker history` keep it for everyone who can pull the image; remove it and pass the secret at build time with BuildKit `RUN --mount=type=secret`, or at run time from a secret store.",
      copiedSecretFile:
        "{{keyword}} copies {{source}} ({{kind}}) into the image, where every layer keeps it. Mount it only while building with BuildKit `RUN --mount=type=secret`, or supply it at run time, and list it in .dockerignore.",
      contextSecretFile:
        "{{keyword}} {{source}} copies {{file}} ({{kind}}){{more}} into the image: {{reason}}. Exclude secret files in .dockerignore (e.g. `**/.env*`, `**/*.pem`, `**/*.key`) and mount secrets with BuildKit `RUN --mount=type=secret` instead.",
      runInlineCredential:
        "{{keyword}} contains a literal {{kind}}: {{redacted}}. The image history keeps it; pass it while building with BuildKit `RUN --mount=type=secret,id=…` (read from /run/secrets/…), or at run time from a Kubernetes Secret.",
      kubernetesEnvLiteral:
        "Container {{container}} of {{workload}} sets {{name}} to a literal {{kind}}: {{redacted}}. Move the value into a Secret and reference it with `valueFrom.secretKeyRef`.",
      kubernetesSecretObject:
        "Secret {{secret}} commits {{key}}, a literal {{kind}}: {{redacted}}. Keep secret values out of Git: commit a SealedSecret, an ExternalSecret or a SOPS-encrypted file instead, or create the Secret at deploy time.",
      configMapLiteral:
        "ConfigMap {{configMap}} stores {{key}}, a literal {{kind}}: {{redacted}}. A ConfigMap is plain text for everyone who can read the repository or the namespace; move the value into a Secret that is not committed in clear (SealedSecret, ExternalSecret) and reference it with `secretKeyRef`.",
      helmValuesLiteral:
        "Helm value {{key}} holds a literal {{kind}}: {{redacted}}. Values files are committed and copied into every release; leave it empty here and supply it at install time (`--set` from CI secrets, an `existingSecret`, or a SOPS-encrypted values file).",
      secretFileCommitted:
        "{{file}} is {{kind}} committed to the project, readable by everyone with the repository. Remove it from Git (and rotate what it held), list it in .gitignore and .dockerignore, and {{fix}}.",
      invalidAllowPattern:
        "Option `allow` entry {{position}} ({{redacted}}) is not a valid regular expression ({{error}}), so it allows nothing. Fix it in the mlready configuration; escape `.`, `(`, `[` and `+` to match them literally.",
    },
  },
  async check(context) {
    const { project, options } = context;
    const allow = compileAllowList(options.allow ?? []);
    // A broken `allow` entry is a configuration mistake the option schema cannot catch: say so, and go on without it.
    // The entry is named by its position and shown redacted: an allowed value may still be someone's real key.
    for (const invalid of allow.invalid) {
      context.report({ messageId: "invalidAllowPattern", data: { position: invalid.index + 1, redacted: redact(invalid.pattern), error: invalid.error } });
    }
    committedFiles(context);
    const secretObjects = project.objects.filter((object) => object.kind === "Secret" && object.apiVersion === "v1");
    const configMaps = project.objects.filter((object) => object.kind === "ConfigMap" && object.apiVersion === "v1");
    const valuesFiles = project.filesOfKind("helm-values");
    const sites: Site[] = [];
    for (const dockerfile of project.dockerfiles) sites.push(...dockerfileSites(context, dockerfile));
    sites.push(...workloadEnvSites(context));
    for (const object of secretObjects) sites.push(...secretObjectSites(object));
    for (const object of configMaps) sites.push(...configMapSites(object, options));
    sites.push(...helmValuesSites(context));
    await reportSites(context, sites, allow);
    if (project.dockerfiles.length + project.workloads.length + secretObjects.length + configMaps.length + valuesFiles.length === 0) {
      context.skip("no Dockerfile, Kubernetes workload, Secret, ConfigMap or Helm values file to check, and no secret file committed");
    }
  },
});
