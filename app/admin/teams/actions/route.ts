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
      const { name, supervisors } = await deleteTeam(db, idField(form, "id"), { actor, ip });
      const nobody = supervisors.filter((supervisor) => supervisor.seesNobody).map((s) => s.username);
      return {
        message: nobody.length
          ? `Deleted team ${name}. ${nobody.join(", ")} now ${nobody.length === 1 ? "has" : "have"} no teams and see${nobody.length === 1 ? "s" : ""} nobody.`
          : `Deleted team ${name}.`,
      };
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
