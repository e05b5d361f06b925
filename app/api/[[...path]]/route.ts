import { errorResponse } from "../_lib/respond";
import { notFound } from "@/lib/errors";

// Unknown API paths answer the JSON envelope, never the HTML not-found page.
const answer = async (request: Request) => errorResponse(notFound(`No API at ${new URL(request.url).pathname}`));

export const GET = answer;
export const POST = answer;
export const PUT = answer;
export const PATCH = answer;
export const DELETE = answer;
export const HEAD = answer;
export const OPTIONS = answer;
