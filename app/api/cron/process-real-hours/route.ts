import { getConfig } from "@/lib/config";
import { checkCronSecret } from "@/lib/jobs/cron-secret";
import { runHoursEngine } from "@/lib/hours/run";
import { ok, rejectMethod, withApi } from "../../_lib/respond";

export const dynamic = "force-dynamic";
// Serverless hosts stop a function after its maximum duration; a large backlog needs time.
export const maxDuration = 300;

// For hosts without a long-running process (e.g. Vercel with PostgreSQL): their scheduler
// calls this with the CRON_SECRET as a bearer token, its only credential.
const run = withApi(
  async (request) => {
    checkCronSecret(request.headers.get("authorization"), getConfig().cronSecret);
    const result = await runHoursEngine({ trigger: "route" });
    return ok(result);
  },
  { access: "public" },
);

export const GET = run;
export const POST = run;
export const PUT = rejectMethod(["GET", "POST"]);
export const DELETE = PUT;
