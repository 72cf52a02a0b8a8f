#!/usr/bin/env node
// `npm run bench`: measures mlready's full check (every rule, `--format json`, run as a child process so
// that Node start-up and module loading count) against a floor measured in the same run: bench/floor.mjs,
// which globs the same tree, reads the files and parses them with mlready's own parsers, and does nothing
// else. Trees: synthetic monorepos of 10, 100 and 1,000 services (10 files each) and, when present,
// ../shared/corpus (public ML/Kubernetes repositories). Also `mlready --version` and a check of the
// bundled small example. Each figure is the median of BENCH_RUNS runs (default 3); peak RSS comes from
// getrusage in the child (bench/rss.mjs). The table is printed and written to docs/performance.md
// between the `bench:start`/`bench:end` markers; the rest of that file (the analysis) is kept.
//
// Environment: BENCH_RUNS (default 3), BENCH_SIZES (default "10,100,1000"), BENCH_NO_WRITE=1 (print only),
// BENCH_NO_CORPUS=1 (skip the corpus).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const SIZES = (process.env.BENCH_SIZES ?? "10,100,1000").split(",").map(Number).filter((size) => size > 0);
const CLI = path.join(repoRoot, "bin", "mlready.js");
const FLOOR = path.join(repoRoot, "bench", "floor.mjs");
const RSS = path.join(repoRoot, "bench", "rss.mjs");
const DOC = path.join(repoRoot, "docs", "performance.md");

if (!existsSync(path.join(repoRoot, "dist", "cli.js"))) {
  console.error("dist/ is missing: run `npm run build` first (`npm run bench` does).");
  process.exit(2);
}

/** One service of a synthetic monorepo: the ten files an ML service usually has. */
function service(root, index) {
  const dir = path.join(root, "services", `svc-${index}`);
  const files = {
    "Dockerfile": `FROM python:3.11-slim\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\nUSER 10001\nCMD ["python", "-m", "app"]\n`,
    "requirements.txt": `fastapi==0.110.0\nuvicorn==0.29.0\nscikit-learn==1.4.2\npandas==2.2.1\n`,
    "k8s/deployment.yaml": `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: svc-${index}\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n        - name: api\n          image: registry.example.com/svc-${index}:1.0.${index}\n          resources:\n            requests: { cpu: 250m, memory: 512Mi }\n            limits: { cpu: "1", memory: 1Gi }\n`,
    "k8s/service.yaml": `apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-${index}\nspec:\n  selector:\n    app: svc-${index}\n  ports:\n    - port: 80\n      targetPort: 8080\n`,
    "model/MLmodel": `artifact_path: model\nflavors:\n  sklearn:\n    sklearn_version: 1.4.2\nrun_id: ${index.toString(16).padStart(32, "0")}\nmodel_uuid: ${index.toString(16).padStart(32, "a")}\n`,
    "model/requirements.txt": `scikit-learn==1.4.2\npandas==2.2.1\n`,
    "scripts/rollback.sh": `#!/usr/bin/env bash\nset -euo pipefail\nkubectl rollout undo deployment/svc-${index}\n`,
    "docs/runbook.md": `# Runbook svc-${index}\n\nRoll back with \`scripts/rollback.sh\`.\n`,
    "README.md": `# svc-${index}\n\nSee the [runbook](docs/runbook.md).\n`,
    "loadtest/k6.js": `import http from "k6/http";\nexport const options = { vus: 10, duration: "1m", thresholds: { http_req_duration: ["p(95)<300"] } };\nexport default function () { http.get("http://svc-${index}/predict"); }\n`,
  };
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
  }
  return Object.keys(files).length;
}

/** Runs `node <args>` once; returns wall milliseconds and peak RSS (MiB). Exit codes 0 and 1 (findings) are success. */
function runOnce(args, env = {}) {
  const rssFile = path.join(os.tmpdir(), `mlready-bench-rss-${process.pid}`);
  rmSync(rssFile, { force: true });
  const start = performance.now();
  const child = spawnSync(process.execPath, ["--import", pathToFileURL(RSS).href, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env, MLREADY_BENCH_RSS_FILE: rssFile, NO_COLOR: "1" },
    encoding: "utf8",
    maxBuffer: 512 * 1024 * 1024,
  });
  const wall = performance.now() - start;
  if (child.status !== 0 && child.status !== 1) {
    throw new Error(`node ${args.join(" ")} exited with ${child.status ?? child.signal}:\n${(child.stderr ?? "").slice(0, 2000)}`);
  }
  const rssKiB = existsSync(rssFile) ? Number(readFileSync(rssFile, "utf8").trim().split("\n").pop()) : NaN;
  rmSync(rssFile, { force: true });
  return { wall, rss: rssKiB / 1024, stdout: child.stdout };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * Median wall time and median peak RSS of each command over RUNS rounds, after one unmeasured warm-up run of
 * each (for the file cache). The commands run in turn within each round, so that a noisy spell on this shared
 * machine slows the floor and mlready alike instead of one of them.
 */
function measureInterleaved(commands) {
  for (const { args, env } of commands) runOnce(args, env);
  const samples = commands.map(() => []);
  for (let round = 0; round < RUNS; round++) commands.forEach(({ args, env }, index) => samples[index].push(runOnce(args, env)));
  return samples.map((runs) => ({ wall: median(runs.map((sample) => sample.wall)), rss: median(runs.map((sample) => sample.rss)), last: runs[runs.length - 1] }));
}

function measure(args, env = {}) {
  return measureInterleaved([{ args, env }])[0];
}

const rows = [];
const loadBefore = os.loadavg();

function benchTree(label, root) {
  const variants = [
    ["mlready, no external tools", { MLREADY_NO_EXTERNAL_TOOLS: "1" }],
    ["mlready, default (kubectl/helm when on PATH)", { MLREADY_NO_EXTERNAL_TOOLS: "" }],
  ];
  const [floor, ...results] = measureInterleaved([
    { args: [FLOOR, root], env: {} },
    ...variants.map(([, env]) => ({ args: [CLI, "check", root, "--format", "json", "--fail-on", "none"], env })),
  ]);
  const files = JSON.parse(floor.last.stdout.trim().split("\n").pop()).files;
  rows.push({ tree: label, run: "floor (glob + read + parse)", files, ...figures(floor, files), ratio: "1.00" });
  variants.forEach(([name], index) => {
    const result = results[index];
    rows.push({ tree: label, run: name, files, ...figures(result, files), ratio: (result.wall / floor.wall).toFixed(2) });
  });
  console.error(`measured ${label}`);
}

function figures(result, files) {
  return {
    wallS: (result.wall / 1000).toFixed(2),
    filesPerS: files === undefined ? "" : Math.round(files / (result.wall / 1000)).toString(),
    rssMiB: result.rss.toFixed(0),
  };
}

const temp = mkdtempSync(path.join(os.tmpdir(), "mlready-bench-"));
try {
  const version = measure([CLI, "--version"]);
  rows.push({ tree: "—", run: "`mlready --version`", files: "", ...figures(version), ratio: "" });
  const example = path.join(repoRoot, "examples", "churn-predictor");
  const small = measure([CLI, "check", example, "--format", "json", "--fail-on", "none"], { MLREADY_NO_EXTERNAL_TOOLS: "1" });
  rows.push({ tree: "examples/churn-predictor", run: "mlready, no external tools", files: "", ...figures(small), ratio: "" });
  const smallDefault = measure([CLI, "check", example, "--format", "json", "--fail-on", "none"]);
  rows.push({ tree: "examples/churn-predictor", run: "mlready, default", files: "", ...figures(smallDefault), ratio: "" });
  console.error("measured start-up and the small example");
  for (const count of SIZES) {
    const root = path.join(temp, `mono-${count}`);
    for (let index = 0; index < count; index++) service(root, index);
    benchTree(`synthetic, ${count} services`, root);
  }
  const corpus = path.join(repoRoot, "..", "shared", "corpus");
  if (existsSync(corpus) && !process.env.BENCH_NO_CORPUS) benchTree("../shared/corpus", corpus);
  else console.error("../shared/corpus not found or BENCH_NO_CORPUS set: corpus not measured");
} finally {
  rmSync(temp, { recursive: true, force: true });
}
const loadAfter = os.loadavg();

const cpus = os.cpus();
const machine = [
  `- Machine: ${cpus.length} logical CPU${cpus.length === 1 ? "" : "s"} (${cpus[0]?.model.trim() ?? "unknown"}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}.`,
  `- Load average (1/5/15 min): ${loadBefore.map((value) => value.toFixed(2)).join(" / ")} before the run, ${loadAfter.map((value) => value.toFixed(2)).join(" / ")} after.` +
    (loadBefore[0] > cpus.length * 0.5 ? " The machine was shared with other work during the run: wall times are inflated and noisy; ratios measured in the same run are the more reliable figures." : ""),
  `- Date: ${new Date().toISOString()}. Each figure is the median of ${RUNS} runs after one warm-up run (the floor and mlready's runs of a tree taken in turn); wall time includes Node start-up (every run is a child process); peak RSS is the child's getrusage maximum.`,
];
const header = "| tree | run | files | wall s | files/s | peak RSS MiB | ratio to floor |\n|---|---|---:|---:|---:|---:|---:|";
const table = [header, ...rows.map((row) => `| ${row.tree} | ${row.run} | ${row.files} | ${row.wallS} | ${row.filesPerS} | ${row.rssMiB} | ${row.ratio} |`)].join("\n");
const block = `<!-- bench:start (written by \`npm run bench\`; do not edit by hand) -->\n${machine.join("\n")}\n\n${table}\n<!-- bench:end -->`;
console.log(block);

if (!process.env.BENCH_NO_WRITE) {
  const existing = existsSync(DOC) ? readFileSync(DOC, "utf8") : "# Performance\n\n<!-- bench:start -->\n<!-- bench:end -->\n";
  const updated = /<!-- bench:start[\s\S]*?<!-- bench:end -->/.test(existing)
    ? existing.replace(/<!-- bench:start[\s\S]*?<!-- bench:end -->/, () => block)
    : `${existing.trimEnd()}\n\n${block}\n`;
  writeFileSync(DOC, updated);
  console.error(`wrote ${path.relative(repoRoot, DOC)}`);
}
