import { visibleUserKeys } from "@/lib/auth/principal";
import { getConfig } from "@/lib/config";
import { getDb } from "@/lib/db";
import { loadFleetView } from "@/lib/devices/fleet";
import { ok, rejectMethod, withApi } from "../../_lib/respond";

export const dynamic = "force-dynamic";

// What the fleet page shows, for its live refresh.
export const GET = withApi(
  async (_request, _context, principal) => {
    const db = getDb();
    return ok(await loadFleetView(db, getConfig().rules, Date.now(), await visibleUserKeys(db, principal)));
  },
  { access: "read" },
);

export const POST = rejectMethod(["GET"]);
export const PUT = POST;
export const PATCH = POST;
export const DELETE = POST;
