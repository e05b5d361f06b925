import { AppError } from "../errors.ts";

type Bucket = { events: number; at: number };

const cache = globalThis as typeof globalThis & { __workTracingIngestBuckets?: Map<number, Bucket> };

/**
 * Charges `count` events to an ingest token's bucket, which holds a minute's worth of the
 * limit and refills continuously: a token may send `perMinute` events in any burst, then
 * `perMinute` a minute. A 429 with `Retry-After` when the bucket cannot cover the request;
 * the events are then not stored, and the agent keeps them spooled and sends them again.
 * A request larger than the bucket (a limit below one batch) passes once the bucket is full.
 * Kept in this process only: each server instance counts its own requests.
 */
export function chargeIngestToken(tokenId: number, count: number, perMinute: number, now = Date.now()): void {
  if (perMinute <= 0) return;
  const buckets = (cache.__workTracingIngestBuckets ??= new Map());
  const bucket = buckets.get(tokenId) ?? { events: perMinute, at: now };
  const perMs = perMinute / 60_000;
  bucket.events = Math.min(perMinute, bucket.events + Math.max(0, now - bucket.at) * perMs);
  bucket.at = now;
  buckets.set(tokenId, bucket);
  const needed = Math.min(count, perMinute);
  if (bucket.events >= needed) {
    bucket.events -= count;
    return;
  }
  const retryAfter = Math.max(1, Math.ceil((needed - bucket.events) / perMs / 1000));
  throw new AppError(
    429,
    "rate_limited",
    `This token may send ${perMinute} events a minute; retry in ${retryAfter} s`,
    undefined,
    { "Retry-After": String(retryAfter) },
  );
}
