import { tokenScopeSchema } from "@/lib/auth/schemas";
import { parseInput } from "@/lib/errors";
import { createToken, revokeToken } from "@/lib/auth/tokens";
import { field, idField, runAdminAction } from "../../_lib/action";

export const dynamic = "force-dynamic";

/** The tokens page's forms: op = create | revoke. A new token is shown once, on the page it redirects to. */
export const POST = (request: Request) =>
  runAdminAction(request, "/admin/tokens", {
    async create({ db, form, actor, ip }) {
      const scope = parseInput(tokenScopeSchema, field(form, "scope"));
      const { token, info } = await createToken(db, { name: field(form, "name"), scope, createdBy: actor }, { ip });
      return { message: `Created the ${info.scope} token ${info.name}.`, token };
    },
    async revoke({ db, form, actor, ip }) {
      const token = await revokeToken(db, idField(form, "id"), { actor, ip });
      return { message: `Revoked ${token.name}.` };
    },
  });
