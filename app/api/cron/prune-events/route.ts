import { getConfig } from "@/lib/config";
import { checkCronSecret } from "@/lib/jobs/cron-secret";
import { pruneOldEvents } from "@/lib/hours/retention";
import { ok, rejectMethod, withApi } from "../../_lib/respond";

export const dynamic = "force-dynamic";
export const maxDuration = 300;

// The daily retention job for hosts without a long-running process: their scheduler calls this
// once a day with the CRON_SECRET as a bearer token (EVENT_RETENTION_DAYS decides what goes).
const run = withApi(
  async (request) => {
    checkCronSecret(request.headers.get("authorization"), getConfig().cronSecret);
    return ok(await pruneOldEvents());
  },
  { access: "public" },
);

export const GET = run;
export const POST = run;
export const PUT = rejectMethod(["GET", "POST"]);
export const DELETE = PUT;
