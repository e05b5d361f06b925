import { visibleUserKeys } from "@/lib/auth/principal";
import { getConfig } from "@/lib/config";
import { getDb } from "@/lib/db";
import { parseQuery, timelinePageQuerySchema } from "@/lib/reports/schemas";
import { getTimeline } from "@/lib/reports/timeline";
import { ok, rejectMethod, withApi } from "../../../_lib/respond";

export const dynamic = "force-dynamic";

type Context = { params: Promise<{ username: string }> };

export const GET = withApi<Context, "read">(
  async (request, context, principal) => {
    const { username } = await context.params;
    const params = new URL(request.url).searchParams;
    const query = parseQuery(timelinePageQuerySchema, {
      date: params.get("date") ?? undefined,
      limit: params.get("limit") ?? undefined,
      cursor: params.get("cursor") ?? undefined,
      username,
    });
    const db = getDb();
    return ok(await getTimeline(db, query, getConfig().rules, Date.now(), await visibleUserKeys(db, principal)));
  },
  { access: "read" },
);

export const POST = rejectMethod(["GET"]);
export const PUT = POST;
export const PATCH = POST;
export const DELETE = POST;
