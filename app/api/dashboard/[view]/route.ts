import { visibleUserKeys } from "@/lib/auth/principal";
import { getConfig } from "@/lib/config";
import { getDb } from "@/lib/db";
import { loadDashboardView } from "@/lib/reports/dashboard";
import { dashboardQuerySchema, parseQuery } from "@/lib/reports/schemas";
import { ok, rejectMethod, withApi } from "../../_lib/respond";

export const dynamic = "force-dynamic";

type Context = { params: Promise<{ view: string }> };

// What the dashboard's today, day, week and month pages show, for their live refresh: the page
// of the employee table the URL names (q, team, status, sort, dir, page, size).
export const GET = withApi<Context, "read">(
  async (request, context, principal) => {
    const { view } = await context.params;
    const search = new URL(request.url).searchParams;
    const query = parseQuery(dashboardQuerySchema, {
      ...Object.fromEntries([...search.keys()].map((key) => [key, search.get(key) ?? undefined])),
      view,
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
