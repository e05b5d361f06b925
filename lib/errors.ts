import type { z } from "zod";

/** One detail of a rejected request: which field, and what is wrong with it. */
export type ErrorDetail = { field?: string; index?: number; message: string };

export type ErrorBody = { code: string; message: string; details?: ErrorDetail[] };

/** An error whose status and message are safe to show the client. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetail[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "AppError";
  }

  toBody(): ErrorBody {
    return this.details?.length
      ? { code: this.code, message: this.message, details: this.details }
      : { code: this.code, message: this.message };
  }
}

/** The one error envelope every API answer uses; `data` is for answers that still say something (health). */
export function toErrorEnvelope(error: AppError, data?: unknown): { success: false; error: ErrorBody; data?: unknown } {
  return data === undefined
    ? { success: false, error: error.toBody() }
    : { success: false, error: error.toBody(), data };
}

/** zod's issues as error details, each naming its field. */
export function detailsOf(error: z.ZodError): ErrorDetail[] {
  return error.issues.map((issue) => ({
    ...(issue.path.length ? { field: issue.path.join(".") } : {}),
    message: issue.message,
  }));
}

/** Validates input or throws a 400 whose details name each field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, code = "invalid_input"): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const details = detailsOf(parsed.error);
  throw badRequest(code, details.map((detail) => detail.message).join("; "), details);
}

export const badRequest = (code: string, message: string, details?: ErrorDetail[]) =>
  new AppError(400, code, message, details);
export const notFound = (message = "No such resource") => new AppError(404, "not_found", message);
export const methodNotAllowed = (allowed: string[]) =>
  new AppError(405, "method_not_allowed", `Use ${allowed.join(" or ")} on this path`, undefined, {
    Allow: allowed.join(", "),
  });
export const payloadTooLarge = (message: string) => new AppError(413, "payload_too_large", message);
export const unsupportedMediaType = (message: string) => new AppError(415, "unsupported_media_type", message);

const RETRY_AFTER_SECONDS = 5;
export const databaseUnavailable = () =>
  new AppError(503, "database_unavailable", "The database is unavailable; retry later", undefined, {
    "Retry-After": String(RETRY_AFTER_SECONDS),
  });

/** Too much of some bounded work is already under way; the client should retry after `retryAfterSeconds`. */
export const tooManyRequests = (message: string, retryAfterSeconds: number) =>
  new AppError(429, "too_many_requests", message, undefined, { "Retry-After": String(retryAfterSeconds) });
