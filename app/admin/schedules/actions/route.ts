import { AppError, parseInput } from "@/lib/errors";
import { dayHoursSchema, WEEKDAY_NAMES, WEEKDAYS } from "@/lib/schedules/schemas";
import { deleteSchedule, setSchedule } from "@/lib/schedules/store";
import { field, idField, runAdminAction } from "../../_lib/action";
import { formatScheduleHours } from "@/app/_components/format";

export const dynamic = "force-dynamic";

const weekFrom = (form: FormData) =>
  WEEKDAYS.map((day, i) => parseInput(dayHoursSchema(WEEKDAY_NAMES[i]), field(form, day)));

/** The schedules page's forms: op = set (scope default | team | employee, from a date) | delete. */
export const POST = (request: Request) =>
  runAdminAction(request, "/admin/schedules", {
    async set({ db, form, actor, ip }) {
      const scope = field(form, "scope");
      const common = { effectiveFrom: field(form, "effective_from"), week: weekFrom(form) };
      const input =
        scope === "default"
          ? { scope: "default" as const, ...common }
          : scope === "team"
            ? { scope: "team" as const, teamId: field(form, "team") ? idField(form, "team") : 0, ...common }
            : scope === "employee"
              ? { scope: "employee" as const, username: field(form, "employee"), ...common }
              : null;
      if (!input)
        throw new AppError(400, "invalid_input", "Choose whom the schedule is for: everyone, a team or an employee");
      const row = await setSchedule(db, input, { actor, ip });
      const whom = row.scope === "default" ? "Everyone" : row.scope === "team" ? `Team ${row.teamName}` : row.userKey;
      const hours = row.week.reduce((a, b) => a + b, 0);
      return { message: `${whom} works ${formatScheduleHours(hours)} h a week from ${row.effectiveFrom}.` };
    },
    async delete({ db, form, actor, ip }) {
      await deleteSchedule(db, idField(form, "id"), { actor, ip });
      return { message: "Deleted the schedule row." };
    },
  });
