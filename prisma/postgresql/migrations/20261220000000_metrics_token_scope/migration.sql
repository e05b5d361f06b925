-- A third token scope: metrics, for the Prometheus scrape of GET /api/metrics.
ALTER TABLE "api_tokens" DROP CONSTRAINT "api_tokens_scope_check";
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_scope_check" CHECK ("scope" IN ('ingest', 'read', 'metrics'));
