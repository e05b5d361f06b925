import type { Metadata } from "next";
import Link from "next/link";
import { loadAccounts, loadTeams, reportTimeZone, requireAdminPage } from "@/app/_data/admin";
import { seesNobody } from "@/lib/auth/accounts";
import { MIN_PASSWORD_LENGTH, ROLES } from "@/lib/auth/schemas";
import { ConfirmSubmit } from "../_lib/confirm-submit";
import { describeScope, ScopeFields } from "../_lib/scope-fields";
import {
  ActionForm,
  AdminShell,
  card,
  Empty,
  formatWhen,
  inputClass,
  primaryButton,
  secondaryButton,
  sectionTitle,
} from "../_lib/ui";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Accounts · Admin" };

const ACTION = "/admin/accounts/actions";

function RoleSelect({ defaultValue }: { defaultValue: string }) {
  return (
    <select name="role" defaultValue={defaultValue} className={`mt-1 ${inputClass}`}>
      {ROLES.map((role) => (
        <option key={role} value={role}>
          {role}
        </option>
      ))}
    </select>
  );
}

export default async function AccountsPage() {
  const page = await requireAdminPage("/admin/accounts");
  const [accounts, teams] = await Promise.all([loadAccounts(), loadTeams()]);
  const timeZone = reportTimeZone();
  const csrf = page.csrfToken;
  return (
    <AdminShell page={page} current="/admin/accounts" title="Accounts">
      <section aria-labelledby="new-account" className="mb-10">
        <h2 id="new-account" className={sectionTitle}>
          New account
        </h2>
        <ActionForm
          action={ACTION}
          op="create"
          csrf={csrf}
          className={`${card} grid gap-4 sm:grid-cols-[1fr_10rem_1fr_auto] sm:items-end`}
          label="New account"
        >
          <label className="block text-sm font-medium">
            Username
            <input name="username" required autoComplete="off" className={`mt-1 ${inputClass}`} />
          </label>
          <label className="block text-sm font-medium">
            Role
            <RoleSelect defaultValue="viewer" />
          </label>
          <label className="block text-sm font-medium">
            Password{" "}
            <span className="font-normal text-slate-500 dark:text-slate-400">
              (at least {MIN_PASSWORD_LENGTH} characters)
            </span>
            <input
              name="password"
              type="password"
              required
              minLength={MIN_PASSWORD_LENGTH}
              autoComplete="new-password"
              className={`mt-1 ${inputClass}`}
            />
          </label>
          <button type="submit" className={primaryButton}>
            Create account
          </button>
          <div className="sm:col-span-4">
            <ScopeFields teams={teams} legend="A supervisor sees" />
          </div>
        </ActionForm>
      </section>

      <section aria-labelledby="all-accounts">
        <h2 id="all-accounts" className={sectionTitle}>
          All accounts ({accounts.length})
        </h2>
        {accounts.length === 0 ? (
          <Empty>No accounts yet.</Empty>
        ) : (
          <div className={`${card} overflow-x-auto p-0`}>
            <table className="w-full text-left text-sm">
              <thead className="border-b border-slate-200 text-xs tracking-wide text-slate-500 uppercase dark:border-slate-800 dark:text-slate-400">
                <tr>
                  <th scope="col" className="px-4 py-3">
                    Username
                  </th>
                  <th scope="col" className="px-4 py-3">
                    Role
                  </th>
                  <th scope="col" className="px-4 py-3">
                    Sees
                  </th>
                  <th scope="col" className="px-4 py-3">
                    Status
                  </th>
                  <th scope="col" className="px-4 py-3">
                    Created ({timeZone})
                  </th>
                  <th scope="col" className="px-4 py-3">
                    Manage
                  </th>
                </tr>
              </thead>
              <tbody>
                {accounts.map((account) => (
                  <tr
                    key={account.id}
                    className="border-b border-slate-100 align-top last:border-0 dark:border-slate-800"
                  >
                    <th scope="row" className="px-4 py-3 font-medium">
                      {account.username}
                      {account.id === page.account.id ? (
                        <span className="ml-2 text-xs font-normal text-slate-500 dark:text-slate-400">(you)</span>
                      ) : null}
                    </th>
                    <td className="px-4 py-3">{account.role}</td>
                    <td className="px-4 py-3 text-slate-600 dark:text-slate-400">
                      {account.role !== "supervisor" ? (
                        "everyone (by role)"
                      ) : seesNobody(account) ? (
                        <span className="font-medium text-rose-700 dark:text-rose-300">
                          {describeScope(account, teams)}
                        </span>
                      ) : (
                        describeScope(account, teams)
                      )}
                    </td>
                    <td className="px-4 py-3">
                      {account.disabledAt ? (
                        <span className="rounded-full bg-rose-100 px-2 py-0.5 text-xs font-medium text-rose-700 dark:bg-rose-950 dark:text-rose-300">
                          disabled
                        </span>
                      ) : (
                        <span className="rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-medium text-emerald-700 dark:bg-emerald-950 dark:text-emerald-300">
                          active
                        </span>
                      )}
                    </td>
                    <td className="px-4 py-3 whitespace-nowrap text-slate-600 dark:text-slate-400">
                      {formatWhen(account.createdAt, timeZone)}
                    </td>
                    <td className="px-4 py-3">
                      <details>
                        <summary className="cursor-pointer text-sky-700 hover:underline dark:text-sky-400">
                          Manage {account.username}
                        </summary>
                        <div className="mt-3 w-72 space-y-4">
                          <ActionForm
                            action={ACTION}
                            op="role"
                            csrf={csrf}
                            className="flex items-end gap-2"
                            label={`Role of ${account.username}`}
                          >
                            <input type="hidden" name="id" value={account.id} />
                            <label className="block flex-1 text-xs font-medium">
                              Role
                              <RoleSelect defaultValue={account.role} />
                            </label>
                            <button type="submit" className={secondaryButton}>
                              Change role
                            </button>
                          </ActionForm>
                          {account.role === "supervisor" ? (
                            <ActionForm
                              action={ACTION}
                              op="teams"
                              csrf={csrf}
                              className="space-y-2"
                              label={`Whom ${account.username} sees`}
                            >
                              <input type="hidden" name="id" value={account.id} />
                              <ScopeFields account={account} teams={teams} legend="Sees" />
                              <button type="submit" className={secondaryButton}>
                                Save whom they see
                              </button>
                            </ActionForm>
                          ) : null}
                          <ActionForm
                            action={ACTION}
                            op="password"
                            csrf={csrf}
                            className="flex items-end gap-2"
                            label={`Password of ${account.username}`}
                          >
                            <input type="hidden" name="id" value={account.id} />
                            <label className="block flex-1 text-xs font-medium">
                              New password
                              <input
                                name="password"
                                type="password"
                                required
                                minLength={MIN_PASSWORD_LENGTH}
                                autoComplete="new-password"
                                className={`mt-1 ${inputClass}`}
                              />
                            </label>
                            <button type="submit" className={secondaryButton}>
                              Reset
                            </button>
                          </ActionForm>
                          <ActionForm
                            action={ACTION}
                            op={account.disabledAt ? "enable" : "disable"}
                            csrf={csrf}
                            label={`Enable or disable ${account.username}`}
                          >
                            <input type="hidden" name="id" value={account.id} />
                            {account.disabledAt ? (
                              <button type="submit" className={secondaryButton}>
                                Enable account
                              </button>
                            ) : (
                              <ConfirmSubmit
                                question={`Disable ${account.username}? Their sessions end now.`}
                                confirmLabel="Yes, disable"
                              >
                                Disable account
                              </ConfirmSubmit>
                            )}
                          </ActionForm>
                        </div>
                      </details>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <p className="mt-3 text-xs text-slate-500 dark:text-slate-400">
          Resetting a password or disabling an account ends its sessions. Admins and viewers see everyone. A supervisor
          sees all employees only when set so; otherwise only the members of their teams, and nobody without one. Teams
          and their members are on the{" "}
          <Link href="/admin/teams" className="underline">
            Teams
          </Link>{" "}
          page.
        </p>
      </section>
    </AdminShell>
  );
}
