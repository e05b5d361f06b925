import { getHealth } from "@/lib/server/health";
import { RETRY_AFTER_SECONDS } from "@/lib/errors";
import { rejectMethod, withApi } from "../_lib/respond";

export const dynamic = "force-dynamic";

// Public by design: it tells nothing about anyone (DESIGN §6).
export const GET = withApi(async () => {
  const health = await getHealth();
  const down = health.status === "unavailable";
  const body = down
    ? { success: false, error: { code: "database_unavailable", message: "The database is unavailable" }, data: health }
    : { success: true, data: health };
  return Response.json(
    body,
    { status: down ? 503 : 200, headers: { "Cache-Control": "no-store", ...(down ? { "Retry-After": String(RETRY_AFTER_SECONDS) } : {}) } },
  );
}, { access: "public" });

export const POST = rejectMethod(["GET"]);
