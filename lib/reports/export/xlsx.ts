import { once } from "node:events";
import { PassThrough, Readable } from "node:stream";
import ExcelJS from "exceljs";
import { log, describeError } from "../../log.ts";
import type { Cell, ColumnKind, ExportTable } from "./rows.ts";

/** Rows written between turns of the event loop: a large export never holds up other requests for long. */
const ROWS_PER_TURN = 500;

type XlsxValue = string | number | boolean | Date | null;

const NUMBER_FORMATS: Partial<Record<ColumnKind, string>> = {
  integer: "0",
  hours: "0.00",
  duration: "[h]:mm",
  date: "yyyy-mm-dd",
  datetime: "yyyy-mm-dd hh:mm:ss",
};

const WIDTHS: Record<ColumnKind, number> = {
  text: 24,
  integer: 12,
  hours: 14,
  duration: 14,
  date: 12,
  datetime: 20,
  yesno: 10,
};

const DATE = /^(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2}):(\d{2}))?$/;

/**
 * A local date or date-time as the Date a spreadsheet shows with those digits: spreadsheets
 * have no time zones, so the wall time is stored as if it were UTC (the header names the zone).
 */
function toWallDate(text: string): Date | null {
  const m = DATE.exec(text);
  if (!m) return null;
  const [y, mo, d, h = "0", mi = "0", s = "0"] = m.slice(1);
  return new Date(Date.UTC(+y, +mo - 1, +d, +h, +mi, +s));
}

/** A CSV cell as the typed value its column holds; text that does not parse stays text. */
function toXlsxValue(cell: Cell, kind: ColumnKind): XlsxValue {
  if (cell === null || typeof cell === "number") return cell;
  switch (kind) {
    case "integer":
    case "hours": {
      const n = Number(cell);
      return cell.trim() !== "" && Number.isFinite(n) ? n : cell;
    }
    case "duration": {
      const m = /^(\d+):([0-5]\d)$/.exec(cell);
      return m ? (Number(m[1]) * 60 + Number(m[2])) / 1440 : cell;
    }
    case "date":
    case "datetime":
      return toWallDate(cell) ?? cell;
    case "yesno":
      return cell === "yes" ? true : cell === "no" ? false : cell;
    default:
      return cell;
  }
}

/**
 * A table as an XLSX workbook: one named sheet with a bold, frozen header row, typed cells
 * (hours as numbers, h:mm as durations, dates and local date-times as dates) and column
 * widths. Written by ExcelJS's streaming writer a row at a time, so the workbook is never
 * held whole; text is stored as text, never as a formula.
 */
export function toXlsxFile(table: ExportTable): { filename: string; body: ReadableStream<Uint8Array> } {
  const out = new PassThrough();
  const write = async () => {
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
    const sheet = workbook.addWorksheet(table.sheet, { views: [{ state: "frozen", ySplit: 1 }] });
    sheet.columns = table.header.map((header, i) => {
      const kind = table.kinds[i] ?? "text";
      const numFmt = NUMBER_FORMATS[kind];
      return {
        header,
        width: Math.max(WIDTHS[kind], Math.min(header.length + 2, 40)),
        ...(numFmt ? { style: { numFmt } } : {}),
      };
    });
    const head = sheet.getRow(1);
    head.font = { bold: true };
    head.commit();
    for (const [n, row] of table.rows.entries()) {
      sheet.addRow(row.map((cell, i) => toXlsxValue(cell, table.kinds[i] ?? "text"))).commit();
      // Let other requests run, and wait for a slow reader instead of buffering the file for it.
      if (n % ROWS_PER_TURN === ROWS_PER_TURN - 1) {
        await new Promise(setImmediate);
        if (out.writableNeedDrain) await once(out, "drain");
      }
    }
    sheet.commit();
    await workbook.commit();
  };
  write().catch((error: unknown) => {
    log.error("xlsx export failed while streaming", describeError(error));
    out.destroy(error instanceof Error ? error : new Error(String(error)));
  });
  return {
    filename: `${table.name}.xlsx`,
    body: Readable.toWeb(out) as ReadableStream<Uint8Array>,
  };
}
