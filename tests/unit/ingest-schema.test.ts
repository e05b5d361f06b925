import { describe, expect, it } from "vitest";
import { checkEvent, EARLIEST_TS, parseTimestamp } from "@/lib/ingest/schema";
import { MAX_USERNAME_LENGTH, toUserKey } from "@/lib/users";

const NOW = Date.parse("2026-03-02T12:00:00.000Z");

function accepted(input: unknown, now = NOW) {
  const check = checkEvent(input, now);
  if (!check.ok) throw new Error(`expected the event to be accepted, got ${JSON.stringify(check.details)}`);
  return check.event;
}

function refused(input: unknown, now = NOW) {
  const check = checkEvent(input, now);
  if (check.ok) throw new Error(`expected the event to be refused, got ${JSON.stringify(check.event)}`);
  return check.details;
}

const fields = (details: { field?: string }[]) => details.map((d) => d.field);

describe("parseTimestamp", () => {
  it.each([
    ["2026-03-02T05:20:30Z", "2026-03-02T05:20:30.000Z"],
    ["2026-03-02T05:20:30.123Z", "2026-03-02T05:20:30.123Z"],
    ["2026-03-02t05:20:30z", "2026-03-02T05:20:30.000Z"],
    ["2026-03-02T09:20:30.000+04:00", "2026-03-02T05:20:30.000Z"],
    ["2026-03-01T23:50:30-0530", "2026-03-02T05:20:30.000Z"],
    ["2026-03-02T07:20:30+02", "2026-03-02T05:20:30.000Z"],
    ["2026-03-02T05:20Z", "2026-03-02T05:20:00.000Z"],
    ["2026-03-02 05:20:30Z", "2026-03-02T05:20:30.000Z"],
    ["2026-03-02T05:20:30,5Z", "2026-03-02T05:20:30.500Z"],
    ["  2026-03-02T05:20:30Z  ", "2026-03-02T05:20:30.000Z"],
    // PowerShell's (Get-Date).ToUniversalTime().ToString("o") writes seven fraction digits.
    ["2026-03-02T05:20:30.1234567Z", "2026-03-02T05:20:30.123Z"],
    ["2026-03-02T05:20:30.9999999Z", "2026-03-02T05:20:30.999Z"],
    ["2026-03-02T09:20:30.1234567+04:00", "2026-03-02T05:20:30.123Z"],
    ["2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000Z"],
    ["2026-12-31T23:59:59.999Z", "2026-12-31T23:59:59.999Z"],
  ])("reads %s as %s", (text, iso) => {
    expect(parseTimestamp(text)).toEqual({ ms: Date.parse(iso) });
  });

  it.each([
    ["no zone", "2026-03-02T05:20:30"],
    ["no zone with fraction", "2026-03-02T05:20:30.123"],
    ["a date alone", "2026-03-02"],
    ["epoch seconds as text", "1772428830"],
    ["an English date", "Mon, 02 Mar 2026 05:20:30 GMT"],
    ["empty", ""],
    ["a zone name", "2026-03-02T05:20:30 Asia/Dubai"],
  ])("refuses %s", (_label, text) => {
    expect(parseTimestamp(text)).toEqual({ error: expect.stringContaining("ts must be an ISO 8601") });
  });

  it.each([
    ["30 February", "2026-02-30T10:00:00Z"],
    ["29 February outside a leap year", "2026-02-29T10:00:00Z"],
    ["31 April", "2026-04-31T10:00:00Z"],
    ["month 13", "2026-13-01T10:00:00Z"],
    ["month 0", "2026-00-10T10:00:00Z"],
    ["day 0", "2026-03-00T10:00:00Z"],
    ["hour 24", "2026-03-02T24:00:00Z"],
    ["minute 60", "2026-03-02T10:60:00Z"],
    ["second 60", "2026-03-02T10:00:60Z"],
  ])("refuses an impossible date: %s", (_label, text) => {
    expect(parseTimestamp(text)).toEqual({ error: expect.stringContaining("not a real date") });
  });

  it("refuses offsets beyond ±18:00", () => {
    expect(parseTimestamp("2026-03-02T05:20:30+19:00")).toEqual({ error: expect.stringContaining("offset") });
    expect(parseTimestamp("2026-03-02T05:20:30+04:75")).toEqual({ error: expect.stringContaining("offset") });
  });
});

describe("checkEvent", () => {
  it("accepts a well-formed event and keeps the time to the millisecond", () => {
    expect(accepted({ user: "CORP\\alice", state: "working", ts: "2026-03-02T05:20:30.123Z" })).toEqual({
      userKey: "corp\\alice",
      username: "CORP\\alice",
      state: "working",
      ts: Date.parse("2026-03-02T05:20:30.123Z"),
    });
    expect(accepted({ user: "bob", state: "stopped", ts: "2026-03-02T05:20:30Z" }).state).toBe("stopped");
  });

  it("uses the receive time when ts is missing or null", () => {
    expect(accepted({ user: "alice", state: "working" }).ts).toBe(NOW);
    expect(accepted({ user: "alice", state: "working", ts: null }).ts).toBe(NOW);
  });

  it("ignores fields it does not know", () => {
    expect(accepted({ user: "alice", state: "working", host: "PC-1" })).toEqual({
      userKey: "alice",
      username: "alice",
      state: "working",
      ts: NOW,
    });
  });

  describe("user", () => {
    it("is trimmed", () => {
      const event = accepted({ user: "  CORP\\alice \t\n", state: "working" });
      expect(event.username).toBe("CORP\\alice");
      expect(event.userKey).toBe("corp\\alice");
    });

    it("is folded to one key whatever its case, keeping the spelling sent", () => {
      const upper = accepted({ user: "CORP\\ALICE", state: "working" });
      const lower = accepted({ user: "corp\\alice", state: "working" });
      expect(upper.userKey).toBe(lower.userKey);
      expect(upper.username).toBe("CORP\\ALICE");
      expect(lower.username).toBe("corp\\alice");
      expect(accepted({ user: "CORP\\JÜRGEN", state: "working" }).userKey).toBe(
        accepted({ user: "corp\\jürgen", state: "working" }).userKey,
      );
      expect(toUserKey(" CORP\\Alice ")).toBe("corp\\alice");
    });

    it("treats composed and decomposed accents as the same user", () => {
      const composed = accepted({ user: "J\u00fcrgen", state: "working" });
      const decomposed = accepted({ user: "Ju\u0308rgen", state: "working" });
      expect(decomposed.userKey).toBe(composed.userKey);
    });

    it("keeps non-Latin names and emoji exactly", () => {
      for (const name of ["CORP\\Jürgen", "李雷", "Ελένη", "محمد", "user🚀🎉", "👨‍👩‍👧"]) {
        expect(accepted({ user: name, state: "working" }).username).toBe(name);
      }
    });

    it(`allows ${MAX_USERNAME_LENGTH} characters after trimming and no more`, () => {
      const longest = "a".repeat(MAX_USERNAME_LENGTH);
      expect(accepted({ user: `  ${longest}  `, state: "working" }).username).toBe(longest);
      const details = refused({ user: `${longest}b`, state: "working" });
      expect(details).toEqual([{ field: "user", message: expect.stringContaining("at most 256") }]);
    });

    it("counts an emoji as one character, not two", () => {
      const emoji = "😀".repeat(MAX_USERNAME_LENGTH);
      expect(accepted({ user: emoji, state: "working" }).username).toBe(emoji);
      expect(fields(refused({ user: `${emoji}😀`, state: "working" }))).toEqual(["user"]);
    });

    it.each([
      ["missing", {}, "user is required"],
      ["empty", { user: "" }, "must not be empty"],
      ["only spaces", { user: "   \t " }, "must not be empty"],
      ["a number", { user: 42 }, "must be a string"],
      ["null", { user: null }, "must be a string"],
      ["an object", { user: { name: "alice" } }, "must be a string"],
    ])("is refused when %s", (_label, user, message) => {
      expect(refused({ ...user, state: "working" })).toEqual([
        { field: "user", message: expect.stringContaining(message) },
      ]);
    });

    it.each([
      ["NUL", "ali\u0000ce"],
      ["a newline inside", "ali\nce"],
      ["a tab inside", "ali\tce"],
      ["escape", "ali\u001bce"],
      ["DEL", "ali\u007fce"],
      ["a C1 control", "ali\u0085ce"],
      ["a line separator", "ali\u2028ce"],
      ["a paragraph separator", "ali\u2029ce"],
    ])("refuses %s", (_label, user) => {
      expect(refused({ user, state: "working" })).toEqual([
        { field: "user", message: expect.stringContaining("control characters") },
      ]);
    });

    // Look-alikes: each shows as "alice" (or a reordered name) on a supervisor's screen.
    it.each([
      ["a right-to-left override", "\u202ealice", "U+202E"],
      ["a left-to-right embedding", "al\u202aice", "U+202A"],
      ["a pop directional formatting", "alice\u202c", "U+202C"],
      ["a right-to-left isolate", "ali\u2067ce", "U+2067"],
      ["a pop directional isolate", "ali\u2069ce", "U+2069"],
      ["a left-to-right mark", "ali\u200ece", "U+200E"],
      ["a right-to-left mark", "ali\u200fce", "U+200F"],
      ["an Arabic letter mark", "ali\u061cce", "U+061C"],
      ["a zero-width space", "ali\u200bce", "U+200B"],
      ["a zero-width non-joiner", "ali\u200cce", "U+200C"],
      ["a zero-width joiner", "ali\u200dce", "U+200D"],
      ["a word joiner", "ali\u2060ce", "U+2060"],
      ["an invisible separator", "ali\u2063ce", "U+2063"],
      ["a byte order mark inside", "ali\ufeffce", "U+FEFF"],
      ["a Mongolian vowel separator", "ali\u180ece", "U+180E"],
      ["a soft hyphen", "ali\u00adce", "U+00AD"],
    ])("refuses %s, naming it", (_label, user, codePoint) => {
      expect(refused({ user, state: "working" })).toEqual([
        {
          field: "user",
          message: `user must not contain invisible or direction-changing characters (found ${codePoint})`,
        },
      ]);
    });

    it("keeps accepting names in right-to-left scripts and with accents", () => {
      expect(accepted({ user: "CORP\\علي", state: "working" }).username).toBe("CORP\\علي");
      expect(accepted({ user: "CORP\\José", state: "working" }).username).toBe("CORP\\José");
    });

    it.each([
      ["a lone high surrogate", "ali\ud800ce"],
      ["a lone low surrogate", "ali\udc00ce"],
      ["a reversed pair", "\ude00\ud83d"],
    ])("refuses %s", (_label, user) => {
      expect(refused({ user, state: "working" })).toEqual([
        { field: "user", message: expect.stringContaining("valid Unicode") },
      ]);
    });
  });

  describe("state", () => {
    it.each(["Working", "STOPPED", "idle", "", "working ", 1, true, null])("refuses %j", (state) => {
      expect(refused({ user: "alice", state })).toEqual([
        { field: "state", message: 'state must be "working" or "stopped"' },
      ]);
    });

    it("is required", () => {
      expect(refused({ user: "alice" })).toEqual([{ field: "state", message: "state is required" }]);
    });
  });

  describe("ts", () => {
    it("refuses a time without a zone", () => {
      expect(refused({ user: "alice", state: "working", ts: "2026-03-02T05:20:30" })).toEqual([
        { field: "ts", message: expect.stringContaining("Z or an offset") },
      ]);
    });

    it("refuses impossible dates", () => {
      expect(fields(refused({ user: "alice", state: "working", ts: "2026-02-30T10:00:00Z" }))).toEqual(["ts"]);
      expect(fields(refused({ user: "alice", state: "working", ts: "2026-03-02T24:00:00Z" }))).toEqual(["ts"]);
    });

    it("refuses a non-string ts", () => {
      expect(fields(refused({ user: "alice", state: "working", ts: 1772428830000 }))).toEqual(["ts"]);
      expect(fields(refused({ user: "alice", state: "working", ts: { at: "now" } }))).toEqual(["ts"]);
    });

    it("allows up to 5 minutes in the future and refuses more", () => {
      const limit = new Date(NOW + 5 * 60_000).toISOString();
      expect(accepted({ user: "alice", state: "working", ts: limit }).ts).toBe(NOW + 5 * 60_000);
      const beyond = new Date(NOW + 5 * 60_000 + 1).toISOString();
      expect(refused({ user: "alice", state: "working", ts: beyond })).toEqual([
        { field: "ts", message: expect.stringContaining("future") },
      ]);
    });

    it("refuses, with its own code, an event older than the retention window, and only then", () => {
      const day = 86_400_000;
      const event = (ts: number) => ({ user: "alice", state: "working", ts: new Date(ts).toISOString() });
      expect(checkEvent(event(NOW - 30 * day), NOW, 30)).toMatchObject({ ok: true });
      expect(checkEvent(event(NOW - 30 * day - 1), NOW, 30)).toEqual({
        ok: false,
        code: "event_too_old",
        details: [{ field: "ts", message: "ts is older than the 30-day event retention window" }],
      });
      expect(checkEvent(event(NOW - 3000 * day), NOW)).toMatchObject({ ok: true });
      // A malformed event is invalid first, whatever its age.
      expect(checkEvent({ ...event(NOW - 40 * day), state: "dancing" }, NOW, 30)).toMatchObject({
        ok: false,
        code: "invalid_event",
      });
    });

    it("judges the future limit on the UTC instant, not the written clock time", () => {
      // 15:59 in Dubai is 11:59 UTC, a minute before NOW.
      expect(accepted({ user: "alice", state: "working", ts: "2026-03-02T15:59:00+04:00" }).ts).toBe(NOW - 60_000);
    });

    it("refuses times before 2000-01-01 and accepts that instant", () => {
      expect(accepted({ user: "alice", state: "working", ts: "2000-01-01T00:00:00Z" }).ts).toBe(EARLIEST_TS);
      expect(refused({ user: "alice", state: "working", ts: "1999-12-31T23:59:59.999Z" })).toEqual([
        { field: "ts", message: expect.stringContaining("2000-01-01") },
      ]);
      // 2000-01-01T02:00+04:00 is still 1999 in UTC.
      expect(fields(refused({ user: "alice", state: "working", ts: "2000-01-01T02:00:00+04:00" }))).toEqual(["ts"]);
    });
  });

  describe("details", () => {
    it("name every bad field at once", () => {
      const details = refused({ user: "", state: "idle", ts: "yesterday" });
      expect(fields(details).sort()).toEqual(["state", "ts", "user"]);
      for (const detail of details) expect(detail.message).toMatch(new RegExp(`^${detail.field} `));
    });

    it.each([
      ["a number", 42],
      ["a string", "alice working"],
      ["null", null],
      ["an array", [{ user: "alice", state: "working" }]],
    ])("explain that %s is not an event", (_label, input) => {
      expect(refused(input)).toEqual([{ message: expect.stringContaining("JSON object") }]);
    });
  });
});
