import { getDb, readPoolStats } from "../db/index.ts";
import { isDatabaseUnavailable } from "../db/errors.ts";
import { readEngineLagSeconds } from "../hours/run.ts";
import { describeError, log } from "../log.ts";
import { renderMetrics } from "../metrics/registry.ts";

/**
 * The process's metrics in Prometheus text format, with the figures only a scrape reads
 * (engine lag, pool) taken now. A database that cannot answer does not fail the scrape: the
 * process's own metrics still matter then most, and the lag shows NaN.
 */
export async function scrapeMetrics(): Promise<{ contentType: string; text: string }> {
  const db = getDb();
  let engineLagSeconds = Number.NaN;
  try {
    engineLagSeconds = await readEngineLagSeconds(db);
  } catch (error) {
    if (!isDatabaseUnavailable(error)) log.error("metrics could not read the engine lag", describeError(error));
  }
  return renderMetrics({ provider: db.provider, engineLagSeconds, pool: readPoolStats(db) });
}
