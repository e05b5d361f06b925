import { badRequest, payloadTooLarge, type ErrorBody } from "../errors.ts";
import { getConfig } from "../config.ts";
import { getDb } from "../db/index.ts";
import { recordIngestedEvents } from "../metrics/registry.ts";
import { checkEvent, MAX_BATCH_EVENTS, type ParsedEvent } from "./schema.ts";
import { chargeIngestToken } from "./rate-limit.ts";
import { EventStore } from "./store.ts";

export type SingleResult = { kind: "single"; duplicate: boolean };
export type BatchResult = {
  kind: "batch";
  accepted: number;
  duplicates: number;
  rejected: { index: number; error: ErrorBody }[];
};

const cache = globalThis as typeof globalThis & { __workTracingStore?: EventStore };

/** The process's event store; one per process so that all requests share its group commits. */
function getEventStore(): EventStore {
  cache.__workTracingStore ??= new EventStore(getDb());
  return cache.__workTracingStore;
}

/** Waits for every event already handed to the store to be committed (used at shutdown). */
export async function drainEventStore(): Promise<void> {
  await cache.__workTracingStore?.drain();
}

/** The body's events: `{events: [...]}` or a bare array is a batch, anything else one event. */
function splitBody(body: unknown): { batch: boolean; items: unknown[] } {
  if (Array.isArray(body)) return { batch: true, items: body };
  if (body && typeof body === "object" && "events" in body) {
    const events = (body as { events: unknown }).events;
    if (!Array.isArray(events))
      throw badRequest("invalid_body", "events must be an array of events", [
        { field: "events", message: "must be an array" },
      ]);
    return { batch: true, items: events };
  }
  return { batch: false, items: [body] };
}

/**
 * Validates and durably stores a report (one event or a batch). Resolves only after the
 * accepted events are committed; invalid events in a batch are listed, not fatal. With a
 * `sender`, its token is charged every event sent, before anything is stored (a 429 beyond its limit).
 */
export async function ingestReport(
  body: unknown,
  receivedAt = Date.now(),
  sender?: { tokenId: number; perMinute: number },
): Promise<SingleResult | BatchResult> {
  const { batch, items } = splitBody(body);
  if (items.length > MAX_BATCH_EVENTS) {
    throw payloadTooLarge(`A batch holds at most ${MAX_BATCH_EVENTS} events; this one has ${items.length}`);
  }
  if (batch && items.length === 0) throw badRequest("empty_batch", "The batch has no events");
  if (sender) chargeIngestToken(sender.tokenId, items.length, sender.perMinute, receivedAt);

  const valid: ParsedEvent[] = [];
  const rejected: BatchResult["rejected"] = [];
  const { eventRetentionDays } = getConfig();
  items.forEach((item, index) => {
    const check = checkEvent(item, receivedAt, eventRetentionDays);
    if (check.ok) valid.push(check.event);
    else
      rejected.push({
        index,
        error: {
          code: check.code,
          message: check.details.map((d) => d.message).join("; "),
          details: check.details,
        },
      });
  });

  const rejectedCodes = rejected.map((r) => r.error.code);
  if (!batch) {
    if (!valid.length) {
      recordIngestedEvents(0, 0, rejectedCodes);
      const { code, details } = rejected[0].error;
      throw badRequest(
        code,
        code === "event_too_old" ? "The event is older than the event retention window" : "The event is invalid",
        details,
      );
    }
    const [stored] = await getEventStore().store(valid, receivedAt, sender?.tokenId ?? null);
    recordIngestedEvents(stored ? 1 : 0, stored ? 0 : 1);
    return { kind: "single", duplicate: !stored };
  }
  if (!valid.length) {
    recordIngestedEvents(0, 0, rejectedCodes);
    throw badRequest(
      "no_valid_events",
      "No event in the batch is valid",
      rejected.flatMap((r) => (r.error.details ?? []).map((d) => ({ ...d, index: r.index }))),
    );
  }
  const stored = await getEventStore().store(valid, receivedAt, sender?.tokenId ?? null);
  const accepted = stored.filter(Boolean).length;
  recordIngestedEvents(accepted, stored.length - accepted, rejectedCodes);
  return { kind: "batch", accepted, duplicates: stored.length - accepted, rejected };
}
