import { describe, expect, it } from "vitest";
import { useMigratedDatabase } from "../helpers/databases";

// A commit that returns before it reaches the disk can be lost to a power cut after the client
// was told it was saved. Both connections to the SQLite file (the direct one for ingest and the
// engine, Prisma's for accounts, tokens and admin changes) must sync every commit.
describe("a SQLite database", () => {
  const database = useMigratedDatabase("sqlite");

  it("syncs every commit on both of its connections, in WAL mode, with foreign keys enforced", async () => {
    const { db } = database;
    const direct = {
      journal: db.sqlite!.pragma("journal_mode", { simple: true }),
      synchronous: Number(db.sqlite!.pragma("synchronous", { simple: true })),
      foreignKeys: Number(db.sqlite!.pragma("foreign_keys", { simple: true })),
    };
    const read = async (name: string) =>
      Object.values((await db.prisma.$queryRawUnsafe<Record<string, unknown>[]>(`PRAGMA ${name}`))[0])[0];
    const viaPrisma = {
      journal: await read("journal_mode"),
      synchronous: Number(await read("synchronous")),
      foreignKeys: Number(await read("foreign_keys")),
    };
    // synchronous: 2 is FULL.
    expect(direct).toEqual({ journal: "wal", synchronous: 2, foreignKeys: 1 });
    expect(viaPrisma).toEqual(direct);
  });
});
