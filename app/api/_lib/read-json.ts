import { AppError, badRequest, payloadTooLarge, unsupportedMediaType } from "@/lib/errors";

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * Reads a JSON request body of at most `limit` bytes: 415 unless it is declared JSON, 413
 * past the limit (checked while streaming, not only from Content-Length), 400 if malformed.
 */
export async function readJsonBody(request: Request, limit: number): Promise<unknown> {
  const type = request.headers.get("content-type") ?? "";
  if (!JSON_TYPE.test(type)) {
    throw unsupportedMediaType(
      `Send the body as JSON with Content-Type: application/json${type ? ` (got ${type.slice(0, 100)})` : ""}`,
    );
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
    if (size > limit) throw await refuseRest(reader, size, limit, tooLarge());
    chunks.push(value);
  }
  const text = decodeUtf8(Buffer.concat(chunks));
  if (!text.trim()) throw badRequest("empty_body", "The body is empty; send one event or a batch as JSON");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest("invalid_json", `The body is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * The body as text, refusing bytes that are not UTF-8: decoded leniently they would become
 * U+FFFD and be stored as a name nobody sent.
 */
function decodeUtf8(bytes: Buffer): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw badRequest(
      "invalid_encoding",
      `The body is not valid UTF-8 (at byte ${findInvalidUtf8(bytes)}); send the JSON encoded as UTF-8`,
    );
  }
}

/** Where the first sequence that is not UTF-8 starts, in bytes from the body's start. */
function findInvalidUtf8(bytes: Buffer): number {
  // The lenient decoder turns each bad sequence into one U+FFFD; a real U+FFFD is EF BF BD.
  const text = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true }).decode(bytes);
  let offset = 0;
  let from = 0;
  for (let at = text.indexOf("\ufffd"); at !== -1; at = text.indexOf("\ufffd", at + 1)) {
    offset += Buffer.byteLength(text.slice(from, at));
    from = at;
    if (!(bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd)) return offset;
  }
  return offset;
}

/**
 * Past the limit the rest of the body is still read and dropped, up to a bound, so that a
 * keep-alive connection stays usable: a body left unread leaves it hanging for the client's
 * next request. Beyond the bound the read stops and the answer closes the connection.
 */
async function refuseRest(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  size: number,
  limit: number,
  error: AppError,
): Promise<AppError> {
  for (let read = size; read <= limit * 4;) {
    const { done, value } = await reader.read();
    if (done) return error;
    read += value.byteLength;
  }
  await reader.cancel().catch(() => undefined);
  return new AppError(error.status, error.code, error.message, error.details, {
    ...error.headers,
    Connection: "close",
  });
}
