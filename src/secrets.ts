// Secret detection and redaction, shared by rules and reporters.
//
// Two detectors work together:
// - known token formats (GitHub, AWS, Hugging Face, Slack, private keys, connection strings...) come
//   from secretlint's recommended preset, run over a small synthetic text of candidate values;
// - a name heuristic: a variable whose name says it holds a secret (`DB_PASSWORD`, `HF_TOKEN`) set to
//   a literal that looks like a secret rather than a placeholder, a reference or a resource name.
// Functions that find a secret return it only so that the caller can pass it to `redact()`: output
// must never show more than `redact(value)`.

import type { SecretLintCoreConfig, SecretLintCoreResult } from "@secretlint/types";

/** At most this many characters of a secret are ever shown. */
const SHOWN_CHARACTERS = 4;
/** Shorter values show nothing at all: four characters of a short password are too much of it. */
const SHORTEST_PARTLY_SHOWN = 12;

/**
 * The form of a secret that may appear in output: its first four characters and `…`, or only `…`
 * for values shorter than 12 characters. Counts code points, so no surrogate pair is ever split.
 */
export function redact(value: string): string {
  const characters = Array.from(value.trim());
  if (characters.length < SHORTEST_PARTLY_SHOWN) return "…";
  return `${characters.slice(0, SHOWN_CHARACTERS).join("")}…`;
}

// ---------------------------------------------------------------------------------------------
// Names

/** Words that make a variable name a secret's name when they end it. */
const SECRET_WORDS = new Set([
  "PASSWORD", "PASSWD", "PASSPHRASE", "PASS", "PWD", "SECRET", "TOKEN", "CREDENTIAL", "CREDENTIALS", "CREDS",
  "APIKEY", "ACCESSKEY", "SECRETKEY", "PRIVATEKEY", "AUTHTOKEN", "ACCESSTOKEN",
]);
/** `<word> KEY` pairs that name a key, e.g. `API_KEY`, `AWS_SECRET_ACCESS_KEY`, `ENCRYPTION_KEY`. */
const KEY_QUALIFIERS = new Set(["API", "ACCESS", "PRIVATE", "SECRET", "AUTH", "ENCRYPTION", "SIGNING", "MASTER", "ACCOUNT", "LICENSE"]);
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
 * True when a variable name says it holds a secret: it ends with a secret word (`DB_PASSWORD`,
 * `GITHUB_TOKEN`, `AWS_SECRET_ACCESS_KEY`, `SECRET_KEY_BASE`). A name that ends with anything else
 * names something about the secret, not the secret: `PASSWORD_FILE`, `SECRET_NAME`, `TOKEN_URL`,
 * `AWS_ACCESS_KEY_ID`. `MAX_TOKENS`, `TOKENIZER` and `PAD_TOKEN` are not credentials.
 */
export function isSecretName(name: string): boolean {
  const words = nameWords(name);
  if (words.length === 1 && (words[0] === "PWD" || words[0] === "PASS")) return false; // the shell's working directory
  let end = words.length;
  while (end > 0 && NEUTRAL_SUFFIXES.has(words[end - 1] as string)) end--;
  // `..._KEY` alone: the key must be qualified (`API_KEY`), so `CACHE_KEY` or `SORT_KEY` is not a secret.
  if (end < words.length && words[end] === "KEY" && end > 0 && KEY_QUALIFIERS.has(words[end - 1] as string)) return true;
  if (end === 0) return false;
  const last = words[end - 1] as string;
  if (!SECRET_WORDS.has(last)) return false;
  if (last === "TOKEN" && end >= 2 && NOT_CREDENTIAL_BEFORE_TOKEN.has(words[end - 2] as string)) return false;
  return true;
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
const PLACEHOLDER_PARTS = [
  "example", "placeholder", "changeme", "change_me", "change-me", "replace_me", "replace-me", "replaceme", "replace_with",
  "replace-with", "your_", "your-", "yourtoken", "yourpassword", "yoursecret", "yourkey", "dummy", "redacted", "xxxx",
  "****", "...", "…", "todo", "fixme", "insert_", "insert-", "notasecret", "not-a-secret", "not_a_secret", "sample",
  "fake", "some-secret", "some_secret", "mysecret", "my-secret", "my_secret", "supersecret", "super-secret",
];

/**
 * True for values that stand in for a secret rather than being one: empty, `<token>`, `${TOKEN}`,
 * `{{ .Values.token }}`, `REPLACE_ME`, `changeme`, `your-api-key`, `xxxxxxxx`, `*****`, anything
 * containing EXAMPLE (as secretlint does), and bare words such as `password` or `secret`.
 */
export function isPlaceholder(value: string): boolean {
  const trimmed = value.trim();
  if (trimmed === "") return true;
  if (/^<[^<>]*>$|^\$\{[^}]*\}$|^\{\{.*\}\}$|^%[^%]+%$|^\[[^\]]*\]$|^__[A-Za-z0-9_]+__$|^\$\([^)]*\)$/s.test(trimmed)) return true;
  if (/^(.)\1*$/s.test(trimmed)) return true; // `xxxxxxxx`, `00000000`, `********`
  const lower = trimmed.toLowerCase();
  if (PLACEHOLDER_WORDS.has(lower) || WELL_KNOWN_DEFAULTS.has(lower)) return true;
  // `GITHUB_TOKEN`, `GOOGLE_API_KEY_VAL`: an identifier that a setup script substitutes, not a value.
  if (/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/.test(trimmed) && /[A-Z]{3}/.test(trimmed)) return true;
  return PLACEHOLDER_PARTS.some((part) => lower.includes(part));
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

const PRIVATE_KEY_BLOCK = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/;
/** `password: x`, `"secret_access_key": "x"`, `token = x`, `export API_KEY=x`: one assignment per line. */
const DOCUMENT_ASSIGNMENT = /^[\s-]*(?:export\s+)?["']?([A-Za-z_][\w.-]*)["']?\s*[:=]\s*(?:"([^"]*)"|'([^']*)'|([^\s"',#]+))\s*,?\s*(?:#.*)?$/;

/**
 * Credentials inside a configuration document (a Secret's `config.json`, `grafana.ini`,
 * `alertmanager.yaml`): a private key block, a password in a URL, or a secret-named key with a
 * literal. Returns the first one, described without the secret, or null. Token formats are left
 * to `scanForTokens`.
 */
export function findDocumentCredential(text: string): { what: string; secret: string } | null {
  const key = PRIVATE_KEY_BLOCK.exec(text);
  if (key) return { what: "a private key", secret: key[0] };
  const url = findUrlCredentials(text)[0];
  if (url) return { what: "a password written into a URL", secret: url.secret };
  for (const line of text.split("\n")) {
    if (line.length > 1000) continue; // minified data, not a `key: value` line
    const assignment = DOCUMENT_ASSIGNMENT.exec(line);
    const value = assignment?.[2] ?? assignment?.[3] ?? assignment?.[4];
    if (assignment && value !== undefined && isSecretAssignment(assignment[1] as string, value)) {
      return { what: `a literal ${assignment[1]}`, secret: value };
    }
  }
  // JSON written on one line, e.g. a `.dockerconfigjson`.
  for (const pair of text.matchAll(JSON_PAIR)) {
    const name = pair[1] as string;
    const value = pair[2] as string;
    if (isSecretAssignment(name, value)) return { what: `a literal ${name}`, secret: value };
    // Docker's `"auth": base64("user:password")`.
    if (name === "auth" && !isPlaceholder(value)) {
      const decoded = Buffer.from(value, "base64").toString("utf8");
      const password = decoded.slice(decoded.indexOf(":") + 1);
      if (decoded.includes(":") && password.length >= 4 && !isPlaceholder(password)) return { what: "a registry password", secret: value };
    }
  }
  return null;
}

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

/**
 * Runs secretlint's recommended preset once over all candidate texts (one synthetic source) and
 * maps each match back to the candidate it came from. Callers pass `NAME=value` for assignments,
 * because some formats (AWS secret keys) are only recognised next to their name.
 * Returns nothing, without loading secretlint, when there are no candidates.
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
  const [config, { lintSource }] = await Promise.all([loadSecretlint(), import("@secretlint/core")]);
  const result: SecretLintCoreResult = await lintSource({
    source: { content, filePath: label, ext: ".txt", contentType: "text" },
    options: { config, maskSecrets: true, noPhysicFilePath: true },
  });
  const matches: TokenMatch[] = [];
  const seen = new Set<string>();
  for (const message of result.messages) {
    const offset = message.range[0];
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) low = mid;
      else high = mid - 1;
    }
    const kind = kindOf(message.ruleId, message.messageId);
    const key = `${low}\u0000${kind}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const start = offset - (starts[low] ?? 0);
    matches.push({ candidate: low, kind, start, end: start + (message.range[1] - message.range[0]) });
  }
  return matches;
}

// ---------------------------------------------------------------------------------------------
// Globs (for options such as allowFiles)

/** Converts a gitignore-style glob (`*`, `**`, `?`) to a regular expression over POSIX paths. */
export function globToRegExp(glob: string): RegExp {
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
