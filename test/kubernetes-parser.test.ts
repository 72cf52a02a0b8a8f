import { describe, expect, it } from "vitest";
import { MAX_ALIAS_COUNT, parseKubernetes } from "../src/parsers/kubernetes.js";

const lines = (...text: string[]) => `${text.join("\n")}\n`;

describe("parseKubernetes", () => {
  it("reads every document of a multi-document file, with each object's first line", () => {
    const manifest = parseKubernetes(lines(
      "# leading comment",
      "---",
      "apiVersion: v1",
      "kind: Service",
      "metadata:",
      "  name: churn-api",
      "  namespace: models",
      "  labels:",
      "    app: churn",
      "    tier: 1",
      "---",
      "---   # empty document",
      "--- {apiVersion: v1, kind: ConfigMap, metadata: {name: settings}}",
    ), "k8s/all.yaml");
    expect(manifest.errors).toEqual([]);
    expect(manifest.objects.map((object) => [object.kind, object.name, object.location.line])).toEqual([
      ["Service", "churn-api", 3],
      ["ConfigMap", "settings", 13],
    ]);
    const service = manifest.objects[0];
    expect(service?.namespace).toBe("models");
    expect(service?.labels).toEqual({ app: "churn", tier: "1" });
    expect(service?.file).toBe("k8s/all.yaml");
    expect(service?.apiVersion).toBe("v1");
  });

  it("flattens List kinds and locates items inside them", () => {
    const manifest = parseKubernetes(lines(
      "apiVersion: v1",
      "kind: List",
      "items:",
      "  - apiVersion: v1",
      "    kind: Pod",
      "    metadata:",
      "      name: a",
      "    spec:",
      "      containers:",
      "        - name: app",
      "          image: busybox:1.36",
      "  - apiVersion: v1",
      "    kind: ServiceList",
      "    items:",
      "      - apiVersion: v1",
      "        kind: Service",
      "        metadata: {name: b}",
    ), "list.yaml");
    expect(manifest.objects.map((object) => [object.kind, object.name, object.location.line])).toEqual([
      ["Pod", "a", 4],
      ["Service", "b", 15],
    ]);
    expect(manifest.objects[0]?.locate(["spec", "containers", 0, "image"])).toEqual({ line: 11, column: 11 });
  });

  it("keeps a custom kind that ends in List but has no items", () => {
    const manifest = parseKubernetes(lines("apiVersion: acme.io/v1", "kind: IPAllowList", "metadata: {name: office}", "spec: {cidrs: []}"), "a.yaml");
    expect(manifest.objects.map((object) => object.kind)).toEqual(["IPAllowList"]);
  });

  it("reads JSON manifests", () => {
    const manifest = parseKubernetes(JSON.stringify({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "api" },
      spec: { template: { spec: { containers: [{ name: "api", image: "api:1" }] } } },
    }, null, 2), "deploy.json");
    expect(manifest.errors).toEqual([]);
    expect(manifest.objects).toHaveLength(1);
    const [deployment] = manifest.objects;
    expect(deployment?.name).toBe("api");
    // `"image": "api:1"` is on line 13 of the pretty-printed JSON.
    expect(deployment?.locate(["spec", "template", "spec", "containers", 0, "image"]).line).toBe(13);
  });

  describe("locate", () => {
    const manifest = parseKubernetes(lines(
      "apiVersion: apps/v1",        // 1
      "kind: Deployment",           // 2
      "metadata:",                  // 3
      "  name: api",                // 4
      "spec:",                      // 5
      "  template:",                // 6
      "    spec:",                  // 7
      "      containers:",          // 8
      "        - name: api",        // 9
      "          image: api:1",     // 10
      "          resources:",       // 11
      "            limits:",        // 12
      "              memory: 1Gi",  // 13
    ), "deploy.yaml");
    const deployment = manifest.objects[0];

    it("points at the key of a scalar", () => {
      expect(deployment?.locate(["metadata", "name"])).toEqual({ line: 4, column: 3 });
      expect(deployment?.locate(["spec", "template", "spec", "containers", 0, "resources", "limits", "memory"])).toEqual({ line: 13, column: 15 });
    });

    it("points at a sequence item's first key", () => {
      expect(deployment?.locate(["spec", "template", "spec", "containers", 0])).toEqual({ line: 9, column: 11 });
    });

    it("points at the first child of a collection value, or at its key with locateKey", () => {
      expect(deployment?.locate(["spec", "template", "spec", "containers", 0, "resources"]).line).toBe(12);
      expect(deployment?.locateKey?.(["spec", "template", "spec", "containers", 0, "resources"]).line).toBe(11);
      expect(deployment?.locateKey?.(["spec", "template", "spec", "containers", 0]).line).toBe(9);
    });

    it("falls back to the nearest written ancestor", () => {
      expect(deployment?.locate(["spec", "template", "spec", "containers", 0, "resources", "requests", "cpu"]).line).toBe(12);
      expect(deployment?.locate(["spec", "template", "spec", "containers", 5]).line).toBe(9);
      expect(deployment?.locate([])).toEqual({ line: 1, column: 1 });
    });
  });

  it("turns an alias bomb (billion laughs) into an error, not an out-of-memory", () => {
    const bomb = [
      "apiVersion: v1",
      "kind: ConfigMap",
      'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
      ...["b", "c", "d", "e", "f", "g", "h", "i"].map((name, index, names) => {
        const previous = index === 0 ? "a" : names[index - 1];
        return `${name}: &${name} [${Array(9).fill(`*${previous}`).join(",")}]`;
      }),
    ];
    const started = Date.now();
    const manifest = parseKubernetes(lines(...bomb), "bomb.yaml");
    expect(Date.now() - started).toBeLessThan(5000);
    expect(manifest.objects).toEqual([]);
    expect(manifest.errors).toHaveLength(1);
    expect(manifest.errors[0]?.message).toMatch(/alias|resource exhaustion/i);
    expect(MAX_ALIAS_COUNT).toBeGreaterThan(0);
  });

  it("still expands ordinary aliases and merge keys", () => {
    const manifest = parseKubernetes(lines(
      "apiVersion: v1",
      "kind: Pod",
      "metadata: {name: p}",
      "x-resources: &resources",
      "  limits: {cpu: 500m, memory: 1Gi}",
      "x-base: &base",
      "  image: app:1",
      "spec:",
      "  containers:",
      "    - name: app",
      "      <<: *base",
      "      resources: *resources",
    ), "alias.yaml");
    expect(manifest.errors).toEqual([]);
    const container = (manifest.objects[0]?.value["spec"] as { containers: Record<string, unknown>[] }).containers[0];
    expect(container).toMatchObject({ name: "app", image: "app:1", resources: { limits: { cpu: "500m", memory: "1Gi" } } });
  });

  it("reports malformed YAML with its line and goes on with the next document", () => {
    const manifest = parseKubernetes(lines(
      "apiVersion: v1",
      "kind: ConfigMap",
      "metadata: {name: fine}",
      "---",
      "apiVersion: v1",
      "kind: Pod",
      "metadata:",
      "  name: broken",
      "spec:",
      "  containers:",
      "  - name: app",
      "    image: app:1",
      "   bad: indentation",
      "---",
      "apiVersion: v1",
      "kind: Secret",
      "metadata: {name: after}",
    ), "broken.yaml");
    expect(manifest.objects.map((object) => object.name)).toEqual(["fine", "after"]);
    expect(manifest.errors).toHaveLength(1);
    expect(manifest.errors[0]?.message).toMatch(/^invalid YAML: /);
    expect(manifest.errors[0]?.location.line).toBe(13);
  });

  it("skips CustomResourceDefinition documents without parsing them", () => {
    const manifest = parseKubernetes(lines(
      "apiVersion: apiextensions.k8s.io/v1",
      "kind: CustomResourceDefinition",
      "metadata: {name: widgets.acme.io}",
      "spec: {group: acme.io, names: {kind: Widget}, this is: [not even, valid",
      "---",
      "apiVersion: acme.io/v1",
      "kind: Widget",
      "metadata: {name: w}",
    ), "crds.yaml");
    expect(manifest.skippedDocuments).toBe(1);
    expect(manifest.errors).toEqual([]);
    expect(manifest.objects.map((object) => [object.kind, object.location.line])).toEqual([["Widget", 6]]);
  });

  it("does not crash on deeply nested YAML (block and flow)", () => {
    const flow = `apiVersion: v1\nkind: ConfigMap\ndata: ${"[".repeat(20_000)}${"]".repeat(20_000)}\n`;
    let block = "apiVersion: v1\nkind: ConfigMap\ndata:\n";
    for (let depth = 1; depth < 5_000; depth++) block += `${" ".repeat(depth)}k:\n`;
    for (const text of [flow, block]) {
      const manifest = parseKubernetes(text, "deep.yaml");
      expect(manifest.objects).toEqual([]);
      expect(manifest.errors).toHaveLength(1);
      expect(manifest.errors[0]?.location.line).toBeGreaterThanOrEqual(1);
    }
  });

  it("reads moderately nested YAML normally", () => {
    let nested = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: nested}\ndata:\n";
    for (let depth = 1; depth < 100; depth++) nested += `${"  ".repeat(depth)}k${depth}:\n`;
    nested += `${"  ".repeat(100)}leaf: 1\n`;
    const manifest = parseKubernetes(nested, "nested.yaml");
    expect(manifest.errors).toEqual([]);
    expect(manifest.objects).toHaveLength(1);
  });

  it("ignores documents that are not Kubernetes objects and empty files", () => {
    expect(parseKubernetes("", "empty.yaml").objects).toEqual([]);
    expect(parseKubernetes(lines("just: config", "---", "- a list", "---", "plain scalar"), "other.yaml").objects).toEqual([]);
    expect(parseKubernetes(lines("apiVersion: v1", "metadata: {name: no-kind}"), "nokind.yaml").objects).toEqual([]);
  });

  it("keeps duplicate keys readable (the last one wins) instead of failing", () => {
    const manifest = parseKubernetes(lines("apiVersion: v1", "kind: ConfigMap", "metadata: {name: a}", "metadata: {name: b}"), "dup.yaml");
    expect(manifest.errors).toEqual([]);
    expect(manifest.objects[0]?.name).toBe("b");
  });

  it("leaves files with YAML directives whole", () => {
    const manifest = parseKubernetes(lines("%YAML 1.2", "---", "apiVersion: v1", "kind: ConfigMap", "metadata: {name: directive}"), "directive.yaml");
    expect(manifest.errors).toEqual([]);
    expect(manifest.objects.map((object) => [object.name, object.location.line])).toEqual([["directive", 3]]);
  });
});
