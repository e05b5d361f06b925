import { visibleUserKeys } from "@/lib/auth/principal";
import { getDb } from "@/lib/db";
import { readRealWorkHours } from "@/lib/reports/real-work-hours";
import { parseQuery, realWorkHoursQuerySchema } from "@/lib/reports/schemas";
import { okStream, rejectMethod, withApi } from "../../_lib/respond";

export const dynamic = "force-dynamic";

export const GET = withApi(
  async (request, _context, principal) => {
    const query = parseQuery(realWorkHoursQuerySchema, new URL(request.url).searchParams);
    const db = getDb();
    return await okStream(readRealWorkHours(db, query, await visibleUserKeys(db, principal)));
  },
  { access: "read" },
);

export const POST = rejectMethod(["GET"]);
export const PUT = POST;
export const PATCH = POST;
export const DELETE = POST;
