import { visibleUserKeys } from "@/lib/auth/principal";
import { getConfig } from "@/lib/config";
import { getDb } from "@/lib/db";
import { loadDashboardView } from "@/lib/reports/dashboard";
import { dashboardQuerySchema, parseQuery } from "@/lib/reports/schemas";
import { ok, rejectMethod, withApi } from "../../_lib/respond";

export const dynamic = "force-dynamic";

type Context = { params: Promise<{ view: string }> };

// What the dashboard's today, day, week and month pages show, for their live refresh.
export const GET = withApi<Context, "read">(
  async (request, context, principal) => {
    const { view } = await context.params;
    const query = parseQuery(dashboardQuerySchema, {
      view,
      date: new URL(request.url).searchParams.get("date") ?? undefined,
    });
    const db = getDb();
    return ok(await loadDashboardView(db, query, getConfig().rules, Date.now(), await visibleUserKeys(db, principal)));
  },
  { access: "read" },
);

export const POST = rejectMethod(["GET"]);
export const PUT = POST;
export const PATCH = POST;
export const DELETE = POST;
