import { AppError } from "@/lib/errors";
import { MAX_ICS_BYTES, parseHolidayCalendar } from "@/lib/schedules/ics";
import { addHolidays, deleteHoliday } from "@/lib/schedules/store";
import { field, idField, runAdminAction } from "../../_lib/action";

export const dynamic = "force-dynamic";

/** Years of a calendar's recurring holidays taken in: last year to two years ahead. */
const importRange = () => {
  const year = new Date().getUTCFullYear();
  return { from: `${year - 1}-01-01`, to: `${year + 2}-12-31` };
};

/** The holidays page's forms: op = add (date, name) | delete | import (an .ics file). */
export const POST = (request: Request) =>
  runAdminAction(
    request,
    "/admin/holidays",
    {
      async add({ db, form, actor, ip }) {
        const input = { date: field(form, "date"), name: field(form, "name") };
        const { added } = await addHolidays(db, [input], { actor, ip });
        return { message: added ? `Added ${input.name} on ${input.date}.` : `${input.date} is now ${input.name}.` };
      },
      async delete({ db, form, actor, ip }) {
        const holiday = await deleteHoliday(db, idField(form, "id"), { actor, ip });
        return { message: `Deleted ${holiday.name} on ${holiday.date}.` };
      },
      async import({ db, form, actor, ip }) {
        const file = form.get("file");
        if (!(file instanceof File) || file.size === 0)
          throw new AppError(400, "invalid_input", "Choose an .ics file to import");
        if (file.size > MAX_ICS_BYTES)
          throw new AppError(400, "invalid_calendar", `The file is larger than ${MAX_ICS_BYTES / 1024} KiB`);
        const range = importRange();
        const { holidays, skipped } = parseHolidayCalendar(await file.text(), range);
        if (holidays.length === 0)
          throw new AppError(
            400,
            "invalid_calendar",
            `${file.name} holds no all-day events from ${range.from} to ${range.to}`,
          );
        const { added, renamed } = await addHolidays(db, holidays, { actor, ip, source: file.name });
        const notes = [
          renamed ? `${renamed} renamed` : "",
          holidays.length - added - renamed ? `${holidays.length - added - renamed} already there` : "",
          skipped ? `${skipped} timed event${skipped === 1 ? "" : "s"} left out` : "",
        ].filter(Boolean);
        return {
          message: `Imported ${added} holiday${added === 1 ? "" : "s"} from ${file.name} (${range.from} to ${range.to})${notes.length ? `; ${notes.join(", ")}` : ""}.`,
        };
      },
    },
    { maxFormBytes: MAX_ICS_BYTES + 64 * 1024 },
  );
