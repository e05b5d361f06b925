import https from "node:https";
import pg from "pg";
import { postReport } from "./event-stream";
import { startNginx, type RunningNginx } from "./nginx";
import { killTree, waitUntilGone } from "./processes";
import { startServer, type RunningServer } from "./server";

// A fleet of simulated agents (DESIGN §10) against two instances behind nginx on one
// PostgreSQL: shared by tests/server/fleet.test.ts (a few hundred agents) and
// `npm run bench:fleet` (10,000). Each simulated agent behaves as client_tools/report.ps1
// does: it spools every event, sends the spool oldest first in batches of at most 500, counts
// only a 201 with "success": true as delivered, and retries anything else with exponential
// backoff and equal jitter (10 s doubling to 900 s, or Retry-After if longer).

export type FleetStack = {
  /** nginx's TLS address, where the agents send. */
  url: string;
  servers: RunningServer[];
  nginx: RunningNginx;
  /** SIGKILLs instance `i` and starts it again on the same port; resolves once it answers. */
  killAndRestart(i: number): Promise<{ killedAt: number; backAt: number }>;
  stop(): Promise<void>;
};

/** Two instances on `databaseUrl` (migrated already) behind nginx, the engine ticking on `cron`. */
export async function startFleetStack(
  databaseUrl: string,
  { cron, nodeArgs = [], env = {} }: { cron: string; nodeArgs?: string[]; env?: Record<string, string> },
): Promise<FleetStack> {
  const serverEnv = {
    DATABASE_URL: databaseUrl,
    TRUSTED_PROXIES: "1",
    PROCESS_CRON: cron,
    LOG_LEVEL: "warn",
    // Time is compressed: at 10× a per-minute limit would see ten minutes of a fleet's traffic.
    INGEST_RATE_LIMIT: "0",
    ...env,
  };
  const start = (port?: number) => startServer(serverEnv, { port, nodeArgs, timeoutMs: 120_000 });
  const servers = await Promise.all([start(), start()]);
  let nginx: RunningNginx;
  try {
    nginx = await startNginx(servers.map((server) => server.port));
  } catch (error) {
    for (const server of servers) killTree(server.child.pid!, "SIGKILL");
    throw error;
  }
  return {
    url: nginx.tls,
    servers,
    nginx,
    async killAndRestart(i) {
      const killedAt = Date.now();
      await waitUntilGone(killTree(servers[i].child.pid!, "SIGKILL"), 10_000);
      servers[i] = await start(servers[i].port);
      return { killedAt, backAt: Date.now() };
    },
    async stop() {
      await nginx.stop();
      for (const server of servers) killTree(server.child.pid!, "SIGKILL");
    },
  };
}

type FleetOptions = {
  url: string;
  /** The ingest token's Authorization header. */
  headers: Record<string, string>;
  agents: number;
  /** Simulated minutes of traffic; the first is the logon burst (10 events an agent). */
  minutes: number;
  /** How many times faster than real time the simulated clock runs. */
  speed: number;
  /** Connections to nginx, kept alive and shared by the agents (a real agent has its own). */
  sockets: number;
  /** The share of agents cut off from the network for `outage.minutes` from `outage.from`; they come back with batches. */
  outage: { share: number; from: number; minutes: number };
  /** Called as each simulated minute starts (for the SIGKILL of an instance mid-run). */
  onMinute?: (minute: number) => void;
  /** Real ms to wait after the last minute for every spool to empty. */
  drainMs?: number;
};

type FleetResult = {
  startedAt: number;
  /** When the last simulated minute ended, and when every spool was empty (or the drain gave up). */
  endedAt: number;
  drainedAt: number;
  /** Events the agents made, and those still in a spool at the end (0 when drained). */
  generated: number;
  unsent: number;
  /** Every event answered 201, by its stored key (user_key|device_key|epoch ms|state). */
  acked: string[];
  requests: number;
  /** Requests carrying more than one event, and the largest. */
  batches: number;
  largestBatch: number;
  statuses: Record<string, number>;
  errors: Record<string, number>;
  /** Events the server judged invalid and the agent dropped (none expected). */
  rejected: number;
  /** Per request, ms from having a connection to the whole answer; those of the logon burst apart. */
  latencies: number[];
  /** When each of `latencies` was sent, ms after the start. */
  latencySentAt: number[];
  burstLatencies: number[];
  /** The longest any request waited for one of the shared connections. */
  maxQueuedMs: number;
  /** Up to 5 answers other than 201. */
  samples: unknown[];
};

type Agent = {
  user: string;
  key: string;
  device: string;
  spool: { ts: number; json: string }[];
  lastTs: number;
  inFlight: boolean;
  failures: number;
  nextAttemptAt: number;
  timer?: NodeJS.Timeout;
};

const BATCH_SIZE = 500;
const BURST = 10;

/** report.ps1's Get-AgentBackoffSeconds, in ms of simulated time. */
function backoffMs(failures: number): number {
  const d = Math.min(900, 10 * 2 ** Math.min(30, Math.max(1, failures) - 1));
  return (d / 2 + (Math.random() * d) / 2) * 1000;
}

/** Runs the fleet for `minutes` simulated minutes, then waits for the spools to empty. */
export async function simulateFleet(options: FleetOptions): Promise<FleetResult> {
  const { agents: count, minutes, speed, url, headers } = options;
  const minuteMs = 60_000 / speed;
  const connection = new https.Agent({ keepAlive: true, maxSockets: options.sockets, rejectUnauthorized: false });
  const agents: Agent[] = Array.from({ length: count }, (_, i) => ({
    user: `CORP\\fleet-${i}`,
    key: `corp\\fleet-${i}`,
    device: `PC-${i}`,
    spool: [],
    lastTs: 0,
    inFlight: false,
    failures: 0,
    nextAttemptAt: 0,
  }));
  const result: FleetResult = {
    startedAt: Date.now(),
    endedAt: 0,
    drainedAt: 0,
    generated: 0,
    unsent: 0,
    acked: [],
    requests: 0,
    batches: 0,
    largestBatch: 0,
    statuses: {},
    errors: {},
    rejected: 0,
    latencies: [],
    latencySentAt: [],
    burstLatencies: [],
    maxQueuedMs: 0,
    samples: [],
  };
  const offlineCount = Math.floor(count * options.outage.share);
  const outageFrom = result.startedAt + options.outage.from * minuteMs;
  const outageTo = outageFrom + options.outage.minutes * minuteMs;
  const offline = (i: number, now: number) => i < offlineCount && now >= outageFrom && now < outageTo;
  const inFlight = new Set<Promise<void>>();

  const retryLater = (agent: Agent, index: number, waitMs: number) => {
    agent.failures++;
    const delay = Math.max(backoffMs(agent.failures), waitMs) / speed;
    agent.nextAttemptAt = Date.now() + delay;
    clearTimeout(agent.timer);
    agent.timer = setTimeout(() => {
      // A timer may fire a little before Date.now() reaches the time it was set for.
      agent.nextAttemptAt = 0;
      trySend(index);
    }, delay);
  };

  const send = async (agent: Agent, index: number) => {
    const batch = agent.spool.slice(0, BATCH_SIZE);
    const body = `{"events":[${batch.map((event) => event.json).join(",")}]}`;
    const burst = Date.now() - result.startedAt < minuteMs;
    const called = performance.now();
    const sentAt = Date.now();
    result.requests++;
    if (batch.length > 1) result.batches++;
    result.largestBatch = Math.max(result.largestBatch, batch.length);
    try {
      const answer = await postReport(url, body, { agent: connection, headers, timeoutMs: 15_000 });
      const ms = performance.now() - called - answer.queuedMs;
      if (burst) result.burstLatencies.push(ms);
      else {
        result.latencies.push(ms);
        result.latencySentAt.push(sentAt - result.startedAt);
      }
      result.maxQueuedMs = Math.max(result.maxQueuedMs, answer.queuedMs);
      result.statuses[answer.status] = (result.statuses[answer.status] ?? 0) + 1;
      const reply = answer.body as { success?: boolean; error?: { code?: string } };
      if (answer.status === 201 && reply?.success === true) {
        agent.spool.splice(0, batch.length);
        for (const event of batch) result.acked.push(`${agent.key}|${agent.device.toLowerCase()}|${event.ts}|working`);
        agent.failures = 0;
      } else if (answer.status === 400 && reply?.error?.code === "no_valid_events") {
        agent.spool.splice(0, batch.length);
        result.rejected += batch.length;
      } else {
        if (result.samples.length < 5) result.samples.push({ status: answer.status, body: answer.body });
        retryLater(agent, index, Number(answer.retryAfter ?? 0) * 1000);
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      result.errors[code] = (result.errors[code] ?? 0) + 1;
      retryLater(agent, index, 0);
    }
  };

  function trySend(index: number) {
    const agent = agents[index];
    const now = Date.now();
    if (agent.inFlight || !agent.spool.length || now < agent.nextAttemptAt || offline(index, now)) return;
    agent.inFlight = true;
    const sending = send(agent, index).finally(() => {
      agent.inFlight = false;
      inFlight.delete(sending);
      // The real agent sends what its spool still holds at once (up to five batches a poll).
      if (agent.failures === 0) trySend(index);
    });
    inFlight.add(sending);
  }

  const emit = (index: number) => {
    const agent = agents[index];
    const ts = Math.max(Date.now(), agent.lastTs + 1);
    agent.lastTs = ts;
    agent.spool.push({
      ts,
      json: JSON.stringify({
        user: agent.user,
        device: agent.device,
        state: "working",
        ts: new Date(ts).toISOString(),
        agent: "fleet",
      }),
    });
    result.generated++;
    trySend(index);
  };

  // The schedule, in time order: in minute m, slot j of `slots`, agent a sends at
  // m + (j + a / count) / slots minutes. The first minute is the logon burst.
  let minute = 0;
  let slot = 0;
  let next = 0;
  let backOnline = false;
  options.onMinute?.(0);
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = Date.now();
      const at = (now - result.startedAt) / minuteMs;
      if (!backOnline && now >= outageTo) {
        backOnline = true;
        for (let i = 0; i < offlineCount; i++) trySend(i);
      }
      while (minute < minutes) {
        const slots = minute === 0 ? BURST : 1;
        if (minute + (slot + next / count) / slots > at) break;
        emit(next++);
        if (next < count) continue;
        next = 0;
        if (++slot < slots) continue;
        slot = 0;
        minute++;
        if (minute < minutes) options.onMinute?.(minute);
      }
      if (minute >= minutes) {
        clearInterval(timer);
        resolve();
      }
    }, 20);
  });
  result.endedAt = Date.now();

  const deadline = Date.now() + (options.drainMs ?? 120_000);
  while (Date.now() < deadline && (inFlight.size || agents.some((agent) => agent.spool.length)))
    await new Promise((resolve) => setTimeout(resolve, 100));
  await Promise.all(inFlight);
  result.drainedAt = Date.now();
  result.unsent = agents.reduce((sum, agent) => sum + agent.spool.length, 0);
  for (const agent of agents) clearTimeout(agent.timer);
  connection.destroy();
  return result;
}

type FleetCheck = {
  acknowledged: number;
  stored: number;
  /** Acknowledged events not stored, and stored events never acknowledged. */
  missing: number;
  unacknowledged: number;
  /** Keys stored more than once. */
  doubled: number;
  /** Scheduled ticks while the fleet ran, and how many had no run, one, or more than one. */
  ticks: number;
  ticksWithOneRun: number;
  ticksWithSeveralRuns: number;
  /** Ticks with no run of their own while an earlier run (or the run at an instance's start) was still going. */
  ticksCoveredByARunInProgress: number;
  ticksWithoutARun: number;
  /** Runs that did work: the longest, and the most users and events in one. */
  runs: number;
  longestRunMs: number;
  mostUsers: number;
  mostEvents: number;
  failedRuns: number;
  /** Every run from `from` on: trigger, status, start and end (ms after `from`), users and events. */
  log: string[];
};

/** What the database holds after a fleet run: every acknowledged event once, one engine run per tick. */
export async function checkFleet(
  databaseUrl: string,
  acked: string[],
  { tickMs, from, to }: { tickMs: number; from: number; to: number },
): Promise<FleetCheck> {
  const sql = new pg.Client({ connectionString: databaseUrl });
  await sql.connect();
  try {
    const { rows: events } = await sql.query<{ key: string; n: string }>(
      `SELECT user_key || '|' || device_key || '|' || (extract(epoch FROM ts) * 1000)::bigint || '|' || state AS key,
              count(*) AS n
       FROM work_events GROUP BY 1`,
    );
    const stored = new Set(events.map((row) => row.key));
    const ackedSet = new Set(acked);
    const { rows: runs } = await sql.query<{
      trigger: string;
      status: string;
      started: string;
      finished: string | null;
      users: number;
      events: number;
    }>(
      `SELECT trigger, status, (extract(epoch FROM started_at) * 1000)::bigint AS started,
              (extract(epoch FROM finished_at) * 1000)::bigint AS finished,
              users_processed AS users, events_processed AS events
       FROM engine_runs ORDER BY id`,
    );
    const scheduled = runs.filter((run) => run.trigger === "cron");
    const firstTick = Math.ceil(from / tickMs);
    const lastTick = Math.floor(to / tickMs);
    let one = 0;
    let several = 0;
    let covered = 0;
    let none = 0;
    for (let tick = firstTick; tick <= lastTick; tick++) {
      const at = tick * tickMs;
      const own = scheduled.filter((run) => Math.floor(Number(run.started) / tickMs) === tick).length;
      if (own === 1) one++;
      else if (own > 1) several++;
      else if (
        runs.some(
          (run, i) =>
            Number(run.started) < at &&
            // A run still going, or whose instance was killed, has no end: it went on until the next run started.
            (run.finished === null ? Number(runs[i + 1]?.started ?? Infinity) >= at : Number(run.finished) >= at),
        )
      )
        covered++;
      else none++;
    }
    const worked = runs.filter((run) => run.finished !== null && Number(run.started) >= from);
    return {
      acknowledged: ackedSet.size,
      stored: stored.size,
      missing: [...ackedSet].filter((key) => !stored.has(key)).length,
      unacknowledged: [...stored].filter((key) => !ackedSet.has(key)).length,
      doubled: events.filter((row) => Number(row.n) > 1).length,
      ticks: lastTick - firstTick + 1,
      ticksWithOneRun: one,
      ticksWithSeveralRuns: several,
      ticksCoveredByARunInProgress: covered,
      ticksWithoutARun: none,
      runs: worked.length,
      longestRunMs: Math.max(0, ...worked.map((run) => Number(run.finished) - Number(run.started))),
      mostUsers: Math.max(0, ...worked.map((run) => run.users)),
      mostEvents: Math.max(0, ...worked.map((run) => run.events)),
      failedRuns: runs.filter((run) => run.status === "failed").length,
      log: runs
        .filter((run) => Number(run.started) >= from)
        .map(
          (run) =>
            `${run.trigger} ${run.status} ${Number(run.started) - from}–${run.finished === null ? "" : Number(run.finished) - from} ${run.users}u ${run.events}e`,
        ),
    };
  } finally {
    await sql.end();
  }
}

/** The value of a gauge or counter without labels in a Prometheus text exposition. */
export function metricValue(text: string, name: string): number | undefined {
  const match = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  return match ? Number(match[1]) : undefined;
}
