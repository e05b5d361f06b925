import { tooManyRequests } from "../errors.ts";

/**
 * scrypt runs on libuv's thread pool, four threads that gzip, file reads and DNS share: a
 * burst of unbounded hashing holds every thread and stalls all other responses. At most
 * `concurrency` hashes run at once, at most `queue` more wait their turn (about 2 s at
 * ~200 ms a hash), and past that the caller is told to retry after `retryAfterSeconds`.
 */
export const HASHING = { concurrency: 2, queue: 16, retryAfterSeconds: 2, expectedTaskMs: 200 } as const;

export type WorkQueue = {
  run<T>(task: () => Promise<T>): Promise<T>;
  readonly running: number;
  readonly waiting: number;
  /** Whole seconds (at least 1) until all the work in the line now is done, at the pace tasks have been taking. */
  readonly drainSeconds: number;
};

/** A semaphore with a bounded line: `run` throws a 429 when the line is full. */
export function createWorkQueue(limits: {
  concurrency: number;
  queue: number;
  retryAfterSeconds: number;
  expectedTaskMs?: number;
}): WorkQueue {
  let running = 0;
  const waiting: (() => void)[] = [];
  // A moving average, so a machine slower or busier than expected is soon measured as such.
  let taskMs = limits.expectedTaskMs ?? 200;
  const finish = () => {
    const wake = waiting.shift();
    // The slot passes straight to the next in line, so a newcomer cannot take it in between.
    if (wake) wake();
    else running--;
  };
  return {
    async run(task) {
      if (running < limits.concurrency) running++;
      else if (waiting.length < limits.queue) await new Promise<void>((resolve) => waiting.push(resolve));
      else
        throw tooManyRequests(
          "Too many passwords are being checked at once; try again in a few seconds",
          limits.retryAfterSeconds,
        );
      const started = performance.now();
      try {
        return await task();
      } finally {
        taskMs = 0.8 * taskMs + 0.2 * (performance.now() - started);
        finish();
      }
    },
    get running() {
      return running;
    },
    get waiting() {
      return waiting.length;
    },
    get drainSeconds() {
      const rounds = Math.ceil((running + waiting.length) / limits.concurrency);
      return Math.max(1, Math.ceil((rounds * taskMs) / 1000));
    },
  };
}

// Next's bundles and server.ts load separate copies of this module in one process: the queue
// lives on globalThis so that the bound is the process's.
const shared = globalThis as typeof globalThis & { __workTracingHashQueue?: WorkQueue };

const hashQueue = () => (shared.__workTracingHashQueue ??= createWorkQueue(HASHING));

/** Runs password hashing within the process's bound; throws a 429 when the line is full. */
export function runHashing<T>(task: () => Promise<T>): Promise<T> {
  return hashQueue().run(task);
}

/** Seconds until the passwords being checked now, and those waiting their turn, have been checked. */
export function hashingDrainSeconds(): number {
  return hashQueue().drainSeconds;
}
