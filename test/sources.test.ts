import path from "node:path";
import { describe, expect, it } from "vitest";
import { readLimited, SourceCache } from "../src/sources.js";
import { tempProject } from "./helpers/tmp.js";

describe("readLimited", () => {
  const sizes = [0, 1, 65_535, 65_536, 65_537, 200_000];
  // Temporary folders are removed after each test: each test makes its own.
  const project = (): string => tempProject(Object.fromEntries(sizes.map((size) => [`f${size}.txt`, "x".repeat(size)])));

  it.each(sizes)("reads a file of %i bytes whole, whatever its size against the first read", (size) => {
    const root = project();
    const outcome = readLimited(path.join(root, `f${size}.txt`), 2 * 1024 * 1024);
    expect(outcome).toEqual({ bytes: Buffer.from("x".repeat(size)), size });
  });

  it("refuses a file over the limit, small or large, and names its size", () => {
    const root = project();
    expect(readLimited(path.join(root, "f65535.txt"), 1000)).toEqual({ skip: "Not read: 0.1 MiB is over the 0.0 MiB size limit." });
    expect(readLimited(path.join(root, "f200000.txt"), 100_000)).toEqual({ skip: "Not read: 0.2 MiB is over the 0.1 MiB size limit." });
    expect(readLimited(path.join(root, "f1.txt"), 1)).toEqual({ bytes: Buffer.from("x"), size: 1 });
  });

  it("turns a missing file or a folder into an error, not an exception", () => {
    const root = project();
    expect(readLimited(path.join(root, "missing.txt"), 100)).toEqual({ error: "ENOENT" });
    expect(readLimited(root, 100)).toEqual({ error: "EISDIR" });
  });
});

describe("SourceCache", () => {
  const sourcesOf = (maxFileSize: number): SourceCache => {
    const root = tempProject({ "a.md": "\uFEFFline 1\nline 2\n", "bin.dat": "ab\u0000cd", "big.txt": "y".repeat(500) });
    const readPaths = new Map(["a.md", "bin.dat", "big.txt"].map((file) => [file, path.join(root, file)]));
    return new SourceCache((file) => readPaths.get(file), maxFileSize);
  };

  it("reads a file once, without its byte-order mark; binary, oversized and unknown files have no text", () => {
    const sources = sourcesOf(100);
    expect(sources.text("a.md")).toBe("line 1\nline 2\n");
    expect(sources.lines("a.md")).toEqual(["line 1", "line 2", ""]);
    expect(sources.contains("a.md", "line 2")).toBe(true);
    expect(sources.text("bin.dat")).toBeUndefined();
    expect(sources.text("big.txt")).toBeUndefined();
    expect(sources.text("../outside.txt")).toBeUndefined();
  });

  it("gives what the project build remembered instead of reading again", () => {
    const sources = sourcesOf(100);
    sources.remember("a.md", "remembered\n");
    sources.remember("big.txt", undefined);
    expect(sources.text("a.md")).toBe("remembered\n");
    expect(sources.text("big.txt")).toBeUndefined();
  });
});
