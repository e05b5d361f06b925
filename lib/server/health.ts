import { getDb } from "../db/index.ts";
import { getMigrationStatus, listMigrations, type Migration } from "../db/migrator.ts";
import { isDatabaseUnavailable } from "../db/errors.ts";
import { describeError, log } from "../log.ts";
import { getVersion } from "./version.ts";

type EngineRunInfo = {
  started_at: string;
  finished_at: string | null;
  status: string;
  events_processed: number;
  error: string | null;
};

export type Health = {
  status: "ok" | "degraded" | "unavailable";
  version: string;
  uptime_seconds: number;
  database: {
    status: "up" | "down";
    provider: string;
    latency_ms: number | null;
    migrations: { status: "current" | "pending" | "unknown"; applied: number; pending: string[] };
  };
  engine: { last_run: EngineRunInfo | null };
};

let shipped: Migration[] | undefined;

function toIso(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const date = value instanceof Date ? value : new Date(Number(value));
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/**
 * The server's own state, for load balancers and operators. It is public, so it names no
 * employee and no figure about anyone's work.
 */
export async function getHealth(): Promise<Health> {
  const db = getDb();
  shipped ??= listMigrations(db.provider);
  const base = { version: getVersion(), uptime_seconds: Math.round(process.uptime()) };
  const started = performance.now();
  try {
    const status = await getMigrationStatus(db, shipped);
    const latency = Math.round((performance.now() - started) * 10) / 10;
    const [run] = status.pending.length
      ? []
      : await db.raw.query<Record<string, unknown>>(
          `SELECT started_at, finished_at, status, events_processed, error FROM engine_runs ORDER BY id DESC LIMIT 1`,
        );
    return {
      status: status.pending.length ? "degraded" : "ok",
      ...base,
      database: {
        status: "up",
        provider: db.provider,
        latency_ms: latency,
        migrations: {
          status: status.pending.length ? "pending" : "current",
          applied: status.applied.length,
          pending: status.pending,
        },
      },
      engine: {
        last_run: run
          ? {
              started_at: toIso(run.started_at)!,
              finished_at: toIso(run.finished_at),
              status: String(run.status),
              events_processed: Number(run.events_processed),
              error: run.error === null ? null : String(run.error),
            }
          : null,
      },
    };
  } catch (error) {
    if (!isDatabaseUnavailable(error)) log.error("health check failed", describeError(error));
    return {
      status: "unavailable",
      ...base,
      database: {
        status: "down",
        provider: db.provider,
        latency_ms: null,
        migrations: { status: "unknown", applied: 0, pending: [] },
      },
      engine: { last_run: null },
    };
  }
}
