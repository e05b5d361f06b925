import { describe, expect, it } from "vitest";
import { POST as signInPost } from "@/app/auth/sign-in/route";
import { createAccount } from "@/lib/auth/accounts";
import { accountKey, addressKey, RATE_LIMITS } from "@/lib/auth/rate-limit";
import { signIn, type SignInResult } from "@/lib/auth/sign-in";
import { AppError } from "@/lib/errors";
import { toUserKey } from "@/lib/users";
import { PROVIDERS, useProcessDatabase } from "../helpers/databases";
import { signInForm } from "../helpers/sign-in-form";

const PASSWORD = "the right password, at last";
const WRONG = "a wrong password, guessed";
let counter = 0;

// Attempts sent together must count before any password is checked (DESIGN §8): otherwise
// all of them pass the check while the first are still being hashed.
describe.each(PROVIDERS)("sign-in bursts on %s", (provider) => {
  const ctx = useProcessDatabase(provider);

  async function newAccount() {
    const username = `burst${++counter}-${provider}`;
    return createAccount(ctx.db, { username, role: "viewer", password: PASSWORD }, { actor: "tests" });
  }
  const countOf = async (key: string) => (await ctx.db.prisma.signInFailure.findUnique({ where: { key } }))?.count ?? 0;
  /** Every attempt's outcome: a result, or the 429 of a full hashing line. */
  const settle = async (attempts: Promise<SignInResult>[]) =>
    (await Promise.allSettled(attempts)).map((outcome) => {
      if (outcome.status === "fulfilled") return outcome.value;
      expect(outcome.reason).toBeInstanceOf(AppError);
      expect((outcome.reason as AppError).status).toBe(429);
      return "busy" as const;
    });

  it("checks at most 5 of 30 wrong passwords sent to one account at once, and the right one after them gets no session", async () => {
    const account = await newAccount();
    const ip = `203.0.113.${++counter}`;
    const attempts = [...Array.from({ length: 30 }, () => WRONG), PASSWORD].map((password) =>
      signIn(ctx.db, { username: account.username, password, ip }),
    );
    const outcomes = await settle(attempts);

    // The right password came while the wrong ones were still being checked (busy), or after
    // they had locked the account: either way it gets no session.
    const last = outcomes.at(-1);
    if (last !== "busy") expect(last).toMatchObject({ ok: false, reason: "locked" });
    expect(outcomes.filter((o) => o !== "busy" && o.ok)).toEqual([]);
    expect(await ctx.db.prisma.session.count({ where: { accountId: account.id } })).toBe(0);
    // Only the checked (and wrong) attempts stay counted, and the account is locked.
    expect(await countOf(accountKey(account.usernameKey))).toBe(RATE_LIMITS.account.maxFailures);
    expect(await countOf(addressKey(ip))).toBe(RATE_LIMITS.account.maxFailures);
    expect(await countOf(`pending:${accountKey(account.usernameKey)}`)).toBe(0);
    const row = await ctx.db.prisma.signInFailure.findUnique({ where: { key: accountKey(account.usernameKey) } });
    expect(row?.lockedUntil?.getTime()).toBeGreaterThan(Date.now());
  });

  it("checks at most 20 passwords of a burst from one address across many accounts; a real account's right password after them gets no session", async () => {
    const account = await newAccount();
    const ip = `198.51.100.${++counter}`;
    const attempts = [
      ...Array.from({ length: 30 }, (_, i) =>
        signIn(ctx.db, { username: `ghost-${counter}-${i}`, password: WRONG, ip }),
      ),
      signIn(ctx.db, { username: account.username, password: PASSWORD, ip }),
    ];
    const outcomes = await settle(attempts);

    // Twenty checks may also fill the hashing line (2 at once, 16 waiting): the last attempt is
    // then turned away as busy rather than locked; either way it gets no session.
    const last = outcomes.at(-1);
    if (last !== "busy") expect(last).toMatchObject({ ok: false, reason: "locked" });
    expect(await ctx.db.prisma.session.count({ where: { accountId: account.id } })).toBe(0);
    expect(await countOf(addressKey(ip))).toBeLessThanOrEqual(RATE_LIMITS.address.maxFailures);
    expect(await countOf(addressKey(ip))).toBeGreaterThan(0);
    // The attempt turned away unchecked did not count against the account: it signs in from elsewhere.
    expect(await countOf(accountKey(account.usernameKey))).toBe(0);
    const elsewhere = await signIn(ctx.db, { username: account.username, password: PASSWORD, ip: "192.0.2.1" });
    expect(elsewhere.ok).toBe(true);
  });

  it("a right password in a burst within the limit signs in, and leaves the address only the wrong ones", async () => {
    const account = await newAccount();
    const ip = `192.0.2.${++counter}`;
    const outcomes = await settle(
      [WRONG, WRONG, PASSWORD].map((password) => signIn(ctx.db, { username: account.username, password, ip })),
    );
    expect(outcomes.at(-1)).toMatchObject({ ok: true, account: { id: account.id } });
    expect(await countOf(accountKey(toUserKey(account.username)))).toBeLessThanOrEqual(2);
    expect(await countOf(addressKey(ip))).toBe(2);
  });

  it("the sign-in form answers a burst past the limit as busy or locked, never with a session", async () => {
    const account = await newAccount();
    const form = (password: string) => signInForm(account.username, password, "203.0.113.250");
    const responses = await Promise.all(
      [...Array.from({ length: 30 }, () => WRONG), PASSWORD].map((password) => signInPost(form(password))),
    );
    for (const response of responses) expect(response.headers.get("set-cookie")).toBeNull();
    const last = responses.at(-1)!;
    if (last.status !== 429)
      expect(new URL(last.headers.get("location")!, "http://localhost").searchParams.get("error")).toBe("locked");
    expect(responses.filter((response) => response.status === 429).length).toBeGreaterThan(0);
    expect(await countOf(accountKey(account.usernameKey))).toBe(RATE_LIMITS.account.maxFailures);
  });
});
