-- A third token scope: metrics, for the Prometheus scrape of GET /api/metrics. SQLite cannot
-- change a CHECK in place: the table is copied into one with the new rule. Nothing refers to
-- api_tokens by foreign key, so the ids carry over as they are.
CREATE TABLE "new_api_tokens" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "name" TEXT NOT NULL,
    "scope" TEXT NOT NULL CHECK ("scope" IN ('ingest', 'read', 'metrics')),
    "token_hash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL,
    "created_by" TEXT NOT NULL,
    "revoked_at" DATETIME,
    "last_used_at" DATETIME,
    "last_used_ip" TEXT
);
INSERT INTO "new_api_tokens" ("id", "name", "scope", "token_hash", "prefix", "created_at", "created_by", "revoked_at", "last_used_at", "last_used_ip")
SELECT "id", "name", "scope", "token_hash", "prefix", "created_at", "created_by", "revoked_at", "last_used_at", "last_used_ip" FROM "api_tokens";
DROP TABLE "api_tokens";
ALTER TABLE "new_api_tokens" RENAME TO "api_tokens";
CREATE UNIQUE INDEX "api_tokens_token_hash_key" ON "api_tokens"("token_hash");
