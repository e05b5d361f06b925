import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadSecretKey } from "@/lib/auth/secret-key";

describe("the session signing key", () => {
  const dirs: string[] = [];
  const tempRoot = () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "wt-key-"));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it("is SECRET_KEY when it is set, and then writes nothing", () => {
    const root = tempRoot();
    expect(loadSecretKey(root, "a-configured-secret-key")).toBe("a-configured-secret-key");
    expect(() => statSync(path.join(root, "instance"))).toThrow();
  });

  it("is generated once, kept in instance/secret_key for the owner only, and reused", () => {
    const root = tempRoot();
    const first = loadSecretKey(root);
    expect(first.length).toBeGreaterThanOrEqual(40);
    const file = path.join(root, "instance", "secret_key");
    expect(readFileSync(file, "utf8").trim()).toBe(first);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadSecretKey(root)).toBe(first);
    expect(loadSecretKey(tempRoot())).not.toBe(first);
  });
});
