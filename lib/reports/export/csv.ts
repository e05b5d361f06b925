import type { Cell, ExportTable } from "./rows.ts";

const BOM = "\uFEFF";
const CRLF = "\r\n";

// What a spreadsheet may run as a formula: a field starting with a tab or carriage return
// (OWASP's list), or a formula sign at the start or after a `,` or `;` (the list separator of
// many locales), tab or line break — wherever a reader splits a field it reads unquoted —
// with spaces before the sign ignored.
const FORMULA_START = /^[\t\r]|(?:^|[,;\t\r\n])\s*[=+\-@]/;

/**
 * One RFC 4180 field. Text in which any piece a `,`, `;`, tab or line-break split leaves could
 * start a formula is prefixed with an apostrophe (OWASP's CSV-injection advice) and quoted, so
 * the file is safe whichever separator the reader's locale splits on; numbers stay numbers.
 */
export function toCsvField(value: Cell): string {
  if (value === null) return "";
  if (typeof value === "number") return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return text !== value || /[",;\t\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * A signed decimal ("-8.00", an undertime) that the export itself wrote in an hours column: a
 * number to every reader, not text that could start a formula, so it is not defused.
 */
const isSignedHours = (cell: Cell, kind: ExportTable["kinds"][number] | undefined): cell is string =>
  kind === "hours" && typeof cell === "string" && /^-?\d+\.\d\d$/.test(cell);

/** A table as a CSV file: UTF-8 BOM (for Excel), CRLF line ends, a header row. */
export function toCsvFile(table: ExportTable): { filename: string; csv: string } {
  const lines = [table.header, ...table.rows].map((cells) =>
    cells.map((cell, i) => (isSignedHours(cell, table.kinds[i]) ? cell : toCsvField(cell))).join(","),
  );
  return { filename: `${table.name}.csv`, csv: BOM + lines.join(CRLF) + CRLF };
}
