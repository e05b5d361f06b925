import type { Metadata } from "next";
import { loadSchedules, loadTeams, requireAdminPage } from "@/app/_data/admin";
import { formatScheduleHours } from "@/app/_components/format";
import { WEEKDAY_NAMES, WEEKDAYS } from "@/lib/schedules/schemas";
import type { StoredSchedule } from "@/lib/schedules/store";
import { ConfirmSubmit } from "../_lib/confirm-submit";
import { ActionForm, AdminShell, card, Empty, inputClass, primaryButton, sectionTitle } from "../_lib/ui";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Schedules · Admin" };

const ACTIONS = "/admin/schedules/actions";
const SHORT = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

const whomOf = (row: StoredSchedule) =>
  row.scope === "default" ? "Everyone (default)" : row.scope === "team" ? `Team ${row.teamName}` : row.userKey;

export default async function SchedulesPage() {
  const page = await requireAdminPage("/admin/schedules");
  const [schedules, teams] = await Promise.all([loadSchedules(), loadTeams()]);
  const csrf = page.csrfToken;
  return (
    <AdminShell page={page} current="/admin/schedules" title="Work schedules">
      <p className="mb-6 max-w-3xl text-sm text-slate-600 dark:text-slate-400">
        Hours expected per weekday. An employee&apos;s own schedule wins over their team&apos;s, a team&apos;s over the
        default. In several teams, the team created first decides. Each row holds from its date until the next row for
        the same people, so past months keep the hours they had. Public holidays and leave expect nothing.
      </p>
      <section aria-labelledby="set-schedule" className="mb-10">
        <h2 id="set-schedule" className={sectionTitle}>
          Set a schedule
        </h2>
        <ActionForm action={ACTIONS} op="set" csrf={csrf} className={`${card} space-y-4`} label="Set a schedule">
          <div className="flex flex-wrap items-end gap-4">
            <label className="block text-sm font-medium">
              For
              <select name="scope" defaultValue="default" className={`mt-1 ${inputClass}`}>
                <option value="default">Everyone (default)</option>
                <option value="team">A team</option>
                <option value="employee">An employee</option>
              </select>
            </label>
            <label className="block text-sm font-medium">
              Team <span className="font-normal text-slate-500 dark:text-slate-400">(for a team)</span>
              <select name="team" defaultValue="" className={`mt-1 ${inputClass}`}>
                <option value="">—</option>
                {teams.map((team) => (
                  <option key={team.id} value={team.id}>
                    {team.name}
                  </option>
                ))}
              </select>
            </label>
            <label className="block min-w-56 text-sm font-medium">
              Employee{" "}
              <span className="font-normal text-slate-500 dark:text-slate-400">
                (for an employee, as the agent reports)
              </span>
              <input name="employee" autoComplete="off" maxLength={256} className={`mt-1 ${inputClass}`} />
            </label>
            <label className="block text-sm font-medium">
              From
              <input name="effective_from" type="date" required className={`mt-1 ${inputClass}`} />
            </label>
          </div>
          <fieldset>
            <legend className="text-sm font-medium">
              Hours per weekday{" "}
              <span className="font-normal text-slate-500 dark:text-slate-400">(8, 7.5 or 7:30; empty is none)</span>
            </legend>
            <div className="mt-1 grid grid-cols-4 gap-2 sm:grid-cols-7">
              {WEEKDAYS.map((day, i) => (
                <label key={day} className="block text-xs font-medium text-slate-600 dark:text-slate-400">
                  {WEEKDAY_NAMES[i]}
                  <input
                    name={day}
                    inputMode="decimal"
                    defaultValue={i < 5 ? "8" : ""}
                    className={`mt-1 ${inputClass}`}
                  />
                </label>
              ))}
            </div>
          </fieldset>
          <button type="submit" className={primaryButton}>
            Save schedule
          </button>
        </ActionForm>
      </section>

      <section aria-labelledby="all-schedules">
        <h2 id="all-schedules" className={sectionTitle}>
          Schedules ({schedules.length})
        </h2>
        {schedules.length === 0 ? (
          <Empty>No schedules yet: nobody is expected to work any hours. Set the default above.</Empty>
        ) : (
          <div className={`${card} overflow-x-auto p-0`}>
            <table className="w-full text-sm">
              <caption className="sr-only">Schedule rows, each in force from its date</caption>
              <thead className="text-left text-xs text-slate-500 uppercase dark:text-slate-400">
                <tr>
                  <th scope="col" className="px-4 py-2">
                    For
                  </th>
                  <th scope="col" className="px-4 py-2">
                    From
                  </th>
                  {SHORT.map((day) => (
                    <th key={day} scope="col" className="px-2 py-2 text-right">
                      {day}
                    </th>
                  ))}
                  <th scope="col" className="px-4 py-2 text-right">
                    Week
                  </th>
                  <th scope="col" className="px-4 py-2">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {schedules.map((row) => (
                  <tr key={row.id} className="border-t border-slate-100 dark:border-slate-800">
                    <th scope="row" className="px-4 py-2 text-left font-medium">
                      {whomOf(row)}
                    </th>
                    <td className="px-4 py-2 tabular-nums">{row.effectiveFrom}</td>
                    {row.week.map((seconds, i) => (
                      <td key={i} className="px-2 py-2 text-right tabular-nums">
                        {seconds ? formatScheduleHours(seconds) : "–"}
                      </td>
                    ))}
                    <td className="px-4 py-2 text-right font-medium tabular-nums">
                      {formatScheduleHours(row.week.reduce((a, b) => a + b, 0))} h
                    </td>
                    <td className="px-4 py-2">
                      <ActionForm
                        action={ACTIONS}
                        op="delete"
                        csrf={csrf}
                        label={`Delete ${whomOf(row)} from ${row.effectiveFrom}`}
                      >
                        <input type="hidden" name="id" value={row.id} />
                        <ConfirmSubmit
                          ariaLabel={`Delete the schedule of ${whomOf(row)} from ${row.effectiveFrom}`}
                          question={`Delete this row? The previous row for ${whomOf(row)} then holds from its own date.`}
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
        )}
      </section>
    </AdminShell>
  );
}
