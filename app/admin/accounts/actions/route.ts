import {
  assignTeams,
  changeRole,
  createAccount,
  disableAccount,
  enableAccount,
  setPassword,
} from "@/lib/auth/accounts";
import { roleSchema, type Role } from "@/lib/auth/schemas";
import { parseInput } from "@/lib/errors";
import { field, idField, runAdminAction } from "../../_lib/action";

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
        },
        { actor, ip },
      );
      return { message: `Created ${account.username} (${account.role}).` };
    },
    async role({ db, form, actor, ip }) {
      const account = await changeRole(db, idField(form, "id"), parseInput(roleSchema, field(form, "role")), {
        actor,
        ip,
      });
      return { message: `${account.username} is now ${account.role}.` };
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
      const teamIds = form.getAll("team").map((value) => Number(value));
      const account = await assignTeams(db, idField(form, "id"), teamIds, { actor, ip });
      return {
        message: account.teamIds.length
          ? `${account.username} now sees only the chosen teams.`
          : `${account.username} now sees everyone.`,
      };
    },
  });
