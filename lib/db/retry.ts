import { describeError, log } from "../log.ts";
import { isTransientConflict } from "./errors.ts";

export type RetryOptions = { attempts?: number; baseDelayMs?: number };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs a whole transaction again when the database aborted it for a deadlock or a
 * serialization failure (recognised by code), a few times, after a random pause that doubles
 * each time so two instances that collided do not collide again in step. The last failure is
 * thrown as it came (lib/db/errors.ts maps it to a 503). `transaction` must begin and end its
 * own transaction: only a transaction rolled back whole may be run again.
 */
export async function retryTransientConflicts<T>(
  what: string,
  transaction: () => Promise<T>,
  { attempts = 5, baseDelayMs = 10 }: RetryOptions = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction();
    } catch (error) {
      if (attempt >= attempts || !isTransientConflict(error)) throw error;
      const delay = Math.random() * baseDelayMs * 2 ** attempt;
      log.info(`${what}: database conflict, retrying`, {
        attempt,
        delayMs: Math.round(delay),
        ...describeError(error),
      });
      await sleep(delay);
    }
  }
}
