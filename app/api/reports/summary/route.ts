import { getConfig } from "@/lib/config";
import { getDb } from "@/lib/db";
import { parseQuery, summaryQuerySchema } from "@/lib/reports/schemas";
import { reportSettingsFrom } from "@/lib/reports/settings";
import { summarise } from "@/lib/reports/summary";
import { ok, rejectMethod, withApi } from "../../_lib/respond";

export const dynamic = "force-dynamic";

export const GET = withApi(async (request) => {
  const query = parseQuery(summaryQuerySchema, new URL(request.url).searchParams);
  return ok(await summarise(getDb(), query, reportSettingsFrom(getConfig())));
});

export const POST = rejectMethod(["GET"]);
export const PUT = POST;
export const PATCH = POST;
export const DELETE = POST;
