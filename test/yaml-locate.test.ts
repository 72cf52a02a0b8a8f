import { describe, expect, it } from "vitest";
import { parseYaml } from "../src/parsers/yaml.js";

const TEXT = [
  "kind: Deployment", // 1
  "metadata:", // 2
  "  name: api", // 3
  "  labels: {app: api}", // 4
  "spec:", // 5
  "  empty:", // 6
  "  containers:", // 7
  "    - name: a", // 8
  "      image: x", // 9
  "    - name: b", // 10
  "  base: &base", // 11
  "    cpu: 1", // 12
  "  copy: *base", // 13
  "  list: [1, 2]", // 14
  "  dup: first", // 15
  "  dup: second", // 16
  "  ? [complex]", // 17
  "  : value", // 18
  "",
].join("\n");

describe("YamlDocument.locate / locateKey (positions kept without the syntax tree)", () => {
  const [document] = parseYaml(TEXT).documents;
  const at = (path: (string | number)[], key = false) => {
    const location = key ? document?.locateKey(path) : document?.locate(path);
    return location && [location.line, location.column];
  };

  it("points a scalar at its key and a collection at its first child, or at its key with locateKey", () => {
    expect(at(["metadata", "name"])).toEqual([3, 3]);
    expect(at(["metadata"])).toEqual([3, 3]);
    expect(at(["metadata"], true)).toEqual([2, 1]);
    expect(at(["metadata", "labels"])).toEqual([4, 11]);
    expect(at(["metadata", "labels", "app"])).toEqual([4, 12]);
    expect(at(["spec", "empty"])).toEqual([6, 3]);
  });

  it("walks sequences by index and stops at the nearest written ancestor", () => {
    expect(at(["spec", "containers", 1, "name"])).toEqual([10, 7]);
    expect(at(["spec", "containers", 1])).toEqual([10, 7]);
    expect(at(["spec", "containers", 5, "name"])).toEqual([8, 5]);
    expect(at(["spec", "containers", "name"])).toEqual([8, 5]);
    expect(at(["spec", "containers", 0, "resources", "limits"])).toEqual([8, 7]);
    expect(at(["spec", "list", 1])).toEqual([14, 13]);
    expect(at(["spec", "list", 1, "deeper"])).toEqual([14, 13]);
    expect(at(["nothing", "here"])).toEqual([1, 1]);
  });

  it("an alias is located where it is written; a repeated key at its first occurrence; complex keys are never matched", () => {
    expect(at(["spec", "copy"])).toEqual([13, 9]);
    expect(at(["spec", "copy", "cpu"])).toEqual([13, 9]);
    expect(at(["spec", "copy"], true)).toEqual([13, 3]);
    expect(at(["spec", "dup"])).toEqual([15, 3]);
    expect(at(["spec", "complex"])).toEqual([6, 3]);
  });

  it("a document that is one scalar, or empty, is located at its start", () => {
    const scalar = parseYaml("--- just text\n").documents[0];
    expect(scalar?.locate(["a"])).toEqual({ line: 1, column: 5 });
    const empty = parseYaml("---\n# only a comment\n---\nkind: x\n").documents;
    expect(empty.map((entry) => entry.locate(["kind"]))).toEqual([{ line: 4, column: 1 }]);
  });
});
