// The HTML report: one self-contained file (inline CSS, a little vanilla JavaScript, inline SVG; no
// network, fonts or external scripts, enforced by its Content-Security-Policy). A pure function of
// the results, like every reporter: code excerpts come from `CheckResult.excerpts`, which check()
// reads through the same size-limited, root-confined source cache the suppressions use.
import { createHash } from "node:crypto";
import type { CheckResult } from "../check.js";
import { SEVERITY_ORDER, type Finding, type Severity } from "../model.js";
import { DOCS_BASE_URL, ruleHelp } from "../rule-docs.js";
import { GRADE_COLORS } from "../badge.js";
import { excerptRange } from "../excerpts.js";
import { SECTIONS } from "../sections.js";
import { TOOL } from "../version.js";

// ---------------------------------------------------------------------------------------------
// Rendering

export interface HtmlOptions {
  /** The time of the check shown in the report (injectable so that tests are deterministic). */
  now?: Date;
}

const SEVERITIES: readonly Severity[] = ["error", "warning", "info"];
const OTHER_SECTION = { id: "other", title: "Other" } as const;

export function escapeHtml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, "\uFFFD")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

function gauge(result: CheckResult): string {
  const radius = 52;
  const circumference = 2 * Math.PI * radius;
  const filled = (circumference * Math.max(0, Math.min(100, result.score))) / 100;
  const label = `Readiness score ${result.score} of 100, grade ${result.grade}`;
  return `<svg class="gauge" viewBox="0 0 120 120" width="140" height="140" role="img" aria-label="${escapeHtml(label)}">
<title>${escapeHtml(label)}</title>
<circle cx="60" cy="60" r="${radius}" fill="none" class="gauge-track" stroke-width="12"/>
<circle cx="60" cy="60" r="${radius}" fill="none" stroke="${GRADE_COLORS[result.grade]}" stroke-width="12" stroke-linecap="round" stroke-dasharray="${filled.toFixed(2)} ${circumference.toFixed(2)}" transform="rotate(-90 60 60)"/>
<text x="60" y="60" text-anchor="middle" class="gauge-score" data-testid="score">${result.score}</text>
<text x="60" y="84" text-anchor="middle" class="gauge-grade">grade ${result.grade}</text>
</svg>`;
}

function sectionOf(result: CheckResult): (finding: Finding) => { id: string; title: string } {
  const ruleSection = new Map(result.rules.map((rule) => [rule.id, rule.section]));
  const titles = new Map(SECTIONS.map((section) => [section.id as string, section.title]));
  return (finding) => {
    const id = ruleSection.get(finding.ruleId);
    return id ? { id, title: titles.get(id) ?? id } : OTHER_SECTION;
  };
}

function excerptOf(result: CheckResult, finding: Finding): string {
  if (finding.file === undefined || finding.line === undefined || !result.excerpts) return "";
  const withheld = result.excerpts.withheld[finding.file];
  if (withheld) return `<p class="withheld">${escapeHtml(withheld)}</p>`;
  const shown = result.excerpts.lines[finding.file];
  if (!shown) return "";
  const rows: string[] = [];
  const { first, last, hitLast } = excerptRange({ ...finding, line: finding.line });
  for (let line = first; line <= last; line++) {
    const text = shown[line];
    if (text === undefined) continue;
    const mark = line >= finding.line && line <= hitLast;
    rows.push(`<span class="line${mark ? " hit" : ""}"><span class="ln" aria-hidden="true">${line}</span>${escapeHtml(text) || " "}</span>`);
  }
  if (rows.length === 0) return "";
  // Focusable: an excerpt wider than its box scrolls, and a scrollable region must be reachable from the keyboard.
  return `<pre class="excerpt" tabindex="0"><code>${rows.join("")}</code></pre>`;
}

function findingRow(result: CheckResult, finding: Finding, section: { id: string }, documented: Map<string, string | undefined>): string {
  // Built-in rules link to their docs page; plugin rules to the url their docs give, or nowhere.
  const uri = documented.get(finding.ruleId);
  const rule = uri ? `<a href="${escapeHtml(uri)}">${escapeHtml(finding.ruleId)}</a>` : escapeHtml(finding.ruleId);
  const where = finding.file === undefined ? "(project)" : `${finding.file}${finding.line !== undefined ? `:${finding.line}` : ""}`;
  const suppressed = finding.suppressed
    ? ` <span class="tag">suppressed (${escapeHtml(finding.suppressed.kind)}): ${escapeHtml(finding.suppressed.reason)}</span>`
    : "";
  return `<tr class="finding${finding.suppressed ? " suppressed" : ""}" data-severity="${finding.severity}" data-section="${escapeHtml(section.id)}">
<td><span class="sev sev-${finding.severity}">${finding.severity}</span></td>
<td>${rule}</td>
<td>${escapeHtml(finding.message)}${suppressed}${excerptOf(result, finding)}</td>
<td class="where"><code>${escapeHtml(where)}</code></td>
</tr>`;
}

function projectBody(result: CheckResult, index: number): string {
  const id = `p${index}`;
  const parts: string[] = [];
  const sectionFor = sectionOf(result);
  parts.push(`<div class="summary">${gauge(result)}<div>`);
  parts.push(`<p class="headline"><strong>${result.score}/100</strong>, grade <strong>${result.grade}</strong></p>`);
  if (result.note) parts.push(`<p class="note">${escapeHtml(result.note)}</p>`);
  const failing = result.sections.filter((section) => section.score !== null && section.score < 100);
  if (failing.length > 0) {
    const weakest = failing.reduce((low, section) => ((section.score ?? 0) < (low.score ?? 0) ? section : low));
    parts.push(`<p class="weakest" data-testid="weakest">Weakest section: <strong>${escapeHtml(weakest.title)}</strong> (${weakest.score}/100). Fix its findings first.</p>`);
  } else if (result.sections.some((section) => section.score !== null)) {
    parts.push(`<p class="weakest">Every applicable section passes.</p>`);
  }
  const open = result.findings.filter((finding) => !finding.suppressed);
  const counts = SEVERITIES.map((severity) => open.filter((finding) => finding.severity === severity).length);
  const suppressedCount = result.findings.length - open.length;
  parts.push(`<p>${plural(counts[0] ?? 0, "error")}, ${plural(counts[1] ?? 0, "warning")}, ${counts[2] ?? 0} info${suppressedCount ? `, ${suppressedCount} suppressed` : ""}</p>`);
  parts.push(`</div></div>`);

  // The checklist: one line per section, with its mark, a bar and its rules' tally.
  parts.push(`<h3 id="${id}-checklist">Checklist</h3><ol class="checklist" aria-labelledby="${id}-checklist">`);
  for (const [sectionIndex, section] of result.sections.entries()) {
    const checklist = SECTIONS[sectionIndex]?.checklist ?? "";
    const state = section.score === null ? "na" : section.score === 100 ? "pass" : "fail";
    const mark = state === "na" ? "–" : state === "pass" ? "✔" : "✖";
    const markText = state === "na" ? "not applicable" : state === "pass" ? "passes" : "fails";
    const score = section.score === null ? "n/a" : `${section.score}`;
    const tally = `${section.passed} passed, ${section.failed} failed${section.skipped ? `, ${section.skipped} skipped` : ""}`;
    parts.push(`<li class="section ${state}" data-section="${section.id}">
<span class="mark" aria-hidden="true">${mark}</span><span class="visually-hidden">${markText}: </span>
<span class="title">${escapeHtml(section.title)}</span>
<span class="bar" role="img" aria-label="${escapeHtml(`${section.title}: ${section.score === null ? "not applicable" : `${section.score} of 100`}`)}"><span class="fill" style="width:${section.score ?? 0}%"></span></span>
<span class="score">${score}</span>
<span class="text">${escapeHtml(checklist)}<br><small>${section.score === null ? "no rule applies" : tally}</small></span>
</li>`);
  }
  parts.push(`</ol>`);

  // Findings, grouped by section, with the filter.
  parts.push(`<h3 id="${id}-findings">Findings</h3>`);
  if (result.findings.length === 0) {
    parts.push(`<p>No findings.</p>`);
  } else {
    const groups = new Map<string, { title: string; findings: Finding[] }>();
    for (const section of [...SECTIONS, OTHER_SECTION]) groups.set(section.id, { title: section.title, findings: [] });
    // Errors first within a section, then in file and line order (stable sort).
    const bySeverity = [...result.findings].sort((a, b) => SEVERITY_ORDER[b.severity] - SEVERITY_ORDER[a.severity]);
    for (const finding of bySeverity) groups.get(sectionFor(finding).id)?.findings.push(finding);
    const present = [...groups.entries()].filter(([, group]) => group.findings.length > 0);
    parts.push(`<form class="filters" data-project="${index}" aria-label="Filter findings">
<fieldset><legend>Severity</legend>
${SEVERITIES.map((severity) => `<label><input type="checkbox" name="severity" value="${severity}" checked> ${severity} (${result.findings.filter((finding) => finding.severity === severity).length})</label>`).join("\n")}
</fieldset>
<label class="section-filter">Section <select name="section">
<option value="">All sections</option>
${present.map(([sectionId, group]) => `<option value="${escapeHtml(sectionId)}">${escapeHtml(group.title)} (${group.findings.length})</option>`).join("\n")}
</select></label>
<p class="count" role="status" aria-live="polite">Showing ${result.findings.length} of ${plural(result.findings.length, "finding")}</p>
</form>`);
    const documented = new Map(result.rules.map((rule) => [rule.id, ruleHelp(rule).uri]));
    for (const [sectionId, group] of present) {
      parts.push(`<section class="group" data-section="${escapeHtml(sectionId)}" aria-labelledby="${id}-g-${escapeHtml(sectionId)}">
<h4 id="${id}-g-${escapeHtml(sectionId)}">${escapeHtml(group.title)}</h4>
<table><thead><tr><th scope="col">Severity</th><th scope="col">Rule</th><th scope="col">Message</th><th scope="col">Location</th></tr></thead><tbody>
${group.findings.map((finding) => findingRow(result, finding, { id: sectionId }, documented)).join("\n")}
</tbody></table></section>`);
    }
  }
  return parts.join("\n");
}

const STYLE = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#57606a;--border:#d0d7de;--panel:#f6f8fa;--track:#e1e4e8;--pass:#1a7f37;--fail:#cf222e;--na:#6e7781;--error:#b42318;--warning:#8a5a00;--info:#0b5cad;--hit:#fff5c2;--link:#0550ae}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9da7b3;--border:#30363d;--panel:#161b22;--track:#30363d;--pass:#3fb950;--fail:#ff7b72;--na:#8b949e;--error:#ff8a80;--warning:#e3b341;--info:#79c0ff;--hit:#3a3000;--link:#79c0ff}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header,main,footer{max-width:72rem;margin:0 auto;padding:1rem 1.5rem}
header{display:flex;flex-wrap:wrap;align-items:center;justify-content:space-between;gap:1rem;border-bottom:1px solid var(--border)}
h1{font-size:1.4rem;margin:0}h2{font-size:1.25rem;margin:.5rem 0}h3{font-size:1.1rem;margin:1.5rem 0 .5rem}h4{font-size:1rem;margin:1rem 0 .25rem}
a{color:var(--link)}
.summary{display:flex;flex-wrap:wrap;gap:1.5rem;align-items:center}
.gauge-track{stroke:var(--track)}.gauge-score{font-size:30px;font-weight:700;fill:var(--fg)}.gauge-grade{font-size:13px;fill:var(--muted)}
.headline{font-size:1.2rem;margin:.25rem 0}.note{color:var(--muted)}
.weakest{border-left:4px solid var(--fail);background:var(--panel);padding:.4rem .75rem}
.checklist{list-style:none;padding:0;margin:0}
.section{display:grid;grid-template-columns:1.5rem 7rem 10rem 2.5rem 1fr;gap:.75rem;align-items:center;padding:.35rem 0;border-bottom:1px solid var(--border)}
.section .mark{font-weight:700;text-align:center}.pass .mark{color:var(--pass)}.fail .mark{color:var(--fail)}.na .mark,.na .score{color:var(--na)}
.section .title{font-weight:600}.section .score{text-align:right;font-variant-numeric:tabular-nums}
.bar{display:block;height:.7rem;background:var(--track);border-radius:.35rem;overflow:hidden}
.fill{display:block;height:100%;background:var(--fail)}.pass .fill{background:var(--pass)}
small{color:var(--muted)}
.filters{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;background:var(--panel);border:1px solid var(--border);border-radius:.4rem;padding:.5rem .75rem}
fieldset{border:0;margin:0;padding:0;display:flex;gap:.75rem;align-items:center}legend{float:left;margin-right:.5rem;font-weight:600}
.section-filter{font-weight:600}select{font:inherit;margin-left:.4rem}
.count{margin:0;color:var(--muted)}
input:focus-visible,select:focus-visible,a:focus-visible,.excerpt:focus-visible{outline:3px solid var(--link);outline-offset:2px}
table{width:100%;border-collapse:collapse;margin-bottom:.5rem;table-layout:fixed}
th:nth-child(1){width:6rem}th:nth-child(2){width:11rem}th:nth-child(4){width:15rem}td{overflow-wrap:anywhere}
th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid var(--border)}
th{background:var(--panel);font-size:.85rem}
td.where code{overflow-wrap:anywhere}
.sev{font-weight:700}.sev-error{color:var(--error)}.sev-warning{color:var(--warning)}.sev-info{color:var(--info)}
.suppressed td{opacity:.75}.tag{font-size:.8rem;border:1px solid var(--border);border-radius:.3rem;padding:0 .3rem}
.excerpt{margin:.4rem 0 0;padding:.4rem 0;background:var(--panel);border:1px solid var(--border);border-radius:.3rem;overflow-x:auto;font-size:.8rem;line-height:1.4}
.excerpt .line{display:block;padding:0 .5rem;white-space:pre}.excerpt .hit{background:var(--hit)}
.ln{display:inline-block;min-width:3ch;margin-right:1ch;color:var(--muted);text-align:right;user-select:none}
.withheld{font-size:.85rem;color:var(--muted);font-style:italic;margin:.3rem 0 0}
.project-switcher label{font-weight:600}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
[hidden]{display:none!important}
footer{color:var(--muted);font-size:.85rem;border-top:1px solid var(--border)}
@media (max-width:40rem){.section{grid-template-columns:1.5rem 1fr 2.5rem}.section .bar,.section .text{grid-column:2/4}}
@media print{:root{--bg:#fff;--fg:#000;--muted:#333;--panel:#fff;--border:#999}body{font-size:11pt}.filters,.project-switcher{display:none}
header,main,footer{max-width:none;padding:.5rem 0}tr,li,.excerpt{break-inside:avoid}a{color:inherit;text-decoration:none}
.bar,.fill,.excerpt .hit{print-color-adjust:exact;-webkit-print-color-adjust:exact}}
`;

// Filters and the project switcher. Plain DOM, no framework; without JavaScript everything is shown.
const SCRIPT = `
(function () {
  "use strict";
  function apply(form) {
    var project = form.closest(".project");
    var severities = Array.prototype.filter.call(form.querySelectorAll("input[name=severity]"), function (box) { return box.checked; })
      .map(function (box) { return box.value; });
    var section = form.querySelector("select[name=section]").value;
    var rows = project.querySelectorAll("tr.finding");
    var shown = 0;
    Array.prototype.forEach.call(rows, function (row) {
      var visible = severities.indexOf(row.getAttribute("data-severity")) >= 0 && (!section || row.getAttribute("data-section") === section);
      row.hidden = !visible;
      if (visible) shown++;
    });
    Array.prototype.forEach.call(project.querySelectorAll("section.group"), function (group) {
      group.hidden = group.querySelector("tr.finding:not([hidden])") === null;
    });
    form.querySelector(".count").textContent = "Showing " + shown + " of " + rows.length + " finding" + (rows.length === 1 ? "" : "s");
  }
  Array.prototype.forEach.call(document.querySelectorAll("form.filters"), function (form) {
    form.addEventListener("change", function () { apply(form); });
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    apply(form);
  });
  // Every project is in the page (and shown without JavaScript); the switcher shows one at a time.
  var switcher = document.getElementById("project-switcher");
  if (switcher) {
    var show = function () {
      Array.prototype.forEach.call(document.querySelectorAll(".project"), function (project, index) {
        project.hidden = String(index) !== switcher.value;
      });
    };
    switcher.addEventListener("change", show);
    show();
  }
})();
`;

/** A hash of the inline script, so that the Content-Security-Policy allows it and nothing else. */
const SCRIPT_HASH = createHash("sha256").update(SCRIPT).digest("base64");

/** The whole report of one or more projects: one page, one project shown at a time when there are several. */
export function formatHtml(results: readonly CheckResult[], options: HtmlOptions = {}): string {
  const now = options.now ?? new Date();
  const title = results.length === 1 ? `mlready report: ${results[0]?.root ?? ""}` : `mlready report: ${results.length} projects`;
  const switcher = results.length > 1
    ? `<div class="project-switcher"><label for="project-switcher">Project</label> <select id="project-switcher">
${results.map((result, index) => `<option value="${index}">${escapeHtml(result.root)} (${result.score}, ${result.grade})</option>`).join("\n")}
</select></div>`
    : "";
  const projects = results.map((result, index) => `<section class="project" id="project-${index}" aria-labelledby="project-${index}-title">
<h2 id="project-${index}-title">${escapeHtml(result.root)}</h2>
${projectBody(result, index)}
</section>`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-${SCRIPT_HASH}'; form-action 'none'; base-uri 'none'">
<meta name="generator" content="mlready ${escapeHtml(TOOL.version)}">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>mlready readiness report</h1>${switcher}</header>
<main>
${projects.join("\n")}
</main>
<footer><p>mlready ${escapeHtml(TOOL.version)} · checked <time datetime="${now.toISOString()}">${now.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC")}</time> · rule documentation: <a href="${escapeHtml(DOCS_BASE_URL)}">${escapeHtml(DOCS_BASE_URL)}</a></p></footer>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
