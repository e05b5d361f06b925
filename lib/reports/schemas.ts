import { z } from "zod";
import { parseInput } from "../errors.ts";
import { MAX_USERNAME_LENGTH } from "../users.ts";
import { isLocalDate, type LocalDate } from "../time.ts";
import { PAGE_SIZES } from "./table.ts";
import { wholeNumber } from "../validation.ts";

/** The longest date range one request may ask for, counting both ends. */
const MAX_RANGE_DAYS = 366;

export const PERIODS = ["day", "week", "month"] as const;
export type Period = (typeof PERIODS)[number];

/**
 * The dates a report may ask about. No event is older than 2000 (ingest refuses them), and
 * the far end keeps every period's arithmetic, and the year's four digits, valid.
 */
const EARLIEST_DATE = "2000-01-01";
const LATEST_DATE = "2999-12-31";

const localDate = (name: string) =>
  z
    .string()
    .trim()
    .refine(isLocalDate, { message: `${name} must be a real date written YYYY-MM-DD`, abort: true })
    .refine(
      (date) => date >= EARLIEST_DATE && date <= LATEST_DATE,
      `${name} must be between ${EARLIEST_DATE} and ${LATEST_DATE}`,
    );

const username = z
  .string()
  .trim()
  .min(1, "username must not be empty")
  .max(MAX_USERNAME_LENGTH, `username must be at most ${MAX_USERNAME_LENGTH} characters`);

/** Days from `from` to `to`, counting both. */
export function daysBetween(from: LocalDate, to: LocalDate): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
}

export const realWorkHoursQuerySchema = z
  .object({
    username: username.optional(),
    start_date: localDate("start_date").optional(),
    end_date: localDate("end_date").optional(),
  })
  .transform(({ username, start_date, end_date }) => ({
    username,
    startDate: start_date,
    endDate: end_date ?? start_date,
  }))
  .superRefine(({ startDate, endDate }, ctx) => {
    if (!startDate || !endDate) return;
    if (endDate < startDate) {
      ctx.addIssue({ code: "custom", path: ["end_date"], message: "end_date must not be before start_date" });
    } else if (daysBetween(startDate, endDate) > MAX_RANGE_DAYS) {
      ctx.addIssue({
        code: "custom",
        path: ["end_date"],
        message: `the range from start_date to end_date must be at most ${MAX_RANGE_DAYS} days`,
      });
    }
  });
export type RealWorkHoursQuery = z.output<typeof realWorkHoursQuerySchema>;

export const summaryQuerySchema = z.object({
  period: z.enum(PERIODS, {
    error: (issue) =>
      issue.input === undefined ? "period is required: day, week or month" : 'period must be "day", "week" or "month"',
  }),
  /** Missing means today in the report time zone. */
  date: localDate("date").optional(),
  username: username.optional(),
});
export type SummaryQuery = z.output<typeof summaryQuerySchema>;

export const exportQuerySchema = summaryQuerySchema.extend({
  /** One row per employee for the period (the default), or one per employee and day worked. */
  by: z.enum(["employee", "day"], { error: 'by must be "employee" or "day"' }).default("employee"),
});
export type ExportQuery = z.output<typeof exportQuerySchema>;

export const timelineQuerySchema = z.object({
  username,
  /** Missing means today in the report time zone. */
  date: localDate("date").optional(),
});
export type TimelineQuery = z.output<typeof timelineQuerySchema>;

/** The most events (and periods) one timeline answer holds; a busier day is read in pages. */
export const TIMELINE_PAGE_MAX = 5000;

export const timelinePageQuerySchema = timelineQuerySchema.extend({
  limit: z
    .string()
    .trim()
    .regex(/^\d+$/, `limit must be a whole number from 1 to ${TIMELINE_PAGE_MAX}`)
    .transform(Number)
    .refine((n) => n >= 1 && n <= TIMELINE_PAGE_MAX, `limit must be a whole number from 1 to ${TIMELINE_PAGE_MAX}`)
    .default(TIMELINE_PAGE_MAX),
  /** The previous answer's `next_cursor`, as given. */
  cursor: z.string().trim().max(200, "cursor must be a next_cursor given by a previous answer").optional(),
});
export type TimelinePageQuery = z.output<typeof timelinePageQuerySchema>;

type QueryInput = URLSearchParams | Record<string, string | undefined>;

/**
 * Validates query parameters; an empty parameter counts as absent (HTML forms send them).
 * Any problem is a 400 whose details name each parameter.
 */
export function parseQuery<S extends z.ZodType>(schema: S, input: QueryInput): z.output<S> {
  const entries =
    input instanceof URLSearchParams
      ? [...input.keys()].map((key) => [key, input.get(key)!] as const)
      : Object.entries(input);
  const values: Record<string, string> = {};
  for (const [key, value] of entries) if (value !== undefined && value.trim() !== "") values[key] = value;
  return parseInput(schema, values, "invalid_query");
}

const DASHBOARD_VIEWS = ["today", ...PERIODS] as const;
export type DashboardView = (typeof DASHBOARD_VIEWS)[number];

const TODAY_SORTS = ["name", "status", "first", "last", "worked", "rwh", "expected", "balance"] as const;
const PERIOD_SORTS = ["name", "days", "first", "last", "worked", "rwh", "expected", "balance"] as const;
export type TodaySort = (typeof TODAY_SORTS)[number];
export type PeriodSort = (typeof PERIOD_SORTS)[number];
const STATUSES = ["working", "idle", "offline"] as const;

export const dashboardQuerySchema = z
  .object({
    view: z.enum(DASHBOARD_VIEWS, { error: 'view must be "today", "day", "week" or "month"' }),
    /** Missing means today in the report time zone; ignored by the today view. */
    date: localDate("date").optional(),
    /** The employee table's filter, order and page (lib/reports/table.ts), over everyone visible. */
    q: z.string().trim().max(MAX_USERNAME_LENGTH, `q must be at most ${MAX_USERNAME_LENGTH} characters`).optional(),
    team: z.string().trim().max(200, "team must be at most 200 characters").optional(),
    status: z.enum(STATUSES, { error: 'status must be "working", "idle" or "offline"' }).optional(),
    sort: z.string().trim().optional(),
    dir: z.enum(["asc", "desc"], { error: 'dir must be "asc" or "desc"' }).optional(),
    page: wholeNumber("page", 1, 1_000_000).optional(),
    size: z
      .string()
      .trim()
      .refine(
        (value) => (PAGE_SIZES as readonly number[]).includes(Number(value)),
        `size must be one of ${PAGE_SIZES.join(", ")}`,
      )
      .transform(Number)
      .optional(),
  })
  .superRefine((query, ctx) => {
    const sorts: readonly string[] = query.view === "today" ? TODAY_SORTS : PERIOD_SORTS;
    if (query.sort !== undefined && !sorts.includes(query.sort))
      ctx.addIssue({ code: "custom", path: ["sort"], message: `sort must be one of ${sorts.join(", ")}` });
    if (query.status !== undefined && query.view !== "today")
      ctx.addIssue({ code: "custom", path: ["status"], message: "status filters only the today view" });
  });
export type DashboardQuery = z.output<typeof dashboardQuerySchema>;
