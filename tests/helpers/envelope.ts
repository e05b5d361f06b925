import { expect } from "vitest";

export type ErrorBody = { code: string; message: string; details?: { field: string; message?: string }[] };

/** A 200 in the success envelope, and nothing else in it; its data. */
export async function okData<T = unknown>(response: Response | Promise<Response>): Promise<T> {
  const res = await response;
  const body = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(200);
  expect(Object.keys(body).sort()).toEqual(["data", "success"]);
  expect(body.success).toBe(true);
  return body.data as T;
}

/** An answer of `status` in the JSON error envelope, with a code and a message; its error. */
export async function failed(res: Response, status: number): Promise<ErrorBody> {
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(status);
  expect(body.success).toBe(false);
  expect(typeof body.error.code).toBe("string");
  expect(body.error.message.length).toBeGreaterThan(0);
  return body.error;
}

/** A 400 whose details name exactly these query parameters. */
export async function rejected(res: Response, ...fields: string[]) {
  const error = await failed(res, 400);
  expect(error.code).toBe("invalid_query");
  expect(error.details!.map((detail) => detail.field)).toEqual(fields);
}
