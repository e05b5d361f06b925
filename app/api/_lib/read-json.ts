import { badRequest, payloadTooLarge, unsupportedMediaType } from "@/lib/errors";

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * Reads a JSON request body of at most `limit` bytes: 415 unless it is declared JSON, 413
 * past the limit (checked while streaming, not only from Content-Length), 400 if malformed.
 */
export async function readJsonBody(request: Request, limit: number): Promise<unknown> {
  const type = request.headers.get("content-type") ?? "";
  if (!JSON_TYPE.test(type)) {
    throw unsupportedMediaType(`Send the body as JSON with Content-Type: application/json${type ? ` (got ${type.slice(0, 100)})` : ""}`);
  }
  const tooLarge = () => payloadTooLarge(`The body is larger than ${limit} bytes`);
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  if (!request.body) throw badRequest("empty_body", "The body is empty; send one event or a batch as JSON");

  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  const text = new TextDecoder("utf-8", { fatal: false, ignoreBOM: false }).decode(Buffer.concat(chunks));
  if (!text.trim()) throw badRequest("empty_body", "The body is empty; send one event or a batch as JSON");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest("invalid_json", `The body is not valid JSON: ${(error as Error).message}`);
  }
}
