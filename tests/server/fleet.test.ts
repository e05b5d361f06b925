import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, ingestTokenFor } from "../helpers/credentials";
import { createTestDatabase, PROVIDERS, type TestDatabase } from "../helpers/databases";
import { checkFleet, simulateFleet, startFleetStack, type FleetStack } from "../helpers/fleet";
import { findNginx } from "../helpers/nginx";

// A small fleet (DESIGN §10; `npm run bench:fleet` runs the full one and prints its figures):
// agents behaving as report.ps1 does, a logon burst, a group of them offline who come back
// with batches, two instances behind nginx on one PostgreSQL, and one instance SIGKILLed and
// started again mid-run.

const AGENTS = 300;
const MINUTES = 7;
// A simulated minute is 5 s, and the engine ticks every simulated minute.
const SPEED = 12;
const TICK_SECONDS = 5;

const runs = Boolean(findNginx() || process.env.CI) && PROVIDERS.includes("postgresql");

describe.skipIf(!runs)("a fleet of agents behind nginx, one instance SIGKILLed mid-run", () => {
  let database: TestDatabase;
  let stack: FleetStack;
  let auth: Record<string, string>;

  beforeAll(async () => {
    if (!findNginx()) throw new Error("CI must run this test: install nginx (.ci/run does)");
    database = await createTestDatabase("postgresql");
    auth = bearer(await ingestTokenFor(database.url));
    stack = await startFleetStack(database.url, { cron: `*/${TICK_SECONDS} * * * * *` });
  });

  afterAll(async () => {
    await stack?.stop();
    await database?.drop();
  });

  it("loses no acknowledged event, stores none twice, answers no 500, and runs the engine once per tick", async () => {
    let restart: Promise<unknown> | undefined;
    const fleet = await simulateFleet({
      url: stack.url,
      headers: auth,
      agents: AGENTS,
      minutes: MINUTES,
      speed: SPEED,
      sockets: 32,
      outage: { share: 0.2, from: 2, minutes: 2 },
      onMinute: (minute) => {
        if (minute === 3) restart = stack.killAndRestart(0);
      },
      drainMs: 30_000,
    });
    await restart;
    // The tick under way when the spools emptied has run before the database is read.
    await new Promise((resolve) => setTimeout(resolve, TICK_SECONDS * 1000 + 1500));
    const check = await checkFleet(database.url, fleet.acked, {
      tickMs: TICK_SECONDS * 1000,
      from: fleet.startedAt,
      to: fleet.drainedAt,
    });
    const report = JSON.stringify(
      { ...fleet, acked: fleet.acked.length, latencies: undefined, burstLatencies: undefined, check },
      null,
      1,
    );

    // Ten events an agent in the logon burst, then one a minute.
    expect(fleet.generated, report).toBe(AGENTS * (10 + MINUTES - 1));
    expect(fleet.unsent, report).toBe(0);
    expect(fleet.rejected, report).toBe(0);
    // The killed instance's requests went on to the other (nginx) or were sent again (the agent).
    expect(
      Object.keys(fleet.statuses).filter((status) => status !== "201" && status !== "503"),
      report,
    ).toEqual([]);
    expect(fleet.batches, "the agents that were offline sent batches").toBeGreaterThan(0);
    expect(check.missing, report).toBe(0);
    expect(check.doubled, report).toBe(0);
    expect(check.acknowledged, report).toBe(fleet.generated);
    expect(check.stored, report).toBe(check.acknowledged);
    expect(check.ticksWithSeveralRuns, report).toBe(0);
    expect(check.ticksWithoutARun, report).toBe(0);
    expect(check.failedRuns, report).toBe(0);
  }, 180_000);
});
