-- Accounts, sessions, teams, API tokens, the audit log and sign-in failures (DESIGN §8).
-- Times are milliseconds since the Unix epoch, UTC. Secrets are stored only as hashes.
CREATE TABLE "accounts" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "username" TEXT NOT NULL,
    "username_key" TEXT NOT NULL,
    "password_hash" TEXT NOT NULL,
    "role" TEXT NOT NULL CHECK ("role" IN ('admin', 'supervisor', 'viewer')),
    "disabled_at" DATETIME,
    "created_at" DATETIME NOT NULL,
    "password_changed_at" DATETIME NOT NULL
);
CREATE UNIQUE INDEX "accounts_username_key_key" ON "accounts"("username_key");

CREATE TABLE "sessions" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "account_id" INTEGER NOT NULL,
    "created_at" DATETIME NOT NULL,
    "expires_at" DATETIME NOT NULL,
    "last_seen_at" DATETIME NOT NULL,
    "ip" TEXT,
    "user_agent" TEXT,
    CONSTRAINT "sessions_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "sessions_account_id_idx" ON "sessions"("account_id");

CREATE TABLE "teams" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "name" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL
);
CREATE UNIQUE INDEX "teams_name_key" ON "teams"("name");

CREATE TABLE "team_members" (
    "team_id" INTEGER NOT NULL,
    "user_key" TEXT NOT NULL,

    PRIMARY KEY ("team_id", "user_key"),
    CONSTRAINT "team_members_team_id_fkey" FOREIGN KEY ("team_id") REFERENCES "teams" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "team_members_user_key_idx" ON "team_members"("user_key");

CREATE TABLE "account_teams" (
    "account_id" INTEGER NOT NULL,
    "team_id" INTEGER NOT NULL,

    PRIMARY KEY ("account_id", "team_id"),
    CONSTRAINT "account_teams_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "account_teams_team_id_fkey" FOREIGN KEY ("team_id") REFERENCES "teams" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "account_teams_team_id_idx" ON "account_teams"("team_id");

CREATE TABLE "api_tokens" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "name" TEXT NOT NULL,
    "scope" TEXT NOT NULL CHECK ("scope" IN ('ingest', 'read')),
    "token_hash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL,
    "created_by" TEXT NOT NULL,
    "revoked_at" DATETIME,
    "last_used_at" DATETIME,
    "last_used_ip" TEXT
);
CREATE UNIQUE INDEX "api_tokens_token_hash_key" ON "api_tokens"("token_hash");

CREATE TABLE "audit_log" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "at" DATETIME NOT NULL,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target" TEXT,
    "details" TEXT,
    "ip" TEXT
);
CREATE INDEX "audit_log_at_idx" ON "audit_log"("at");

CREATE TABLE "sign_in_failures" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "count" INTEGER NOT NULL,
    "window_start" DATETIME NOT NULL,
    "locked_until" DATETIME
);
