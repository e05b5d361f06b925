import type { Metadata } from "next";
import { loadHolidays, requireAdminPage } from "@/app/_data/admin";
import { formatDay } from "@/app/_components/format";
import { ConfirmSubmit } from "../_lib/confirm-submit";
import { ActionForm, AdminShell, card, Empty, inputClass, primaryButton, sectionTitle } from "../_lib/ui";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Holidays · Admin" };

const ACTIONS = "/admin/holidays/actions";

export default async function HolidaysPage() {
  const page = await requireAdminPage("/admin/holidays");
  const holidays = await loadHolidays();
  const csrf = page.csrfToken;
  const years = [...new Set(holidays.map((h) => h.date.slice(0, 4)))];
  return (
    <AdminShell page={page} current="/admin/holidays" title="Public holidays">
      <p className="mb-6 max-w-3xl text-sm text-slate-600 dark:text-slate-400">
        Nobody is expected to work on a public holiday. A holiday on a day without scheduled hours changes nothing.
      </p>
      <div className="mb-10 grid gap-6 md:grid-cols-2">
        <section aria-labelledby="add-holiday">
          <h2 id="add-holiday" className={sectionTitle}>
            Add a holiday
          </h2>
          <ActionForm action={ACTIONS} op="add" csrf={csrf} className={`${card} space-y-3`} label="Add a holiday">
            <label className="block text-sm font-medium">
              Date
              <input name="date" type="date" required className={`mt-1 ${inputClass}`} />
            </label>
            <label className="block text-sm font-medium">
              Name
              <input name="name" required maxLength={200} autoComplete="off" className={`mt-1 ${inputClass}`} />
            </label>
            <button type="submit" className={primaryButton}>
              Add holiday
            </button>
          </ActionForm>
        </section>
        <section aria-labelledby="import-holidays">
          <h2 id="import-holidays" className={sectionTitle}>
            Import from a calendar
          </h2>
          <form
            method="post"
            action={ACTIONS}
            encType="multipart/form-data"
            className={`${card} space-y-3`}
            aria-label="Import holidays from an .ics file"
          >
            <input type="hidden" name="csrf" value={csrf} />
            <input type="hidden" name="op" value="import" />
            <label className="block text-sm font-medium">
              iCalendar file (.ics)
              <input name="file" type="file" accept=".ics,text/calendar" required className={`mt-1 ${inputClass}`} />
            </label>
            <p className="text-xs text-slate-500 dark:text-slate-400">
              Every all-day event becomes a holiday; yearly events are repeated from last year to two years ahead. Timed
              events (meetings) are left out. Dates already entered are renamed to the calendar&apos;s names.
            </p>
            <button type="submit" className={primaryButton}>
              Import holidays
            </button>
          </form>
        </section>
      </div>

      <section aria-labelledby="all-holidays">
        <h2 id="all-holidays" className={sectionTitle}>
          Holidays ({holidays.length})
        </h2>
        {holidays.length === 0 ? (
          <Empty>No public holidays yet. Add one above or import your country&apos;s calendar.</Empty>
        ) : (
          years.map((year) => (
            <div key={year} className={`${card} mb-4 p-0`}>
              <table className="w-full text-sm">
                <caption className="px-4 pt-3 text-left font-semibold">{year}</caption>
                <thead className="text-left text-xs text-slate-500 uppercase dark:text-slate-400">
                  <tr>
                    <th scope="col" className="px-4 py-2">
                      Date
                    </th>
                    <th scope="col" className="px-4 py-2">
                      Name
                    </th>
                    <th scope="col" className="px-4 py-2">
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {holidays
                    .filter((h) => h.date.startsWith(year))
                    .map((holiday) => (
                      <tr key={holiday.id} className="border-t border-slate-100 dark:border-slate-800">
                        <td className="px-4 py-2 whitespace-nowrap tabular-nums">
                          <time dateTime={holiday.date}>{formatDay(holiday.date)}</time>
                        </td>
                        <th scope="row" className="px-4 py-2 text-left font-medium">
                          {holiday.name}
                        </th>
                        <td className="px-4 py-2 text-right">
                          <ActionForm action={ACTIONS} op="delete" csrf={csrf} label={`Delete ${holiday.name}`}>
                            <input type="hidden" name="id" value={holiday.id} />
                            <ConfirmSubmit
                              ariaLabel={`Delete the holiday ${holiday.name} on ${holiday.date}`}
                              question={`Delete ${holiday.name} on ${holiday.date}?`}
                              confirmLabel="Yes, delete"
                            >
                              Delete
                            </ConfirmSubmit>
                          </ActionForm>
                        </td>
                      </tr>
                    ))}
                </tbody>
              </table>
            </div>
          ))
        )}
      </section>
    </AdminShell>
  );
}
