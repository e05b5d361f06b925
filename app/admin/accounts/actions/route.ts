import {
  assignTeams,
  changeRole,
  createAccount,
  disableAccount,
  enableAccount,
  seesNobody,
  setPassword,
  type Account,
  type Scope,
} from "@/lib/auth/accounts";
import { roleSchema, type Role } from "@/lib/auth/schemas";
import { AppError, parseInput } from "@/lib/errors";
import { field, idField, runAdminAction } from "../../_lib/action";

/** The scope fields (app/admin/_lib/scope-fields.tsx): an explicit choice, never "everyone" by omission. */
function scopeFrom(form: FormData): Scope {
  const scope = field(form, "scope");
  if (scope === "all") return "all";
  if (scope === "teams") return form.getAll("team").map((value) => Number(value));
  throw new AppError(400, "invalid_input", "Choose whether the supervisor sees all employees or only chosen teams.");
}

const nobodyNote = (account: Account) =>
  seesNobody(account) ? " No teams: they see nobody until given teams or all employees." : "";

export const dynamic = "force-dynamic";

/** The accounts page's forms: op = create | role | password | disable | enable | teams. */
export const POST = (request: Request) =>
  runAdminAction(request, "/admin/accounts", {
    async create({ db, form, actor, ip }) {
      const account = await createAccount(
        db,
        {
          username: field(form, "username"),
          role: field(form, "role") as Role,
          password: String(form.get("password") ?? ""),
          // The form always carries the scope fields; they mean something for a supervisor only.
          ...(field(form, "role") === "supervisor" ? { scope: scopeFrom(form) } : {}),
        },
        { actor, ip },
      );
      return { message: `Created ${account.username} (${account.role}).${nobodyNote(account)}` };
    },
    async role({ db, form, actor, ip }) {
      const account = await changeRole(db, idField(form, "id"), parseInput(roleSchema, field(form, "role")), {
        actor,
        ip,
      });
      return { message: `${account.username} is now ${account.role}.${nobodyNote(account)}` };
    },
    async password({ db, form, actor, ip }) {
      const account = await setPassword(db, idField(form, "id"), String(form.get("password") ?? ""), { actor, ip });
      return { message: `Set a new password for ${account.username}; their sessions were ended.` };
    },
    async disable({ db, form, actor, ip }) {
      const account = await disableAccount(db, idField(form, "id"), { actor, ip });
      return { message: `Disabled ${account.username}; their sessions were ended.` };
    },
    async enable({ db, form, actor, ip }) {
      const account = await enableAccount(db, idField(form, "id"), { actor, ip });
      return { message: `Enabled ${account.username}.` };
    },
    async teams({ db, form, actor, ip }) {
      const account = await assignTeams(db, idField(form, "id"), scopeFrom(form), { actor, ip });
      return {
        message: account.allEmployees
          ? `${account.username} now sees all employees.`
          : account.teamIds.length
            ? `${account.username} now sees only the chosen teams.`
            : `${account.username} has no teams: they see nobody.`,
      };
    },
  });
