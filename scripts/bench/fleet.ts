// Fleet benchmark (issue 14, DESIGN §10): simulated agents against two `npm start` instances
// behind real nginx on one PostgreSQL.
//   1. creates a throwaway database (on --postgres, else TEST_POSTGRES_URL's server), migrates
//      it and makes an ingest and a metrics token;
//   2. starts two instances as `npm start` does (TRUSTED_PROXIES=1, the engine ticking once a
//      simulated minute) and nginx with docs/nginx.conf in front of them (tests/helpers/nginx.ts);
//   3. runs the fleet (tests/helpers/fleet.ts) in this process, over HTTPS with keep-alive: one
//      event a minute an agent, time compressed --speed times, the first minute a logon burst of
//      10×, a fifth of the agents offline for two minutes who come back with batches; halfway
//      through, SIGKILLs one instance and starts it again;
//   4. waits for every spool to empty and the engine's next tick, then checks the database and
//      prints the figures.
// Usage: npm run bench:fleet -- [--agents 10000] [--minutes 6] [--speed 5] [--sockets 256] [--postgres URL]
import os from "node:os";
import { createToken } from "../../lib/auth/tokens.ts";
import { openDb } from "../../lib/db/index.ts";
import { migrate } from "../../lib/db/migrator.ts";
import { checkFleet, metricValue, simulateFleet, startFleetStack } from "../../tests/helpers/fleet.ts";
import { createBenchDatabase } from "./database.ts";
import { parseBenchOptions } from "./options.ts";
import { checkBuild, cpuSeconds, startScriptNodeFlags, treeRssMb } from "./server.ts";

const HELP = `npm run bench:fleet -- [options]

  --agents <n>      simulated agents (default 10000)
  --minutes <n>     simulated minutes, the first being the logon burst (default 6)
  --speed <n>       how many times faster than real time the simulated clock runs (default 5)
  --sockets <n>     keep-alive connections the agents share to nginx (default 256)
  --postgres <url>  the PostgreSQL server the throwaway database is made on
                    (default: TEST_POSTGRES_URL)
`;

const percentile = (samples: number[], p: number) => {
  if (!samples.length) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

/** The `count` windows of `spanMs` (by when requests were sent) with the highest p99 latency. */
function worstWindows(latencies: number[], sentAt: number[], spanMs: number, count: number): string {
  const windows = new Map<number, number[]>();
  latencies.forEach((latency, i) => {
    const start = Math.floor(sentAt[i] / spanMs) * spanMs;
    const list = windows.get(start);
    if (list) list.push(latency);
    else windows.set(start, [latency]);
  });
  return [...windows]
    .map(([start, list]) => ({ start, p99: percentile(list, 99) }))
    .sort((a, b) => b.p99 - a.p99)
    .slice(0, count)
    .map(({ start, p99 }) => `${start / 1000}–${(start + spanMs) / 1000} s: ${Math.round(p99).toLocaleString("en")} ms`)
    .join(", ");
}

async function main() {
  const options = parseBenchOptions(HELP, {
    agents: { default: 10_000, max: 200_000 },
    minutes: { default: 6, max: 120 },
    speed: { default: 5, max: 60 },
    sockets: { default: 256, max: 4096 },
  });
  const postgres = options.postgres ?? process.env.TEST_POSTGRES_URL;
  if (!postgres) {
    process.stderr.write(`The fleet runs on PostgreSQL: give --postgres <url> or set TEST_POSTGRES_URL\n${HELP}`);
    process.exit(2);
  }
  if (options.minutes < 4) {
    process.stderr.write("--minutes must be at least 4: a burst, an outage of two minutes and a minute after it\n");
    process.exit(2);
  }
  checkBuild();
  // The engine ticks once a simulated minute (a whole number of seconds dividing 60).
  const tickSeconds = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60].find((s) => s >= 60 / options.speed) ?? 60;
  const database = await createBenchDatabase("fleet", { postgres });
  let stack: Awaited<ReturnType<typeof startFleetStack>> | undefined;
  try {
    const db = openDb(database.url);
    let ingest = "";
    let metrics = "";
    try {
      await migrate(db);
      ingest = (await createToken(db, { name: "fleet-ingest", scope: "ingest", createdBy: "bench" })).token;
      metrics = (await createToken(db, { name: "fleet-metrics", scope: "metrics", createdBy: "bench" })).token;
    } finally {
      await db.close();
    }
    stack = await startFleetStack(database.url, {
      cron: `*/${tickSeconds} * * * * *`,
      nodeArgs: startScriptNodeFlags(),
    });
    const running = stack;

    // Per instance: the largest RSS and the CPU time used (the killed one's before and after).
    const rss = [0, 0];
    const cpuBefore = [0, 0];
    const cpuOf = () => running.servers.map((server) => cpuSeconds(server.child.pid!));
    const lags: number[] = [];
    const sample = () =>
      running.servers.forEach((server, i) => (rss[i] = Math.max(rss[i], treeRssMb(server.child.pid!))));
    const sampler = setInterval(sample, 500);
    const scrape = setInterval(async () => {
      try {
        const response = await fetch(`${running.servers[1].url}/api/metrics`, {
          headers: { authorization: `Bearer ${metrics}` },
        });
        const lag = metricValue(await response.text(), "worktracing_engine_lag_seconds");
        if (lag !== undefined) lags.push(lag);
      } catch {
        // a scrape lost to a busy instance is a missing sample, not a failure of the run
      }
    }, 2000);

    const cpuStart = process.cpuUsage();
    const wallStart = performance.now();
    const serverCpuStart = cpuOf();
    let killed: Promise<{ killedAt: number; backAt: number }> | undefined;
    const killMinute = Math.floor(options.minutes / 2);
    const fleet = await simulateFleet({
      url: running.url,
      headers: { authorization: `Bearer ${ingest}` },
      agents: options.agents,
      minutes: options.minutes,
      speed: options.speed,
      sockets: options.sockets,
      outage: { share: 0.2, from: 1, minutes: 2 },
      onMinute: (minute) => {
        if (minute !== killMinute) return;
        sample();
        cpuBefore[0] = cpuSeconds(running.servers[0].child.pid!) - serverCpuStart[0];
        serverCpuStart[0] = 0;
        killed = running.killAndRestart(0);
      },
      drainMs: 600_000,
    });
    const generatorCpu = process.cpuUsage(cpuStart);
    const wall = (performance.now() - wallStart) / 1000;
    const serverCpu = cpuOf().map((seconds, i) => seconds - serverCpuStart[i] + cpuBefore[i]);
    const kill = await killed;
    await new Promise((resolve) => setTimeout(resolve, tickSeconds * 1000 + 2000));
    clearInterval(sampler);
    clearInterval(scrape);
    const check = await checkFleet(database.url, fleet.acked, {
      tickMs: tickSeconds * 1000,
      from: fleet.startedAt,
      to: fleet.drainedAt,
    });

    const all = [...fleet.burstLatencies, ...fleet.latencies];
    // Where the tail lies: a restarted instance's first seconds, or everywhere.
    const within = (from: number, span: number, inWindow: boolean) =>
      fleet.latencies.filter(
        (_, i) => (fleet.latencySentAt[i] >= from && fleet.latencySentAt[i] < from + span) === inWindow,
      );
    const outside = (from: number, span: number) => within(from, span, false);
    const inside = (from: number, span: number) => within(from, span, true);
    const activeSeconds = (fleet.drainedAt - fleet.startedAt) / 1000;
    const ms = (n: number) => `${Math.round(n).toLocaleString("en")} ms`;
    const rows: [string, string][] = [
      ["agents, simulated minutes, speed", `${options.agents}, ${options.minutes}, ${options.speed}×`],
      ["events made (burst 10 each, then 1 a minute)", fleet.generated.toLocaleString("en")],
      ["requests (of them batches), largest batch", `${fleet.requests} (${fleet.batches}), ${fleet.largestBatch}`],
      [
        "answers",
        Object.entries(fleet.statuses)
          .map(([s, n]) => `${s} × ${n}`)
          .join(", "),
      ],
      [
        "network errors (retried)",
        Object.entries(fleet.errors)
          .map(([c, n]) => `${c} × ${n}`)
          .join(", ") || "none",
      ],
      [
        "latency p50 / p99 / max, all",
        `${ms(percentile(all, 50))} / ${ms(percentile(all, 99))} / ${ms(percentile(all, 100))}`,
      ],
      [
        "latency p50 / p99, logon burst minute",
        `${ms(percentile(fleet.burstLatencies, 50))} / ${ms(percentile(fleet.burstLatencies, 99))}`,
      ],
      [
        "latency p50 / p99, after it",
        `${ms(percentile(fleet.latencies, 50))} / ${ms(percentile(fleet.latencies, 99))}`,
      ],
      [
        "latency p99 after it, the 15 s after the restart apart",
        kill
          ? `${ms(percentile(outside(kill.killedAt - fleet.startedAt, 15_000), 99))} (within them: ${ms(percentile(inside(kill.killedAt - fleet.startedAt, 15_000), 99))})`
          : "no restart",
      ],
      ["latency p99 per 10 s after it: the worst three", worstWindows(fleet.latencies, fleet.latencySentAt, 10_000, 3)],
      ["longest wait for a shared connection", ms(fleet.maxQueuedMs)],
      ["events/s acknowledged (start to drained)", Math.round(check.acknowledged / activeSeconds).toLocaleString("en")],
      ["spools drained after the last minute in", `${((fleet.drainedAt - fleet.endedAt) / 1000).toFixed(1)} s`],
      [
        "acknowledged / stored / missing / doubled",
        `${check.acknowledged} / ${check.stored} / ${check.missing} / ${check.doubled}`,
      ],
      ["stored but never acknowledged; unsent", `${check.unacknowledged}; ${fleet.unsent}`],
      [
        `engine ticks (every ${tickSeconds} s): 1 run / >1 / none, run going / none`,
        `${check.ticks}: ${check.ticksWithOneRun} / ${check.ticksWithSeveralRuns} / ${check.ticksCoveredByARunInProgress} / ${check.ticksWithoutARun}`,
      ],
      [
        "engine runs: longest, most users, most events",
        `${ms(check.longestRunMs)}, ${check.mostUsers}, ${check.mostEvents}`,
      ],
      [
        "engine lag (metrics) max / last",
        `${Math.max(0, ...lags).toFixed(1)} s / ${(lags.at(-1) ?? NaN).toFixed(1)} s`,
      ],
      [
        "instance killed at / answering again after",
        kill
          ? `${((kill.killedAt - fleet.startedAt) / 1000).toFixed(1)} s / ${((kill.backAt - kill.killedAt) / 1000).toFixed(1)} s`
          : "—",
      ],
      ["RSS max, instance 1 (killed) / 2", `${Math.round(rss[0])} MB / ${Math.round(rss[1])} MB`],
      [
        "server CPU, instance 1 / 2",
        serverCpu.map((s) => `${s.toFixed(1)} s (${Math.round((100 * s) / wall)} %)`).join(" / "),
      ],
      [
        "load generator CPU (this process)",
        `${((generatorCpu.user + generatorCpu.system) / 1e6).toFixed(1)} s (${Math.round((generatorCpu.user + generatorCpu.system) / 1e4 / wall)} % of a core)`,
      ],
    ];
    const width = Math.max(...rows.map(([label]) => label.length));
    process.stdout.write(
      `Fleet benchmark, ${new Date().toISOString()}\n` +
        `  machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}, Node ${process.version}, load average ${os
          .loadavg()
          .map((n) => n.toFixed(1))
          .join(" ")}\n` +
        `  database: ${database.describe}\n` +
        `  two instances as \`npm start\` behind nginx (docs/nginx.conf, TLS), ${wall.toFixed(0)} s\n\n` +
        rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}\n`).join("") +
        (fleet.samples.length ? `\nAnswers other than 201, first few: ${JSON.stringify(fleet.samples)}\n` : ""),
    );
    if (check.missing || check.doubled || check.ticksWithSeveralRuns) process.exitCode = 1;
  } finally {
    await stack?.stop();
    await database.drop();
  }
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
