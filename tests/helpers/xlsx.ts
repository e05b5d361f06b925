import ExcelJS from "exceljs";
import { expect } from "vitest";
import { toCsvField } from "@/lib/reports/export/csv";

const EXCEL_EPOCH = Date.UTC(1899, 11, 30);
const DAY_MS = 86_400_000;

export type XlsxValue = string | number | boolean | Date | null;

export type ReadSheet = {
  names: string[];
  header: string[];
  rows: XlsxValue[][];
  headerBold: boolean;
  frozenRows: number | undefined;
  /** Each column's number format, read from the first data row (or the header when none). */
  formats: (string | undefined)[];
};

/** An XLSX download read back with ExcelJS: its one sheet's header, typed rows and layout. */
export async function readXlsx(bytes: ArrayBuffer): Promise<ReadSheet> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes);
  const sheet = workbook.worksheets[0];
  const width = sheet.columnCount;
  const valuesOf = (row: ExcelJS.Row) =>
    Array.from({ length: width }, (_, i) => {
      const value = row.getCell(i + 1).value;
      return value === undefined ? null : (value as XlsxValue);
    });
  const rows: XlsxValue[][] = [];
  sheet.eachRow((row, n) => {
    if (n > 1) rows.push(valuesOf(row));
  });
  const sample = sheet.getRow(rows.length ? 2 : 1);
  const formats = Array.from({ length: width }, (_, i) => sample.getCell(i + 1).numFmt || undefined);
  // ExcelJS reads any time format as a date; a duration is the days since 1899-12-30.
  for (const row of rows)
    row.forEach((value, i) => {
      if (formats[i] === "[h]:mm" && value instanceof Date) row[i] = (value.getTime() - EXCEL_EPOCH) / DAY_MS;
    });
  return {
    names: workbook.worksheets.map((s) => s.name),
    header: valuesOf(sheet.getRow(1)).map(String),
    rows,
    headerBold: Boolean(sheet.getRow(1).getCell(1).font?.bold),
    frozenRows: (sheet.views.find((view) => view.state === "frozen") as { ySplit?: number } | undefined)?.ySplit,
    formats,
  };
}

const pad = (n: number) => String(n).padStart(2, "0");

/** A typed cell written back the way the CSV writes its column, to compare the two files. */
function toCsvText(value: XlsxValue, format: string | undefined): string {
  if (value === null) return "";
  if (value instanceof Date) {
    const date = `${value.getUTCFullYear()}-${pad(value.getUTCMonth() + 1)}-${pad(value.getUTCDate())}`;
    return format?.includes("hh")
      ? `${date} ${pad(value.getUTCHours())}:${pad(value.getUTCMinutes())}:${pad(value.getUTCSeconds())}`
      : date;
  }
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "number") {
    if (format === "0.00") return value.toFixed(2);
    if (format === "[h]:mm") {
      const minutes = Math.round(value * 1440);
      return `${Math.floor(minutes / 60)}:${pad(minutes % 60)}`;
    }
    return String(value);
  }
  return toCsvField(value);
}

/**
 * Checks an XLSX against the CSV of the same request: the same header and, cell by cell, the
 * same values once each typed cell is written as the CSV writes its column.
 */
export function expectSameAsCsv(sheet: ReadSheet, csv: string): void {
  const lines = csv
    .replace(/^\uFEFF/, "")
    .split("\r\n")
    .slice(0, -1);
  expect(sheet.header.map((h) => toCsvField(h)).join(",")).toBe(lines[0]);
  expect(sheet.rows.map((row) => row.map((value, i) => toCsvText(value, sheet.formats[i])).join(","))).toEqual(
    lines.slice(1),
  );
}
