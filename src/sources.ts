import { closeSync, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import { decodeText } from "./parsers/text.js";

/** What reading one file gave: its bytes, or why there are none (over the size limit, or an I/O error). */
export type ReadOutcome = { bytes: Buffer; size: number } | { skip: string } | { error: string };

/** Most project files fit in one read of this size; larger ones are measured first, then read whole. */
const FIRST_READ = 64 * 1024;
const firstRead = Buffer.allocUnsafe(FIRST_READ);

/**
 * Reads one file, refusing it unread when it is larger than `maxFileSize`. Synchronous on purpose:
 * thousands of small files cost far more in thread-pool round trips and promises than in reading
 * (10,000 files: ~0.1 s synchronously, ~1.2 s with fs/promises; docs/performance.md). A file smaller than
 * FIRST_READ takes three system calls (open, one read, close).
 */
export function readLimited(readPath: string, maxFileSize: number): ReadOutcome {
  let fd: number | undefined;
  try {
    fd = openSync(readPath, "r");
    const count = readSync(fd, firstRead, 0, FIRST_READ, 0);
    if (count < FIRST_READ && count <= maxFileSize) return { bytes: Buffer.from(firstRead.subarray(0, count)), size: count };
    const size = fstatSync(fd).size;
    if (size > maxFileSize) {
      return { skip: `Not read: ${(size / 1048576).toFixed(1)} MiB is over the ${(maxFileSize / 1048576).toFixed(1)} MiB size limit.` };
    }
    // Positional reads leave the descriptor at offset 0: readFileSync reads the whole file.
    return { bytes: readFileSync(fd), size };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { error: code === "EACCES" || code === "EPERM" ? "permission denied" : code ?? String(error) };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Decoded text without a byte-order mark, or undefined for binary content. */
export function textOf(bytes: Uint8Array): string | undefined {
  const decoded = decodeText(bytes);
  if (!decoded.ok) return undefined;
  return decoded.text.startsWith("\uFEFF") ? decoded.text.slice(1) : decoded.text;
}

/**
 * The text of project files, each read at most once: the project build remembers what it read, and
 * later readers (load tests, suppressions, excerpts) get the same text instead of reading again.
 * Files are reached only through `readPathOf` (discovery's root-confined paths); unreadable,
 * oversized and binary files read as undefined.
 */
export class SourceCache {
  private readonly texts = new Map<string, string | undefined>();
  private readonly lineArrays = new Map<string, string[] | undefined>();

  constructor(private readonly readPathOf: (file: string) => string | undefined, private readonly maxFileSize: number) {}

  /** Records a file's text (or that it has none) read elsewhere. */
  remember(file: string, text: string | undefined): void {
    this.texts.set(file, text);
  }

  text(file: string): string | undefined {
    if (this.texts.has(file)) return this.texts.get(file);
    const readPath = this.readPathOf(file);
    const outcome = readPath === undefined ? undefined : readLimited(readPath, this.maxFileSize);
    const text = outcome && "bytes" in outcome ? textOf(outcome.bytes) : undefined;
    this.texts.set(file, text);
    return text;
  }

  lines(file: string): string[] | undefined {
    if (this.lineArrays.has(file)) return this.lineArrays.get(file);
    const lines = this.text(file)?.split("\n");
    this.lineArrays.set(file, lines);
    return lines;
  }

  /** Whether the file's text contains `needle`: a cheap test before parsing a file for directives. */
  contains(file: string, needle: string): boolean {
    return this.text(file)?.includes(needle) ?? false;
  }
}
