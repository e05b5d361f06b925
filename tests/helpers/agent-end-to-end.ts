import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokensFor } from "./credentials";
import { createTestDatabase, type TestDatabase } from "./databases";
import type { Provider } from "@/lib/db/dialect";
import { killTree, waitUntilGone } from "./processes";
import { ROOT, startServer, type RunningServer } from "./server";

// The Windows agent end to end (issue 6, Deliver 5): the real client_tools/report.ps1 loop under
// PowerShell 7, with only its Windows calls replaced (tests/agent/e2e-driver.ps1: a fake clock,
// a scripted fake user, no mutex), posting over real HTTP with a real ingest token to the real
// server started here. In the middle of the simulated day the server is killed and, 50 fake
// minutes later, started again on the same database; afterwards the server's timeline and
// summary must be exactly what the fake user did, minute for minute.

const TZ = "Asia/Dubai"; // UTC+4 all year: local times below are fixed offsets
const DATE = "2026-03-02";
const USER = "CORP\\alice";
const CRON_SECRET = "agent-e2e-cron-secret-0123456789";
const POLL_SECONDS = 60;
/** The simulated day polls every 2 minutes (a setting an admin may choose): half the polls of PowerShell. */
const DAY_POLL_SECONDS = 120;
const IDLE_THRESHOLD_MINUTES = 10;
const BLOCK_MINUTES = 40; // REAL_HOUR_BLOCK_MINUTES' default

/** A local time on the simulated day as an ISO UTC instant. */
const at = (hhmm: string) => new Date(`${DATE}T${hhmm.length === 5 ? `${hhmm}:00` : hhmm}+04:00`).toISOString();
const ms = (iso: string) => Date.parse(iso);

/** What the fake user does (local times). */
const DAY = {
  start: at("08:30"),
  end: at("14:46"),
  // work 09:00-10:30, idle until 10:50, work 10:50-12:10; the lid closed at 12:10:30 for 40
  // minutes (the machine wakes at 12:50:30 with nobody at it); work 13:00-13:40; the lid closed
  // at 13:40:30 for 6 minutes, shorter than the idle threshold and the server's GAP, and the
  // user back at work at once, 13:48-14:30: only the agent's clock-jump rule keeps that sleep
  // out of the hours
  activity: [
    [at("09:00"), at("10:30")],
    [at("10:50"), at("12:10")],
    [at("13:00"), at("13:40")],
    [at("13:48"), at("14:30")],
  ] as [string, string][],
  sleeps: [
    { at: at("12:10:30"), seconds: 40 * 60 },
    { at: at("13:40:30"), seconds: 6 * 60 },
  ],
  // the server is down from just before the 10:20 poll to just before the 11:10 poll: across
  // the end of the first stretch, the idle gap and the start of the second
  outage: { from: at("10:20"), to: at("11:10") },
};

/**
 * The server's periods for DAY, derived from the fake user's script and DESIGN §5/§7: the first
 * poll that sees input opens a period at the latest input, heartbeats carry the latest input,
 * `stopped` carries the time input ceased, and a sleep counts as idle from the last input. With
 * polls on whole minutes and every change of the fake user on a poll, each activity range is
 * one period exactly; the checks below make sure the scenario keeps to that.
 */
function expectedPeriods(): { start: string; end: string }[] {
  const gridOk = (iso: string) => (ms(iso) - ms(DAY.start)) % (DAY_POLL_SECONDS * 1000) === 0;
  DAY.activity.forEach(([from, to], i) => {
    expect(gridOk(from) && gridOk(to), `activity ${from}-${to} is on the poll grid`).toBe(true);
    for (const sleep of DAY.sleeps)
      expect(ms(sleep.at) < ms(from) || ms(sleep.at) > ms(to), "nobody types on a sleeping laptop").toBe(true);
    const next = DAY.activity[i + 1];
    if (!next) return;
    // Two ranges are two periods when the user was idle long enough in between, or the
    // machine slept in between.
    const slept = DAY.sleeps.some((s) => ms(s.at) > ms(to) && ms(s.at) + s.seconds * 1000 <= ms(next[0]));
    expect(slept || ms(next[0]) - ms(to) >= IDLE_THRESHOLD_MINUTES * 60_000, `${to} and ${next[0]} are apart`).toBe(
      true,
    );
  });
  expect(gridOk(DAY.end), "the day ends on a poll").toBe(true);
  for (const sleep of DAY.sleeps) expect(sleep.seconds % DAY_POLL_SECONDS).toBe(0);
  return DAY.activity.map(([from, to]) => ({ start: from, end: to }));
}

function installPowerShell(): string {
  const result = spawnSync("bash", ["scripts/install-powershell.sh"], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 600_000,
  });
  const pwsh = result.stdout?.trim().split("\n").pop() ?? "";
  if (result.status !== 0 || !pwsh || !existsSync(pwsh)) {
    throw new Error(
      `PowerShell 7 could not be installed (bash scripts/install-powershell.sh exited ${result.status ?? result.signal}): ` +
        `the agent's end-to-end test cannot run.\n${result.stderr ?? ""}${result.error ? String(result.error) : ""}`,
    );
  }
  return pwsh;
}

// The agent's settings: from its config.env only, never from this process's environment.
const AGENT_SETTINGS = [
  "API_ENDPOINT",
  "AGENT_TOKEN",
  "IDLE_THRESHOLD_MINUTES",
  "POLL_INTERVAL_SECONDS",
  "REPORT_INTERVAL_MINUTES",
  "IDLE_REPORT_MINUTES",
  "REQUEST_TIMEOUT_SECONDS",
  "BATCH_SIZE",
  "SPOOL_MAX_MB",
  "LOG_MAX_KB",
  "DATA_DIR",
  "SPOOL_PATH",
  "STATE_PATH",
  "LOG_PATH",
];

type DriverResult = {
  rc: number;
  polls: number;
  fakeEnd: string;
  realStart: string;
  realSeconds: number;
  pausesDone: string[];
  spool: string;
  requests: { at: string; status: number; events: number; error: string | null }[];
};

const sleep = (msec: number) => new Promise((resolve) => setTimeout(resolve, msec));

/**
 * Runs the driver to its end. `ownSession` starts it in a session of its own (setsid), which is
 * what the agent's session identity (its process's session id) sees as another Windows session.
 */
async function runDriver(
  pwsh: string,
  scenario: object,
  configPath: string,
  {
    ownSession = false,
    extraEnv = {},
    timeoutMs = 100_000,
  }: { ownSession?: boolean; extraEnv?: Record<string, string>; timeoutMs?: number } = {},
): Promise<DriverResult> {
  const scenarioPath = path.join(path.dirname(configPath), `scenario-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(
    scenarioPath,
    JSON.stringify({
      sleeps: [],
      pauses: [],
      markerDir: path.dirname(configPath),
      pauseTimeoutSeconds: 60,
      ...scenario,
    }),
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DOTNET_CLI_TELEMETRY_OPTOUT: "1",
    POWERSHELL_TELEMETRY_OPTOUT: "1",
    POWERSHELL_UPDATECHECK: "Off",
    ...extraEnv,
  };
  for (const name of [...AGENT_SETTINGS, "LOCALAPPDATA"]) delete env[name];
  const args = ["-NoLogo", "-NoProfile", "-NonInteractive", "-File", path.join(ROOT, "tests/agent/e2e-driver.ps1")];
  const child = spawn(pwsh, [...args, "-ScenarioPath", scenarioPath, "-AgentConfig", configPath], {
    cwd: ROOT,
    env,
    detached: ownSession,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const code = await Promise.race([
    new Promise((resolve) => child.once("exit", (c, signal) => resolve(c ?? signal))),
    sleep(timeoutMs).then(() => "timeout"),
  ]);
  if (code === "timeout") child.kill("SIGKILL");
  expect(code, `the driver failed:\n${stderr}\n${stdout.slice(-4000)}`).toBe(0);
  const line = stdout.split("\n").find((l) => l.startsWith("E2E-RESULT "));
  expect(line, `no result from the driver:\n${stderr}\n${stdout.slice(-4000)}`).toBeDefined();
  return JSON.parse(line!.slice("E2E-RESULT ".length)) as DriverResult;
}

/** A config.env for the agent, in `agentDir`; `extra` lines override the ones before them. */
function writeAgentConfig(agentDir: string, endpoint: string, token: string, extra: string[] = []): string {
  mkdirSync(agentDir, { recursive: true });
  const configPath = path.join(agentDir, "config.env");
  writeFileSync(
    configPath,
    [
      `API_ENDPOINT=${endpoint}`,
      `AGENT_TOKEN=${token}`,
      `IDLE_THRESHOLD_MINUTES=${IDLE_THRESHOLD_MINUTES}`,
      `POLL_INTERVAL_SECONDS=${POLL_SECONDS}`,
      "REPORT_INTERVAL_MINUTES=1",
      "IDLE_REPORT_MINUTES=5",
      `DATA_DIR=${agentDir}`,
      ...extra,
      "",
    ].join("\n"),
  );
  return configPath;
}

/** Every event an agent log says was made, as "state ts" (ts as the server prints it). */
const eventsMade = (log: string) =>
  [...log.matchAll(/ event (working|stopped) at (\S+)/g)].map((m) => `${m[1]} ${new Date(ms(m[2])).toISOString()}`);

/**
 * The scenarios on one database; each provider has its own test file, so that the two run side
 * by side on separate workers (most of their time is the agent's fake day, not CPU).
 */
export function describeAgentEndToEnd(provider: Provider) {
  describe(`the Windows agent end to end, on ${provider}`, () => {
    let pwsh: string;
    let database: TestDatabase;
    let server: RunningServer | undefined;
    let dir: string;
    let ingestToken: string;
    let read: Record<string, string>;
    const serverEnv = () => ({ DATABASE_URL: database.url, REPORT_TIMEZONE: TZ, PROCESS_CRON: "off", CRON_SECRET });

    beforeAll(async () => {
      pwsh = installPowerShell();
      database = await createTestDatabase(provider);
      const tokens = await tokensFor(database.url);
      ingestToken = tokens.ingest.authorization.replace(/^Bearer /, "");
      read = tokens.read;
      server = await startServer(serverEnv());
      dir = mkdtempSync(path.join(os.tmpdir(), "wt-agent-e2e-"));
    }, 600_000);
    afterAll(async () => {
      if (server) killTree(server.child.pid!, "SIGKILL");
      await database?.drop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const runEngine = async () => {
      const res = await fetch(`${server!.url}/api/cron/process-real-hours`, {
        method: "POST",
        headers: { authorization: `Bearer ${CRON_SECRET}` },
      });
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body.data.status).toBe("ok");
    };

    it(
      "gives the server's timeline and summary exactly what the fake user did, through an outage",
      { timeout: 120_000 },
      async () => {
        const t0 = Date.now();
        const port = server!.port;
        const agentDir = path.join(dir, "agent");
        const markers = path.join(dir, "markers");
        mkdirSync(agentDir);
        mkdirSync(markers);
        const configPath = path.join(agentDir, "config.env");
        writeFileSync(
          configPath,
          [
            "# written by tests/helpers/agent-end-to-end.ts",
            `API_ENDPOINT=${server!.url}/api/report`,
            `AGENT_TOKEN=${ingestToken}`,
            `IDLE_THRESHOLD_MINUTES=${IDLE_THRESHOLD_MINUTES}`,
            `POLL_INTERVAL_SECONDS=${DAY_POLL_SECONDS}`,
            "REPORT_INTERVAL_MINUTES=1",
            "IDLE_REPORT_MINUTES=5",
            `DATA_DIR=${agentDir}`,
            "",
          ].join("\n"),
        );
        const scenarioPath = path.join(dir, "scenario.json");
        writeFileSync(
          scenarioPath,
          JSON.stringify({
            start: DAY.start,
            end: DAY.end,
            user: USER,
            activity: DAY.activity,
            sleeps: DAY.sleeps,
            pauses: [
              { at: DAY.outage.from, name: "down" },
              { at: DAY.outage.to, name: "up" },
            ],
            markerDir: markers,
            pauseTimeoutSeconds: 60,
          }),
        );

        const env: NodeJS.ProcessEnv = {
          ...process.env,
          DOTNET_CLI_TELEMETRY_OPTOUT: "1",
          POWERSHELL_TELEMETRY_OPTOUT: "1",
          POWERSHELL_UPDATECHECK: "Off",
        };
        for (const name of [...AGENT_SETTINGS, "LOCALAPPDATA"]) delete env[name];
        const child = spawn(
          pwsh,
          [
            "-NoLogo",
            "-NoProfile",
            "-NonInteractive",
            "-File",
            path.join(ROOT, "tests/agent/e2e-driver.ps1"),
            "-ScenarioPath",
            scenarioPath,
            "-AgentConfig",
            configPath,
          ],
          {
            cwd: ROOT,
            env,
            stdio: ["ignore", "pipe", "pipe"],
          },
        );
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk) => (stdout += chunk));
        child.stderr.on("data", (chunk) => (stderr += chunk));
        const exited = new Promise<number | string>((resolve) =>
          child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")),
        );
        let running = true;
        void exited.then(() => (running = false));

        // The outage, when the driver's fake clock reaches it.
        const pauses: Record<string, { fakeNow: string; spoolLines: number; realAt: number }> = {};
        const handle = async (name: string, action: () => Promise<void>) => {
          const request = path.join(markers, `${name}.request`);
          while (running && !existsSync(request)) await sleep(20);
          if (!running) return;
          pauses[name] = { ...JSON.parse(readFileSync(request, "utf8")), realAt: Date.now() - t0 };
          await action();
          writeFileSync(path.join(markers, `${name}.done`), "");
        };
        try {
          await handle("down", async () => {
            // A crash, not a shutdown: every event the server acknowledged must already be durable.
            const pids = killTree(server!.child.pid!, "SIGKILL");
            expect(await waitUntilGone(pids, 10_000)).toBe(true);
            await expect(fetch(`${server!.url}/api/health`)).rejects.toThrow();
          });
          await handle("up", async () => {
            server = await startServer(serverEnv(), { port });
            // The engine runs once before the agent's backlog arrives: the events sent late must
            // still end up exactly where they belong (DESIGN §5.8).
            await runEngine();
          });
          const code = await Promise.race([exited, sleep(90_000).then(() => "timeout")]);
          if (code === "timeout") child.kill("SIGKILL");
          expect(code, `the driver failed:\n${stderr}\n${stdout.slice(-4000)}`).toBe(0);
        } finally {
          if (running) child.kill("SIGKILL");
        }
        const line = stdout.split("\n").find((l) => l.startsWith("E2E-RESULT "));
        expect(line, `no result from the driver:\n${stderr}\n${stdout.slice(-4000)}`).toBeDefined();
        const result = JSON.parse(line!.slice("E2E-RESULT ".length)) as DriverResult;
        const agentLog = readFileSync(path.join(agentDir, "agent.log"), "utf8");
        const context = `agent log:\n${agentLog.slice(-6000)}`;

        // The agent ran the whole day and went through the outage.
        expect(result.rc, context).toBe(0);
        expect(result.pausesDone).toEqual(["down", "up"]);
        expect(ms(result.fakeEnd)).toBeGreaterThanOrEqual(ms(DAY.end));
        expect(pauses.down.fakeNow).toBe(DAY.outage.from.replace(".000Z", ".0000000Z"));
        expect(pauses.up.spoolLines, "events were held in the spool while the server was down").toBeGreaterThan(0);
        expect(agentLog).not.toContain(ingestToken);
        const failed = result.requests.filter((r) => r.status !== 201);
        expect(failed.length, "the agent tried the server while it was down").toBeGreaterThan(0);
        for (const r of failed) {
          expect(r.status, JSON.stringify(r)).toBe(0);
          expect(
            ms(r.at) >= ms(DAY.outage.from) && ms(r.at) < ms(DAY.outage.to),
            `a failure outside the outage: ${JSON.stringify(r)}`,
          ).toBe(true);
        }
        // Backoff: far fewer attempts than the outage's 25 polls, and polling never stopped.
        expect(failed.length).toBeLessThan(12);
        expect(result.polls).toBe(
          (ms(DAY.end) - ms(DAY.start)) / (DAY_POLL_SECONDS * 1000) +
            1 -
            DAY.sleeps.reduce((n, s) => n + s.seconds / DAY_POLL_SECONDS, 0),
        );
        // Nothing left behind.
        expect(result.spool.trim(), "the spool is empty at the end of the day").toBe("");

        await runEngine();
        const timeline = await (
          await fetch(`${server!.url}/api/users/${encodeURIComponent(USER)}/timeline?date=${DATE}`, { headers: read })
        ).json();
        expect(timeline.success, JSON.stringify(timeline)).toBe(true);
        const summaryRes = await (
          await fetch(
            `${server!.url}/api/reports/summary?period=day&date=${DATE}&username=${encodeURIComponent(USER)}`,
            {
              headers: read,
            },
          )
        ).json();
        expect(summaryRes.success, JSON.stringify(summaryRes)).toBe(true);

        // Nothing lost: every event the agent made (its log names each one) is on the server, and
        // nothing else is.
        const made = [...agentLog.matchAll(/ event (working|stopped) at (\S+)/g)].map(
          (m) => `${m[1]} ${new Date(ms(m[2])).toISOString()}`,
        );
        const stored = (timeline.data.events as { ts: string; state: string }[]).map((e) => `${e.state} ${e.ts}`);
        expect(made.length).toBeGreaterThan(100);
        expect([...new Set(stored)].sort()).toEqual([...new Set(made)].sort());
        expect(stored.length).toBe(new Set(stored).size);

        // The periods, minute for minute.
        const periods = expectedPeriods();
        expect(periods).toEqual([
          { start: at("09:00"), end: at("10:30") },
          { start: at("10:50"), end: at("12:10") },
          { start: at("13:00"), end: at("13:40") },
          { start: at("13:48"), end: at("14:30") },
        ]);
        expect(timeline.data.periods).toEqual(periods);
        const seconds = periods.reduce((s, p) => s + (ms(p.end) - ms(p.start)) / 1000, 0);
        const blocks = periods.reduce(
          (n, p) => n + Math.floor((ms(p.end) - ms(p.start)) / (BLOCK_MINUTES * 60_000)),
          0,
        );
        expect([seconds, blocks]).toEqual([(90 + 80 + 40 + 42) * 60, 2 + 2 + 1 + 1]);
        expect(timeline.data).toMatchObject({
          username: USER,
          date: DATE,
          timezone: TZ,
          working_seconds: seconds,
          real_hours_counted: blocks,
        });
        expect(summaryRes.data).toEqual([
          expect.objectContaining({
            username: USER,
            working_seconds: seconds,
            real_hours_counted: blocks,
            days_active: 1,
            first_activity: at("09:00"),
            last_activity: at("14:30"),
          }),
        ]);

        // Both sleeps were seen as clock jumps from the poll before them (the number is formatted
        // in the current culture): 12:10 to 12:52 and 13:40 to 13:48.
        for (const jump of ["2[,.\u00a0\u202f' ]?520", "480"])
          expect(agentLog).toMatch(new RegExp(`clock jump of ${jump} s since the last poll`));

        console.log(
          `[agent-e2e ${provider}] ${result.polls} polls, ${result.requests.length} requests (${failed.length} failed during the outage), ` +
            `${made.length} events; driver ${result.realSeconds} s, down at ${(pauses.down.realAt / 1000).toFixed(1)} s, ` +
            `up at ${(pauses.up.realAt / 1000).toFixed(1)} s, test ${((Date.now() - t0) / 1000).toFixed(1)} s`,
        );
      },
    );
    it(
      "loses nothing when two sessions of one account run an agent each, side by side",
      { timeout: 240_000 },
      async () => {
        const agentDir = path.join(dir, "two-sessions");
        const configPath = writeAgentConfig(agentDir, `${server!.url}/api/report`, ingestToken);
        const user = "CORP\\bob";
        // Console and RDP sessions of one account on one PC: the same %LOCALAPPDATA% folder.
        const day = (activity: [string, string][]) => ({ start: at("08:00"), end: at("10:30"), user, activity });
        const [console_, remote] = await Promise.all([
          runDriver(
            pwsh,
            day([
              [at("08:15"), at("09:15")],
              [at("09:35"), at("10:15")],
            ]),
            configPath,
            { ownSession: true },
          ),
          runDriver(
            pwsh,
            day([
              [at("08:30"), at("09:50")],
              [at("10:00"), at("10:20")],
            ]),
            configPath,
            { ownSession: true },
          ),
        ]);
        const log = readFileSync(path.join(agentDir, "agent.log"), "utf8");
        expect([console_.rc, remote.rc], log.slice(-4000)).toEqual([0, 0]);
        expect(console_.spool.trim() + remote.spool.trim(), "both spools are empty at the end").toBe("");

        const timeline = await (
          await fetch(`${server!.url}/api/users/${encodeURIComponent(user)}/timeline?date=${DATE}`, { headers: read })
        ).json();
        expect(timeline.success, JSON.stringify(timeline)).toBe(true);
        const stored = new Set(
          (timeline.data.events as { ts: string; state: string }[]).map((e) => `${e.state} ${e.ts}`),
        );
        const made = new Set(eventsMade(log));
        expect(made.size).toBeGreaterThan(120);
        const lost = [...made].filter((e) => !stored.has(e));
        expect(lost, `${lost.length} of ${made.size} events lost`).toEqual([]);
        expect([...stored].filter((e) => !made.has(e))).toEqual([]);
      },
    );
    it(
      "replays a week offline, 100,000 spooled events, with every event stored and the hours exact",
      { timeout: 300_000 },
      async () => {
        const agentDir = path.join(dir, "week-offline");
        const configPath = writeAgentConfig(agentDir, `${server!.url}/api/report`, ingestToken);
        const user = "CORP\\dave";
        // What a week without the server leaves in the spool: each day, heartbeats every 2 s from
        // 08:00 to 12:00 and from 13:00 to 17:30, each stretch ended by a `stopped` (local times).
        const days = ["2026-02-23", "2026-02-24", "2026-02-25", "2026-02-26", "2026-02-27", "2026-02-28", "2026-03-01"];
        const stretches: [string, string][] = [
          ["08:00", "12:00"],
          ["13:00", "17:30"],
        ];
        const local = (date: string, hhmm: string) => Date.parse(`${date}T${hhmm}:00+04:00`);
        // As the agent writes them: ts in the "o" format, seven fractional digits.
        const line = (state: string, msec: number) =>
          JSON.stringify({
            user,
            state,
            ts: new Date(msec).toISOString().replace(/Z$/, "0000Z"),
            device: "PC-DAVE",
            agent: "2.1.0",
          });
        const lines: string[] = [];
        for (const date of days)
          for (const [from, to] of stretches) {
            for (let t = local(date, from); t < local(date, to); t += 2_000) lines.push(line("working", t));
            lines.push(line("stopped", local(date, to)));
          }
        expect(lines.length).toBe(7 * (7_200 + 1 + 8_100 + 1));
        const prefill = path.join(dir, "week-offline.jsonl");
        writeFileSync(prefill, lines.join("\n") + "\n");

        // The agent starts on the Monday after, with nobody at the PC, and sends its backlog.
        const result = await runDriver(
          pwsh,
          { start: at("08:00"), end: at("09:00"), user, activity: [], prefill },
          configPath,
          { timeoutMs: 240_000 },
        );
        const log = readFileSync(path.join(agentDir, "agent.log"), "utf8");
        const context = `agent log:\n${log.slice(-4000)}`;
        expect(result.rc, context).toBe(0);
        expect(result.spool.trim(), "the spool is empty at the end").toBe("");
        expect(
          result.requests.filter((r) => r.status !== 201),
          context,
        ).toEqual([]);
        const sent = result.requests.reduce((n, r) => n + r.events, 0);
        await runEngine();

        let stored = 0;
        for (const date of days) {
          const timeline = await (
            await fetch(`${server!.url}/api/users/${encodeURIComponent(user)}/timeline?date=${date}&limit=10`, {
              headers: read,
            })
          ).json();
          expect(timeline.success, JSON.stringify(timeline)).toBe(true);
          expect(timeline.data.events_total, date).toBe(7_200 + 1 + 8_100 + 1);
          stored += timeline.data.events_total;
          expect(timeline.data.periods, date).toEqual(
            stretches.map(([from, to]) => ({
              start: new Date(local(date, from)).toISOString(),
              end: new Date(local(date, to)).toISOString(),
            })),
          );
          // 4 h and 4 h 30 min: six whole blocks of 40 minutes in each.
          expect(timeline.data, date).toMatchObject({ working_seconds: 30_600, real_hours_counted: 12 });
        }
        expect(stored).toBe(lines.length);
        // Each event sent once: the backlog and what the agent's own idle morning made.
        expect(sent, context).toBe(lines.length + eventsMade(log).length);

        const week = await (
          await fetch(
            `${server!.url}/api/reports/summary?period=week&date=${days[0]}&username=${encodeURIComponent(user)}`,
            { headers: read },
          )
        ).json();
        expect(week.success, JSON.stringify(week)).toBe(true);
        expect(week.data).toEqual([
          expect.objectContaining({ working_seconds: 7 * 30_600, real_hours_counted: 7 * 12, days_active: 7 }),
        ]);
        console.log(
          `[agent-e2e ${provider}] week offline: ${lines.length} spooled events in ${result.requests.length} requests, ` +
            `${result.polls} polls, driver ${result.realSeconds} s`,
        );
      },
    );
    it(
      "stores the events of a PC whose clock is 10 minutes ahead, on the server's clock",
      { timeout: 90_000 },
      async () => {
        const agentDir = path.join(dir, "clock-ahead");
        const configPath = writeAgentConfig(agentDir, `${server!.url}/api/report`, ingestToken, [
          "POLL_INTERVAL_SECONDS=5",
          "IDLE_THRESHOLD_MINUTES=1",
        ]);
        const user = "CORP\\carol";
        // Idle when the agent starts, at the keyboard for a second 8 s later (seconds from its start).
        const t0 = Date.now();
        const result = await runDriver(
          pwsh,
          {
            user,
            realClock: { pcAheadSeconds: 600, runSeconds: 15 },
            activity: [
              [-300, -200],
              [8, 9],
            ],
          },
          configPath,
        );
        const t1 = Date.now();
        const start = ms(result.realStart);
        const touch = [start + 8_000, start + 9_000];
        const log = readFileSync(path.join(agentDir, "agent.log"), "utf8");
        const context = `agent log:\n${log.slice(-4000)}`;
        expect(result.rc, context).toBe(0);
        expect(result.spool.trim(), context).toBe("");
        expect(log).toMatch(/this PC's clock is 60\d s ahead of the server's/);

        const dubaiDate = (msec: number) => new Date(msec + 4 * 3_600_000).toISOString().slice(0, 10);
        const stored: { ts: string; state: string }[] = [];
        for (const date of new Set([dubaiDate(t0 - 60_000), dubaiDate(t1 + 60_000)])) {
          const timeline = await (
            await fetch(`${server!.url}/api/users/${encodeURIComponent(user)}/timeline?date=${date}`, { headers: read })
          ).json();
          expect(timeline.success, JSON.stringify(timeline)).toBe(true);
          stored.push(...(timeline.data.events as { ts: string; state: string }[]));
        }
        stored.sort((a, b) => ms(a.ts) - ms(b.ts));
        // Made on the PC's clock (its log), stored on the server's: 600 s apart, give or take the
        // whole seconds of the Date header.
        const made = eventsMade(log).map((e) => e.split(" "));
        expect(
          made.map((e) => e[0]),
          context,
        ).toEqual(["stopped", "working"]);
        expect(
          stored.map((e) => e.state),
          context,
        ).toEqual(["stopped", "working"]);
        stored.forEach((e, i) => {
          const shift = (ms(e.ts) - ms(made[i][1])) / 1000;
          expect(Math.abs(shift + 600), `${e.state} ${e.ts} made at ${made[i][1]}`).toBeLessThanOrEqual(2);
        });
        // And at their true times: idle at the first poll, then the latest input of the touch.
        const [stopped, working] = stored.map((e) => ms(e.ts));
        expect(stopped, context).toBeGreaterThanOrEqual(start - 2_000);
        expect(stopped, context).toBeLessThan(touch[0]);
        expect(working, context).toBeGreaterThanOrEqual(touch[0] - 2_000);
        expect(working, context).toBeLessThanOrEqual(touch[1] + 2_000);
      },
    );
  });
}
