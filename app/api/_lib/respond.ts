import { toAppError } from "@/lib/db/errors";
import { AppError, methodNotAllowed, toErrorEnvelope } from "@/lib/errors";
import type { Principal } from "@/lib/auth/principal";
import { describeError, log } from "@/lib/log";
import { recordIngestRequest } from "@/lib/metrics/registry";
import { requirePrincipal, type Access } from "./access";

type Handler<C> = (request: Request, context: C) => Promise<Response>;
type GuardedHandler<C, A extends Access> = (
  request: Request,
  context: C,
  principal: A extends "public" ? null : Principal,
) => Promise<Response>;

type Extra = { data?: unknown; headers?: Record<string, string> };

/** The one error envelope every API path answers with. */
export function errorResponse(error: AppError, { data, headers }: Extra = {}): Response {
  return Response.json(toErrorEnvelope(error, data), {
    status: error.status,
    headers: { ...error.headers, ...headers },
  });
}

/** `{"success": true, "data": ...}`, the read API's answer. */
export function ok(data: unknown, headers?: Record<string, string>): Response {
  return Response.json({ success: true, data }, { headers });
}

/**
 * The same bytes as `ok(list)` for a list read a page at a time, written as it is read, so a
 * long list is never held whole. The first page is read before answering: a failure there is
 * still an error envelope. A later one aborts the body, so no client mistakes a cut list for
 * a whole one.
 */
export async function okStream(pages: AsyncIterable<unknown[]>): Promise<Response> {
  const iterator = pages[Symbol.asyncIterator]();
  let next: IteratorResult<unknown[]> | undefined = await iterator.next();
  let opened = false;
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const page = next ?? (await iterator.next());
        next = undefined;
        if (page.done) {
          controller.enqueue(encoder.encode(opened ? "]}" : '{"success":true,"data":[]}'));
          return controller.close();
        }
        if (!page.value.length) return;
        const rows = page.value.map((row) => JSON.stringify(row)).join(",");
        controller.enqueue(encoder.encode(`${opened ? "," : '{"success":true,"data":['}${rows}`));
        opened = true;
      } catch (error) {
        log.error("response failed while streaming", describeError(error));
        controller.error(error);
      }
    },
    async cancel() {
      await iterator.return?.();
    },
  });
  return new Response(body, { headers: { "Content-Type": "application/json" } });
}

/** A CSV file to download, never cached: personal data. */
export function csvFile({ filename, csv }: { filename: string; csv: string }): Response {
  return new Response(csv, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${filename}"`,
      "Cache-Control": "no-store",
    },
  });
}

/** An XLSX workbook to download, written as it streams, never cached: personal data. */
export function xlsxFile({ filename, body }: { filename: string; body: ReadableStream<Uint8Array> }): Response {
  return new Response(body, {
    headers: {
      "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      "Content-Disposition": `attachment; filename="${filename}"`,
      "Cache-Control": "no-store",
    },
  });
}

/** The process's metrics in Prometheus text format, never cached. */
export function metricsText({ contentType, text }: { contentType: string; text: string }): Response {
  return new Response(text, { headers: { "Content-Type": contentType, "Cache-Control": "no-store" } });
}

/**
 * Wraps the ingest route's handler (already wrapped by withApi, so it never throws) to count
 * each answer by status and time it, from the request's arrival to its answer.
 */
export function withIngestMetrics<C>(handler: Handler<C>): Handler<C> {
  return async (request, context) => {
    const started = performance.now();
    const response = await handler(request, context);
    recordIngestRequest(response.status, (performance.now() - started) / 1000);
    return response;
  };
}

/** `201 {"success": true, ...}`: what the ingest contract answers once events are committed. */
export function created(fields: Record<string, unknown> = {}): Response {
  return Response.json({ success: true, ...fields }, { status: 201 });
}

/**
 * Wraps a route handler: first the credential `access` asks for (401/403 before anything of
 * the request is read), then the handler with the principal; typed errors become their
 * status, database outages a 503 with Retry-After, and anything else a 500 envelope that
 * reveals nothing. Never an HTML page.
 */
export function withApi<C = unknown, A extends Access = Access>(
  handler: GuardedHandler<C, A>,
  { access }: { access: A },
): Handler<C> {
  return async (request, context) => {
    try {
      const principal =
        access === "public" ? null : await requirePrincipal(request, access as Exclude<Access, "public">);
      return await handler(request, context, principal as A extends "public" ? null : Principal);
    } catch (error) {
      const appError = toAppError(error);
      if (appError.status >= 500) {
        const path = new URL(request.url).pathname;
        log[appError.status === 503 ? "warn" : "error"]("request failed", {
          method: request.method,
          path,
          status: appError.status,
          ...describeError(error),
        });
      }
      return errorResponse(appError);
    }
  };
}

/** A handler for the methods a path does not support. */
export function rejectMethod(allowed: string[]) {
  return async () => errorResponse(methodNotAllowed(allowed));
}
