import { visibleUserKeys } from "@/lib/auth/principal";
import { getConfig } from "@/lib/config";
import { getDb } from "@/lib/db";
import { toXlsxFile } from "@/lib/reports/export/xlsx";
import { loadExportTable } from "@/lib/reports/export/rows";
import { exportQuerySchema, parseQuery } from "@/lib/reports/schemas";
import { xlsxFile, rejectMethod, withApi } from "../../_lib/respond";

export const dynamic = "force-dynamic";

export const GET = withApi(
  async (request, _context, principal) => {
    const query = parseQuery(exportQuerySchema, new URL(request.url).searchParams);
    const db = getDb();
    const visible = await visibleUserKeys(db, principal);
    return xlsxFile(toXlsxFile(await loadExportTable(db, query, getConfig().rules, Date.now(), visible)));
  },
  { access: "read" },
);

export const POST = rejectMethod(["GET"]);
export const PUT = POST;
export const PATCH = POST;
export const DELETE = POST;
