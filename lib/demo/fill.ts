// Fills a database with demo data the way production fills it: teams through the admin
// functions, events through the ingest path POST /api/report uses, hours by the engine.
import { createTeam, listTeams, setTeamMembers, type Team } from "../auth/teams.ts";
import type { AuditContext } from "../auth/audit.ts";
import { getConfig } from "../config.ts";
import { getDb, type Db } from "../db/index.ts";
import { runHoursEngine, type EngineResult } from "../hours/run.ts";
import { drainEventStore, ingestReport } from "../ingest/index.ts";
import { toUserKey } from "../users.ts";
import { listUsers, type UserStatus } from "../reports/users.ts";
import { generateDemo, type DemoEvent, type DemoOptions } from "./generate.ts";

export type FillProgress = { events: number; expected: number };

export type FillResult = {
  employees: number;
  teams: { name: string; members: number; created: boolean }[];
  /** Events the store kept now, and those it already had (a re-run sends them again). */
  accepted: number;
  duplicates: number;
  engine: EngineResult;
  /** How the demo employees show on the Today page at `now`. */
  statuses: Record<UserStatus, number>;
  durationMs: number;
};

const AUDIT: AuditContext = { actor: "demo-data" };

/** Reuses a team of the same name (a re-run), creating only the missing ones. */
async function ensureTeams(db: Db, teams: { name: string; members: string[] }[]): Promise<FillResult["teams"]> {
  const existing = new Map((await listTeams(db)).map((team) => [team.name.toLowerCase(), team]));
  const done: FillResult["teams"] = [];
  for (const { name, members } of teams) {
    let team: Team | undefined = existing.get(name.toLowerCase());
    const created = !team;
    team ??= await createTeam(db, name, AUDIT);
    await setTeamMembers(db, team.id, members, AUDIT);
    done.push({ name: team.name, members: members.length, created });
  }
  return done;
}

async function sendBatch(batch: DemoEvent[]): Promise<{ accepted: number; duplicates: number }> {
  const result = await ingestReport({ events: batch });
  if (result.kind !== "batch") throw new Error("The ingest did not treat the demo events as a batch");
  if (result.rejected.length) {
    const first = result.rejected[0];
    throw new Error(
      `The ingest refused ${result.rejected.length} demo event(s); the first, ${JSON.stringify(batch[first.index])}: ${first.error.message}`,
    );
  }
  return result;
}

/**
 * Generates the demo fleet and stores it in `db`, which must be the process's database: the
 * ingest path, like the server's, writes to getDb(). Safe to repeat: teams are reused and the
 * store drops events it already holds.
 */
export async function fillDemoData(
  db: Db,
  options: DemoOptions & { onProgress?: (progress: FillProgress) => void } = {},
): Promise<FillResult> {
  if (db !== getDb())
    throw new Error("fillDemoData needs the process's database (getDb()): the ingest path writes there");
  const started = performance.now();
  const config = getConfig();
  const now = Math.floor(options.now ?? Date.now());
  const demo = generateDemo({
    timeZone: config.reportTimezone,
    heartbeatTimeoutMinutes: config.heartbeatTimeoutMinutes,
    ...options,
    now,
  });
  const teams = await ensureTeams(db, demo.teams);

  const expected = options.onProgress ? demo.estimateEvents() : 0;
  let accepted = 0;
  let duplicates = 0;
  let sent = 0;
  // One batch in flight while the next is generated: on PostgreSQL the commit's round trips
  // overlap the generation.
  let inFlight: Promise<void> | null = null;
  for (const batch of demo.batches()) {
    await inFlight;
    inFlight = sendBatch(batch).then((result) => {
      accepted += result.accepted;
      duplicates += result.duplicates;
      sent += batch.length;
      options.onProgress?.({ events: sent, expected: Math.max(expected, sent) });
    });
  }
  await inFlight;
  await drainEventStore();

  const engine = await runHoursEngine({ trigger: "manual", db });
  const statuses: Record<UserStatus, number> = { working: 0, idle: 0, offline: 0 };
  const demoUsers = new Set(demo.employees.map((e) => toUserKey(e.username)));
  for (const user of await listUsers(db, config.rules, now, demoUsers)) statuses[user.status]++;

  return {
    employees: demo.employees.length,
    teams,
    accepted,
    duplicates,
    engine,
    statuses,
    durationMs: Math.round(performance.now() - started),
  };
}
