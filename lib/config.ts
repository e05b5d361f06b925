import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseEnv } from "node:util";
import { validate as isValidCron } from "node-cron";
import { z } from "zod";
import { wholeNumber } from "./validation.ts";

export const DEFAULT_DATABASE_URL = "file:./instance/work_events.db";

const LOG_FORMATS = ["text", "json"] as const;
/** How log lines are written: `text` for people, `json` (one object a line) for log collectors. */
export type LogFormat = (typeof LOG_FORMATS)[number];

/** A setting that cannot be used; the message is one line that names it. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/**
 * The error for a bad setting: `message` names it; the value, when given, is shown quoted with
 * everything outside printable ASCII escaped, so a control or direction-changing character in
 * it cannot break or reorder the line.
 */
export function invalidSetting(message: string, value?: unknown): ConfigError {
  const shown =
    value === undefined
      ? ""
      : ` (got ${JSON.stringify(value).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)})`;
  return new ConfigError(`Invalid configuration: ${message}${shown}`);
}

function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const configSchema = z
  .object({
    DATABASE_URL: z
      .string()
      .trim()
      .refine(
        (url) => /^file:.+/.test(url) || /^postgres(ql)?:\/\/[^\s]+$/.test(url),
        "DATABASE_URL (or DATABASE_URI) must start with file: (SQLite) or postgresql:// (PostgreSQL)",
      )
      .refine((url) => !/^postgres/.test(url) || URL.canParse(url), "DATABASE_URL is not a valid PostgreSQL URL"),
    HOST: z.string().trim().min(1, "HOST must not be empty"),
    PORT: wholeNumber("PORT", 1, 65535),
    SECRET_KEY: z.string().min(16, "SECRET_KEY must be at least 16 characters").optional(),
    REPORT_TIMEZONE: z
      .string()
      .trim()
      .refine(isKnownTimeZone, "REPORT_TIMEZONE must be an IANA time zone such as Asia/Dubai or Europe/Berlin"),
    WEEK_STARTS_ON: wholeNumber("WEEK_STARTS_ON", 0, 6),
    REAL_HOUR_BLOCK_MINUTES: wholeNumber("REAL_HOUR_BLOCK_MINUTES", 1, 1440),
    HEARTBEAT_TIMEOUT_MINUTES: wholeNumber("HEARTBEAT_TIMEOUT_MINUTES", 0, 1440),
    PROCESS_CRON: z
      .string()
      .trim()
      .refine(
        (expr) => expr.toLowerCase() === "off" || isValidCron(expr),
        "PROCESS_CRON must be a cron expression such as */15 * * * * or off",
      ),
    CRON_SECRET: z.string().min(16, "CRON_SECRET must be at least 16 characters").optional(),
    EVENT_RETENTION_DAYS: wholeNumber("EVENT_RETENTION_DAYS", 1, 36_500).optional(),
    TRUSTED_PROXIES: wholeNumber("TRUSTED_PROXIES", 0, 10),
    LOG_FORMAT: z
      .string()
      .trim()
      .transform((format) => format.toLowerCase())
      .pipe(z.enum(LOG_FORMATS, { error: "LOG_FORMAT must be text or json" })),
    INGEST_RATE_LIMIT: wholeNumber("INGEST_RATE_LIMIT", 0, 100_000_000),
    // Judged by the account username rules at start-up (lib/server/startup.ts), which live above this layer.
    ADMIN_USERNAME: z.string().trim().optional(),
    // Counted in characters, as lib/auth/schemas.ts counts every password.
    ADMIN_PASSWORD: z
      .string()
      .refine((value) => [...value].length >= 12, "ADMIN_PASSWORD must be at least 12 characters")
      .refine((value) => [...value].length <= 1024, "ADMIN_PASSWORD must be at most 1024 characters")
      .optional(),
  })
  .refine((c) => !c.ADMIN_USERNAME === !c.ADMIN_PASSWORD, {
    path: ["ADMIN_PASSWORD"],
    message: "ADMIN_USERNAME and ADMIN_PASSWORD must be set together (the first admin is created from both)",
  });

const defaults = {
  DATABASE_URL: DEFAULT_DATABASE_URL,
  HOST: "0.0.0.0",
  PORT: "5050",
  REPORT_TIMEZONE: "Asia/Dubai",
  WEEK_STARTS_ON: "1",
  REAL_HOUR_BLOCK_MINUTES: "40",
  HEARTBEAT_TIMEOUT_MINUTES: "15",
  PROCESS_CRON: "*/15 * * * *",
  TRUSTED_PROXIES: "0",
  LOG_FORMAT: "text",
  // A fleet of 10,000 agents sends about 10,000 a minute, 100,000 in a logon burst.
  INGEST_RATE_LIMIT: "300000",
} satisfies Partial<Record<keyof z.input<typeof configSchema>, string>>;

export type Config = {
  databaseUrl: string;
  provider: "sqlite" | "postgresql";
  host: string;
  port: number;
  secretKey?: string;
  reportTimezone: string;
  weekStartsOn: number;
  realHourBlockMinutes: number;
  heartbeatTimeoutMinutes: number;
  processCron: string | null;
  cronSecret?: string;
  /** Days raw events are kept; undefined keeps them for ever (derived hours are always kept). */
  eventRetentionDays?: number;
  /** Reverse proxies in front of server.ts whose X-Forwarded-For entries name the client. */
  trustedProxies: number;
  logFormat: LogFormat;
  /** Events one ingest token may send a minute (in any burst up to that many); 0 means no limit. */
  ingestRateLimit: number;
  /** The first admin, created on a start that finds no account at all. */
  adminUsername?: string;
  adminPassword?: string;
  rootDir: string;
  /** The rules the engine and the reports share, derived once from the settings above. */
  rules: Rules;
};

/** How a day, a week and work are measured: what the hours engine and every report read. */
export type Rules = {
  /** IANA zone that defines a local date. */
  timeZone: string;
  /** 0 = Sunday … 6 = Saturday. */
  weekStartsOn: number;
  /** Silence after which an open period closes and a user counts as offline; 0 means never. */
  gapMs: number;
  /** Length of one Real Work Hour. */
  blockMs: number;
};

type Source = Record<string, string | undefined>;

function readEnvFile(file: string): Source {
  if (!existsSync(file)) return {};
  try {
    return parseEnv(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ConfigError(`${path.basename(file)} cannot be read: ${(error as Error).message}`);
  }
}

/**
 * Accepts the original server's SQLAlchemy URLs so its config.env keeps working:
 * `sqlite:///relative.db` is relative to instance/ (as Flask-SQLAlchemy resolves it),
 * `sqlite:////abs.db` is absolute, and `postgresql+driver://` loses its driver suffix.
 */
function normalizeDatabaseUrl(url: string, rootDir: string): string {
  const trimmed = url.trim();
  const sqlite = /^sqlite:\/\/\/(.+)$/.exec(trimmed);
  if (sqlite && sqlite[1] !== ":memory:") {
    const file = sqlite[1].startsWith("/") ? sqlite[1] : path.resolve(rootDir, "instance", sqlite[1]);
    return `file:${file}`;
  }
  return trimmed.replace(/^postgres(ql)?\+[\w-]+:\/\//, "postgresql://");
}

function hidePassword(url: string): string {
  return url.replace(/(:\/\/[^:/@]*:).*@/, "$1***@");
}

/**
 * The environment wins over config.env, which wins over .env; every setting has a default.
 * Empty values count as unset, so `PORT=` in a file falls back to the default.
 */
export function loadConfig(env: Source = process.env, rootDir = process.cwd()): Config {
  const files = [readEnvFile(path.join(rootDir, "config.env")), readEnvFile(path.join(rootDir, ".env"))];
  // Sources first, then names: an alias in the environment beats the main name in a file.
  const pick = (...names: string[]): string | undefined => {
    for (const source of [env, ...files]) {
      for (const name of names) {
        const value = source[name];
        if (value !== undefined && value.trim() !== "") return value;
      }
    }
    return undefined;
  };
  const raw: Source = {};
  for (const name of Object.keys(configSchema.shape)) {
    raw[name] = pick(name) ?? defaults[name as keyof typeof defaults];
  }
  raw.DATABASE_URL = normalizeDatabaseUrl(pick("DATABASE_URL", "DATABASE_URI") ?? defaults.DATABASE_URL, rootDir);

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue.path[0]);
    // JSON quoting keeps the message on one line; a database password is never printed.
    const value = name === "DATABASE_URL" ? hidePassword(String(raw[name])) : raw[name];
    const secret = ["SECRET_KEY", "CRON_SECRET", "ADMIN_PASSWORD"].includes(name);
    throw invalidSetting(issue.message, secret ? undefined : value);
  }
  const c = parsed.data;
  return {
    databaseUrl: c.DATABASE_URL,
    provider: c.DATABASE_URL.startsWith("file:") ? "sqlite" : "postgresql",
    host: c.HOST,
    port: c.PORT,
    secretKey: c.SECRET_KEY,
    reportTimezone: c.REPORT_TIMEZONE,
    weekStartsOn: c.WEEK_STARTS_ON,
    realHourBlockMinutes: c.REAL_HOUR_BLOCK_MINUTES,
    heartbeatTimeoutMinutes: c.HEARTBEAT_TIMEOUT_MINUTES,
    processCron: c.PROCESS_CRON.toLowerCase() === "off" ? null : c.PROCESS_CRON,
    cronSecret: c.CRON_SECRET,
    eventRetentionDays: c.EVENT_RETENTION_DAYS,
    trustedProxies: c.TRUSTED_PROXIES,
    logFormat: c.LOG_FORMAT,
    ingestRateLimit: c.INGEST_RATE_LIMIT,
    adminUsername: c.ADMIN_USERNAME,
    adminPassword: c.ADMIN_PASSWORD,
    rootDir,
    rules: {
      timeZone: c.REPORT_TIMEZONE,
      weekStartsOn: c.WEEK_STARTS_ON,
      gapMs: c.HEARTBEAT_TIMEOUT_MINUTES * 60_000,
      blockMs: c.REAL_HOUR_BLOCK_MINUTES * 60_000,
    },
  };
}

const cache = globalThis as typeof globalThis & { __workTracingConfig?: Config };

/** The process's configuration, parsed once. */
export function getConfig(): Config {
  cache.__workTracingConfig ??= loadConfig();
  return cache.__workTracingConfig;
}

/** Resolves a SQLite `file:` URL to an absolute path; relative paths are from the project root. */
export function sqlitePathFromUrl(url: string, rootDir = getConfig().rootDir): string {
  const withoutScheme = url.replace(/^file:(\/\/)?/, "").replace(/\?.*$/, "");
  return path.resolve(rootDir, withoutScheme);
}
