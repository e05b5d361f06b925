import { describe, expect, it } from "vitest";
import { POST as signInPost } from "@/app/auth/sign-in/route";
import { createAccount, setPassword } from "@/lib/auth/accounts";
import { HASHING, runHashing } from "@/lib/auth/hash-queue";
import { accountKey, addressKey, RATE_LIMITS } from "@/lib/auth/rate-limit";
import { AppError } from "@/lib/errors";
import { PROVIDERS, useProcessDatabase } from "../helpers/databases";
import { signInForm } from "../helpers/sign-in-form";

const PASSWORD = "a password for busy times";
const IP = "203.0.113.77";

/** Takes `places` of the process's hashing line (all of it by default) with tasks that wait until `release` is called. */
function fillHashing(places = HASHING.concurrency + HASHING.queue) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const holders = Array.from({ length: places }, () => runHashing(() => gate));
  return async () => {
    release();
    await Promise.all(holders);
  };
}

// DESIGN §8: a burst of password hashing is bounded, so it cannot stall other requests.
describe.each(PROVIDERS)("password hashing at its bound on %s", (provider) => {
  const ctx = useProcessDatabase(provider);
  const form = (username: string, password: string) => signInForm(username, password, IP);
  const countOf = async (key: string) => (await ctx.db.prisma.signInFailure.findUnique({ where: { key } }))?.count ?? 0;

  it("answers a sign-in with a 429, Retry-After and a clear message while the line is full, without counting it", async () => {
    const account = await createAccount(
      ctx.db,
      { username: `busy-${provider}`, role: "viewer", password: PASSWORD },
      { actor: "tests" },
    );
    const release = fillHashing();
    const busy = await signInPost(form(account.username, PASSWORD));
    expect(busy.status).toBe(429);
    expect(busy.headers.get("retry-after")).toBe(String(HASHING.retryAfterSeconds));
    expect(busy.headers.get("set-cookie")).toBeNull();
    expect(busy.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await busy.text()).toBe("Too many passwords are being checked at once; try again in a few seconds.");
    expect(await countOf(accountKey(account.usernameKey))).toBe(0);
    expect(await countOf(addressKey(IP))).toBe(0);
    await release();

    const signedIn = await signInPost(form(account.username, PASSWORD));
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get("set-cookie")).toMatch(/^wt_session=/);
  });

  it("refuses to create an account or set a password with the same 429 while the line is full", async () => {
    const account = await createAccount(
      ctx.db,
      { username: `busy-admin-${provider}`, role: "admin", password: PASSWORD },
      { actor: "tests" },
    );
    const release = fillHashing();
    const refusals = await Promise.all(
      [
        createAccount(ctx.db, { username: `busy-new-${provider}`, role: "viewer", password: PASSWORD }, { actor: "t" }),
        setPassword(ctx.db, account.id, `${PASSWORD} again`, { actor: "t" }),
      ].map((p) =>
        p.then(
          () => null,
          (error: unknown) => error,
        ),
      ),
    );
    await release();
    for (const refusal of refusals) {
      expect(refusal).toBeInstanceOf(AppError);
      expect(refusal).toMatchObject({ status: 429, headers: { "Retry-After": String(HASHING.retryAfterSeconds) } });
    }
    expect(await ctx.db.prisma.account.count({ where: { usernameKey: `busy-new-${provider}` } })).toBe(0);
  });
  it("tells a sign-in turned away by attempts still being checked that it is busy, for as long as Retry-After says, never that it is locked", async () => {
    const account = await createAccount(
      ctx.db,
      { username: `in-flight-${provider}`, role: "viewer", password: PASSWORD },
      { actor: "tests" },
    );
    const pending = `pending:${accountKey(account.usernameKey)}`;
    // The hashing slots are taken, so the account's first attempts wait in line, counted but unchecked.
    const release = fillHashing(HASHING.concurrency);
    const first = Array.from({ length: RATE_LIMITS.account.maxFailures }, () =>
      signInPost(form(account.username, PASSWORD)),
    );
    while ((await countOf(pending)) < RATE_LIMITS.account.maxFailures)
      await new Promise((resolve) => setTimeout(resolve, 10));

    const busy = await signInPost(form(account.username, PASSWORD));
    const text = await busy.text();
    expect(busy.status, text).toBe(429);
    expect(busy.headers.get("set-cookie")).toBeNull();
    const seconds = Number(busy.headers.get("retry-after"));
    expect(seconds).toBeGreaterThanOrEqual(1);
    expect(text).toBe(
      `Too many sign-ins to this account are in progress; try again in ${seconds} second${seconds === 1 ? "" : "s"}.`,
    );
    expect(text).not.toMatch(/lock/i);
    // Turned away before it was counted: nothing failed, nothing locked.
    expect(await countOf(accountKey(account.usernameKey))).toBe(0);
    expect(await countOf(pending)).toBe(RATE_LIMITS.account.maxFailures);

    await release();
    for (const response of await Promise.all(first)) expect(response.headers.get("set-cookie")).toMatch(/^wt_session=/);
    const retried = await signInPost(form(account.username, PASSWORD));
    expect(retried.headers.get("set-cookie")).toMatch(/^wt_session=/);
  });
});
