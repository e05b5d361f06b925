import { visibleUserKeys } from "@/lib/auth/principal";
import { getConfig } from "@/lib/config";
import { getDb, type Db } from "@/lib/db";
import { loadFleetView, toFleetTable } from "@/lib/devices/fleet";
import { toCsvFile } from "@/lib/reports/export/csv";
import { loadExportTable, type ExportTable } from "@/lib/reports/export/rows";
import { toXlsxFile } from "@/lib/reports/export/xlsx";
import { exportQuerySchema, parseQuery } from "@/lib/reports/schemas";
import { csvFile, withApi, xlsxFile } from "./respond";

type ExportFormat = "csv" | "xlsx";
type LoadTable = (request: Request, db: Db, visible: Set<string> | null) => Promise<ExportTable>;

/** GET of one export as a CSV or XLSX file: the same rows either way, of only whom the reader may see. */
function exportRoute(format: ExportFormat, load: LoadTable) {
  return withApi(
    async (request, _context, principal) => {
      const db = getDb();
      const table = await load(request, db, await visibleUserKeys(db, principal));
      return format === "csv" ? csvFile(toCsvFile(table)) : xlsxFile(toXlsxFile(table));
    },
    { access: "read" },
  );
}

/** The reports export (summary or by day, per the query). */
export const reportExportRoute = (format: ExportFormat) =>
  exportRoute(format, (request, db, visible) =>
    loadExportTable(
      db,
      parseQuery(exportQuerySchema, new URL(request.url).searchParams),
      getConfig().rules,
      Date.now(),
      visible,
    ),
  );

/** The fleet's devices. */
export const fleetExportRoute = (format: ExportFormat) =>
  exportRoute(format, async (_request, db, visible) =>
    toFleetTable(await loadFleetView(db, getConfig().rules, Date.now(), visible)),
  );
