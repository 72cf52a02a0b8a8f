import { declaredPeak, findLoadTests, formatRate, peakDocuments, readProjectText, type LoadTest } from "../loadtest.js";
import { isDeployable } from "../paths.js";
import { defineRule } from "../rule.js";

interface LoadTestOptions {
  headroom: number;
}

const TOOL_NAMES: Record<LoadTest["tool"], string> = {
  k6: "k6",
  locust: "Locust",
  vegeta: "Vegeta",
  hey: "hey",
  wrk: "wrk",
  artillery: "Artillery",
  jmeter: "JMeter",
  gatling: "Gatling",
};

export default defineRule<LoadTestOptions>({
  meta: {
    id: "load-test",
    title: "Load test at twice the expected peak",
    section: "load",
    severity: "warning",
    weight: 2,
    description:
      "Checks that a load test exists (k6, Locust, Vegeta, hey, wrk, Artillery, JMeter or Gatling) and that the request rate it drives, read from the test itself, is at least twice the expected peak declared in the configuration (`expectedPeakRps`) or in the README or runbook.",
    options: {
      type: "object",
      additionalProperties: false,
      properties: {
        headroom: {
          type: "number",
          minimum: 1,
          description: "How many times the expected peak the load test must drive.",
        },
      },
    },
    defaultOptions: { headroom: 2 },
    messages: {
      noLoadTest:
        "No load test found: mlready looked for k6 scripts, Locust locustfiles, Artillery, JMeter (.jmx) and Gatling files, and for vegeta, hey and wrk commands in scripts, Makefiles, CI workflows and the README. Add one that drives {{headroom}}x the expected peak, e.g. loadtest/k6.js with a `constant-arrival-rate` scenario.",
      noPeak:
        "The expected peak is not declared, so mlready cannot tell whether the load tests found ({{tests}}) drive {{headroom}}x the peak. Set `expectedPeakRps` in .mlreadyrc.json, or add a line such as \"Expected peak traffic: 150 requests per second\" to the README or runbook.",
      rateUnknown:
        "The {{tool}} load test's request rate cannot be derived: {{reason}}. {{fix}}, so that the rate can be compared with {{headroom}}x the expected peak ({{required}} requests/s).",
      belowPeak:
        "The {{tool}} load test drives {{rate}} requests/s ({{basis}}), less than {{headroom}}x the expected peak of {{peak}} requests/s ({{peakSource}}). Raise it to at least {{required}} requests/s.",
    },
  },
  async check(context) {
    const { project, options } = context;
    const headroom = options.headroom ?? 2;
    const tests = await findLoadTests(project, (file) => readProjectText(project, file));

    if (tests.length === 0) {
      if (!isDeployable(project)) {
        context.skip("nothing here is deployed (no Dockerfile, Kubernetes manifest, Helm chart, Kustomization or MLflow model) and there is no load test");
        return;
      }
      context.report({ messageId: "noLoadTest", data: { headroom } });
      return;
    }

    let peak: { value: number; source: string } | undefined;
    const configured = context.config?.expectedPeakRps;
    if (typeof configured === "number" && configured > 0) peak = { value: configured, source: "`expectedPeakRps` in the configuration" };
    if (!peak) {
      for (const document of peakDocuments(project)) {
        const text = await readProjectText(project, document);
        const declared = text === undefined ? undefined : declaredPeak(text);
        if (declared) {
          peak = { value: declared.value, source: `"${declared.written}" in ${document}:${declared.location.line}` };
          break;
        }
      }
    }

    if (!peak) {
      const names = [...new Set(tests.map((test) => `${test.file} (${TOOL_NAMES[test.tool]})`))];
      const listed = names.length > 5 ? `${names.slice(0, 5).join(", ")} and ${names.length - 5} more` : names.join(", ");
      context.report({ messageId: "noPeak", data: { tests: listed, headroom } });
      for (const test of tests) {
        if (test.rps !== undefined) continue;
        context.report({ messageId: "rateUnknown", data: { tool: TOOL_NAMES[test.tool], reason: test.detail, fix: test.fix ?? "Make the rate explicit", headroom, required: "unknown until the peak is declared" }, file: test.file, at: test.location });
      }
      return;
    }

    const required = peak.value * headroom;
    // Any one test at the required rate is enough: smaller ones are smoke tests.
    if (tests.some((test) => test.rps !== undefined && test.rps >= required - 1e-9)) return;
    for (const test of tests) {
      if (test.rps === undefined) {
        context.report({ messageId: "rateUnknown", data: { tool: TOOL_NAMES[test.tool], reason: test.detail, fix: test.fix ?? "Make the rate explicit", headroom, required: formatRate(required) }, file: test.file, at: test.location });
        continue;
      }
      context.report({
        messageId: "belowPeak",
        data: { tool: TOOL_NAMES[test.tool], rate: formatRate(test.rps), basis: test.detail, headroom, peak: formatRate(peak.value), peakSource: peak.source, required: formatRate(required) },
        file: test.file,
        at: test.location,
      });
    }
  },
});
