import { describe, expect, it } from "vitest";
import { openFlash, sealFlash } from "@/app/admin/_lib/flash";

const SECRET = "a-test-secret-key-0123456789";
const COOKIE = "session-secret.session-mac";
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// An admin form's outcome travels sealed in a cookie; only the spelling the server wrote opens.
describe("the admin flash seal", () => {
  it("opens what it sealed, for that session only", () => {
    const sealed = sealFlash(COOKIE, { kind: "notice", page: "/admin/tokens", message: "Created" }, SECRET);
    expect(openFlash(COOKIE, sealed, SECRET)).toMatchObject({ page: "/admin/tokens", message: "Created" });
    expect(openFlash("another.session", sealed, SECRET)).toBeNull();
  });

  it("refuses a seal whose tag is spelled with different unused bits", () => {
    const sealed = sealFlash(COOKIE, { kind: "notice", page: "/admin/tokens", message: "Created" }, SECRET);
    const [iv, tag, body] = sealed.split(".");
    // A 16-byte tag is 22 characters; the last one's four low bits carry nothing.
    const twin = `${tag.slice(0, -1)}${ALPHABET[ALPHABET.indexOf(tag.at(-1)!) ^ 1]}`;
    expect(Buffer.from(twin, "base64url")).toEqual(Buffer.from(tag, "base64url"));
    expect(openFlash(COOKIE, [iv, twin, body].join("."), SECRET)).toBeNull();
    expect(openFlash(COOKIE, `${sealed}.extra`, SECRET)).toBeNull();
  });
});
