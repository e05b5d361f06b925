import { visibleUserKeys } from "@/lib/auth/principal";
import { getConfig } from "@/lib/config";
import { getDb } from "@/lib/db";
import { loadFleetView, toFleetTable } from "@/lib/devices/fleet";
import { toXlsxFile } from "@/lib/reports/export/xlsx";
import { xlsxFile, rejectMethod, withApi } from "../../_lib/respond";

export const dynamic = "force-dynamic";

export const GET = withApi(
  async (_request, _context, principal) => {
    const db = getDb();
    const view = await loadFleetView(db, getConfig().rules, Date.now(), await visibleUserKeys(db, principal));
    return xlsxFile(toXlsxFile(toFleetTable(view)));
  },
  { access: "read" },
);

export const POST = rejectMethod(["GET"]);
export const PUT = POST;
export const PATCH = POST;
export const DELETE = POST;
