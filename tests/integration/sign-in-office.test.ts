import { describe, expect, it } from "vitest";
import { POST as signInPost } from "@/app/auth/sign-in/route";
import { createAccount } from "@/lib/auth/accounts";
import { HASHING } from "@/lib/auth/hash-queue";
import { PROVIDERS, useProcessDatabase } from "../helpers/databases";
import { signInForm } from "../helpers/sign-in-form";

const PEOPLE = 30;
const PASSWORD = "our office password, each their own";
const OFFICE = "198.51.100.60";
/** More tries than anyone should need: past them a person counts as locked out. */
const MAX_TRIES = 40;

type Outcome = { signedIn: boolean; tries: number; last: string };

// DESIGN §8: an address gets more tries than an account because many people sign in from
// behind one NAT. A whole office signing in at once, one person mistyping once, must end with
// everyone signed in: busy answers are waited out, as a person would try again.
describe.each(PROVIDERS)("an office signing in together from one address on %s", (provider) => {
  const ctx = useProcessDatabase(provider);

  /** One person at the form: types `firstTry`, then the right password once told it was wrong. */
  async function signInAs(username: string, firstTry: string): Promise<Outcome> {
    let password = firstTry;
    let last = "";
    for (let tries = 1; tries <= MAX_TRIES; tries++) {
      const response = await signInPost(signInForm(username, password, OFFICE));
      if (response.headers.get("set-cookie")?.startsWith("wt_session=")) return { signedIn: true, tries, last };
      if (response.status === 429) {
        last = `429: ${await response.text()}`;
        const wait = Number(response.headers.get("retry-after"));
        await new Promise((resolve) => setTimeout(resolve, wait * 1000));
        continue;
      }
      last = `${response.status} ${response.headers.get("location")}`;
      const error = new URL(response.headers.get("location") ?? "/", "http://localhost").searchParams.get("error");
      if (error !== "invalid") return { signedIn: false, tries, last };
      password = PASSWORD;
    }
    return { signedIn: false, tries: MAX_TRIES, last };
  }

  it(
    `signs in all ${PEOPLE} people of an office behind one address, one of them mistyping once, without locking anyone out`,
    { timeout: 180_000 },
    async () => {
      const usernames = Array.from({ length: PEOPLE }, (_, i) => `office-${provider}-${i + 1}`);
      // Created a line's worth at a time: each account's password is hashed within the bound.
      const accounts = [];
      for (let i = 0; i < usernames.length; i += HASHING.concurrency + HASHING.queue)
        accounts.push(
          ...(await Promise.all(
            usernames
              .slice(i, i + HASHING.concurrency + HASHING.queue)
              .map((username) =>
                createAccount(ctx.db, { username, role: "viewer", password: PASSWORD }, { actor: "t" }),
              ),
          )),
        );

      const outcomes = await Promise.all(
        usernames.map((username, i) => signInAs(username, i === 7 ? "our office pasword, each their own" : PASSWORD)),
      );

      expect(outcomes.flatMap((outcome, i) => (outcome.signedIn ? [] : [`${usernames[i]}: ${outcome.last}`]))).toEqual(
        [],
      );
      for (const account of accounts)
        expect(await ctx.db.prisma.session.count({ where: { accountId: account.id } }), account.username).toBe(1);
      expect(outcomes[7].tries).toBeGreaterThanOrEqual(2);
    },
  );
});
