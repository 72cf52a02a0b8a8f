// Preloaded into every measured child (`node --import ./bench/rss.mjs ...`): on exit, appends the
// process's peak resident set size (KiB, from getrusage) to the file named by MLREADY_BENCH_RSS_FILE.
import { appendFileSync } from "node:fs";

const target = process.env.MLREADY_BENCH_RSS_FILE;
if (target) {
  process.on("exit", () => {
    appendFileSync(target, `${process.resourceUsage().maxRSS}\n`);
  });
}
