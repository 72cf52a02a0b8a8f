import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { check } from "../src/check.js";
import rule from "../src/rules/no-baked-secrets.js";
import {
  findDocumentCredential,
  findUrlCredentials,
  isPlaceholder,
  isReference,
  isSecretAssignment,
  isSecretName,
  looksLikeSecretValue,
  matchesAnyGlob,
  redact,
  scanForTokens,
  secretFileKind,
} from "../src/secrets.js";
import { tempProject } from "./helpers/tmp.js";

// Fake values in real token shapes (random characters, never issued by anyone).
const GITHUB_TOKEN = "ghp_OhbVrpoiVgRV5IfLBcbfnoGMbJmTPSIAoCLr";
const HF_TOKEN = "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";
const AWS_KEY_ID = "AKIAMECOSFOGYR3XKXWN";
const AWS_SECRET = "IjvFu7WICPhDeOZIiBOB+Y6sHrFH2ZUCr+lgotu2";
const GITLAB_TOKEN = "glpat-MeyyMDHqJ38aRUhR4IWr";
const PASSWORD = "Tr0ub4dor&3xyz";

describe("redact", () => {
  it("shows the first four characters and the length of a value of 12 or more characters", () => {
    expect(redact(GITHUB_TOKEN)).toBe("ghp_… (40 chars)");
    expect(redact(HF_TOKEN)).toBe("hf_Z… (37 chars)");
    expect(redact("abcdefghijkl")).toBe("abcd… (12 chars)");
  });

  it("shows only the length of a value shorter than 12 characters", () => {
    expect(redact("abcdefghijk")).toBe("… (11 chars)");
    expect(redact("s3cret")).toBe("… (6 chars)");
    expect(redact("x")).toBe("… (1 char)");
    expect(redact("")).toBe("… (0 chars)");
  });

  it("ignores surrounding white space", () => {
    expect(redact(`  ${GITHUB_TOKEN}\n`)).toBe("ghp_… (40 chars)");
  });

  it("counts code points, never splitting a surrogate pair", () => {
    expect(redact("🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑")).toBe("🔑🔑🔑🔑… (12 chars)");
  });

  it("never echoes control or bidirectional-formatting characters", () => {
    expect(redact("\u202eabcdefghijklmnop")).toBe("?abc… (17 chars)");
  });

  it("never shows more than four characters of any value", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 0, maxLength: 80, unit: "binary" }), (value) => {
        const shown = redact(value);
        const length = Array.from(value.trim()).length;
        expect(shown.endsWith(`… (${length} char${length === 1 ? "" : "s"})`)).toBe(true);
        const revealed = Array.from(shown.slice(0, shown.lastIndexOf("… (")));
        expect(revealed.length).toBeLessThanOrEqual(4);
        expect(revealed).toEqual(Array.from(value.trim()).slice(0, revealed.length).map((character, index) => (revealed[index] === "?" ? "?" : character)));
        if (length >= 5) expect(shown).not.toContain(value.trim());
      }),
    );
  });
});

describe("secret names", () => {
  it.each([
    "DB_PASSWORD", "GITHUB_TOKEN", "HF_TOKEN", "AWS_SECRET_ACCESS_KEY", "OPENAI_API_KEY", "apiKey", "clientSecret",
    "SECRET_KEY_BASE", "PRIVATE_KEY", "GOOGLE_APPLICATION_CREDENTIALS", "SMTP_PASS", "encryption_key", "_authToken",
  ])("%s names a secret", (name) => {
    expect(isSecretName(name)).toBe(true);
  });

  it.each([
    "PASSWORD_FILE", "SECRET_NAME", "TOKEN_URL", "AWS_ACCESS_KEY_ID", "MAX_NEW_TOKENS", "TOKENIZERS_PARALLELISM",
    "PAD_TOKEN", "EOS_TOKEN", "CACHE_KEY", "PWD", "MODEL_NAME", "SECRETS_DIR", "KEY",
  ])("%s does not name a secret", (name) => {
    expect(isSecretName(name)).toBe(false);
  });
});

describe("secret values", () => {
  it.each([
    "", "<your-token>", "${TOKEN}", "{{ .Values.token }}", "REPLACE_ME", "changeme", "your-api-key-here", "xxxxxxxx",
    "********", "AKIAIOSFODNN7EXAMPLE", "password", "GITHUB_TOKEN", "GOOGLE_API_KEY_VAL", "minio123", "__TOKEN__",
  ])("%j is a placeholder", (value) => {
    expect(isPlaceholder(value)).toBe(true);
  });

  it.each([
    "$TOKEN", "${TOKEN}", "$(cat /run/secrets/token)", "/run/secrets/db", "./secrets/key.json", "key.json",
    "vault:secret/data/app#token", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db", "projects/p/secrets/s",
    "https://vault.internal.example/v1/secret", "my-secret", "db-credentials", "set at deploy time",
  ])("%j is a reference", (value) => {
    expect(isReference(value)).toBe(true);
  });

  it.each([PASSWORD, "admin1234", AWS_SECRET, GITHUB_TOKEN, "qwhdkzlpmnbvcxrtyuio"])("%j looks like a secret", (value) => {
    expect(looksLikeSecretValue(value)).toBe(true);
  });

  it.each(["postgres", "kubernetes", "short1", "12345678", "1.2.3.4", "${TOKEN}", "my-secret", "/run/secrets/db"])(
    "%j does not look like a secret",
    (value) => {
      expect(looksLikeSecretValue(value)).toBe(false);
    },
  );

  it("needs both a secret name and a secret-looking literal", () => {
    expect(isSecretAssignment("DB_PASSWORD", PASSWORD)).toBe(true);
    expect(isSecretAssignment("DB_PASSWORD", null)).toBe(false);
    expect(isSecretAssignment("PASSWORD_FILE", "/run/secrets/db")).toBe(false);
    expect(isSecretAssignment("TOKEN", "${TOKEN}")).toBe(false);
    expect(isSecretAssignment("SECRET_NAME", "my-secret")).toBe(false);
    expect(isSecretAssignment("MODEL_NAME", PASSWORD)).toBe(false);
  });
});

describe("credentials in URLs and documents", () => {
  it("finds the password of a URL, not variables or placeholders", () => {
    const [credential] = findUrlCredentials("pip install --index-url https://__token__:Gk8sN2qPzR7vLx4W@pypi.internal.example/simple x");
    expect(credential?.secret).toBe("Gk8sN2qPzR7vLx4W");
    expect(findUrlCredentials("https://__token__:${PIP_TOKEN}@pypi.internal.example/simple")).toEqual([]);
    expect(findUrlCredentials("https://user:password@host/")).toEqual([]);
    expect(findUrlCredentials("https://pypi.org/simple")).toEqual([]);
    expect(findUrlCredentials("git@github.com:acme/repo.git")).toEqual([]);
  });

  it("finds a token used as the user of a URL", () => {
    expect(findUrlCredentials(`https://${GITHUB_TOKEN}@github.com/acme/repo.git`)[0]?.secret).toBe(GITHUB_TOKEN);
    expect(findUrlCredentials("https://git@github.com/acme/repo.git")).toEqual([]);
  });

  it("finds credentials inside configuration documents", () => {
    expect(findDocumentCredential(`global:\n  smtp_auth_password: "Xk9#mQ2vL7pR"\n`)).toEqual({ kind: "password (smtp_auth_password)", secret: "Xk9#mQ2vL7pR" });
    expect(findDocumentCredential("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n")?.kind).toBe("private key");
    expect(findDocumentCredential(`{"auths":{"ghcr.io":{"auth":"${Buffer.from("deploy:Hq3vR8zLm2W").toString("base64")}"}}}`)?.kind).toBe("registry password (Docker auth)");
    expect(findDocumentCredential("url: postgresql://feast:Qz7pL2vX9kR4@feast-db:5432/feast")).toEqual({ kind: "password in a URL", secret: "Qz7pL2vX9kR4" });
    expect(findDocumentCredential(`password: ENC[AES256_GCM,data:q8Zk3vLm2Wp9Rt7x,iv:Hd0J=,tag:Lm3v==,type:str]\n`)).toBeNull();
    expect(findDocumentCredential(`"global":\n  "resolve_timeout": "5m"\n"receivers":\n- "name": "Default"\n`)).toBeNull();
  });
});

describe("secret files", () => {
  it.each([
    [".env"], [".env.production"], ["config/.env"], ["id_rsa"], ["keys/id_ed25519"], ["server.key"], ["ca.key"], ["tls.pem"],
    ["credentials"], ["credentials.json"], ["aws-credentials"], ["kubeconfig"], ["deploy/.kube/config"], ["prod.kubeconfig"],
    [".netrc"], [".pypirc"], [".npmrc"], [".git-credentials"], ["client.p12"], ["gcp-key.json"], ["trainer-sa.json"],
    ["service-account.json"], [".ssh"], [".aws/"], ["*.pem"],
  ])("%s is a secret file", (file) => {
    expect(secretFileKind(file)).not.toBeNull();
  });

  it.each([
    [".env.example"], [".env.sample"], ["id_rsa.pub"], ["ca.pem"], ["cert.pem"], ["fullchain.pem"], ["credentials.py"],
    ["requirements.txt"], ["src/"], ["."], ["package.json"], ["tokenizer.json"], ["config.json"],
  ])("%s is not a secret file", (file) => {
    expect(secretFileKind(file)).toBeNull();
  });

  it("matches allowFiles globs", () => {
    expect(matchesAnyGlob("certs/client.pem", ["certs/client.pem"])).toBe(true);
    expect(matchesAnyGlob("./certs/client.pem", ["certs/*.pem"])).toBe(true);
    expect(matchesAnyGlob("deep/certs/client.pem", ["**/*.pem"])).toBe(true);
    expect(matchesAnyGlob("deep/certs/client.pem", ["client.pem"])).toBe(true);
    expect(matchesAnyGlob("deep/certs/client.pem", ["certs/*.pem"])).toBe(false);
  });
});

describe("known token formats (secretlint)", () => {
  it("maps each match back to its candidate and names the format", async () => {
    const matches = await scanForTokens(["MODEL_NAME=churn", `REGISTRY=${GITHUB_TOKEN}`, "PLAIN=nothing-here", `AWS_SECRET_ACCESS_KEY=${AWS_SECRET}`, HF_TOKEN]);
    expect(matches.map((match) => [match.candidate, match.kind])).toEqual([
      [1, "GitHub token"],
      [3, "AWS secret access key"],
      [4, "Hugging Face access token"],
    ]);
  });

  it("recognises AWS access key IDs, GitLab tokens and private keys", async () => {
    const key = `-----BEGIN RSA PRIVATE KEY-----\n${"MIIEowIBAAKCAQEAx3k9Lp2Qz8Vr7Wn4Ty6Ub1Mc0Ha5Jd\n".repeat(5)}-----END RSA PRIVATE KEY-----`;
    const kinds = (await scanForTokens([AWS_KEY_ID, GITLAB_TOKEN, key])).map((match) => match.kind);
    expect(kinds).toEqual(["AWS access key ID", "GitLab personal access token", "private key"]);
  });

  it("ignores AWS's documented EXAMPLE keys, as secretlint does", async () => {
    expect(await scanForTokens(["AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"])).toEqual([]);
  });

  it("tells a vendor's token from a structural match", async () => {
    const key = `-----BEGIN RSA PRIVATE KEY-----\n${"MIIEowIBAAKCAQEAx3k9Lp2Qz8Vr7Wn4Ty6Ub1Mc0Ha5Jd\n".repeat(5)}-----END RSA PRIVATE KEY-----`;
    const matches = await scanForTokens([GITHUB_TOKEN, key, "sk_live_Rk7dM3wQ9zX2vB8nLp4TqY6c"]);
    expect(matches.map((match) => [match.kind, match.issued])).toEqual([
      ["GitHub token", true],
      ["private key", false],
      ["Stripe secret key", true],
    ]);
  });

  it("ignores keys vendors publish for their emulators", async () => {
    const azurite = "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;";
    expect(await scanForTokens([`DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;${azurite}`])).toEqual([]);
    const real = "AccountKey=Qm9xvdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;";
    expect((await scanForTokens([real])).map((match) => match.kind)).toEqual(["Azure storage account key"]);
  });

  it("does nothing without candidates", async () => {
    expect(await scanForTokens([])).toEqual([]);
  });
});

describe("no-baked-secrets never prints a secret", () => {
  const secrets = [GITHUB_TOKEN, HF_TOKEN, AWS_KEY_ID, AWS_SECRET, GITLAB_TOKEN, PASSWORD, "Gk8sN2qPzR7vLx4W", "Hq3vR8zLm2Wp!", "Qz7pL2vX9kR4"];

  it("reports every place with a redacted value only", async () => {
    const root = tempProject({
      Dockerfile: [
        "FROM python:3.11.9-slim",
        `ARG HF_TOKEN=${HF_TOKEN}`,
        `ENV REGISTRY_AUTH=${GITHUB_TOKEN} DB_PASSWORD="${PASSWORD}"`,
        `ENV AWS_ACCESS_KEY_ID=${AWS_KEY_ID} AWS_SECRET_ACCESS_KEY=${AWS_SECRET}`,
        `LABEL deploy-token="${GITLAB_TOKEN}"`,
        "RUN pip install --index-url https://__token__:Gk8sN2qPzR7vLx4W@pypi.internal.example/simple torch==2.3.1",
        "RUN curl -u deploy:Hq3vR8zLm2Wp! https://artifacts.internal.example/model.tar.gz -o /model.tar.gz",
        `RUN curl -H "Authorization: Bearer ${GITHUB_TOKEN}" https://api.github.com/repos/acme/churn`,
        `CMD ["python", "serve.py", "--token", "${HF_TOKEN}"]`,
        "",
      ].join("\n"),
      "k8s/deployment.yaml": [
        "apiVersion: apps/v1",
        "kind: Deployment",
        "metadata:",
        "  name: api",
        "spec:",
        "  template:",
        "    spec:",
        "      containers:",
        "        - name: api",
        "          image: api:1.0",
        "          env:",
        "            - name: DB_PASSWORD",
        `              value: "${PASSWORD}"`,
        "            - name: FEATURE_STORE_URL",
        "              value: postgresql://feast:Qz7pL2vX9kR4@feast-db:5432/feast",
        "---",
        "apiVersion: v1",
        "kind: Secret",
        "metadata:",
        "  name: api",
        "stringData:",
        `  hf-token: ${HF_TOKEN}`,
        "",
      ].join("\n"),
    });
    const result = await check(root, { rules: [rule] });
    const findings = result.findings.filter((finding) => finding.ruleId === "no-baked-secrets");
    expect(new Set(findings.map((finding) => finding.messageId))).toEqual(
      new Set(["dockerfileLiteral", "runInlineCredential", "kubernetesEnvLiteral", "kubernetesSecretObject"]),
    );
    expect(findings.length).toBe(13);
    const output = JSON.stringify(result);
    for (const secret of secrets) {
      for (const finding of findings) expect(finding.message).not.toContain(secret);
      // Nor any five consecutive characters of it, anywhere in the result.
      for (let start = 0; start + 5 <= secret.length; start++) expect(output).not.toContain(secret.slice(start, start + 5));
    }
  });
});
