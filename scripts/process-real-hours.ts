// Brings Real Work Hours up to date (the original's `flask process-real-hours`).
//   npx tsx scripts/process-real-hours.ts                 what is pending
//   npx tsx scripts/process-real-hours.ts --rebuild       everything, from the stored events
//   ... --rebuild --from 2026-03-01 --to 2026-03-31 --user 'CORP\alice'
import { getConfig } from "../lib/config.ts";
import { getDb } from "../lib/db/index.ts";
import { runHoursEngine } from "../lib/hours/run.ts";
import { migrate } from "../lib/db/migrator.ts";
import { isLocalDate } from "../lib/time.ts";
import { failUsage, parseCommandLine, runCommand } from "./cli.ts";

const USAGE = "usage: process-real-hours [--rebuild] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--user NAME]";

function parseOptions() {
  const values = parseCommandLine(
    {
      rebuild: { type: "boolean", default: false },
      from: { type: "string" },
      to: { type: "string" },
      user: { type: "string" },
    },
    USAGE,
  );
  for (const name of ["from", "to"] as const) {
    if (values[name] !== undefined && !isLocalDate(values[name]))
      failUsage(`--${name} must be a date written YYYY-MM-DD (got ${values[name]})`);
  }
  if ((values.from || values.to) && !values.rebuild) failUsage("--from and --to choose what to rebuild: add --rebuild");
  if (values.from && values.to && values.to < values.from) failUsage("--to is before --from");
  if (values.user !== undefined && !values.user.trim()) failUsage("--user must not be empty");
  return values;
}

function progressReporter() {
  const tty = process.stderr.isTTY;
  let lastLine = 0;
  return {
    update({ done, total, events }: { done: number; total: number; events: number }) {
      if (tty) {
        const width = 30;
        const filled = Math.round((done / Math.max(total, 1)) * width);
        process.stderr.write(
          `\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} device streams, ${events} events`,
        );
      } else if (Date.now() - lastLine > 2000 || done === total) {
        lastLine = Date.now();
        process.stderr.write(`${done}/${total} device streams, ${events} events\n`);
      }
    },
    finish() {
      if (tty) process.stderr.write("\n");
    },
  };
}

async function main() {
  const options = parseOptions();
  const config = getConfig();
  await migrate(getDb());
  const progress = progressReporter();
  const result = await runHoursEngine({
    trigger: "manual",
    rebuild: options.rebuild,
    from: options.from,
    to: options.to,
    user: options.user,
    onProgress: (p) => progress.update(p),
  });
  progress.finish();
  if (result.status === "skipped") {
    console.log(`Nothing done: ${result.reason}.`);
  } else {
    const what = options.rebuild ? "Rebuilt" : "Processed";
    console.log(
      `${what} ${result.users} user(s) from ${result.events} event(s) in ${(result.durationMs / 1000).toFixed(1)} s (days in ${config.reportTimezone}).`,
    );
  }
}

runCommand(main, "Processing failed");
