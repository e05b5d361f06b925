import { describe, expect, it } from "vitest";
import { AppError } from "@/lib/errors";
import { hashPassword, needsRehash, SCRYPT_PARAMS, verifyPassword } from "@/lib/auth/passwords";

const PASSWORD = "correct horse battery staple";

describe("password hashing", () => {
  it("writes a self-describing scrypt hash that holds no trace of the password", async () => {
    const hash = await hashPassword(PASSWORD);
    const [scheme, N, r, p, salt, key] = hash.split("$");
    expect(scheme).toBe("scrypt");
    expect(Number(N)).toBeGreaterThanOrEqual(2 ** 15);
    expect([Number(N), Number(r), Number(p)]).toEqual([SCRYPT_PARAMS.N, SCRYPT_PARAMS.r, SCRYPT_PARAMS.p]);
    expect(Buffer.from(salt, "base64url")).toHaveLength(16);
    expect(Buffer.from(key, "base64url")).toHaveLength(32);
    expect(hash).not.toContain(PASSWORD);
    expect(needsRehash(hash)).toBe(false);
  });

  it("verifies the right password and rejects a wrong one", async () => {
    const hash = await hashPassword(PASSWORD);
    expect(await verifyPassword(PASSWORD, hash)).toBe(true);
    expect(await verifyPassword(`${PASSWORD}!`, hash)).toBe(false);
    expect(await verifyPassword(PASSWORD.toUpperCase(), hash)).toBe(false);
    expect(await verifyPassword("", hash)).toBe(false);
  });

  it("salts every hash differently", async () => {
    const [a, b] = await Promise.all([hashPassword(PASSWORD), hashPassword(PASSWORD)]);
    expect(a).not.toBe(b);
    expect(a.split("$")[4]).not.toBe(b.split("$")[4]);
    expect(await verifyPassword(PASSWORD, b)).toBe(true);
  });

  it("refuses a password shorter than 12 characters with a clear 400", async () => {
    const error = await hashPassword("elevenchars").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).status).toBe(400);
    expect((error as AppError).message).toBe("password must be at least 12 characters");
    // Characters, not UTF-16 units: 12 emoji are 12 characters.
    await expect(hashPassword("🔒".repeat(11))).rejects.toThrow(/at least 12/);
    expect(await verifyPassword("🔒".repeat(12), await hashPassword("🔒".repeat(12)))).toBe(true);
  });

  it("treats the same text in another Unicode form as the same password", async () => {
    const hash = await hashPassword("Cafe\u0301 au lait 2026");
    expect(await verifyPassword("Caf\u00e9 au lait 2026", hash)).toBe(true);
  });

  it("spends a full hash even with no stored hash, and answers false", async () => {
    const hash = await hashPassword(PASSWORD);
    // The work done, as the process's CPU time (scrypt runs on libuv's threads, which it
    // counts): unlike the clock, it does not grow when other processes share the machine.
    const work = async (stored: string | null) => {
      const before = process.cpuUsage();
      await verifyPassword(PASSWORD, stored);
      const used = process.cpuUsage(before);
      return used.user + used.system;
    };
    const known = await work(hash);
    const unknown = await work(null);
    expect(await verifyPassword(PASSWORD, null)).toBe(false);
    expect(unknown).toBeGreaterThan(known * 0.4);
  });

  it("rejects malformed or dangerous stored hashes instead of throwing", async () => {
    const hash = await hashPassword(PASSWORD);
    const [, , r, p, salt, key] = hash.split("$");
    for (const stored of [
      "",
      "plain",
      `bcrypt$x`,
      `scrypt$1000$${r}$${p}$${salt}$${key}`,
      `scrypt$${2 ** 24}$${r}$${p}$${salt}$${key}`,
    ]) {
      expect(await verifyPassword(PASSWORD, stored)).toBe(false);
    }
    expect(needsRehash(`scrypt$${2 ** 14}$8$1$${salt}$${key}`)).toBe(true);
  });
});
