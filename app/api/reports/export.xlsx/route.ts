import { reportExportRoute } from "../../_lib/export";
import { rejectMethod } from "../../_lib/respond";

export const dynamic = "force-dynamic";

export const GET = reportExportRoute("xlsx");

export const POST = rejectMethod(["GET"]);
export const PUT = POST;
export const PATCH = POST;
export const DELETE = POST;
