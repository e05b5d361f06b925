import { beforeAll, describe, expect, it } from "vitest";
import { GET as getRealWorkHours } from "@/app/api/reports/real_work_hours/route";
import { assignTeams } from "@/lib/auth/accounts";
import { createTeam, setTeamMembers } from "@/lib/auth/teams";
import type { RealWorkHoursRow } from "@/lib/reports/real-work-hours";
import { toUserKey } from "@/lib/users";
import { bearer, newSession, newToken, sessionHeader } from "../helpers/credentials";
import { PROVIDERS, useProcessDatabase } from "../helpers/databases";
import { failed } from "../helpers/envelope";

/*
 * Without dates GET /api/reports/real_work_hours answers every stored row, read and written a
 * page (1,000 rows) at a time. 370 users on 7 dates is 2,590 rows: pages end in the middle of
 * a date, where the order by user key has to carry on from the right name.
 */
const DATES = ["2026-01-05", "2026-01-06", "2026-02-01", "2026-02-02", "2026-03-10", "2026-12-31", "2027-01-01"];
// Names whose byte order differs from a linguistic one and from their letter case.
const USERS = Array.from(
  { length: 370 },
  (_, i) => [`User${i}`, `corp\\u_${i}`, `a b${i}`, `Zoë${i}`, `a-${i}`][i % 5],
);

const call = (headers: Record<string, string>, query = "") =>
  getRealWorkHours(new Request(`http://localhost/api/reports/real_work_hours${query}`, { headers }), {} as never);

const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

describe.each(PROVIDERS)("every Real Work Hours row, streamed in pages, on %s", (provider) => {
  const database = useProcessDatabase(provider);
  let read: Record<string, string>;
  /** Every row as the database holds it, in the API's order: by date, then user key by bytes. */
  let expected: RealWorkHoursRow[];
  const cli = { actor: "tests" };

  beforeAll(async () => {
    const { prisma } = database.db;
    await prisma.userRealWorkSummary.createMany({
      data: DATES.flatMap((workDate, d) =>
        USERS.map((username, u) => ({
          userKey: toUserKey(username),
          username,
          workDate,
          realHoursCounted: (u + d) % 9,
          lastProcessedEventId: u * 10 + d,
          updatedAt: new Date(),
        })),
      ),
    });
    const stored = await prisma.userRealWorkSummary.findMany();
    expected = stored
      .sort((a, b) => (a.workDate < b.workDate ? -1 : a.workDate > b.workDate ? 1 : byteOrder(a.userKey, b.userKey)))
      .map((row) => ({
        id: row.id,
        username: row.username,
        work_date: row.workDate,
        real_hours_counted: row.realHoursCounted,
        last_processed_event_id: row.lastProcessedEventId,
      }));
    read = bearer(await newToken(database.db, "read"));
  });

  it("answers every row, in order, in exactly the bytes of the whole list as one JSON document", async () => {
    expect(expected.length).toBe(DATES.length * USERS.length);
    const res = await call(read);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.text()).toBe(JSON.stringify({ success: true, data: expected }));
  });

  it("answers a date range and a username as before, and an empty list as an empty array", async () => {
    const range = await (await call(read, "?start_date=2026-01-06&end_date=2026-02-02")).json();
    expect(range).toEqual({
      success: true,
      data: expected.filter((row) => row.work_date >= "2026-01-06" && row.work_date <= "2026-02-02"),
    });
    const one = await (await call(read, "?username=ZOË3")).json();
    expect(one.data).toEqual(expected.filter((row) => row.username === "Zoë3"));
    expect(await (await call(read, "?start_date=2030-01-01")).text()).toBe('{"success":true,"data":[]}');
  });

  it("keeps a team-limited supervisor to their team's rows across every page", async () => {
    const members = USERS.filter((_, i) => i % 2 === 0);
    const team = await createTeam(database.db, `night-${provider}`, cli);
    await setTeamMembers(database.db, team.id, members, cli);
    const supervisor = await newSession(database.db, "supervisor");
    await assignTeams(database.db, supervisor.accountId, [team.id], cli);
    const keys = new Set(members.map(toUserKey));
    const mine = expected.filter((row) => keys.has(toUserKey(row.username)));
    expect(mine.length).toBeGreaterThan(1000);

    const res = await call(sessionHeader(supervisor.cookie));
    expect(await res.text()).toBe(JSON.stringify({ success: true, data: mine }));

    // A supervisor whose last team is gone sees nobody, never everyone.
    const alone = await newSession(database.db, "supervisor");
    const empty = await createTeam(database.db, `empty-${provider}`, cli);
    await assignTeams(database.db, alone.accountId, [empty.id], cli);
    expect(await (await call(sessionHeader(alone.cookie))).json()).toEqual({ success: true, data: [] });
  });

  it("answers the error envelope before any byte for a bad query or a missing credential", async () => {
    const bad = await failed(await call(read, "?start_date=2026-02-30"), 400);
    expect(bad.details?.[0].field).toBe("start_date");
    await failed(await call({}), 401);
  });

  it("aborts the body when the database fails after the first page, never ending a short list", async () => {
    const res = await call(read);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first.startsWith('{"success":true,"data":[')).toBe(true);
    await database.db.raw.execute("ALTER TABLE user_real_work_summary RENAME TO user_real_work_summary_away");
    try {
      let text = first;
      const rest = (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return text;
          text += new TextDecoder().decode(value);
        }
      })();
      await expect(rest).rejects.toThrow();
      expect(text.endsWith("]}")).toBe(false);
    } finally {
      await database.db.raw.execute("ALTER TABLE user_real_work_summary_away RENAME TO user_real_work_summary");
    }
  });
});
