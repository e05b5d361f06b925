import cron, { type ScheduledTask } from "node-cron";
import { getConfig, type Config } from "../config.ts";
import { describeError, log } from "../log.ts";
import { runHoursEngine, type EngineResult } from "../hours/run.ts";

const state = globalThis as typeof globalThis & { __workTracingScheduler?: ScheduledTask | null };

async function tick(trigger: "cron"): Promise<EngineResult | undefined> {
  try {
    const result = await runHoursEngine({ trigger });
    if (result.status === "skipped") log.info("hours engine run skipped", { reason: result.reason });
    else if (result.users) log.info("hours engine run finished", { users: result.users, events: result.events, ms: result.durationMs });
    return result;
  } catch (error) {
    log.error("hours engine run failed", describeError(error));
    return undefined;
  }
}

/**
 * Starts the hours engine on PROCESS_CRON (read in REPORT_TIMEZONE) once per process, and runs
 * it once now so a restart catches up at once. A tick that finds the last run still going is
 * skipped, not stacked.
 */
export function startScheduler(config: Config = getConfig()): ScheduledTask | null {
  if (state.__workTracingScheduler !== undefined) return state.__workTracingScheduler;
  if (!config.processCron) {
    log.info("hours engine schedule is off (PROCESS_CRON=off)");
    state.__workTracingScheduler = null;
    return null;
  }
  const task = cron.schedule(config.processCron, () => tick("cron"), {
    name: "hours-engine",
    timezone: config.reportTimezone,
    noOverlap: true,
  });
  task.on("execution:overlap", () => log.info("hours engine tick skipped: the previous run is still going"));
  state.__workTracingScheduler = task;
  log.info("hours engine scheduled", { cron: config.processCron, timezone: config.reportTimezone });
  void tick("cron");
  return task;
}

/** Stops the schedule (at shutdown); a run in progress finishes on its own. */
export async function stopScheduler(): Promise<void> {
  const task = state.__workTracingScheduler;
  state.__workTracingScheduler = undefined;
  await task?.stop();
}
