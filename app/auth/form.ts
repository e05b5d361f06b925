import type { AppError } from "@/lib/errors";

/** Form posts to /auth/*: small bodies only, and every answer a redirect or a plain 4xx. */
const MAX_FORM_BYTES = 16 * 1024;

export const seeOther = (location: string, headers: Record<string, string> = {}) =>
  new Response(null, { status: 303, headers: { Location: location, "Cache-Control": "no-store", ...headers } });

/** Work the form needs is at its bound (password hashing): a plain 429 saying when to retry. */
export const tooBusy = (error: AppError) =>
  new Response(`${error.message}.`, {
    status: 429,
    headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store", ...error.headers },
  });

export const crossSite = () =>
  new Response("Cross-site form posts are refused", { status: 403, headers: { "Content-Type": "text/plain" } });

/**
 * The posted fields; a body that is not a form, or too large, reads as an empty form. A form
 * that uploads a file (a holiday calendar) may allow more than the default.
 */
export async function readForm(request: Request, maxBytes = MAX_FORM_BYTES): Promise<FormData> {
  const type = request.headers.get("content-type") ?? "";
  const size = Number(request.headers.get("content-length") ?? 0);
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(type) || size > maxBytes)
    return new FormData();
  return request.formData().catch(() => new FormData());
}
