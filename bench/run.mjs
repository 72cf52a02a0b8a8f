#!/usr/bin/env node
// Benchmarks `mlready check` against a naive floor measured in the same run (glob every file, read it,
// parse every YAML with `yaml`), over synthetic monorepos and, when present, ../shared/corpus.
// Prints ratios, not absolute claims: machines differ, ratios within one run do not drift as much.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fg from "fast-glob";
import { parseAllDocuments } from "yaml";
import { check } from "../dist/check.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

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
    "loadtest/k6.js": `export const options = { vus: 10, duration: "1m" };\n`,
  };
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
  }
}

async function naiveFloor(root) {
  const files = await fg("**/*", { cwd: root, dot: true, ignore: ["**/node_modules/**", "**/.git/**"] });
  for (const file of files) {
    const text = readFileSync(path.join(root, file), "utf8");
    if (/\.ya?ml$/.test(file)) parseAllDocuments(text);
  }
}

async function time(fn) {
  const samples = [];
  for (let run = 0; run < RUNS; run++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

const rows = [];
async function measure(label, root) {
  await check(root); // warm-up: module loading and JIT are not what is measured
  const floor = await time(() => naiveFloor(root));
  const mlready = await time(() => check(root));
  rows.push({ label, floorMs: floor.toFixed(0), mlreadyMs: mlready.toFixed(0), ratio: (mlready / floor).toFixed(2) });
}

const temp = mkdtempSync(path.join(os.tmpdir(), "mlready-bench-"));
try {
  for (const count of [10, 100, 1000]) {
    const root = path.join(temp, `mono-${count}`);
    for (let index = 0; index < count; index++) service(root, index);
    await measure(`synthetic ${count} services (${count * 10} files)`, root);
  }
  const corpus = path.join(repoRoot, "..", "shared", "corpus");
  if (existsSync(corpus)) {
    await measure("shared/corpus (all repositories)", corpus);
  } else {
    console.log("../shared/corpus not found: corpus benchmark not run");
  }
} finally {
  rmSync(temp, { recursive: true, force: true });
}
console.log(`median of ${RUNS} runs each, in one process; ratio = mlready / naive floor (glob + read + yaml parse)`);
console.table(rows);
