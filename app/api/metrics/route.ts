import { scrapeMetrics } from "@/lib/server/metrics";
import { metricsText, rejectMethod, withApi } from "../_lib/respond";

export const dynamic = "force-dynamic";

// For Prometheus: a metrics-scoped token only, never a session, so a browser cannot scrape.
export const GET = withApi(async () => metricsText(await scrapeMetrics()), { access: "metrics" });

export const POST = rejectMethod(["GET"]);
export const PUT = POST;
export const PATCH = POST;
export const DELETE = POST;
