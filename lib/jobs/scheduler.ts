import cron from "node-cron";
import { getConfig, type Config } from "../config.ts";
import { pruneOldEvents } from "../hours/retention.ts";
import { runHoursEngine } from "../hours/run.ts";
import { describeError, log } from "../log.ts";

/** A periodic job: what to run, and when (a cron expression read in REPORT_TIMEZONE, or null for off, and why). */
type Job = { name: string; cron: string | null; off: string; run: (tick?: Date) => Promise<void> };

/** One tick of the engine's schedule (`tick`, the same instant on every instance), or the catch-up run at start. */
async function runHoursTick(tick?: Date): Promise<void> {
  const result = await runHoursEngine(tick ? { trigger: "cron", tick: tick.getTime() } : { trigger: "startup" });
  if (result.status === "skipped") log.info("hours engine run skipped", { reason: result.reason });
  else if (result.users)
    log.info("hours engine run finished", { users: result.users, events: result.events, ms: result.durationMs });
}

async function runRetentionTick(): Promise<void> {
  const result = await pruneOldEvents();
  if (result.status === "ok")
    log.info("event retention run finished", { events: result.events, partitions: result.partitionsDropped });
}

// Daily, in the small hours of REPORT_TIMEZONE. It also creates PostgreSQL's month partitions
// ahead, so it runs with EVENT_RETENTION_DAYS unset too.
const RETENTION_CRON = "17 3 * * *";

/** Every periodic job the server runs; a new one is one more entry. */
function jobsFrom(config: Config): Job[] {
  const retention = config.eventRetentionDays !== undefined || config.provider === "postgresql";
  return [
    { name: "hours engine", cron: config.processCron, off: "PROCESS_CRON=off", run: runHoursTick },
    {
      name: "event retention",
      cron: retention ? RETENTION_CRON : null,
      off: "EVENT_RETENTION_DAYS is not set",
      run: runRetentionTick,
    },
  ];
}

async function runJob(job: Job, tick?: Date): Promise<void> {
  try {
    await job.run(tick);
  } catch (error) {
    log.error(`${job.name} run failed`, describeError(error));
  }
}

const state = globalThis as typeof globalThis & { __workTracingScheduler?: boolean };
const MAX_LATE_TICK_MS = 24 * 60 * 60_000;

/**
 * Schedules every periodic job once per process, and runs each once now so that a restart
 * catches up at once. A tick that finds the job's last run still going is skipped, not
 * stacked.
 */
export function startScheduler(config: Config = getConfig()): void {
  if (state.__workTracingScheduler) return;
  state.__workTracingScheduler = true;
  for (const job of jobsFrom(config)) {
    if (!job.cron) {
      log.info(`${job.name} schedule is off (${job.off})`);
      continue;
    }
    const task = cron.schedule(job.cron, (context) => runJob(job, context.date), {
      name: job.name,
      timezone: config.reportTimezone,
      noOverlap: true,
      // A tick the event loop reaches late (a busy or paused process) still runs, once, rather
      // than being dropped as missed until the next one.
      missedExecutionTolerance: MAX_LATE_TICK_MS,
    });
    task.on("execution:overlap", () => log.info(`${job.name} tick skipped: the previous run is still going`));
    log.info(`${job.name} scheduled`, { cron: job.cron, timezone: config.reportTimezone });
    void runJob(job);
  }
}
