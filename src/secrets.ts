// Secret detection and redaction, shared by rules and reporters.
//
// Two detectors work together:
// - known token formats: secretlint's recommended preset (GitHub, GitLab PATs, Hugging Face, OpenAI,
//   AWS, Slack, npm, private keys, connection strings...), supplemented by a short list of
//   well-known prefixed formats the preset does not know (Stripe, PyPI, Google API keys, Azure...),
//   both run over a small synthetic text of candidate values;
// - a name heuristic: a variable whose name says it holds a secret (`DB_PASSWORD`, `HF_TOKEN`) set to
//   a literal that looks like a secret rather than a placeholder, a reference or a resource name.
// Functions that find a secret return it only so that the caller can pass it to `redact()`: output
// must never show more than `redact(value)`.

import path from "node:path";
import ignore from "ignore";
import type { SecretLintCoreConfig, SecretLintCoreResult } from "@secretlint/types";
import { isRecord } from "./parsers/yaml.js";

/** At most this many characters of a secret are ever shown. */
const SHOWN_CHARACTERS = 4;
/** Shorter values show no character at all: four characters of a short password are too much of it. */
const SHORTEST_PARTLY_SHOWN = 12;
/** Control and bidirectional-formatting characters are never echoed, even among the four shown. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/u;

/**
 * The form of a secret that may appear in output: at most its first four characters, `…` and its
 * length, e.g. `hf_Z… (37 chars)`. Values shorter than 12 characters show no character at all
 * (`… (9 chars)`), and control or bidirectional-formatting characters among the four are shown as
 * `?`. Counts code points (after trimming), so no surrogate pair is ever split.
 */
export function redact(value: string): string {
  const characters = Array.from(value.trim());
  const shown = characters.length < SHORTEST_PARTLY_SHOWN
    ? ""
    : characters.slice(0, SHOWN_CHARACTERS).map((character) => (UNPRINTABLE.test(character) ? "?" : character)).join("");
  return `${shown}… (${characters.length} char${characters.length === 1 ? "" : "s"})`;
}

// ---------------------------------------------------------------------------------------------
// Names

/** Words that make a variable name a secret's name when they end it, and the kind of secret each names. */
const SECRET_WORDS: Record<string, string> = {
  PASSWORD: "password", PASSWD: "password", PASS: "password", PWD: "password", PASSPHRASE: "passphrase",
  SECRET: "secret", TOKEN: "token", AUTHTOKEN: "token", ACCESSTOKEN: "access token", CREDENTIAL: "credential",
  CREDENTIALS: "credential", CREDS: "credential", APIKEY: "API key", ACCESSKEY: "access key", SECRETKEY: "secret key",
  PRIVATEKEY: "private key",
};
/** `<word> KEY` pairs that name a key, e.g. `API_KEY`, `AWS_SECRET_ACCESS_KEY`, `ENCRYPTION_KEY`, and their kind. */
const KEY_QUALIFIERS: Record<string, string> = {
  API: "API key", ACCESS: "access key", PRIVATE: "private key", SECRET: "secret key", AUTH: "auth key",
  ENCRYPTION: "encryption key", SIGNING: "signing key", MASTER: "master key", ACCOUNT: "account key", LICENSE: "license key",
};
/** Words that may follow the secret word without changing what the variable holds (`SECRET_KEY_BASE`). */
const NEUTRAL_SUFFIXES = new Set(["KEY", "VALUE", "BASE", "STR", "STRING", "B64", "BASE64", "ENCODED", "RAW"]);
/** `PAD_TOKEN`, `EOS_TOKEN`, `MAX_TOKEN`: tokenizer vocabulary and limits, not credentials. */
const NOT_CREDENTIAL_BEFORE_TOKEN = new Set(["PAD", "EOS", "BOS", "UNK", "SEP", "CLS", "MASK", "START", "END", "STOP", "SPECIAL", "MAX", "MIN", "NUM"]);

/** Splits `awsSecretAccessKey`, `AWS_SECRET_ACCESS_KEY` and `aws.secret-access-key` into upper-case words. */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word.length > 0)
    .map((word) => word.toUpperCase());
}

/**
 * The kind of secret a variable name says it holds (`DB_PASSWORD` -> "password", `HF_TOKEN` ->
 * "token", `AWS_SECRET_ACCESS_KEY` -> "secret access key", `SECRET_KEY_BASE` -> "secret key"), or
 * null. A name that ends with anything else names something about the secret, not the secret:
 * `PASSWORD_FILE`, `TOKEN_PATH`, `SECRET_NAME`, `TOKEN_URL`, `AWS_ACCESS_KEY_ID`. `MAX_TOKENS`,
 * `TOKENIZER` and `PAD_TOKEN` are not credentials.
 */
export function secretKindOfName(name: string): string | null {
  const words = nameWords(name);
  if (words.length === 1 && (words[0] === "PWD" || words[0] === "PASS")) return null; // the shell's working directory
  let end = words.length;
  while (end > 0 && NEUTRAL_SUFFIXES.has(words[end - 1] as string)) end--;
  // `..._KEY` alone: the key must be qualified (`API_KEY`), so `CACHE_KEY` or `SORT_KEY` is not a secret.
  if (end < words.length && words[end] === "KEY" && end > 0) {
    const qualifier = KEY_QUALIFIERS[words[end - 1] as string];
    if (qualifier) return words[end - 1] === "ACCESS" && words[end - 2] === "SECRET" ? "secret access key" : qualifier;
  }
  if (end === 0) return null;
  const last = words[end - 1] as string;
  const kind = SECRET_WORDS[last];
  if (!kind) return null;
  if (last === "TOKEN" && end >= 2 && NOT_CREDENTIAL_BEFORE_TOKEN.has(words[end - 2] as string)) return null;
  return kind;
}

/** True when a variable name says it holds a secret: see `secretKindOfName`. */
export function isSecretName(name: string): boolean {
  return secretKindOfName(name) !== null;
}

// ---------------------------------------------------------------------------------------------
// Values

const PLACEHOLDER_WORDS = new Set([
  "password", "passwd", "secret", "token", "apikey", "api_key", "api-key", "key", "test", "testing", "default", "none", "null",
  "nil", "undefined", "empty", "changeit", "admin", "root", "true", "false", "disabled", "enabled", "required", "optional",
  "unset", "tbd", "n/a", "na", "pass", "user", "username", "insecure",
]);
/** Default credentials published in vendors' docs: known to everyone, so not secrets (a weak-credential rule's job). */
const WELL_KNOWN_DEFAULTS = new Set([
  "minio", "minio123", "minioadmin", "toor", "s3cr3t", "passw0rd", "p@ssw0rd", "p@ssword", "letmein", "guest", "postgres",
  "mysql", "secret123", "password1", "password123", "admin123", "12345678", "123456789", "1234567890", "qwerty123",
]);
/**
 * Credentials that vendors publish for local emulators and documentation: the same in every
 * installation, so not secrets. Compared exactly (case matters in keys).
 */
const PUBLISHED_TEST_CREDENTIALS = new Set([
  // Azurite and the Azure Storage Emulator: the account key of `devstoreaccount1`.
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
]);
const PLACEHOLDER_PARTS = [
  "example", "placeholder", "changeme", "change_me", "change-me", "replace_me", "replace-me", "replaceme", "replace_with",
  "replace-with", "your_", "your-", "yourtoken", "yourpassword", "yoursecret", "yourkey", "dummy", "redacted", "xxxx",
  "****", "...", "…", "todo", "fixme", "insert_", "insert-", "notasecret", "not-a-secret", "not_a_secret", "sample",
  "fake", "some-secret", "some_secret", "mysecret", "my-secret", "my_secret", "supersecret", "super-secret",
];

/**
 * True for values that stand in for a secret rather than being one: empty, `<token>`, `${TOKEN}`,
 * `{{ .Values.token }}`, `REPLACE_ME`, `changeme`, `your-api-key`, `xxxxxxxx`, `*****`, anything
 * containing EXAMPLE (as secretlint does), bare words such as `password` or `secret`, and keys
 * vendors publish for their emulators (Azurite's `devstoreaccount1` key).
 */
export function isPlaceholder(value: string): boolean {
  const trimmed = value.trim();
  if (trimmed === "") return true;
  if (/^<[^<>]*>$|^\$\{[^}]*\}$|^\{\{.*\}\}$|^%[^%]+%$|^\[[^\]]*\]$|^__[A-Za-z0-9_]+__$|^\$\([^)]*\)$/s.test(trimmed)) return true;
  if (/^(.)\1*$/s.test(trimmed)) return true; // `xxxxxxxx`, `00000000`, `********`
  if (PUBLISHED_TEST_CREDENTIALS.has(trimmed)) return true;
  const lower = trimmed.toLowerCase();
  if (PLACEHOLDER_WORDS.has(lower) || WELL_KNOWN_DEFAULTS.has(lower)) return true;
  // `GITHUB_TOKEN`, `GOOGLE_API_KEY_VAL`: an identifier that a setup script substitutes, not a value.
  if (/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/.test(trimmed) && /[A-Z]{3}/.test(trimmed)) return true;
  return PLACEHOLDER_PARTS.some((part) => lower.includes(part));
}

/** A SOPS-encrypted value: `ENC[AES256_GCM,data:...,iv:...,tag:...,type:str]`. */
const SOPS_VALUE = /^ENC\[[A-Z0-9_]+,data:[^\]]*\]$/s;

/**
 * True for a value that is encrypted at rest and safe to commit: a SOPS value (`ENC[AES256_GCM,...]`),
 * an Ansible Vault blob or an OpenPGP message.
 */
export function isEncrypted(value: string): boolean {
  const trimmed = value.trim();
  return SOPS_VALUE.test(trimmed) || trimmed.startsWith("$ANSIBLE_VAULT;") || trimmed.startsWith("-----BEGIN PGP MESSAGE-----");
}

/** True for a YAML or JSON document that SOPS encrypted: it carries a top-level `sops:` map with its metadata. */
export function isSopsDocument(document: unknown): boolean {
  if (!isRecord(document)) return false;
  const metadata = document["sops"];
  return isRecord(metadata) && ("mac" in metadata || "lastmodified" in metadata || "version" in metadata);
}

const SECRET_STORE_SCHEMES = /^(vault|secret|secrets|sm|gsm|awssm|azkv|akv|op|ref\+[a-z0-9]+|arn|env|file|k8s|kubernetes|ssm|gcpsm|doppler|infisical|bws)(:|\+|\/\/)/i;
const FILE_NAME = /^[\w.@-]+\.(json|pem|key|crt|cer|csr|txt|ya?ml|env|p12|pfx|jks|cfg|conf|ini|toml|properties|xml|asc|gpg|pub)$/i;
const RESOURCE_NAME = /^[a-z0-9]+(?:[-.][a-z0-9]+)+$/;

/**
 * True when a value points at a secret instead of holding one: a variable or command substitution
 * (`$TOKEN`, `${TOKEN}`, `$(cat /run/secrets/x)`), a template, a path (`/run/secrets/db`), a file
 * name (`key.json`), a secret-store reference (`vault:...`, `arn:aws:secretsmanager:...`,
 * `projects/p/secrets/s`), a URL without credentials, or a Kubernetes-style resource name
 * (`db-credentials`, `my-secret`). Text with spaces is prose or a command, not one secret.
 */
export function isReference(value: string): boolean {
  const trimmed = stripAuthScheme(value.trim());
  if (/\$[A-Za-z_{(]/.test(trimmed) || /\{\{|\{%|%\(|#\{|\$\$\{/.test(trimmed)) return true;
  if (/^(\/|\.\.?\/|~\/)/.test(trimmed)) return true;
  if (SECRET_STORE_SCHEMES.test(trimmed) || /^projects\/[^/]+\/secrets\//.test(trimmed)) return true;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) return findUrlCredentials(trimmed).length === 0;
  if (FILE_NAME.test(trimmed)) return true;
  if (RESOURCE_NAME.test(trimmed)) return true;
  if (/\s/.test(trimmed)) return true;
  return false;
}

/** `Bearer abc` -> `abc`: the scheme of an Authorization value is not part of the secret. */
function stripAuthScheme(value: string): string {
  return value.replace(/^(bearer|basic|token|bot)\s+/i, "");
}

/** Shannon entropy in bits per character. */
export function shannonEntropy(value: string): number {
  if (value.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const character of value) counts.set(character, (counts.get(character) ?? 0) + 1);
  let entropy = 0;
  const length = Array.from(value).length;
  for (const count of counts.values()) {
    const probability = count / length;
    entropy -= probability * Math.log2(probability);
  }
  return entropy;
}

function characterClasses(value: string): number {
  return [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((pattern) => pattern.test(value)).length;
}

/** Shortest literal the name heuristic reports. */
export const MIN_SECRET_LENGTH = 8;

/**
 * True when a literal assigned to a secret's name looks like the secret itself: at least 8
 * characters, not a placeholder or a reference, not only digits, and either mixing two kinds of
 * characters (`s3cretPass`, `admin123`) or long and random (16+ characters, 3+ bits of entropy).
 * A single lowercase word (`postgres`, `kubernetes`) is more often a mode or a name than a secret.
 */
export function looksLikeSecretValue(value: string): boolean {
  const trimmed = stripAuthScheme(value.trim());
  if (Array.from(trimmed).length < MIN_SECRET_LENGTH) return false;
  if (isPlaceholder(trimmed) || isReference(trimmed)) return false;
  if (/^\d+$/.test(trimmed) && trimmed.length < 16) return false;
  if (/^\d+(\.\d+)*$/.test(trimmed)) return false; // a version or a number
  if (characterClasses(trimmed) >= 2) return true;
  return trimmed.length >= 16 && shannonEntropy(trimmed) >= 3;
}

/** True when a literal assigned to this name should be reported by the name heuristic. */
export function isSecretAssignment(name: string, value: string | null | undefined): boolean {
  return typeof value === "string" && isSecretName(name) && looksLikeSecretValue(value);
}

export interface UrlCredential {
  /** Offset of the credential (the userinfo) inside the text. */
  start: number;
  end: number;
  /** The secret part: the password, or the user part when it is a token on its own. */
  secret: string;
}

// Bounded repetitions keep this linear on adversarial text (`a.a.a.a...` would otherwise be quadratic).
const URL_USERINFO = /\b[a-z][a-z0-9+.-]{0,31}:\/\/([^\s/?#@'"<>]{1,512})@[^\s/?#@'"<>]/gi;

/**
 * Credentials written into URLs: `https://user:token@host/simple`, `https://ghp_...@github.com`.
 * A password that is a variable, a placeholder or shorter than 4 characters is not reported,
 * nor is a user name without a password unless it is itself a long random token.
 */
export function findUrlCredentials(text: string): UrlCredential[] {
  const found: UrlCredential[] = [];
  for (const match of text.matchAll(URL_USERINFO)) {
    const userinfo = match[1] as string;
    const start = (match.index ?? 0) + match[0].indexOf(userinfo);
    const colon = userinfo.indexOf(":");
    if (colon >= 0) {
      const password = userinfo.slice(colon + 1);
      const decoded = safeDecode(password);
      if (decoded.length < 4 || isPlaceholder(decoded) || /\$[A-Za-z_{(]|\{\{|%\(/.test(decoded)) continue;
      found.push({ start, end: start + userinfo.length, secret: decoded });
    } else {
      const user = safeDecode(userinfo);
      if (/\$[A-Za-z_{(]|\{\{/.test(user) || isPlaceholder(user)) continue;
      if (user.length >= 20 && characterClasses(user) >= 2 && shannonEntropy(user) >= 3.5) {
        found.push({ start, end: start + userinfo.length, secret: user });
      }
    }
  }
  return found;
}

const PRIVATE_KEY_BLOCK = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]{0,20000}?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)?/;
/** `password: x`, `"secret_access_key": "x"`, `token = x`, `export API_KEY=x`: one assignment per line. */
const DOCUMENT_ASSIGNMENT = /^[\s-]*(?:export\s+)?["']?([A-Za-z_][\w.-]*)["']?\s*[:=]\s*(?:"([^"]*)"|'([^']*)'|([^\s"',#]+))\s*,?\s*(?:#.*)?$/;

export interface DocumentCredential {
  /** What the secret is, e.g. "private key" or "password (smtp_auth_password)"; never the secret. */
  kind: string;
  /** For redaction only. */
  secret: string;
}

/**
 * Credentials inside a configuration document (a Secret's `config.json`, `grafana.ini`,
 * `alertmanager.yaml`): a private key block, a password in a URL, or a secret-named key with a
 * literal. Returns the first one, or null. Token formats are left to `scanForTokens`.
 */
export function findDocumentCredential(text: string): DocumentCredential | null {
  const key = PRIVATE_KEY_BLOCK.exec(text);
  if (key) return { kind: "private key", secret: key[0] };
  const url = findUrlCredentials(text)[0];
  if (url) return { kind: URL_PASSWORD_KIND, secret: url.secret };
  for (const line of text.split("\n")) {
    if (line.length > 1000) continue; // minified data, not a `key: value` line
    const assignment = DOCUMENT_ASSIGNMENT.exec(line);
    const value = assignment?.[2] ?? assignment?.[3] ?? assignment?.[4];
    if (assignment && value !== undefined && !isEncrypted(value) && isSecretAssignment(assignment[1] as string, value)) {
      return { kind: `${secretKindOfName(assignment[1] as string)} (${assignment[1]})`, secret: value };
    }
  }
  // JSON written on one line, e.g. a `.dockerconfigjson`.
  for (const pair of text.matchAll(JSON_PAIR)) {
    const name = pair[1] as string;
    const value = pair[2] as string;
    if (!isEncrypted(value) && isSecretAssignment(name, value)) return { kind: `${secretKindOfName(name)} (${name})`, secret: value };
    // Docker's `"auth": base64("user:password")`.
    if (name === "auth" && !isPlaceholder(value)) {
      const decoded = Buffer.from(value, "base64").toString("utf8");
      const password = decoded.slice(decoded.indexOf(":") + 1);
      if (decoded.includes(":") && password.length >= 4 && !isPlaceholder(password)) return { kind: "registry password (Docker auth)", secret: value };
    }
  }
  return null;
}

/** The kind of a password written into a URL's user information. */
export const URL_PASSWORD_KIND = "password in a URL";

const JSON_PAIR = /"([A-Za-z_][\w.-]*)"\s*:\s*"([^"\\]*)"/g;

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

// ---------------------------------------------------------------------------------------------
// Files

const CODE_OR_DOC_EXTENSION = /\.(py|pyc|js|mjs|cjs|ts|go|java|kt|rb|rs|sh|bash|md|rst|html|tpl|j2|jinja|example|sample|template|tmpl|dist)$/i;
const PUBLIC_CERT_NAME = /(^|[-_.])(ca|cacert|cacerts|cert|certs|certificate|chain|fullchain|bundle|root|pub|public|trust|truststore)([-_.]|$)/i;
const SSH_KEY = /^id_(rsa|dsa|ecdsa|ed25519)(_sk)?$/;
const DOTFILE_CREDENTIALS: Record<string, string> = {
  ".netrc": "a .netrc with login credentials",
  "_netrc": "a .netrc with login credentials",
  ".pypirc": "a .pypirc with package index credentials",
  ".npmrc": "an .npmrc that can hold a registry token",
  ".git-credentials": "a Git credentials store",
  ".dockercfg": "Docker registry credentials",
  ".pgpass": "a PostgreSQL password file",
  ".htpasswd": "an htpasswd file",
  ".vault-token": "a Vault token",
  ".boto": "cloud credentials",
  ".s3cfg": "S3 credentials",
};
const SECRET_FOLDERS: Record<string, string> = {
  ".ssh": "an SSH folder",
  ".aws": "AWS credentials",
  ".gnupg": "a GnuPG keyring",
  ".kube": "a kubeconfig folder",
  ".docker": "Docker registry credentials",
  ".gcloud": "gcloud credentials",
};

/**
 * What kind of secret a file holds, judged from its path alone (`.env`, `*.pem`, `id_rsa`,
 * `credentials.json`, kubeconfig, `.netrc`, `.pypirc`, `.npmrc`, `*.p12`, `*-sa.json`,
 * `gcp-key.json`), or null. Templates (`.env.example`), public keys and certificates are not.
 */
export function secretFileKind(filePath: string): string | null {
  const cleaned = filePath.replace(/\/+$/, "");
  const base = (cleaned.split("/").pop() ?? cleaned).toLowerCase();
  if (base === "" || base === "." || base === "..") return null;
  if (/\.(pub|example|sample|template|tmpl|tpl|dist|defaults?|schema)$/.test(base)) return null;
  if (base === ".env" || /^\.env\.[a-z0-9_.-]+$/.test(base)) return "a .env file";
  if (SSH_KEY.test(base)) return "an SSH private key";
  const dotfile = DOTFILE_CREDENTIALS[base];
  if (dotfile) return dotfile;
  const folder = SECRET_FOLDERS[base];
  if (folder) return folder;
  if (/(^|\/)\.docker\/config\.json$/i.test(cleaned)) return "Docker registry credentials";
  if (/(^|\/)\.kube\/config$/i.test(cleaned) || base === "kubeconfig" || /^kubeconfig[-_.]/.test(base) || base.endsWith(".kubeconfig")) {
    return CODE_OR_DOC_EXTENSION.test(base) ? null : "a kubeconfig";
  }
  if (/\.(p12|pfx|jks|keystore)$/.test(base)) return "a key store";
  if (base.endsWith(".key")) return /(^|[-_.])(pub|public)([-_.]|$)/.test(base) ? null : "a private key";
  if (base.endsWith(".pem")) {
    // `ca.pem`, `cert.pem`, `fullchain.pem` hold certificates, which are public.
    const stem = base.slice(0, -".pem".length);
    if (PUBLIC_CERT_NAME.test(stem) && !/key|priv/.test(stem)) return null;
    return "a private key";
  }
  if (/credentials|(^|[-_.])creds([-_.]|$)/.test(base)) return CODE_OR_DOC_EXTENSION.test(base) ? null : "a credentials file";
  if (base.endsWith(".json")) {
    const stem = base.slice(0, -".json".length);
    if (/(^|[-_.])(sa|service[-_]?account)([-_.]?key)?$/.test(stem) || /serviceaccount/.test(stem)) return "a service-account key";
    if (/(^|[-_.])(gcp|gcloud|gcs|google|firebase|bigquery|gke)[-_.]?(sa[-_.]?)?key(file)?$/.test(stem)) return "a service-account key";
    if (stem === "key" || stem === "keyfile" || /[-_]key$/.test(stem)) return "a key file";
  }
  return null;
}

/** Folders of test data, samples and docs: keys and `.env` files there are fixtures, not credentials. */
const SAMPLE_FOLDER = /(^|\/)(tests?|testdata|test-data|fixtures?|__tests__|spec|e2e|examples?|samples?|docs?|demos?)\//i;

/** True for a path inside a folder of tests, fixtures, examples, samples or docs. */
export function isSamplePath(filePath: string): boolean {
  return SAMPLE_FOLDER.test(filePath);
}

/**
 * What kind of secret a committed file is, judged from its path alone (rules do not read file
 * content), or null. Narrower than `secretFileKind`: only files that exist to hold a secret, so that
 * committing one is a leak whatever it contains: `.env` and `.env.*` (not templates such as
 * `.env.example`), SSH private keys, `*.key`, `*.pem` (not certificates such as `ca.pem`), key stores
 * (`*.p12`, `*.pfx`, `*.jks`, `*.keystore`), kubeconfigs (`kubeconfig`, `*.kubeconfig`,
 * `.kube/config`), `.aws/credentials`, `.git-credentials`, `.netrc`, `.pgpass` and `.vault-token`.
 * `.npmrc`, `.pypirc` and `credentials.json` are left out: they are often committed without a secret.
 */
export function committedSecretFileKind(filePath: string): string | null {
  const base = path.posix.basename(filePath).toLowerCase();
  if (/(^|\/)\.aws\/credentials$/i.test(filePath)) return "an AWS credentials file";
  if (base === ".git-credentials" || base === ".netrc" || base === "_netrc" || base === ".pgpass" || base === ".vault-token") {
    return secretFileKind(filePath);
  }
  const kind = secretFileKind(filePath);
  return kind !== null && COMMITTED_KINDS.has(kind) ? kind : null;
}

const COMMITTED_KINDS = new Set(["a .env file", "an SSH private key", "a private key", "a key store", "a kubeconfig"]);

// ---------------------------------------------------------------------------------------------
// .dockerignore

/**
 * A predicate for the files a `.dockerignore` leaves out of the build context, with Docker's
 * semantics and the `ignore` package doing the glob matching. Differences from `.gitignore` that
 * this handles: every pattern is relative to the context root (`*.pem` matches only top-level files;
 * `**\/*.pem` matches at any depth), a leading `/`, `./` or a trailing `/` changes nothing (Docker
 * cleans patterns with Go's `filepath.Clean`), a pattern that matches a folder excludes everything
 * in it, the last matching pattern wins, and a `!` exception can bring back a file inside an excluded
 * folder (gitignore cannot). Paths are POSIX and relative to the context root.
 */
export function dockerignoreMatcher(patterns: readonly string[]): (file: string) => boolean {
  const rules = patterns.flatMap((raw) => {
    let pattern = raw.trim();
    const exception = pattern.startsWith("!");
    if (exception) pattern = pattern.slice(1).trim();
    pattern = path.posix.normalize(pattern).replace(/^(\.\/)+/, "").replace(/^\/+/, "").replace(/\/+$/, "");
    if (pattern === "" || pattern === "." || pattern.startsWith("../")) return [];
    return [{ exception, matcher: ignore().add(`/${pattern}`) }];
  });
  return (file) => {
    const relative = file.replace(/^(\.\/)+/, "");
    if (relative === "" || relative.startsWith("../") || path.posix.isAbsolute(relative)) return false;
    let excluded = false;
    for (const rule of rules) {
      // As Docker does: an exclusion can only change an included file, an exception an excluded one.
      if (rule.exception !== excluded) continue;
      if (rule.matcher.ignores(relative)) excluded = !rule.exception;
    }
    return excluded;
  };
}

// ---------------------------------------------------------------------------------------------
// Known token formats (secretlint)

export interface TokenMatch {
  /** Index of the candidate text the token was found in. */
  candidate: number;
  /** Readable kind, e.g. "GitHub token" (never the token). */
  kind: string;
  /** Where secretlint located the match inside the candidate (for redaction only). */
  start: number;
  end: number;
  /**
   * True for a token a service issued, recognised by its vendor's format (GitHub, Hugging Face, AWS,
   * Stripe...); false for a structural match (a private key block, a password in a URL or a
   * connection string), which examples and test data hold as often as real deployments do.
   */
  issued: boolean;
}

let secretlintConfig: Promise<SecretLintCoreConfig> | undefined;

/** Loaded on first use, so that projects without any candidate value never pay for the preset. */
function loadSecretlint(): Promise<SecretLintCoreConfig> {
  secretlintConfig ??= import("@secretlint/secretlint-rule-preset-recommend").then(({ creator }) => ({
    rules: [{
      id: "@secretlint/secretlint-rule-preset-recommend",
      rule: creator,
      // Access key IDs (AKIA...) alone are off by default in secretlint; in a Dockerfile or a
      // manifest they always travel with their secret key, so they are worth reporting.
      rules: [{ id: "@secretlint/secretlint-rule-aws", options: { enableIDScanRule: true } }],
    }],
  }));
  return secretlintConfig;
}

/** Readable names of secretlint's message ids; others are derived from the id. */
const KIND_NAMES: Record<string, string> = {
  AWSAccessKeyID: "AWS access key ID",
  AWSSecretAccessKey: "AWS secret access key",
  AWSAccountID: "AWS account ID",
  PrivateKeyP12: "GCP service-account key (PKCS#12)",
  PrivateKeyJSON: "GCP service-account key",
  PrivateKey: "private key",
  PackageJSON_xOauthToken: "npm OAuth token",
  Npmrc_authToken: "npm auth token",
  NPM_ACCESS_TOKEN: "npm access token",
  BasicAuth: "password in a URL",
  SLACK_TOKEN: "Slack token",
  IncomingWebhook: "Slack incoming webhook URL",
  SENDGRID_KEY: "SendGrid API key",
  SHOPIFY_KEY: "Shopify key",
  GITHUB_TOKEN: "GitHub token",
  GITLAB_PERSONAL_ACCESS_TOKEN: "GitLab personal access token",
  GRAFANA_CLOUD_API_TOKEN: "Grafana Cloud API token",
  GRAFANA_SERVICE_ACCOUNT_TOKEN: "Grafana service-account token",
  OPENAI_TOKEN: "OpenAI API key",
  ANTHROPIC_API_KEY: "Anthropic API key",
  GROQ_API_KEY: "Groq API key",
  HUGGINGFACE_USER_ACCESS_TOKEN: "Hugging Face access token",
  LINEAR_API_TOKEN: "Linear API token",
  NOTION_INTEGRATION_TOKEN: "Notion integration token",
  OPS_TOKEN: "1Password service-account token",
  MongoDBConnection: "MongoDB connection string with a password",
  MySQLConnection: "MySQL connection string with a password",
  PostgreSQLConnection: "PostgreSQL connection string with a password",
  HASHICORP_VAULT_SERVICE_TOKEN: "HashiCorp Vault token",
  HASHICORP_VAULT_BATCH_TOKEN: "HashiCorp Vault batch token",
  HASHICORP_VAULT_RECOVERY_TOKEN: "HashiCorp Vault recovery token",
  DATABRICKS_PERSONAL_ACCESS_TOKEN: "Databricks access token",
  DOCKER_PERSONAL_ACCESS_TOKEN: "Docker Hub access token",
  FIGMA_PERSONAL_ACCESS_TOKEN: "Figma access token",
};

function kindOf(ruleId: string, messageId: string): string {
  const known = KIND_NAMES[messageId];
  if (known) return known;
  const provider = ruleId.replace(/^@secretlint\/secretlint-rule-/, "");
  return `${provider} ${messageId.replace(/_/g, " ").toLowerCase()}`;
}

/** Separator between candidates: a blank line, so that no pattern matches across two of them. */
const SEPARATOR = "\n\n";

export interface TokenFormat {
  /** Readable kind, e.g. "Stripe secret key". */
  kind: string;
  /** A global regular expression; `group` 1, when there is one, is the secret itself. */
  pattern: RegExp;
}

/**
 * Well-known prefixed token formats that secretlint's recommended preset (12.0.0) does not cover.
 * The preset already knows AWS, GitHub, GitLab personal access tokens (`glpat-`), Hugging Face user
 * tokens (`hf_`), OpenAI, Anthropic, Slack, npm, SendGrid, Shopify, Databricks, Docker Hub, Vault,
 * Grafana, Groq, Linear, Notion, Figma, Vercel, 1Password, private keys, basic-auth URLs and database
 * connection strings. These supplement it; each pattern follows the vendor's documented prefix (and
 * gitleaks' rule of the same name), with boundaries so that it cannot match inside a longer word.
 */
export const SUPPLEMENTARY_TOKEN_FORMATS: readonly TokenFormat[] = [
  { kind: "Stripe secret key", pattern: /(?<![A-Za-z0-9_])sk_(?:live|test)_[A-Za-z0-9]{24,247}(?![A-Za-z0-9])/g },
  { kind: "Stripe restricted key", pattern: /(?<![A-Za-z0-9_])rk_(?:live|test)_[A-Za-z0-9]{24,247}(?![A-Za-z0-9])/g },
  // A PyPI macaroon: `pypi-` and base64 of its location (pypi.org or test.pypi.org).
  { kind: "PyPI API token", pattern: /(?<![A-Za-z0-9_-])pypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,1000}(?![A-Za-z0-9_-])/g },
  // GitLab's other tokens (the preset knows only personal access tokens).
  { kind: "GitLab token", pattern: /(?<![A-Za-z0-9_-])(?:(?:gldt|glrt|glft|glsoat|glffct|glimt)-[A-Za-z0-9_-]{20,64}|glptt-[0-9a-f]{40}|GR1348941[A-Za-z0-9_-]{20})(?![A-Za-z0-9_-])/g },
  { kind: "Google API key", pattern: /(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])/g },
  { kind: "Google OAuth client secret", pattern: /(?<![A-Za-z0-9_-])GOCSPX-[0-9A-Za-z_-]{28}(?![A-Za-z0-9_-])/g },
  { kind: "Azure storage account key", pattern: /AccountKey=([A-Za-z0-9+/]{86}==)/g },
  { kind: "Azure AD client secret", pattern: /(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])/g },
  { kind: "Hugging Face organization token", pattern: /(?<![A-Za-z0-9_])api_org_[A-Za-z]{34}(?![A-Za-z])/g },
  { kind: "Replicate API token", pattern: /(?<![A-Za-z0-9_])r8_[A-Za-z0-9]{37}(?![A-Za-z0-9])/g },
];

/** secretlint findings recognised by their structure rather than by a vendor's token format. */
const STRUCTURAL_MESSAGES = new Set(["PrivateKey", "PrivateKeyP12", "PrivateKeyJSON", "BasicAuth", "MongoDBConnection", "MySQLConnection", "PostgreSQLConnection"]);

/** secretlint findings that are not secrets: an AWS account ID is an identifier, not a credential. */
const NOT_SECRET_MESSAGES = new Set(["AWSAccountID"]);

/**
 * Runs secretlint's recommended preset and the supplementary formats once over all candidate texts
 * (one synthetic source) and maps each match back to the candidate it came from. Callers pass
 * `NAME=value` for assignments, because some formats (AWS secret keys) are only recognised next to
 * their name. Matches that are placeholders (`ghp_xxxx...`, `...EXAMPLE`) are dropped. Returns
 * nothing, without loading secretlint, when there are no candidates.
 */
export async function scanForTokens(candidates: readonly string[], label = "candidates.txt"): Promise<TokenMatch[]> {
  if (candidates.length === 0) return [];
  const starts: number[] = [];
  let content = "";
  for (const candidate of candidates) {
    if (content.length > 0) content += SEPARATOR;
    starts.push(content.length);
    content += candidate;
  }
  const found: { start: number; end: number; kind: string; issued: boolean }[] = [];
  const [config, { lintSource }] = await Promise.all([loadSecretlint(), import("@secretlint/core")]);
  const result: SecretLintCoreResult = await lintSource({
    source: { content, filePath: label, ext: ".txt", contentType: "text" },
    options: { config, maskSecrets: true, noPhysicFilePath: true },
  });
  for (const message of result.messages) {
    if (NOT_SECRET_MESSAGES.has(message.messageId)) continue;
    let [start, end] = message.range;
    if (message.messageId === "AWSSecretAccessKey") {
      // secretlint's range starts at the variable name; the secret is the 40 characters after `=`/`:`.
      const value = /^[^\n]{0,200}?(?::|=>|=)\s*["']?([A-Za-z0-9/+=]{40})/.exec(content.slice(start, start + 300));
      if (value) {
        end = start + value[0].length;
        start = end - 40;
      }
    }
    found.push({ start, end, kind: kindOf(message.ruleId, message.messageId), issued: !STRUCTURAL_MESSAGES.has(message.messageId) });
  }
  for (const format of SUPPLEMENTARY_TOKEN_FORMATS) {
    for (const match of content.matchAll(format.pattern)) {
      const secret = match[1] ?? match[0];
      const start = (match.index ?? 0) + match[0].indexOf(secret);
      found.push({ start, end: start + secret.length, kind: format.kind, issued: true });
    }
  }
  found.sort((a, b) => a.start - b.start);
  const matches: TokenMatch[] = [];
  const seen = new Set<string>();
  for (const { start, end, kind, issued } of found) {
    if (isPlaceholder(content.slice(start, end))) continue;
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((starts[mid] ?? 0) <= start) low = mid;
      else high = mid - 1;
    }
    const key = `${low}\u0000${kind}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const offset = starts[low] ?? 0;
    matches.push({ candidate: low, kind, start: start - offset, end: end - offset, issued });
  }
  return matches;
}

// ---------------------------------------------------------------------------------------------
// The `allow` option

export interface AllowList {
  patterns: RegExp[];
  /** Entries that are not valid regular expressions, with the reason, for the caller to report. */
  invalid: { index: number; pattern: string; error: string }[];
}

/**
 * Compiles the `allow` option: regular expressions, written plainly (`^sk_test_4eC39H`) or as
 * `/source/flags` (`/dummy/i`). Global and sticky flags are dropped so that `test()` has no state.
 * An invalid entry is returned in `invalid` instead of throwing.
 */
export function compileAllowList(sources: readonly string[]): AllowList {
  const list: AllowList = { patterns: [], invalid: [] };
  for (const [index, source] of sources.entries()) {
    const literal = /^\/(.+)\/([a-z]*)$/s.exec(source);
    try {
      list.patterns.push(literal ? new RegExp(literal[1] as string, (literal[2] as string).replace(/[gy]/g, "")) : new RegExp(source));
    } catch (error) {
      list.invalid.push({ index, pattern: source, error: error instanceof Error ? error.message.replace(/^Invalid regular expression: (?:\/.*\/[a-z]*: )?/s, "") : String(error) });
    }
  }
  return list;
}

/** True when one of the values (the secret, or the value it was written in) matches an `allow` pattern. */
export function isAllowed(list: AllowList, values: readonly string[]): boolean {
  return list.patterns.some((pattern) => values.some((value) => pattern.test(value)));
}

// ---------------------------------------------------------------------------------------------
// Globs (for options such as allowFiles)

const MAX_GLOB_LENGTH = 4096;

/** Converts a gitignore-style glob (`*`, `**`, `?`) to a regular expression over POSIX paths. */
export function globToRegExp(glob: string): RegExp {
  // No path is this long: an over-long line (a corrupt .dockerignore) matches nothing rather than making RegExp throw.
  if (glob.length > MAX_GLOB_LENGTH) return /(?!)/;
  let pattern = "";
  const source = glob.replace(/^\.\//, "");
  for (let i = 0; i < source.length; i++) {
    const character = source[i] as string;
    if (character === "*") {
      if (source[i + 1] === "*") {
        i++;
        if (source[i + 1] === "/") {
          i++;
          pattern += "(?:.*/)?";
        } else {
          pattern += ".*";
        }
      } else {
        pattern += "[^/]*";
      }
    } else if (character === "?") {
      pattern += "[^/]";
    } else {
      pattern += character.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
  }
  return new RegExp(`^${pattern}/?$`);
}

/** True when a path matches one of the globs; a glob without `/` matches the file name anywhere. */
export function matchesAnyGlob(filePath: string, globs: readonly string[]): boolean {
  const normalised = filePath.replace(/^\.\//, "").replace(/\/+$/, "");
  const base = normalised.split("/").pop() ?? normalised;
  return globs.some((glob) => {
    const regex = globToRegExp(glob);
    return regex.test(normalised) || (!glob.includes("/") && regex.test(base));
  });
}
