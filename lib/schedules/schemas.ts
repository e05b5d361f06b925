import { z } from "zod";
import { explainNameCharacters, MAX_USERNAME_LENGTH } from "../users.ts";
import { isLocalDate } from "../time.ts";
import { LEAVE_KINDS } from "./expected.ts";

export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export const WEEKDAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"] as const;

const EARLIEST_DATE = "2000-01-01";
const LATEST_DATE = "2999-12-31";
const MAX_HOLIDAY_NAME = 200;
const MAX_NOTE = 500;
/** The longest leave one entry may hold: a long illness is entered in spans of at most a year. */
const MAX_LEAVE_DAYS = 366;

const localDateSchema = (name: string) =>
  z
    .string({ error: `${name} is required` })
    .trim()
    .refine(isLocalDate, { message: `${name} must be a real date written YYYY-MM-DD`, abort: true })
    .refine(
      (date) => date >= EARLIEST_DATE && date <= LATEST_DATE,
      `${name} must be between ${EARLIEST_DATE} and ${LATEST_DATE}`,
    );

/**
 * Hours of one weekday as a person types them: "8", "7.5", "7,5" or "7:30"; empty is 0. At
 * most 24 hours. Kept as whole seconds.
 */
export const dayHoursSchema = (name: string) =>
  z
    .string()
    .trim()
    .transform((text, ctx) => {
      if (text === "") return 0;
      const clock = /^(\d{1,2}):([0-5]\d)$/.exec(text);
      const decimal = /^\d{1,2}(?:[.,]\d{1,4})?$/.test(text) ? Number(text.replace(",", ".")) : NaN;
      const seconds = clock ? Number(clock[1]) * 3600 + Number(clock[2]) * 60 : Math.round(decimal * 3600);
      if (!Number.isFinite(seconds) || seconds > 86_400) {
        ctx.addIssue({ code: "custom", message: `${name} must be hours from 0 to 24, as 8, 7.5 or 7:30` });
        return z.NEVER;
      }
      return seconds;
    });

const employee = z
  .string({ error: "employee is required" })
  .transform((value) => value.trim().normalize("NFC"))
  .pipe(
    z
      .string()
      .min(1, "employee must not be empty")
      .refine(
        (value) => [...value].length <= MAX_USERNAME_LENGTH,
        `employee must be at most ${MAX_USERNAME_LENGTH} characters`,
      )
      .check((ctx) => {
        const problem = explainNameCharacters("employee", ctx.value);
        if (problem) ctx.issues.push({ code: "custom", message: problem, input: ctx.value });
      }),
  );

const week = z
  .array(z.number().int().min(0).max(86_400, "a day holds at most 24 hours"))
  .length(7, "a schedule gives hours for each of the seven weekdays");

export const scheduleInputSchema = z.discriminatedUnion("scope", [
  z.object({ scope: z.literal("default"), effectiveFrom: localDateSchema("effective_from"), week }),
  z.object({
    scope: z.literal("team"),
    teamId: z.number().int().positive("team must be chosen"),
    effectiveFrom: localDateSchema("effective_from"),
    week,
  }),
  z.object({
    scope: z.literal("employee"),
    username: employee,
    effectiveFrom: localDateSchema("effective_from"),
    week,
  }),
]);
export type ScheduleInput = z.input<typeof scheduleInputSchema>;

export const holidayInputSchema = z.object({
  date: localDateSchema("date"),
  name: z
    .string()
    .trim()
    .min(1, "name must not be empty")
    .max(MAX_HOLIDAY_NAME, `name must be at most ${MAX_HOLIDAY_NAME} characters`)
    .refine(
      (value) => explainNameCharacters("name", value) === null,
      "name must not hold control or invisible characters",
    ),
});
export type HolidayInput = z.input<typeof holidayInputSchema>;

const leaveKindSchema = z.enum(LEAVE_KINDS, { error: 'kind must be "vacation", "sick" or "other"' });

export const leaveInputSchema = z
  .object({
    username: employee,
    start: localDateSchema("from"),
    end: localDateSchema("to"),
    kind: leaveKindSchema,
    note: z.string().trim().max(MAX_NOTE, `note must be at most ${MAX_NOTE} characters`).optional(),
  })
  .superRefine(({ start, end }, ctx) => {
    if (end < start) ctx.addIssue({ code: "custom", path: ["end"], message: "to must not be before from" });
    else if ((Date.parse(end) - Date.parse(start)) / 86_400_000 + 1 > MAX_LEAVE_DAYS)
      ctx.addIssue({
        code: "custom",
        path: ["end"],
        message: `leave may span at most ${MAX_LEAVE_DAYS} days per entry`,
      });
  });
export type LeaveInput = z.input<typeof leaveInputSchema>;
