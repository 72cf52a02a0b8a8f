// Plants secrets in every place no-baked-secrets looks, runs every rule, renders the result in every
// output format mlready has (the list in src/reporters/index.ts, so a new format is covered the day it
// is added) and checks that no output holds a secret, or more of one than redact() shows.
import { describe, expect, it } from "vitest";
import { check, type CheckResult } from "../src/check.js";
import { REPORTERS } from "../src/reporters/index.js";
import { redact } from "../src/secrets.js";
import { tempProject } from "./helpers/tmp.js";

// A seeded generator (mulberry32): the planted values look random, are the same on every run, and
// appear nowhere else (not in the docs that SARIF embeds, not in other tests).
function generator(seed: number): (alphabet: string, length: number) => string {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (alphabet, length) => Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)]).join("");
}

const random = generator(0x5ec12e75);
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const DIGITS = "0123456789";
const ALNUM = UPPER + LOWER + DIGITS;
const BASE64 = `${ALNUM}+/`;
/** A password with every kind of character, so the name heuristic takes it for a secret. */
const password = (length: number) => `${random(UPPER, 2)}${random(LOWER, 3)}${random(DIGITS, 2)}!${random(ALNUM, length - 8)}`;

interface Planted {
  value: string;
  /** Characters of `value` fixed by the token format (`ghp_`): only the rest is secret. */
  fixed: number;
}

const plant = (value: string, fixed = 0): Planted => ({ value, fixed });

const GITHUB = plant(`ghp_${random(ALNUM, 36)}`, 4);
const HUGGING_FACE = plant(`hf_${random(UPPER + LOWER, 34)}`, 3);
const AWS_KEY_ID = plant(`AKIA${random("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)}`, 4);
const AWS_SECRET = plant(random(BASE64, 40));
const GITLAB = plant(`glpat-${random(ALNUM, 20)}`, 6);
const STRIPE = plant(`sk_live_${random(ALNUM, 24)}`, 8);
const GOOGLE = plant(`AIza${random(`${ALNUM}_-`, 35)}`, 4);
const DB_PASSWORD = plant(password(14));
const URL_PASSWORD = plant(password(16));
const CURL_PASSWORD = plant(password(13));
const BEARER = plant(random(ALNUM, 32));
const CLI_TOKEN = plant(random(ALNUM, 28));
const REGISTRY_PASSWORD = plant(password(15));
const ARG_DEFAULT = plant(password(12));
const ENV_PASSWORD = plant(password(18));
const CONFIGMAP_PASSWORD = plant(password(17));
const HELM_PASSWORD = plant(password(19));
const SECRET_PASSWORD = plant(password(20));
const SMTP_PASSWORD = plant(password(14));
const DOCKER_AUTH_PASSWORD = plant(password(16));
// A real key pasted into the `allow` option by mistake, and broken: the configuration finding must not echo it.
const ALLOW_ENTRY = plant(`sk_live_${random(ALNUM, 24)}`, 8);
const PRIVATE_KEY_BODY = plant(Array.from({ length: 6 }, () => random(BASE64, 64)).join("\n"));

const base64 = (text: string) => Buffer.from(text).toString("base64");
const SECRET_DATA = plant(base64(SECRET_PASSWORD.value));
const DOCKER_AUTH = plant(base64(`deploy:${DOCKER_AUTH_PASSWORD.value}`));
const PRIVATE_KEY = `-----BEGIN RSA PRIVATE KEY-----\n${PRIVATE_KEY_BODY.value}\n-----END RSA PRIVATE KEY-----`;

const PLANTED: Record<string, Planted> = {
  GITHUB, HUGGING_FACE, AWS_KEY_ID, AWS_SECRET, GITLAB, STRIPE, GOOGLE, DB_PASSWORD, URL_PASSWORD, CURL_PASSWORD, BEARER,
  CLI_TOKEN, REGISTRY_PASSWORD, ARG_DEFAULT, ENV_PASSWORD, CONFIGMAP_PASSWORD, HELM_PASSWORD, SECRET_PASSWORD, SMTP_PASSWORD,
  DOCKER_AUTH_PASSWORD, PRIVATE_KEY_BODY, SECRET_DATA, DOCKER_AUTH, ALLOW_ENTRY,
};

const indent = (text: string, spaces: number) => text.split("\n").map((line) => `${" ".repeat(spaces)}${line}`).join("\n");

const FILES: Record<string, string> = {
  "Dockerfile": [
    "FROM python:3.11.9-slim",
    `ARG HF_TOKEN=${HUGGING_FACE.value}`,
    `ARG REGISTRY_PASSWORD=\${REGISTRY_PASSWORD:-${ARG_DEFAULT.value}}`,
    `ENV GITHUB_PAT=${GITHUB.value} DB_PASSWORD="${ENV_PASSWORD.value}"`,
    `ENV AWS_ACCESS_KEY_ID=${AWS_KEY_ID.value} AWS_SECRET_ACCESS_KEY=${AWS_SECRET.value}`,
    `LABEL com.example.deploy-token="${GITLAB.value}"`,
    `ADD https://deploy:${URL_PASSWORD.value}@artifacts.internal.example/model.tar.gz /model.tar.gz`,
    `RUN curl -fsS -u deploy:${CURL_PASSWORD.value} https://artifacts.internal.example/weights.bin -o /weights.bin`,
    `RUN curl -fsS -H "Authorization: Bearer ${BEARER.value}" https://registry.internal.example/v2/`,
    `RUN docker login -u deploy -p ${REGISTRY_PASSWORD.value} registry.internal.example`,
    `HEALTHCHECK CMD curl -fsS -H "X-Api-Key: ${GOOGLE.value}" http://localhost:8080/health || exit 1`,
    `CMD ["python", "serve.py", "--token", "${CLI_TOKEN.value}"]`,
    "",
  ].join("\n"),
  "k8s/deployment.yaml": [
    "apiVersion: apps/v1",
    "kind: Deployment",
    "metadata:",
    "  name: churn-api",
    "spec:",
    "  selector:",
    "    matchLabels:",
    "      app: churn-api",
    "  template:",
    "    metadata:",
    "      labels:",
    "        app: churn-api",
    "    spec:",
    "      containers:",
    "        - name: api",
    "          image: ghcr.io/acme/churn-api:2.3.1",
    "          env:",
    "            - name: DB_PASSWORD",
    `              value: "${DB_PASSWORD.value}"`,
    "            - name: STRIPE_API_KEY",
    `              value: ${STRIPE.value}`,
    "",
  ].join("\n"),
  "k8s/secret.yaml": [
    "apiVersion: v1",
    "kind: Secret",
    "metadata:",
    "  name: churn-api",
    "data:",
    `  db-password: ${SECRET_DATA.value}`,
    "stringData:",
    "  alertmanager.yaml: |",
    "    global:",
    `      smtp_auth_password: "${SMTP_PASSWORD.value}"`,
    "  tls.key: |",
    indent(PRIVATE_KEY, 4),
    "---",
    "apiVersion: v1",
    "kind: Secret",
    "metadata:",
    "  name: registry",
    "type: kubernetes.io/dockerconfigjson",
    "stringData:",
    `  .dockerconfigjson: '{"auths":{"registry.internal.example":{"auth":"${DOCKER_AUTH.value}"}}}'`,
    "",
  ].join("\n"),
  "k8s/configmap.yaml": [
    "apiVersion: v1",
    "kind: ConfigMap",
    "metadata:",
    "  name: churn-api-config",
    "data:",
    `  FEATURE_STORE_PASSWORD: "${CONFIGMAP_PASSWORD.value}"`,
    "",
  ].join("\n"),
  "charts/churn-api/Chart.yaml": "apiVersion: v2\nname: churn-api\nversion: 0.1.0\n",
  "charts/churn-api/values.yaml": ["database:", `  password: "${HELM_PASSWORD.value}"`, ""].join("\n"),
  // Committed secret files: reported by name, their content is never read into a message.
  ".env": `OPENAI_API_KEY=${GITHUB.value}\nDB_PASSWORD=${DB_PASSWORD.value}\n`,
  "deploy/id_rsa": `${PRIVATE_KEY}\n`,
  "README.md": "# churn-api\n",
  ".mlreadyrc.json": JSON.stringify({ rules: { "no-baked-secrets": ["error", { allow: ["^sk_test_", `^${ALLOW_ENTRY.value}(`] }] } }),
};

/** Every rendering of the result, by format name. */
function renderAll(result: CheckResult, root: string): [string, string][] {
  return Object.entries(REPORTERS).map(([format, reporter]) => [format, reporter([result], { color: false, quiet: false, sarifRoot: () => root })]);
}

/** What output must never contain: the value, its first five characters, and any six consecutive secret characters. */
function probes(planted: Planted): string[] {
  const secret = planted.value;
  const found = new Set([secret, secret.slice(0, Math.max(5, planted.fixed + 1))]);
  for (let start = planted.fixed; start + 6 <= secret.length; start++) {
    const window = secret.slice(start, start + 6);
    if (!window.includes("\n")) found.add(window);
  }
  return [...found];
}

describe("no output format shows a planted secret", () => {
  it("the list of formats is the one the CLI offers", () => {
    expect(Object.keys(REPORTERS).length).toBeGreaterThanOrEqual(3);
    expect(Object.keys(REPORTERS)).toEqual(expect.arrayContaining(["text", "json", "sarif"]));
  });

  it("finds every planted secret and renders each only redacted", async () => {
    const root = tempProject(FILES);
    const result = await check(root);
    const findings = result.findings.filter((finding) => finding.ruleId === "no-baked-secrets");
    const where = findings.map((finding) => `${finding.file ?? "(project)"}:${finding.line ?? "-"}`).sort();
    expect(where).toEqual([
      "(project):-", // the broken `allow` entry
      ".env:-",
      "Dockerfile:10", // docker login -p
      "Dockerfile:11", // HEALTHCHECK with a Google API key
      "Dockerfile:12", // CMD --token
      "Dockerfile:2", // ARG HF_TOKEN
      "Dockerfile:3", // ARG default inside ${...:-...}
      "Dockerfile:4", // ENV GITHUB_PAT
      "Dockerfile:4", // ENV DB_PASSWORD
      "Dockerfile:5", // AWS access key ID
      "Dockerfile:5", // AWS secret access key
      "Dockerfile:6", // LABEL GitLab token
      "Dockerfile:7", // ADD URL password
      "Dockerfile:8", // curl -u
      "Dockerfile:9", // Authorization header
      "charts/churn-api/values.yaml:2",
      "deploy/id_rsa:-",
      "k8s/configmap.yaml:6",
      "k8s/deployment.yaml:19",
      "k8s/deployment.yaml:21",
      "k8s/secret.yaml:11", // tls.key
      "k8s/secret.yaml:27", // .dockerconfigjson
      "k8s/secret.yaml:6", // data db-password
      "k8s/secret.yaml:8", // alertmanager.yaml
    ]);
    // Each value finding names the kind of secret and shows it redacted.
    const messages = findings.map((finding) => finding.message).join("\n");
    for (const planted of [GITHUB, HUGGING_FACE, AWS_KEY_ID, AWS_SECRET, GITLAB, STRIPE, GOOGLE, DB_PASSWORD, URL_PASSWORD, CURL_PASSWORD, BEARER, CLI_TOKEN, REGISTRY_PASSWORD, ARG_DEFAULT, ENV_PASSWORD, CONFIGMAP_PASSWORD, HELM_PASSWORD, SECRET_PASSWORD, SMTP_PASSWORD]) {
      expect(messages).toContain(redact(planted.value));
    }
    expect(messages).toContain("GitHub");
    expect(messages).toContain("Hugging Face");
    expect(messages).toContain("AWS secret access key");
    expect(messages).toContain("Stripe secret key");
    expect(messages).toContain("private key");

    const outputs = renderAll(result, root);
    expect(outputs.map(([format]) => format)).toEqual(Object.keys(REPORTERS));
    for (const [format, output] of outputs) {
      expect(output.length, format).toBeGreaterThan(0);
      // The findings are in every format (so the check below is not vacuous).
      expect(output, format).toContain(redact(GITHUB.value));
      for (const [name, planted] of Object.entries(PLANTED)) {
        for (const probe of probes(planted)) {
          expect(output.includes(probe), `${format} output shows ${probe.length} characters of ${name}`).toBe(false);
        }
      }
    }
  });
});
