// The HTML report (issue 10): its content as text, its excerpts' secret handling, and the page itself
// rendered in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core): visible score
// and sections, working filters and project switcher, no console errors, no network requests.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { check, type CheckResult } from "../src/check.js";
import { collectExcerpts, scrubLine } from "../src/excerpts.js";
import { formatHtml } from "../src/reporters/html.js";
import { REPORTERS } from "../src/reporters/index.js";
import { redact } from "../src/secrets.js";
import { SECTIONS } from "../src/sections.js";
import { TOOL } from "../src/version.js";
import { REPO_ROOT } from "./helpers/fixtures.js";
import { tempProject } from "./helpers/tmp.js";

const EXAMPLE = path.join(REPO_ROOT, "examples", "churn-predictor");
const OUTPUT = path.join(REPO_ROOT, "test-output");
const CHROMIUM = "/usr/bin/chromium";
const CHECKED_AT = new Date("2026-11-30T12:34:56.000Z");

/** A second project with findings of every severity in several sections, for the filters and the switcher. */
const GAPS: Record<string, string> = {
  "Dockerfile": ["FROM python:latest", "COPY . /app", "RUN pip install -r /app/requirements.txt", 'CMD python /app/serve.py', ""].join("\n"),
  "requirements.txt": "scikit-learn\npandas>=2\n",
  "k8s/deployment.yaml": [
    "apiVersion: apps/v1",
    "kind: Deployment",
    "metadata:",
    "  name: churn-api",
    "spec:",
    "  replicas: 1",
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
    "          image: ghcr.io/acme/churn-api:latest",
    "",
  ].join("\n"),
  "README.md": "# churn-api\n\nServes the churn model.\n",
};

describe("html format: content", () => {
  it("is registered as a format, self-contained, and shows score, sections, checklist, findings and version", async () => {
    expect(Object.keys(REPORTERS)).toContain("html");
    const result = await check(EXAMPLE);
    const html = formatHtml([result], { now: CHECKED_AT });
    expect(html.startsWith("<!DOCTYPE html>\n<html lang=\"en\">")).toBe(true);
    // Nothing is loaded from anywhere: no external script, style sheet, image or font, and a CSP that forbids it.
    expect(html).not.toMatch(/<(?:link|img|iframe|object|embed)\b/i);
    expect(html).not.toMatch(/\ssrc\s*=/i);
    expect(html).not.toMatch(/url\((?!#)/i);
    expect(html).not.toMatch(/@import|@font-face/i);
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none'; [^"]*script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(html).toContain(`Readiness score ${result.score} of 100, grade ${result.grade}`);
    for (const section of SECTIONS) {
      expect(html).toContain(`data-section="${section.id}"`);
      expect(html).toContain(section.checklist);
    }
    for (const finding of result.findings) {
      expect(html).toContain(`https://github.com/mlready/mlready/blob/main/docs/rules/${finding.ruleId}.md`);
      expect(html).toContain(`${finding.file}:${finding.line}`);
    }
    expect(html).toContain("Weakest section: <strong>");
    expect(html).toContain(`mlready ${TOOL.version}`);
    expect(html).toContain('<time datetime="2026-11-30T12:34:56.000Z">2026-11-30 12:34:56 UTC</time>');
    expect(html).toMatch(/@media \(prefers-color-scheme:dark\)/);
    expect(html).toMatch(/@media print/);
    // The excerpt around requirements.txt:5 shows that line, marked.
    expect(html).toMatch(/<span class="line hit"><span class="ln" aria-hidden="true">5<\/span>[^<]+<\/span>/);
  });

  it("depends on the clock only through the injected time; JSON and SARIF carry no time and no excerpt", async () => {
    const result = await check(EXAMPLE);
    expect(formatHtml([result], { now: CHECKED_AT })).toBe(formatHtml([result], { now: CHECKED_AT }));
    const options = { color: false, quiet: false, sarifRoot: () => REPO_ROOT };
    for (const format of ["json", "sarif"] as const) {
      const output = (REPORTERS[format] as (typeof REPORTERS)[string])([result], options);
      expect(output).not.toMatch(/excerpt|withheld/);
      expect(output).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
    }
  });

  it("escapes text from the project and gives several projects one page with a switcher", async () => {
    const hostile = { ...(await check(EXAMPLE)), root: `<img src=x onerror="alert(1)">` } as CheckResult;
    const html = formatHtml([await check(EXAMPLE), hostile], { now: CHECKED_AT });
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
    expect(html).toContain('<select id="project-switcher">');
    expect(html.match(/<section class="project" /g)).toHaveLength(2);
    // Both are in the page; the script shows one at a time.
    expect(html).toContain('<section class="project" id="project-1" aria-labelledby="project-1-title">');
  });
});

describe("html format: code excerpts never show secrets", () => {
  it("withholds every line of a file in which no-baked-secrets reported, and of the config for a project-level one", async () => {
    const files: Record<string, string[]> = {
      "Dockerfile": ["FROM python:3.11", "ENV DB_PASSWORD=Xy12!abcdEFGH9", "RUN echo hi"],
      "k8s/secret.yaml": ["kind: Secret", "stringData:", "  tls.key: |", "    -----BEGIN RSA PRIVATE KEY-----", "    MIIEpAIBAAKCAQEA"],
      "requirements.txt": ["pandas", "numpy==1.26.4"],
    };
    const findings = [
      { ruleId: "no-baked-secrets", severity: "error" as const, message: "m", file: "Dockerfile", line: 2 },
      { ruleId: "base-image-pinned", severity: "error" as const, message: "m", file: "Dockerfile", line: 1 },
      { ruleId: "no-baked-secrets", severity: "error" as const, message: "m", file: "k8s/secret.yaml", line: 3, suppressed: { kind: "inline" as const, reason: "test key" } },
      { ruleId: "health-probes", severity: "warning" as const, message: "m", file: "k8s/secret.yaml", line: 1 },
      { ruleId: "no-baked-secrets", severity: "error" as const, message: "m" },
      { ruleId: "pinned-dependencies", severity: "error" as const, message: "m", file: "requirements.txt", line: 1 },
    ];
    const excerpts = await collectExcerpts(findings, async (file) => files[file], ".mlreadyrc.json");
    expect(Object.keys(excerpts.withheld).sort()).toEqual([".mlreadyrc.json", "Dockerfile", "k8s/secret.yaml"]);
    expect(excerpts.lines).toEqual({ "requirements.txt": { 1: "pandas", 2: "numpy==1.26.4" } });
  });

  it("scrubs credentials from lines of other files", () => {
    const password = "Xy12!abcdEFGH9zz";
    expect(scrubLine(`  password: "${password}"`)).toBe(`  password: "${redact(password)}"`);
    expect(scrubLine(`curl https://deploy:${password}@example.com/x`)).not.toContain(password.slice(0, 6));
    expect(scrubLine("  replicas: 3")).toBe("  replicas: 3");
    expect(scrubLine("-----BEGIN OPENSSH PRIVATE KEY-----")).not.toContain("BEGIN");
    const token = "ghp_" + "Ab3dEf6hIj9lMn2pQr5tUv8xYz1BcDeFgHiJ";
    expect(scrubLine(`git clone https://github.com/acme/x # ${token}`)).toBe(`git clone https://github.com/acme/x # ${redact(token)}`);
    const stripe = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc";
    expect(scrubLine(`stripe.api_key = get("${stripe}")`)).not.toContain(stripe.slice(8, 14));
  });

  it("limits an excerpt: a long span shows its first lines, a very long line is not shown, long lines are cut", async () => {
    const lines = Array.from({ length: 60 }, (_, index) => `line ${index + 1}`);
    lines[2] = "x".repeat(5000);
    lines[3] = `${"y".repeat(300)}`;
    const excerpts = await collectExcerpts([{ ruleId: "r", severity: "info", message: "m", file: "f.yaml", line: 4, endLine: 50 }], async () => lines);
    const shown = excerpts.lines["f.yaml"] ?? {};
    expect(Object.keys(shown).map(Number)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    expect(shown[3]).toBe("[line of 5000 characters not shown]");
    expect(shown[4]).toBe(`${"y".repeat(240)}…`);
  });

  it("withholds a file that holds a private key even when no rule reported it", async () => {
    const lines = ["import ssl", 'KEY = , "-----BEGIN EC PRIVATE KEY-----", "MHcCAQEEIB2mYl0ZQ", "-----END EC PRIVATE KEY-----", '];
    const excerpts = await collectExcerpts([{ ruleId: "some-rule", severity: "info", message: "m", file: "app/keys.py", line: 1 }], async () => lines);
    expect(excerpts).toEqual({ lines: {}, withheld: { "app/keys.py": "excerpt withheld: this file holds a private key" } });
  });

  it("renders the excerpt of a file with a secret as withheld, never its text", async () => {
    const root = tempProject({
      ...GAPS,
      "k8s/configmap.yaml": ["apiVersion: v1", "kind: ConfigMap", "metadata:", "  name: churn", "data:", '  DB_PASSWORD: "Qw34!mnopRSTU7xx"', ""].join("\n"),
    });
    const result = await check(root);
    expect(result.findings.some((finding) => finding.ruleId === "no-baked-secrets" && finding.file === "k8s/configmap.yaml")).toBe(true);
    const html = formatHtml([result], { now: CHECKED_AT });
    expect(html).not.toContain("Qw34!m");
    expect(html).toContain("excerpt withheld: no-baked-secrets found a secret in this file");
  });
});

// ---------------------------------------------------------------------------------------------
// In a real browser

async function writeReport(name: string, results: CheckResult[]): Promise<string> {
  mkdirSync(OUTPUT, { recursive: true });
  const file = path.join(OUTPUT, name);
  writeFileSync(file, formatHtml(results, { now: CHECKED_AT }));
  return file;
}

if (!existsSync(CHROMIUM)) {
  describe("html report in a browser", () => {
    it(`did not run: ${CHROMIUM} is not installed (.ci/run installs Debian's chromium when it runs as root)`, () => {
      expect(existsSync(CHROMIUM)).toBe(false);
    });
  });
} else {
  describe("html report in headless Chromium", () => {
    it("shows the score and every section, filters by severity and section from the keyboard, switches projects; no console error, no request", async () => {
      const example = await check(EXAMPLE);
      const gaps = await check(tempProject(GAPS));
      const severities = new Set(gaps.findings.map((finding) => finding.severity));
      expect(severities.size, "the second project has findings of more than one severity").toBeGreaterThan(1);
      const file = await writeReport("html-report.html", [example, gaps]);

      const { chromium } = await import("playwright-core");
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
      });
      try {
        const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
        const problems: string[] = [];
        const requests: string[] = [];
        page.on("console", (message) => {
          if (message.type() === "error" || message.type() === "warning") problems.push(`${message.type()}: ${message.text()}`);
        });
        page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
        page.on("request", (request) => requests.push(request.url()));
        await page.goto(pathToFileURL(file).href);

        // The example: score, grade and every checklist line are visible.
        const first = page.locator("#project-0");
        await expect.poll(() => first.locator("[data-testid=score]").textContent()).toBe(String(example.score));
        expect(await first.locator(".gauge").isVisible()).toBe(true);
        expect(await first.locator(".gauge").getAttribute("aria-label")).toBe(`Readiness score ${example.score} of 100, grade ${example.grade}`);
        for (const section of SECTIONS) {
          const line = first.locator(`li.section[data-section="${section.id}"]`);
          expect(await line.isVisible(), section.id).toBe(true);
          expect(await line.textContent(), section.id).toContain(section.title);
        }
        expect(await first.locator("[data-testid=weakest]").isVisible()).toBe(true);
        expect(await first.locator("tr.finding:visible").count()).toBe(example.findings.length);
        await page.screenshot({ path: path.join(OUTPUT, "html-report.png") });

        // The switcher shows one project at a time.
        expect(await page.locator("#project-1").isVisible()).toBe(false);
        await page.selectOption("#project-switcher", "1");
        const second = page.locator("#project-1");
        expect(await second.isVisible()).toBe(true);
        expect(await first.isVisible()).toBe(false);
        expect(await second.locator("[data-testid=score]").textContent()).toBe(String(gaps.score));
        const rows = second.locator("tr.finding");
        expect(await rows.count()).toBe(gaps.findings.length);

        // Severity filter, operated from the keyboard: focus the checkbox and press Space.
        const hidden = [...severities][0] as string;
        const box = second.locator(`input[name=severity][value=${hidden}]`);
        await box.focus();
        await page.keyboard.press("Space");
        expect(await box.isChecked()).toBe(false);
        const remaining = gaps.findings.filter((finding) => finding.severity !== hidden).length;
        expect(await second.locator("tr.finding:visible").count()).toBe(remaining);
        expect(await second.locator(`tr.finding[data-severity=${hidden}]:visible`).count()).toBe(0);
        expect(await second.locator(".count").textContent()).toBe(`Showing ${remaining} of ${gaps.findings.length} findings`);
        await page.keyboard.press("Space");
        expect(await second.locator("tr.finding:visible").count()).toBe(gaps.findings.length);

        // Section filter: only that section's rows and group remain.
        const sectionOf = new Map(gaps.rules.map((rule) => [rule.id, rule.section as string]));
        const wanted = sectionOf.get(gaps.findings[0]?.ruleId ?? "") ?? "other";
        await second.locator("select[name=section]").selectOption(wanted);
        const inSection = gaps.findings.filter((finding) => (sectionOf.get(finding.ruleId) ?? "other") === wanted).length;
        expect(await second.locator("tr.finding:visible").count()).toBe(inSection);
        expect(await second.locator(`section.group:visible`).count()).toBe(1);
        await page.screenshot({ path: path.join(OUTPUT, "html-report-filtered.png"), fullPage: true });

        // Dark mode and print render without error too.
        await page.emulateMedia({ colorScheme: "dark" });
        await page.screenshot({ path: path.join(OUTPUT, "html-report-dark.png") });
        await page.emulateMedia({ media: "print" });
        expect(await second.locator("form.filters").isVisible()).toBe(false);

        expect(problems).toEqual([]);
        expect(requests.length).toBeGreaterThan(0);
        expect(requests.filter((url) => !url.startsWith("file:") && !url.startsWith("data:"))).toEqual([]);
      } finally {
        await browser.close();
      }
    }, 90_000);
  });
}
