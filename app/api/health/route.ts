import { databaseUnavailable } from "@/lib/errors";
import { getHealth } from "@/lib/server/health";
import { errorResponse, ok, rejectMethod, withApi } from "../_lib/respond";

export const dynamic = "force-dynamic";

const NO_STORE = { "Cache-Control": "no-store" };

// Public by design: it tells nothing about anyone (DESIGN §6).
export const GET = withApi(
  async () => {
    const health = await getHealth();
    if (health.status === "unavailable")
      return errorResponse(databaseUnavailable(), { data: health, headers: NO_STORE });
    return ok(health, NO_STORE);
  },
  { access: "public" },
);

export const POST = rejectMethod(["GET"]);
