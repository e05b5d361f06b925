import type { Metadata } from "next";
import { loadAccounts, loadTeams, reportTimeZone, requireAdminPage } from "@/app/_data/admin";
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
export const metadata: Metadata = { title: "Teams · Admin" };

const TEAMS = "/admin/teams/actions";
const ACCOUNTS = "/admin/accounts/actions";

export default async function TeamsPage() {
  const page = await requireAdminPage("/admin/teams");
  const [teams, accounts] = await Promise.all([loadTeams(), loadAccounts()]);
  const supervisors = accounts.filter((account) => account.role === "supervisor");
  // Who would be left seeing nobody if this team went: said before the delete, not after.
  const leftWithNobody = (teamId: number) =>
    supervisors
      .filter((s) => !s.allEmployees && s.teamIds.length === 1 && s.teamIds[0] === teamId)
      .map((s) => s.username);
  const deleteQuestion = (team: { id: number; name: string }) => {
    const nobody = leftWithNobody(team.id);
    return nobody.length
      ? `Delete ${team.name}? ${nobody.join(", ")} will have no teams left and see nobody.`
      : `Delete ${team.name}? Supervisors limited to it lose it.`;
  };
  const timeZone = reportTimeZone();
  const csrf = page.csrfToken;
  return (
    <AdminShell page={page} current="/admin/teams" title="Teams">
      <section aria-labelledby="new-team" className="mb-10">
        <h2 id="new-team" className={sectionTitle}>
          New team
        </h2>
        <ActionForm
          action={TEAMS}
          op="create"
          csrf={csrf}
          className={`${card} flex flex-wrap items-end gap-4`}
          label="New team"
        >
          <label className="block min-w-64 flex-1 text-sm font-medium">
            Team name
            <input name="name" required maxLength={100} autoComplete="off" className={`mt-1 ${inputClass}`} />
          </label>
          <button type="submit" className={primaryButton}>
            Create team
          </button>
        </ActionForm>
      </section>

      <section aria-labelledby="all-teams" className="mb-10">
        <h2 id="all-teams" className={sectionTitle}>
          Teams and members ({teams.length})
        </h2>
        {teams.length === 0 ? (
          <Empty>No teams yet. Create one above, then list the employees in it.</Empty>
        ) : (
          <ul className="grid gap-4 md:grid-cols-2">
            {teams.map((team) => (
              <li key={team.id} className={card}>
                <div className="flex items-start justify-between gap-3">
                  <div>
                    <h3 className="font-semibold">{team.name}</h3>
                    <p className="text-xs text-slate-500 dark:text-slate-400">
                      {team.userKeys.length} member{team.userKeys.length === 1 ? "" : "s"} · created{" "}
                      {formatWhen(team.createdAt, timeZone)} ({timeZone})
                    </p>
                  </div>
                  <ActionForm action={TEAMS} op="delete" csrf={csrf} label={`Delete ${team.name}`}>
                    <input type="hidden" name="id" value={team.id} />
                    <ConfirmSubmit
                      ariaLabel={`Delete team ${team.name}`}
                      question={deleteQuestion(team)}
                      confirmLabel="Yes, delete"
                    >
                      Delete
                    </ConfirmSubmit>
                  </ActionForm>
                </div>
                <ActionForm
                  action={TEAMS}
                  op="members"
                  csrf={csrf}
                  className="mt-4 space-y-2"
                  label={`Members of ${team.name}`}
                >
                  <input type="hidden" name="id" value={team.id} />
                  <label className="block text-sm font-medium">
                    Members of {team.name}{" "}
                    <span className="font-normal text-slate-500 dark:text-slate-400">
                      (employee usernames as the agents report them, one per line)
                    </span>
                    <textarea
                      name="members"
                      rows={5}
                      defaultValue={team.userKeys.join("\n")}
                      className={`mt-1 font-mono ${inputClass}`}
                    />
                  </label>
                  <button type="submit" className={secondaryButton}>
                    Save members
                  </button>
                </ActionForm>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="limits">
        <h2 id="limits" className={sectionTitle}>
          Whom supervisors see
        </h2>
        <p className="mb-3 text-sm text-slate-600 dark:text-slate-400">
          A supervisor sees all employees only when set so; otherwise only the members of the teams ticked, and nobody
          when none is.
        </p>
        {supervisors.length === 0 ? (
          <Empty>No supervisors. Give an account the supervisor role on the Accounts page.</Empty>
        ) : (
          <ul className="space-y-4">
            {supervisors.map((supervisor) => (
              <li key={supervisor.id}>
                <ActionForm
                  action={ACCOUNTS}
                  op="teams"
                  csrf={csrf}
                  className={`${card} flex flex-wrap items-end gap-4`}
                  label={`Teams of ${supervisor.username}`}
                >
                  <input type="hidden" name="id" value={supervisor.id} />
                  <input type="hidden" name="back" value="/admin/teams" />
                  <ScopeFields
                    account={supervisor}
                    teams={teams}
                    legend={
                      <>
                        {supervisor.username}{" "}
                        <span className="font-normal text-slate-500 dark:text-slate-400">
                          (now: {describeScope(supervisor, teams)})
                        </span>
                      </>
                    }
                  />
                  <button type="submit" className={secondaryButton} aria-label={`Save teams of ${supervisor.username}`}>
                    Save
                  </button>
                </ActionForm>
              </li>
            ))}
          </ul>
        )}
      </section>
    </AdminShell>
  );
}
