import { describe, expect, it } from "vitest";
import { checkInitialAdminUsername } from "@/lib/auth/accounts";
import { employeeUsernameSchema, usernameSchema } from "@/lib/auth/schemas";
import { ConfigError } from "@/lib/config";
import { explainNameCharacters } from "@/lib/users";

// One rule for every name a person reads on a page: the agent's user (and, with issue 12, its
// device), an employee added to a team by hand, an account's username.
describe("the character rules names share", () => {
  it("names the field and the code point", () => {
    expect(explainNameCharacters("device", "PC\u200b01")).toBe(
      "device must not contain invisible or direction-changing characters (found U+200B)",
    );
    expect(explainNameCharacters("device", "PC\u000701")).toBe(
      "device must not contain control characters (found U+0007)",
    );
    expect(explainNameCharacters("device", "PC-01")).toBeNull();
    // A joiner between emoji draws one picture; next to a letter it hides.
    expect(explainNameCharacters("user", "\u{1F468}\u200d\u{1F469}\u200d\u{1F467}")).toBeNull();
    expect(explainNameCharacters("user", "a\u200d\u{1F469}")).toMatch(/found U\+200D/);
  });

  it.each([
    ["a team member", employeeUsernameSchema],
    ["an account", usernameSchema],
  ])("refuses a look-alike name for %s", (_label, schema) => {
    const result = schema.safeParse("adm\u202eni");
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.message)).toEqual([
      "username must not contain invisible or direction-changing characters (found U+202E)",
    ]);
    expect(schema.safeParse("CORP\\alice").success).toBe(true);
  });

  it.each([
    ["a direction override", "adm\u202eni"],
    ["a zero-width joiner beside a letter", "ad\u200dmin"],
    ["a control character", "ad\u007fmin"],
    ["65 characters", "a".repeat(65)],
    ["text that is not valid Unicode", "admin\ud800"],
    ["40 emoji, 80 UTF-16 units", "\u{1F600}".repeat(40)],
    ["a family emoji", "\u{1F468}\u200d\u{1F469}\u200d\u{1F467}"],
    ["64 characters", "a".repeat(64)],
    ["a domain account", "CORP\\alice"],
  ])("judges an ADMIN_USERNAME with %s as any account's username, naming ADMIN_USERNAME", (_what, name) => {
    const asAccount = usernameSchema.safeParse(name);
    let refusal: unknown = null;
    try {
      checkInitialAdminUsername(name);
    } catch (error) {
      refusal = error;
    }
    if (asAccount.success) expect(refusal).toBeNull();
    else {
      expect(refusal).toBeInstanceOf(ConfigError);
      const rule = asAccount.error.issues[0].message.replace(/^username /, "");
      const { message } = refusal as ConfigError;
      expect(message.startsWith(`Invalid configuration: ADMIN_USERNAME ${rule} (got "`), message).toBe(true);
    }
  });
});
