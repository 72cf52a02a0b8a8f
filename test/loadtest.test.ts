import path from "node:path";
import { describe, expect, it } from "vitest";
import { discover } from "../src/discover.js";
import {
  analyzeArtillery,
  analyzeGatling,
  analyzeJmeter,
  analyzeK6,
  analyzeLocust,
  declaredPeak,
  findLoadTests,
  loadTestCandidate,
  locustConfUsers,
  parseLocustfile,
  readProjectText,
  scanCommands,
  stripCComments,
} from "../src/loadtest.js";
import { buildProject } from "../src/project.js";
import { FIXTURES } from "./helpers/fixtures.js";

const k6 = (options: string, body = 'http.get("http://x/");') => `import http from "k6/http";\nimport { sleep } from "k6";\nexport const options = ${options};\nexport default function () {\n  ${body}\n}\n`;

describe("k6", () => {
  it("reads a constant-arrival-rate scenario's rate and timeUnit", () => {
    const test = analyzeK6(k6('{ scenarios: { a: { executor: "constant-arrival-rate", rate: 600, timeUnit: "1m", duration: "5m", preAllocatedVUs: 10 } } }'), "k6.js");
    expect(test?.rps).toBe(10);
    expect(test?.location.line).toBe(3);
  });

  it("takes the highest stage target of a ramping-arrival-rate scenario, resolving constants and __ENV defaults", () => {
    const script = `const TOP = __ENV.TOP || 240;\n${k6(`{\n  scenarios: {\n    ramp: {\n      executor: 'ramping-arrival-rate',\n      timeUnit: '2s',\n      stages: [\n        { target: 40, duration: '1m' },\n        { target: TOP, duration: '1m' },\n      ],\n    },\n  },\n}`)}`;
    const test = analyzeK6(script, "k6.js");
    expect(test?.rps).toBe(120);
    expect(test?.location.line).toBe(11);
  });

  it("derives VUs x requests / fixed think time, and refuses a random or missing sleep", () => {
    expect(analyzeK6(k6("{ vus: 30, duration: '1m' }", 'http.get("a"); http.post("b", "{}"); sleep(2);'), "k6.js")?.rps).toBe(30);
    expect(analyzeK6(k6("{ stages: [{ target: 10 }, { target: 50 }] }", "http.get('a'); sleep(0.25);"), "k6.js")?.rps).toBe(200);
    const random = analyzeK6(k6("{ vus: 30 }", "http.get('a'); sleep(Math.random() * 3);"), "k6.js");
    expect(random?.rps).toBeUndefined();
    expect(random?.detail).toContain("not a fixed think time");
    expect(analyzeK6(k6("{ vus: 30 }"), "k6.js")?.detail).toContain("without a think time");
  });

  it("ignores options in comments and files that do not import k6", () => {
    expect(analyzeK6('// export const options = { vus: 1 }\nconsole.log("hi")', "a.js")).toBeNull();
    const test = analyzeK6(k6('{ /* rate: 9999 */ scenarios: { a: { executor: "constant-arrival-rate", rate: 5 } } }'), "k6.js");
    expect(test?.rps).toBe(5);
    expect(stripCComments('a = "//not a comment"; // gone')).toBe('a = "//not a comment";        ');
  });

  it("reads options built by a function of the same file, and never builds a RegExp from an exec name", () => {
    const script = 'import http from "k6/http";\nfunction get_options() {\n  return { scenarios: { t: { executor: "constant-arrival-rate", rate: 40, exec: "run(" } } };\n}\nexport const options = get_options();\n';
    expect(analyzeK6(script, "k6.js")?.rps).toBe(40);
    const vus = analyzeK6('import http from "k6/http";\nexport const options = { scenarios: { t: { executor: "constant-vus", vus: 3, exec: "a(b" } } };\nexport default function () { http.get("x"); sleep(1); }\n', "k6.js");
    expect(vus?.rps).toBe(3);
  });

  it("keeps the highest of several scenarios", () => {
    const test = analyzeK6(k6('{ scenarios: { smoke: { executor: "constant-vus", vus: 1, duration: "1m" }, peak: { executor: "constant-arrival-rate", rate: 300 } } }', "http.get('a'); sleep(1);"), "k6.js");
    expect(test?.rps).toBe(300);
  });
});

describe("Locust", () => {
  const locustfile = `from locust import HttpUser, task, constant_throughput, constant_pacing\n\nclass Reader(HttpUser):\n    weight = 3\n    wait_time = constant_throughput(2)\n\nclass Writer(HttpUser):\n    wait_time = constant_pacing(2)\n`;

  it("weights the per-user rate of each user class and multiplies by the users", () => {
    const parsed = parseLocustfile(locustfile, "locustfile.py");
    expect(parsed?.classes.map((userClass) => [userClass.name, userClass.weight, userClass.perUser])).toEqual([["Reader", 3, 2], ["Writer", 1, 0.5]]);
    const test = analyzeLocust(parsed!, { value: 100, location: { line: 1, column: 1 }, file: "locust.conf" });
    expect(test.rps).toBeCloseTo(162.5);
  });

  it("says what is missing: the users, or a fixed wait time", () => {
    const parsed = parseLocustfile(locustfile, "locustfile.py");
    expect(analyzeLocust(parsed!, undefined).detail).toContain("number of users is not set");
    const between = parseLocustfile("from locust import HttpUser, between\nclass U(HttpUser):\n    wait_time = between(1, 2)\n", "l.py");
    expect(analyzeLocust(between!, { value: 10, location: { line: 1, column: 1 }, file: "Makefile" }).detail).toContain("between(1, 2)");
  });

  it("reads users from locust.conf, a LoadTestShape, and -u in commands with Makefile variables", () => {
    expect(locustConfUsers("headless = true\nusers = 250\n")?.value).toBe(250);
    const shaped = parseLocustfile('import locust\nfrom locust import LoadTestShape\nclass Shape(LoadTestShape):\n    stages = [{"duration": 60, "users": 10}, {"duration": 120, "users": 80}]\n', "l.py");
    expect(shaped?.shapeUsers?.value).toBe(80);
    const commands = scanCommands("USERS ?= 75\nload:\n\tlocust -f load/locustfile.py --headless \\\n\t  --users $(USERS) -r 5\n", "Makefile");
    expect(commands.find((command) => command.locustUsers)?.locustUsers?.value).toBe(75);
    expect(commands.find((command) => command.runs)?.runs).toBe("load/locustfile.py");
  });

  it("is not fooled by non-locust Python", () => {
    expect(parseLocustfile("class User(object):\n    wait_time = 1\n", "bench.py")).toBeNull();
  });
});

describe("commands and other tools", () => {
  it("reads vegeta, hey and wrk2 rates", () => {
    const [vegeta, hey, wrk2, wrk] = scanCommands("vegeta attack -rate=30/100ms -duration=1m\nhey -q 5 -c 20 http://x/\nwrk2 -t2 -c10 -R 900 http://x/\nwrk -t2 -c10 http://x/\n", "load.sh");
    expect(vegeta?.test?.rps).toBe(300);
    expect(hey?.test?.rps).toBe(100);
    expect(wrk2?.test?.rps).toBe(900);
    expect(wrk?.test?.rps).toBeUndefined();
  });

  it("reads Artillery phases, JMeter throughput timers and Gatling injection", () => {
    const artillery = analyzeArtillery("config:\n  target: http://x\n  phases:\n    - duration: 60\n      arrivalRate: 20\n      rampTo: 50\nscenarios:\n  - flow:\n      - get:\n          url: /a\n      - post:\n          url: /b\n", "artillery.yml");
    expect(artillery?.rps).toBe(100);
    const jmx = '<jmeterTestPlan><ThreadGroup><stringProp name="ThreadGroup.num_threads">10</stringProp></ThreadGroup><ConstantThroughputTimer><intProp name="calcMode">0</intProp><doubleProp><name>throughput</name><value>600.0</value></doubleProp></ConstantThroughputTimer></jmeterTestPlan>';
    expect(analyzeJmeter(jmx, "plan.jmx").rps).toBe(100);
    const gatling = analyzeGatling('import io.gatling.core.Predef._\nclass S extends Simulation {\n  val scn = scenario("s").exec(http("p").post("/p"))\n  setUp(scn.inject(rampUsersPerSec(10).to(60).during(60)))\n}\n', "S.scala");
    expect(gatling?.rps).toBe(60);
  });

  it("picks candidate files by path", () => {
    expect(loadTestCandidate("loadtest/k6.js")).toBe("script");
    expect(loadTestCandidate("tests/load/locustfile.py")).toBe("locustfile");
    expect(loadTestCandidate("src/app.js")).toBeUndefined();
    expect(loadTestCandidate("plans/checkout.jmx")).toBe("jmx");
    expect(loadTestCandidate("locust.conf")).toBe("locust-conf");
  });
});

describe("declared peak", () => {
  it.each([
    ["Expected peak traffic: 150 requests per second", 150],
    ["| Expected peak | **50 RPS** (Mondays) |", 50],
    ["Peak load: 3,000 requests per minute", 50],
    ["We expect a peak of 1.5k QPS at launch", 1500],
    ["peak: 120 req/s", 120],
  ])("%s", (line, value) => {
    expect(declaredPeak(`# Service\n\n${line}\n`)?.value).toBe(value);
  });

  it("does not take a load test's rate for the peak", () => {
    expect(declaredPeak("Load test: 100 RPS, twice the peak.\n")).toBeUndefined();
    expect(declaredPeak("Throughput: 100 RPS\n")).toBeUndefined();
  });
});

describe("findLoadTests over a fixture project", () => {
  it("combines locust.conf users with the locustfile", async () => {
    const root = path.join(FIXTURES, "load-test", "fail", "locust-below-2x");
    const { project } = await buildProject(root, await discover(root), { externalTools: false });
    const tests = await findLoadTests(project, (file) => readProjectText(project, file));
    expect(tests.map((test) => [test.tool, test.file, test.rps])).toEqual([["locust", "loadtest/locustfile.py", 200]]);
    expect(await readProjectText(project, "../../../../package.json")).toBeUndefined();
  });
});
