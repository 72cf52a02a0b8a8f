import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareQuantities, parseQuantity } from "../src/quantity.js";

describe("parseQuantity", () => {
  it.each([
    ["500m", 0.5],
    ["1", 1],
    ["2", 2],
    ["0.5", 0.5],
    [".5", 0.5],
    ["1.", 1],
    ["+1", 1],
    ["100n", 100e-9],
    ["250u", 250e-6],
    ["2k", 2000],
    ["512M", 512e6],
    ["1G", 1e9],
    ["1T", 1e12],
    ["1P", 1e15],
    ["1E", 1e18],
    ["2Ki", 2048],
    ["2Mi", 2 * 1024 ** 2],
    ["2Gi", 2 * 1024 ** 3],
    ["1Ti", 1024 ** 4],
    ["1Pi", 1024 ** 5],
    ["1Ei", 1024 ** 6],
    ["1e3", 1000],
    ["1E3", 1000],
    ["12e-3", 0.012],
    ["1.5Gi", 1.5 * 1024 ** 3],
    [" 2Gi ", 2 * 1024 ** 3],
  ])("%s is %d", (written, expected) => {
    expect(parseQuantity(written)).toBeCloseTo(expected, 12);
  });

  it("takes YAML numbers as they are", () => {
    expect(parseQuantity(1)).toBe(1);
    expect(parseQuantity(0.25)).toBe(0.25);
    expect(parseQuantity(1e3)).toBe(1000);
    expect(parseQuantity(0)).toBe(0);
  });

  it.each([
    ["${CPU_LIMIT}"],
    ["{{ .Values.cpu }}"],
    [""],
    ["Gi"],
    ["2 Gi"],
    ["2gi"],
    ["2mi"],
    ["2KB"],
    ["1e"],
    ["--1"],
    ["one"],
    ["1,5"],
  ])("%j is not a quantity", (written) => {
    expect(parseQuantity(written)).toBeNull();
  });

  it("rejects values that are not strings or finite numbers", () => {
    for (const value of [null, undefined, true, {}, [], Number.NaN, Number.POSITIVE_INFINITY]) expect(parseQuantity(value)).toBeNull();
  });

  it("does not overflow to Infinity", () => {
    expect(parseQuantity("1e400")).toBeNull();
  });

  it("never throws, whatever the text", () => {
    fc.assert(fc.property(fc.string(), (text) => {
      const value = parseQuantity(text);
      return value === null || Number.isFinite(value);
    }));
  });

  it("reads integers with every suffix as the integer times the suffix", () => {
    const suffixes: [string, number][] = [["", 1], ["k", 1e3], ["M", 1e6], ["Ki", 1024], ["Mi", 1024 ** 2], ["Gi", 1024 ** 3], ["m", 1e-3]];
    fc.assert(fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.constantFrom(...suffixes), (integer, [suffix, factor]) => {
      const value = parseQuantity(`${integer}${suffix}`) as number;
      return Math.abs(value - integer * factor) <= Math.abs(integer * factor) * 1e-12;
    }));
  });
});

describe("compareQuantities", () => {
  it("compares across suffixes", () => {
    expect(compareQuantities("500m", "1")).toBeLessThan(0);
    expect(compareQuantities("2Gi", "2000M")).toBeGreaterThan(0);
    expect(compareQuantities("64M", "64Mi")).toBeLessThan(0);
    expect(compareQuantities("1Gi", "1024Mi")).toBe(0);
    expect(compareQuantities("1", "1000m")).toBe(0);
    expect(compareQuantities(1, "1")).toBe(0);
    expect(compareQuantities("0.1", "100m")).toBe(0);
    expect(compareQuantities("1e3", "1k")).toBe(0);
  });

  it("is null when either side is not a quantity", () => {
    expect(compareQuantities("${MEM}", "1Gi")).toBeNull();
    expect(compareQuantities("1Gi", undefined)).toBeNull();
  });
});
