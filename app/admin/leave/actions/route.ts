import { visibleUserKeys } from "@/lib/auth/principal";
import { addLeave, deleteLeave } from "@/lib/schedules/store";
import { field, idField, runAdminAction } from "../../_lib/action";

export const dynamic = "force-dynamic";

/**
 * The leave page's forms: op = add (employee, from, to, kind, note) | delete. Admins enter
 * leave for anyone; supervisors only for the employees they see (their teams), checked here on
 * the server whatever the form offered.
 */
export const POST = (request: Request) =>
  runAdminAction(
    request,
    "/admin/leave",
    {
      async add({ db, form, actor, ip, principal }) {
        const leave = await addLeave(
          db,
          {
            username: field(form, "employee"),
            start: field(form, "from"),
            end: field(form, "to") || field(form, "from"),
            kind: field(form, "kind") as "vacation",
            note: field(form, "note") || undefined,
          },
          await visibleUserKeys(db, principal),
          { actor, ip },
        );
        const span = leave.start === leave.end ? leave.start : `${leave.start} to ${leave.end}`;
        return { message: `Entered ${leave.kind} leave for ${field(form, "employee")}, ${span}.` };
      },
      async delete({ db, form, actor, ip, principal }) {
        const leave = await deleteLeave(db, idField(form, "id"), await visibleUserKeys(db, principal), { actor, ip });
        return { message: `Deleted the ${leave.kind} leave of ${leave.userKey}, ${leave.start} to ${leave.end}.` };
      },
    },
    { supervisors: true },
  );
