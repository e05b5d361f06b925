import type { Account } from "@/lib/auth/accounts";
import type { Team } from "@/lib/auth/teams";

type ScopeOf = Pick<Account, "allEmployees" | "teamIds">;

/**
 * Whom a supervisor sees, as the admin pages say it: "All employees", their teams' names, or
 * plainly that they see nobody (DESIGN §8: no teams never means everyone).
 */
export function describeScope(account: ScopeOf, teams: Pick<Team, "id" | "name">[]): string {
  if (account.allEmployees) return "All employees";
  if (account.teamIds.length === 0) return "no teams: sees nobody";
  const names = new Map(teams.map((team) => [team.id, team.name]));
  return account.teamIds.map((id) => names.get(id) ?? `#${id}`).join(", ");
}

/**
 * The choice between all employees and chosen teams, posted as scope=all|teams and team=<id>
 * for each ticked team. A form without an account (a new one) starts at "these teams" with
 * none ticked: nobody, until the admin chooses.
 */
export function ScopeFields({
  account,
  teams,
  legend,
}: {
  account?: ScopeOf;
  teams: Pick<Team, "id" | "name">[];
  legend: React.ReactNode;
}) {
  const all = account?.allEmployees ?? false;
  return (
    <fieldset className="flex-1">
      <legend className="text-sm font-semibold">{legend}</legend>
      <div className="mt-2 space-y-2 text-sm">
        <label className="flex items-center gap-2">
          <input type="radio" name="scope" value="all" defaultChecked={all} className="h-4 w-4" />
          All employees
        </label>
        <label className="flex items-center gap-2">
          <input type="radio" name="scope" value="teams" defaultChecked={!all} className="h-4 w-4" />
          Only these teams (none ticked: sees nobody)
        </label>
        {teams.length ? (
          <div className="ml-6 flex flex-wrap gap-x-5 gap-y-2">
            {teams.map((team) => (
              <label key={team.id} className="flex items-center gap-2">
                <input
                  type="checkbox"
                  name="team"
                  value={team.id}
                  defaultChecked={!all && (account?.teamIds.includes(team.id) ?? false)}
                  className="h-4 w-4 rounded border-slate-300 text-sky-600 focus:ring-sky-500"
                />
                {team.name}
              </label>
            ))}
          </div>
        ) : (
          <p className="ml-6 text-xs text-slate-500 dark:text-slate-400">
            No teams yet: create them on the Teams page.
          </p>
        )}
      </div>
    </fieldset>
  );
}
