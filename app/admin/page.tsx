import { redirect } from "next/navigation";
import { requireAdminPage } from "../_data/admin";

export const dynamic = "force-dynamic";

export default async function AdminHome() {
  await requireAdminPage("/admin");
  redirect("/admin/accounts");
}
