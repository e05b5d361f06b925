import { describe, expect, it } from "vitest";
import { createWorkQueue } from "@/lib/auth/hash-queue";
import { AppError } from "@/lib/errors";

/** A task that runs until its `finish` is called, recording that it started. */
function gatedTask(started: number[], id: number) {
  let finish!: (fail?: boolean) => void;
  const task = () =>
    new Promise<number>((resolve, reject) => {
      started.push(id);
      finish = (fail = false) => (fail ? reject(new Error(`task ${id} failed`)) : resolve(id));
    });
  return { task, finish: (fail?: boolean) => finish(fail) };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("the hashing queue", () => {
  it("runs at most `concurrency` tasks at once, the next waiting in arrival order", async () => {
    const queue = createWorkQueue({ concurrency: 2, queue: 3, retryAfterSeconds: 2 });
    const started: number[] = [];
    const tasks = [1, 2, 3, 4, 5].map((id) => gatedTask(started, id));
    const outcomes = Promise.allSettled(tasks.map(({ task }) => queue.run(task)));
    await tick();
    expect(started).toEqual([1, 2]);
    expect([queue.running, queue.waiting]).toEqual([2, 3]);
    tasks[1].finish();
    await tick();
    expect(started).toEqual([1, 2, 3]);
    // A failed task frees its place as a finished one does.
    tasks[0].finish(true);
    await tick();
    expect(started).toEqual([1, 2, 3, 4]);
    tasks[2].finish();
    tasks[3].finish();
    await tick();
    tasks[4].finish();
    expect((await outcomes).map((s) => s.status)).toEqual([
      "rejected",
      "fulfilled",
      "fulfilled",
      "fulfilled",
      "fulfilled",
    ]);
    expect([queue.running, queue.waiting]).toEqual([0, 0]);
  });

  it("refuses work past the line with a 429 saying when to retry, and takes work again once there is room", async () => {
    const queue = createWorkQueue({ concurrency: 1, queue: 1, retryAfterSeconds: 2 });
    const started: number[] = [];
    const [first, second] = [1, 2].map((id) => gatedTask(started, id));
    const running = [queue.run(first.task), queue.run(second.task)];
    const refused = await queue.run(async () => 3).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ status: 429, code: "too_many_requests", headers: { "Retry-After": "2" } });
    expect((refused as AppError).message).toMatch(/try again in a few seconds/);
    await tick();
    first.finish();
    await tick();
    second.finish();
    expect(await Promise.all(running)).toEqual([1, 2]);
    expect(await queue.run(async () => 4)).toBe(4);
  });

  it("says how long the work in line now will take, by the line's length and the pace of the tasks", async () => {
    const queue = createWorkQueue({ concurrency: 2, queue: 4, retryAfterSeconds: 2, expectedTaskMs: 400 });
    expect(queue.drainSeconds).toBe(1);
    const tasks = [1, 2, 3, 4, 5].map((id) => gatedTask([], id));
    const running = tasks.map(({ task }) => queue.run(task));
    await tick();
    // Two at a time: three rounds of 400 ms.
    expect(queue.drainSeconds).toBe(2);
    for (const { finish } of tasks) {
      finish();
      await tick();
    }
    await Promise.all(running);
    expect(queue.drainSeconds).toBe(1);
  });
});
