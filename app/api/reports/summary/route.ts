import { visibleUserKeys } from "@/lib/auth/principal";
import { getConfig } from "@/lib/config";
import { getDb } from "@/lib/db";
import { parseQuery, summaryQuerySchema } from "@/lib/reports/schemas";
import { summarise } from "@/lib/reports/summary";
import { ok, rejectMethod, withApi } from "../../_lib/respond";

export const dynamic = "force-dynamic";

export const GET = withApi(
  async (request, _context, principal) => {
    const query = parseQuery(summaryQuerySchema, new URL(request.url).searchParams);
    const db = getDb();
    return ok(await summarise(db, query, getConfig().rules, Date.now(), await visibleUserKeys(db, principal)));
  },
  { access: "read" },
);

export const POST = rejectMethod(["GET"]);
export const PUT = POST;
export const PATCH = POST;
export const DELETE = POST;
