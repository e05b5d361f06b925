import type { Cell, ExportTable } from "./rows.ts";

const BOM = "\uFEFF";
const CRLF = "\r\n";

/**
 * One RFC 4180 field. Text that a spreadsheet would run as a formula is prefixed with an
 * apostrophe (OWASP's CSV-injection advice); numbers are written as they are.
 */
export function toCsvField(value: Cell): string {
  if (value === null) return "";
  let text = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A table as a CSV file: UTF-8 BOM (for Excel), CRLF line ends, a header row. */
export function toCsvFile(table: ExportTable): { filename: string; csv: string } {
  const lines = [table.header, ...table.rows].map((cells) => cells.map(toCsvField).join(","));
  return { filename: `${table.name}.csv`, csv: BOM + lines.join(CRLF) + CRLF };
}
