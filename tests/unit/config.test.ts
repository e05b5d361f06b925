import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, DEFAULT_DATABASE_URL, loadConfig, sqlitePathFromUrl } from "@/lib/config";

let root: string;

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), "wt-config-"));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

const writeFile = (name: string, text: string) => writeFileSync(path.join(root, name), text);

/** The ConfigError loadConfig throws for these settings. */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env, root);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe("loadConfig", () => {
  it("runs with nothing set", () => {
    expect(loadConfig({}, root)).toEqual({
      databaseUrl: DEFAULT_DATABASE_URL,
      provider: "sqlite",
      host: "0.0.0.0",
      port: 5050,
      secretKey: undefined,
      reportTimezone: "Asia/Dubai",
      weekStartsOn: 1,
      realHourBlockMinutes: 40,
      heartbeatTimeoutMinutes: 15,
      processCron: "*/15 * * * *",
      cronSecret: undefined,
      trustedProxies: 0,
      logFormat: "text",
      ingestRateLimit: 300_000,
      rootDir: root,
      rules: { timeZone: "Asia/Dubai", weekStartsOn: 1, gapMs: 15 * 60_000, blockMs: 40 * 60_000 },
    });
    expect(DEFAULT_DATABASE_URL).toBe("file:./instance/work_events.db");
    expect(sqlitePathFromUrl(DEFAULT_DATABASE_URL, root)).toBe(path.join(root, "instance", "work_events.db"));
  });

  it("reads every setting from the environment", () => {
    const config = loadConfig(
      {
        DATABASE_URL: "postgresql://wt:pw@db.example:5433/wt",
        HOST: "127.0.0.1",
        PORT: "8080",
        SECRET_KEY: "0123456789abcdef0123",
        REPORT_TIMEZONE: "Europe/Berlin",
        WEEK_STARTS_ON: "0",
        REAL_HOUR_BLOCK_MINUTES: "60",
        HEARTBEAT_TIMEOUT_MINUTES: "0",
        PROCESS_CRON: "0 * * * *",
        TRUSTED_PROXIES: "2",
        INGEST_RATE_LIMIT: "0",
      },
      root,
    );
    expect(config).toMatchObject({
      databaseUrl: "postgresql://wt:pw@db.example:5433/wt",
      provider: "postgresql",
      host: "127.0.0.1",
      port: 8080,
      secretKey: "0123456789abcdef0123",
      reportTimezone: "Europe/Berlin",
      weekStartsOn: 0,
      realHourBlockMinutes: 60,
      heartbeatTimeoutMinutes: 0,
      processCron: "0 * * * *",
      trustedProxies: 2,
      ingestRateLimit: 0,
    });
  });

  it("lets the environment beat config.env, and config.env beat .env", () => {
    writeFile("config.env", 'PORT=6000\nREPORT_TIMEZONE="Europe/London"\n# a comment\nHOST=10.0.0.1\n');
    writeFile(".env", "PORT=7000\nREPORT_TIMEZONE=Asia/Tokyo\nWEEK_STARTS_ON=0\nHOST=10.0.0.2\n");
    const config = loadConfig({ PORT: "9000" }, root);
    expect(config.port).toBe(9000);
    expect(config.reportTimezone).toBe("Europe/London");
    expect(config.host).toBe("10.0.0.1");
    expect(config.weekStartsOn).toBe(0);
  });

  it("treats an empty value as unset", () => {
    writeFile("config.env", "PORT=6000\n");
    expect(loadConfig({ PORT: "" }, root).port).toBe(6000);
    writeFile("config.env", "PORT=\n");
    expect(loadConfig({}, root).port).toBe(5050);
  });

  it("accepts DATABASE_URI as an alias, as the original config.env used", () => {
    expect(loadConfig({ DATABASE_URI: "postgresql://wt@localhost/wt" }, root)).toMatchObject({
      databaseUrl: "postgresql://wt@localhost/wt",
      provider: "postgresql",
    });
    writeFile("config.env", 'DATABASE_URI="postgres://wt@db/wt"\n');
    expect(loadConfig({}, root).databaseUrl).toBe("postgres://wt@db/wt");
    expect(loadConfig({ DATABASE_URL: "file:./data/x.db" }, root).databaseUrl).toBe("file:./data/x.db");
  });

  it("prefers DATABASE_URL to DATABASE_URI from the same place, but the environment to any file", () => {
    expect(loadConfig({ DATABASE_URL: "file:./a.db", DATABASE_URI: "file:./b.db" }, root).databaseUrl).toBe(
      "file:./a.db",
    );
    writeFile("config.env", "DATABASE_URL=file:./from-file.db\n");
    expect(loadConfig({ DATABASE_URI: "postgresql://wt@env/wt" }, root).databaseUrl).toBe("postgresql://wt@env/wt");
  });

  it("keeps the original server's SQLAlchemy URLs working", () => {
    writeFile("config.env", 'DATABASE_URI="sqlite:///../instance/work_events.db"\n');
    const config = loadConfig({}, root);
    expect(config.provider).toBe("sqlite");
    expect(sqlitePathFromUrl(config.databaseUrl, root)).toBe(path.join(root, "instance", "work_events.db"));
    expect(loadConfig({ DATABASE_URL: "sqlite:////var/lib/wt/events.db" }, root).databaseUrl).toBe(
      "file:/var/lib/wt/events.db",
    );
    expect(loadConfig({ DATABASE_URL: "postgresql+psycopg2://wt:pw@db:5432/wt" }, root)).toMatchObject({
      databaseUrl: "postgresql://wt:pw@db:5432/wt",
      provider: "postgresql",
    });
    expect(configError({ DATABASE_URL: "sqlite:///:memory:" }).message).toContain("DATABASE_URL");
  });

  it("resolves a relative SQLite path from the project root", () => {
    expect(sqlitePathFromUrl("file:./data/x.db", root)).toBe(path.join(root, "data", "x.db"));
    expect(sqlitePathFromUrl("file:/var/lib/wt/x.db", root)).toBe("/var/lib/wt/x.db");
  });

  it("keeps raw events for ever unless EVENT_RETENTION_DAYS is a number of days", () => {
    expect(loadConfig({}, root).eventRetentionDays).toBeUndefined();
    expect(loadConfig({ EVENT_RETENTION_DAYS: " 400 " }, root).eventRetentionDays).toBe(400);
  });

  it("turns PROCESS_CRON=off into no schedule", () => {
    expect(loadConfig({ PROCESS_CRON: "off" }, root).processCron).toBeNull();
    expect(loadConfig({ PROCESS_CRON: "OFF" }, root).processCron).toBeNull();
  });

  it("reads LOG_FORMAT as text or json, in any letter case, from the environment or config.env", () => {
    expect(loadConfig({ LOG_FORMAT: "json" }, root).logFormat).toBe("json");
    expect(loadConfig({ LOG_FORMAT: " JSON " }, root).logFormat).toBe("json");
    expect(loadConfig({ LOG_FORMAT: "text" }, root).logFormat).toBe("text");
    writeFile("config.env", "LOG_FORMAT=json\n");
    expect(loadConfig({}, root).logFormat).toBe("json");
  });

  it("refuses an unknown LOG_FORMAT in one line that names it, the choices and the value", () => {
    expect(configError({ LOG_FORMAT: "xml" }).message).toBe(
      'Invalid configuration: LOG_FORMAT must be text or json (got "xml")',
    );
    writeFile("config.env", "LOG_FORMAT=logfmt\n");
    expect(configError({}).message).toBe('Invalid configuration: LOG_FORMAT must be text or json (got "logfmt")');
  });

  it.each([
    ["REPORT_TIMEZONE", { REPORT_TIMEZONE: "Mars/Olympus" }],
    ["PORT", { PORT: "http" }],
    ["PORT", { PORT: "70000" }],
    ["PORT", { PORT: "0" }],
    ["DATABASE_URL", { DATABASE_URL: "mysql://wt@localhost/wt" }],
    ["DATABASE_URL", { DATABASE_URL: "file:" }],
    ["DATABASE_URL", { DATABASE_URL: "postgresql://wt@localhost:port/wt" }],
    ["DATABASE_URL", { DATABASE_URI: "not a url" }],
    ["WEEK_STARTS_ON", { WEEK_STARTS_ON: "7" }],
    ["WEEK_STARTS_ON", { WEEK_STARTS_ON: "Monday" }],
    ["REAL_HOUR_BLOCK_MINUTES", { REAL_HOUR_BLOCK_MINUTES: "0" }],
    ["HEARTBEAT_TIMEOUT_MINUTES", { HEARTBEAT_TIMEOUT_MINUTES: "-5" }],
    ["PROCESS_CRON", { PROCESS_CRON: "every fifteen minutes" }],
    ["PROCESS_CRON", { PROCESS_CRON: "61 * * * *" }],
    ["SECRET_KEY", { SECRET_KEY: "short" }],
    ["TRUSTED_PROXIES", { TRUSTED_PROXIES: "yes" }],
    ["INGEST_RATE_LIMIT", { INGEST_RATE_LIMIT: "off" }],
    ["LOG_FORMAT", { LOG_FORMAT: "yaml" }],
    ["EVENT_RETENTION_DAYS", { EVENT_RETENTION_DAYS: "0" }],
    ["EVENT_RETENTION_DAYS", { EVENT_RETENTION_DAYS: "30 days" }],
    ["EVENT_RETENTION_DAYS", { EVENT_RETENTION_DAYS: "-1" }],
  ])("refuses a bad %s with one line naming it", (name, env) => {
    const error = configError(env);
    expect(error.name).toBe("ConfigError");
    expect(error.message).toContain(name);
    expect(error.message).not.toContain("\n");
  });

  it("refuses a bad value read from config.env too", () => {
    writeFile("config.env", "PORT=fifty\n");
    expect(configError({}).message).toContain("PORT");
  });

  it("shows the bad value, but never a secret", () => {
    expect(configError({ PORT: "http" }).message).toContain('"http"');
    expect(configError({ SECRET_KEY: "hunter2" }).message).not.toContain("hunter2");
  });

  it("reads the first admin's ADMIN_USERNAME and ADMIN_PASSWORD, together and with a long enough password", () => {
    expect(loadConfig({ ADMIN_USERNAME: " admin ", ADMIN_PASSWORD: "twelve chars" }, root)).toMatchObject({
      adminUsername: "admin",
      adminPassword: "twelve chars",
    });
    const short = configError({ ADMIN_USERNAME: "admin", ADMIN_PASSWORD: "short-pw" }).message;
    expect(short).toBe("Invalid configuration: ADMIN_PASSWORD must be at least 12 characters");
    expect(configError({ ADMIN_USERNAME: "admin" }).message).toMatch(
      /ADMIN_USERNAME and ADMIN_PASSWORD must be set together/,
    );
    const alone = configError({ ADMIN_PASSWORD: "a-password-on-its-own" }).message;
    expect(alone).toMatch(/must be set together/);
    expect(alone).not.toContain("a-password-on-its-own");
  });

  it("does not print the database password when the URL is refused", () => {
    const message = configError({ DATABASE_URL: "postgresql://wt:s3cretPassw0rd@db.example:port/wt" }).message;
    expect(message).toContain("DATABASE_URL");
    expect(message).not.toContain("s3cretPassw0rd");
  });

  it("keeps the message on one line whatever the value holds", () => {
    writeFile("config.env", 'REPORT_TIMEZONE="Asia/\nDubai"\n');
    const message = configError({}).message;
    expect(message).toContain("REPORT_TIMEZONE");
    expect(message).not.toContain("\n");
  });
});
