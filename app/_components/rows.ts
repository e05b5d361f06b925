// The employee tables are filtered, sorted and paged on the server (lib/reports/table.ts).
export type { SortDirection } from "@/lib/reports/table";
