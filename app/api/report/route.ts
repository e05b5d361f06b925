import { getConfig } from "@/lib/config";
import { ingestReport } from "@/lib/ingest";
import { MAX_BODY_BYTES } from "@/lib/ingest/schema";
import { readJsonBody } from "../_lib/read-json";
import { created, rejectMethod, withApi, withIngestMetrics } from "../_lib/respond";

export const dynamic = "force-dynamic";

// The token is checked before the body is read: a request without one costs no parsing.
const ingest = withApi(
  async (request, _context, principal) => {
    const receivedAt = Date.now();
    const body = await readJsonBody(request, MAX_BODY_BYTES);
    const sender =
      principal.kind === "token" ? { tokenId: principal.token.id, perMinute: getConfig().ingestRateLimit } : undefined;
    const result = await ingestReport(body, receivedAt, sender);
    if (result.kind === "single") {
      return created(result.duplicate ? { duplicate: true } : {});
    }
    const { kind: _kind, ...counts } = result;
    return created(counts);
  },
  { access: "ingest" },
);

export const POST = withIngestMetrics(ingest);

export const GET = rejectMethod(["POST"]);
export const PUT = GET;
export const PATCH = GET;
export const DELETE = GET;
