import type { Metadata } from "next";
import { loadLeave, requireLeavePage } from "@/app/_data/admin";
import { LEAVE_KINDS } from "@/lib/schedules/expected";
import { ConfirmSubmit } from "../_lib/confirm-submit";
import { ActionForm, AdminShell, card, Empty, inputClass, primaryButton, sectionTitle } from "../_lib/ui";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Leave" };

const ACTIONS = "/admin/leave/actions";
const KIND_LABELS = { vacation: "Vacation", sick: "Sick", other: "Other" } as const;

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

export default async function LeavePage({ searchParams }: Props) {
  const page = await requireLeavePage("/admin/leave");
  const employee = String((await searchParams).employee ?? "").slice(0, 256);
  const leave = await loadLeave(page.visible);
  const csrf = page.csrfToken;
  const everyone = page.visible === null;
  const employees = everyone ? [] : [...page.visible!].sort();
  return (
    <AdminShell page={page} current="/admin/leave" title="Leave">
      <p className="mb-6 max-w-3xl text-sm text-slate-600 dark:text-slate-400">
        Nobody on leave is expected to work. {everyone ? "You may enter leave for any employee." : null}
        {!everyone && employees.length === 0
          ? "You have no team, so there is nobody you may enter leave for. An admin can give you a team."
          : null}
        {!everyone && employees.length > 0 ? "You may enter leave for the employees of your teams." : null}
      </p>
      <section aria-labelledby="add-leave" className="mb-10">
        <h2 id="add-leave" className={sectionTitle}>
          Enter leave
        </h2>
        <ActionForm
          action={ACTIONS}
          op="add"
          csrf={csrf}
          className={`${card} flex flex-wrap items-end gap-4`}
          label="Enter leave"
        >
          <label className="block min-w-56 flex-1 text-sm font-medium">
            Employee <span className="font-normal text-slate-500 dark:text-slate-400">(as the agent reports)</span>
            <input
              name="employee"
              required
              maxLength={256}
              defaultValue={employee}
              list={employees.length ? "leave-employees" : undefined}
              autoComplete="off"
              className={`mt-1 ${inputClass}`}
            />
            {employees.length ? (
              <datalist id="leave-employees">
                {employees.map((key) => (
                  <option key={key} value={key} />
                ))}
              </datalist>
            ) : null}
          </label>
          <label className="block text-sm font-medium">
            From
            <input name="from" type="date" required className={`mt-1 ${inputClass}`} />
          </label>
          <label className="block text-sm font-medium">
            To <span className="font-normal text-slate-500 dark:text-slate-400">(included)</span>
            <input name="to" type="date" className={`mt-1 ${inputClass}`} />
          </label>
          <label className="block text-sm font-medium">
            Kind
            <select name="kind" defaultValue="vacation" className={`mt-1 ${inputClass}`}>
              {LEAVE_KINDS.map((kind) => (
                <option key={kind} value={kind}>
                  {KIND_LABELS[kind]}
                </option>
              ))}
            </select>
          </label>
          <label className="block min-w-48 flex-1 text-sm font-medium">
            Note <span className="font-normal text-slate-500 dark:text-slate-400">(optional)</span>
            <input name="note" maxLength={500} autoComplete="off" className={`mt-1 ${inputClass}`} />
          </label>
          <button type="submit" className={primaryButton}>
            Enter leave
          </button>
        </ActionForm>
      </section>

      <section aria-labelledby="all-leave">
        <h2 id="all-leave" className={sectionTitle}>
          Leave entered ({leave.length})
        </h2>
        {leave.length === 0 ? (
          <Empty>No leave entered.</Empty>
        ) : (
          <div className={`${card} overflow-x-auto p-0`}>
            <table className="w-full text-sm">
              <caption className="sr-only">Leave, the latest first</caption>
              <thead className="text-left text-xs text-slate-500 uppercase dark:text-slate-400">
                <tr>
                  <th scope="col" className="px-4 py-2">
                    Employee
                  </th>
                  <th scope="col" className="px-4 py-2">
                    From
                  </th>
                  <th scope="col" className="px-4 py-2">
                    To
                  </th>
                  <th scope="col" className="px-4 py-2">
                    Kind
                  </th>
                  <th scope="col" className="px-4 py-2">
                    Note
                  </th>
                  <th scope="col" className="px-4 py-2">
                    Entered by
                  </th>
                  <th scope="col" className="px-4 py-2">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {leave.map((row) => (
                  <tr key={row.id} className="border-t border-slate-100 dark:border-slate-800">
                    <th scope="row" className="px-4 py-2 text-left font-medium">
                      {row.userKey}
                    </th>
                    <td className="px-4 py-2 tabular-nums">{row.start}</td>
                    <td className="px-4 py-2 tabular-nums">{row.end}</td>
                    <td className="px-4 py-2">{KIND_LABELS[row.kind]}</td>
                    <td className="px-4 py-2">{row.note ?? ""}</td>
                    <td className="px-4 py-2">{row.createdBy}</td>
                    <td className="px-4 py-2 text-right">
                      <ActionForm action={ACTIONS} op="delete" csrf={csrf} label={`Delete leave of ${row.userKey}`}>
                        <input type="hidden" name="id" value={row.id} />
                        <ConfirmSubmit
                          ariaLabel={`Delete the ${row.kind} leave of ${row.userKey} from ${row.start}`}
                          question={`Delete this leave of ${row.userKey}, ${row.start} to ${row.end}?`}
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
