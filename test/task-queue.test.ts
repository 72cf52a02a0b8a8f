import { describe, expect, it } from "vitest";
import { runTool, TaskQueue } from "../src/kustomize.js";

/** A task that finishes when the test says so, recording that it started. */
function controlled(started: string[], name: string): { task: () => Promise<string>; finish: () => void } {
  let finish = (): void => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return {
    task: async () => {
      started.push(name);
      await done;
      return name;
    },
    finish: () => finish(),
  };
}

describe("TaskQueue (kubectl builds started while the project is parsed)", () => {
  it("runs at most `limit` tasks at once, in the order they were queued", async () => {
    const started: string[] = [];
    const queue = new TaskQueue<string>(2);
    const tasks = ["a", "b", "c"].map((name) => controlled(started, name));
    const results = tasks.map(({ task }) => queue.add(task).result);
    await Promise.resolve();
    expect(started).toEqual(["a", "b"]);
    tasks[0]?.finish();
    expect(await results[0]).toBe("a");
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(["a", "b", "c"]);
    tasks[1]?.finish();
    tasks[2]?.finish();
    expect(await Promise.all(results)).toEqual(["a", "b", "c"]);
  });

  it("a task dropped while still queued never starts and gives undefined; dropping a started task changes nothing", async () => {
    const started: string[] = [];
    const queue = new TaskQueue<string>(1);
    const first = controlled(started, "first");
    const second = controlled(started, "second");
    const running = queue.add(first.task);
    const queued = queue.add(second.task);
    queued.drop();
    running.drop();
    expect(await queued.result).toBeUndefined();
    first.finish();
    expect(await running.result).toBe("first");
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(["first"]);
  });
});

describe("runTool's timeout", () => {
  it("kills a tool that runs past it", async () => {
    const result = await runTool("/bin/sleep", ["5"], "/", {}, 200);
    expect(result).toEqual({ ok: false, reason: "sleep did not finish within 0.2 s" });
  });

  it("does not blame a tool that finished in time when the event loop was busy past the timeout", async () => {
    const running = runTool("/bin/echo", ["built"], "/", {}, 100);
    // The project parse keeps the loop busy like this while early kubectl builds run.
    const until = Date.now() + 600;
    while (Date.now() < until) {
      // busy
    }
    expect(await running).toEqual({ ok: true, stdout: "built\n" });
  });
});
