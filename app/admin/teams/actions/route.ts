import { createTeam, deleteTeam, setTeamMembers } from "@/lib/auth/teams";
import { field, idField, runAdminAction } from "../../_lib/action";

export const dynamic = "force-dynamic";

/** The teams page's forms: op = create | delete | members (usernames one per line). */
export const POST = (request: Request) =>
  runAdminAction(request, "/admin/teams", {
    async create({ db, form, actor, ip }) {
      const team = await createTeam(db, field(form, "name"), { actor, ip });
      return { message: `Created team ${team.name}.` };
    },
    async delete({ db, form, actor, ip }) {
      await deleteTeam(db, idField(form, "id"), { actor, ip });
      return { message: "Deleted the team." };
    },
    async members({ db, form, actor, ip }) {
      const usernames = String(form.get("members") ?? "")
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter(Boolean);
      const team = await setTeamMembers(db, idField(form, "id"), usernames, { actor, ip });
      return { message: `${team.name} has ${team.userKeys.length} member${team.userKeys.length === 1 ? "" : "s"}.` };
    },
  });
