import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  findChromium,
  launchChromium,
  openFresh,
  postAndLoad,
  screenshots,
  explainFailure,
  takePageProblems,
  watchPage,
} from "../helpers/browser";
import { createTestDatabase, type TestDatabase } from "../helpers/databases";
import { killTree } from "../helpers/processes";
import { startServer, type RunningServer } from "../helpers/server";

const ADMIN = "browser-admin";
const ADMIN_PASSWORD = "Browser-Admin-Passw0rd-1";
const SUPERVISOR = "sup-browser";
const SUPERVISOR_PASSWORD = "Supervisor-Passw0rd-22";

// The admin pages in a real browser against the built server (SQLite), as an admin uses them.
describe("the admin pages in Chromium", () => {
  let database: TestDatabase;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  const shots = screenshots("admin");

  beforeAll(async () => {
    findChromium(); // Where there is none, fail at once with what to do rather than skip.
    database = await createTestDatabase("sqlite");
    server = await startServer({ DATABASE_URL: database.url, ADMIN_USERNAME: ADMIN, ADMIN_PASSWORD });
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(10_000);
    watchPage(page);
  });
  // Whatever a test did, the page logged no error and broke no rule of its CSP.
  afterEach(async (context) => {
    await explainFailure(context, page, server?.output);
    if (page) expect(takePageProblems(page)).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    if (server) killTree(server.child.pid!, "SIGKILL");
    await database?.drop();
    shots.print("Admin page screenshots");
  });

  const shoot = (name: string) => shots.take(page, name);
  // Next adds a route announcer with role="alert": look inside <main> only.
  const status = () => page.locator("main [role=status]");
  const alert = () => page.locator("main [role=alert]");
  /** Clicks a form's button and waits for the page the post redirects to (often the same URL). */
  const submit = async (button: ReturnType<Page["locator"]>) => {
    await postAndLoad(page, () => button.click());
  };

  it("signs in from an admin page and comes back to it", async () => {
    await openFresh(page, `${server.url}/admin`);
    expect(new URL(page.url()).pathname).toBe("/sign-in");
    await page.getByLabel("Username").fill(ADMIN);
    await page.getByLabel("Password").fill(ADMIN_PASSWORD);
    await submit(page.getByRole("button", { name: "Sign in" }));
    await expect.poll(() => page.getByRole("heading", { name: "Accounts", level: 1 }).isVisible()).toBe(true);
    expect(await page.getByRole("navigation", { name: "Admin" }).getByRole("link").allInnerTexts()).toEqual([
      "Accounts",
      "Teams",
      "Tokens",
      "Schedules",
      "Holidays",
      "Leave",
      "Audit log",
    ]);
    await openFresh(page, `${server.url}/`);
    await page.getByRole("link", { name: "Admin" }).click();
    await page.waitForURL("**/admin/accounts");
  });

  it("creates a supervisor, and says why a short password is refused", async () => {
    const form = page.getByRole("form", { name: "New account" });
    await form.getByLabel("Username").fill("too-short");
    await form.getByLabel("Role").selectOption("viewer");
    // The browser's own minlength check would stop the post: lift it to see the server's answer.
    await form.getByLabel(/^Password/).evaluate((input: HTMLInputElement) => input.removeAttribute("minlength"));
    await form.getByLabel(/^Password/).fill("short");
    await submit(form.getByRole("button", { name: "Create account" }));
    expect(await alert().innerText()).toMatch(/at least 12 characters/);

    await form.getByLabel("Username").fill(SUPERVISOR);
    await form.getByLabel("Role").selectOption("supervisor");
    await form.getByLabel(/^Password/).fill(SUPERVISOR_PASSWORD);
    await submit(form.getByRole("button", { name: "Create account" }));
    // No choice made: a supervisor starts seeing nobody, and both the notice and the list say so.
    expect(await status().innerText()).toContain(
      `Created ${SUPERVISOR} (supervisor). No teams: they see nobody until given teams or all employees.`,
    );
    const row = page.getByRole("row", { name: new RegExp(SUPERVISOR) });
    expect(await row.innerText()).toMatch(/supervisor[\s\S]*no teams: sees nobody[\s\S]*active/);
    await shoot("accounts");
  });

  it("creates a team with members and limits the supervisor to it", async () => {
    await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Teams" }).click();
    await page.waitForURL("**/admin/teams");
    expect(await page.getByText("No teams yet.").isVisible()).toBe(true);
    await page.getByRole("form", { name: "New team" }).getByLabel("Team name").fill("Floor 2");
    await submit(page.getByRole("button", { name: "Create team" }));
    expect(await status().innerText()).toContain("Created team Floor 2");

    await page.getByRole("textbox", { name: /^Members of Floor 2/ }).fill("CORP\\Alice\nbob\n");
    await submit(page.getByRole("button", { name: "Save members" }));
    expect(await status().innerText()).toContain("Floor 2 has 2 members");
    expect(await page.getByRole("textbox", { name: /^Members of Floor 2/ }).inputValue()).toBe("bob\ncorp\\alice");

    const limits = page.getByRole("form", { name: `Teams of ${SUPERVISOR}` });
    await limits.getByLabel("Floor 2").check();
    await submit(limits.getByRole("button", { name: `Save teams of ${SUPERVISOR}` }));
    expect(await status().innerText()).toContain(`${SUPERVISOR} now sees only the chosen teams`);
    expect(
      await page
        .getByRole("form", { name: `Teams of ${SUPERVISOR}` })
        .getByLabel("Floor 2")
        .isChecked(),
    ).toBe(true);
    await shoot("teams");

    await openFresh(page, `${server.url}/admin/accounts`);
    expect(await page.getByRole("row", { name: new RegExp(SUPERVISOR) }).innerText()).toContain("Floor 2");
  });

  let token = "";

  it("creates an ingest token shown once, which an agent can use, then revokes it", async () => {
    await openFresh(page, `${server.url}/admin/tokens`);
    expect(await page.getByText("No tokens yet.").isVisible()).toBe(true);
    const form = page.getByRole("form", { name: "New token" });
    await form.getByLabel(/^Name/).fill("fleet-browser");
    await form.getByLabel("Scope").selectOption("ingest");
    await submit(form.getByRole("button", { name: "Create token" }));
    expect(await status().innerText()).toMatch(/shown only this once/);
    token = await page.locator("#new-token").inputValue();
    expect(token).toMatch(/^wt_ingest_[A-Za-z0-9_-]{43}$/);
    await shoot("tokens-created");

    const report = () =>
      fetch(`${server.url}/api/report`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ user: "bob", state: "working" }),
      });
    expect((await report()).status).toBe(201);

    await page.reload();
    expect(await page.locator("#new-token").count()).toBe(0);
    expect(await page.content()).not.toContain(token);
    const row = page.getByRole("row", { name: /fleet-browser/ });
    expect(await row.innerText()).toMatch(/ingest[\s\S]*wt_ingest_[\s\S]*127\.0\.0\.1/);

    // Revoking asks first: Cancel (or Escape) leaves the token working.
    await page.getByRole("button", { name: "Revoke fleet-browser" }).click();
    const question = page.getByRole("group", { name: /^Revoke fleet-browser\?/ });
    await question.getByRole("button", { name: "Cancel" }).click();
    expect(await question.count()).toBe(0);
    await page.getByRole("button", { name: "Revoke fleet-browser" }).click();
    await page.keyboard.press("Escape");
    expect(await question.count()).toBe(0);
    expect((await report()).status).toBe(201);
    await page.getByRole("button", { name: "Revoke fleet-browser" }).click();
    await submit(question.getByRole("button", { name: "Yes, revoke" }));
    expect(await status().innerText()).toContain("Revoked fleet-browser");
    expect(await page.getByRole("row", { name: /fleet-browser/ }).innerText()).toMatch(/revoked/);
    expect((await report()).status).toBe(401);
    await shoot("tokens");
  });

  it("lists the admin's actions in the audit log, newest first, with the address", async () => {
    await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Audit log" }).click();
    await page.waitForURL("**/admin/audit");
    const rows = await page.getByRole("row").allInnerTexts();
    const actions = rows.slice(1).map((row) => /(account|team|token)\.[a-z]+/.exec(row)?.[0]);
    expect(actions.slice(0, 5)).toEqual([
      "token.revoke",
      "token.create",
      "account.teams",
      "team.members",
      "team.create",
    ]);
    expect(actions).toContain("account.create");
    expect(rows[1]).toContain(ADMIN);
    expect(rows[1]).toContain("127.0.0.1");
    expect(rows[0]).toMatch(/When \(Asia\/Dubai\)/i);
    expect(await page.content()).not.toContain(token);
    await shoot("audit");
  });

  it("opens every admin page by a fresh load of its address, without a console error", async () => {
    const pages = [
      ["/admin", "Accounts"],
      ["/admin/accounts", "Accounts"],
      ["/admin/teams", "Teams"],
      ["/admin/tokens", "API tokens"],
      ["/admin/audit", "Audit log"],
    ] as const;
    for (const [path, heading] of pages) {
      await openFresh(page, `${server.url}${path}`);
      expect(await page.getByRole("heading", { level: 1 }).innerText(), path).toBe(heading);
    }
  });

  it("lists, before revoking a token, the devices that will fall silent", async () => {
    await openFresh(page, `${server.url}/admin/tokens`);
    const form = page.getByRole("form", { name: "New token" });
    await form.getByLabel(/^Name/).fill("floor-3");
    await form.getByLabel("Scope").selectOption("ingest");
    await submit(form.getByRole("button", { name: "Create token" }));
    const floorToken = await page.locator("#new-token").inputValue();
    const send = (events: object[]) =>
      fetch(`${server.url}/api/report`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${floorToken}` },
        body: JSON.stringify({ events }),
      });
    const ts = new Date(Date.now() - 60_000).toISOString();
    const sent = await send([
      { user: "carol", state: "working", ts, device: "PC-ALPHA", agent: "2.4.0" },
      { user: "dave", state: "working", ts, device: "pc-alpha", agent: "2.4.0" },
      { user: "erin", state: "working", ts },
    ]);
    expect(sent.status).toBe(201);

    await openFresh(page, `${server.url}/admin/tokens`);
    const row = page.getByRole("row", { name: /floor-3/ });
    expect(await row.locator("td[data-col=devices]").innerText()).toBe("2");
    await page.getByRole("button", { name: "Revoke floor-3" }).click();
    const question = page.getByRole("group", { name: /^Revoke floor-3\?/ });
    const silenced = question.getByRole("list", { name: "Devices that fall silent" });
    expect(await silenced.getByRole("listitem").allInnerTexts()).toEqual([
      "PC-ALPHA (carol, dave)",
      "unnamed device (erin)",
    ]);
    expect(await question.innerText()).toMatch(/These 2 devices fall silent/);
    await shoot("tokens-revoke-devices");
    await submit(question.getByRole("button", { name: "Yes, revoke" }));
    expect(await status().innerText()).toContain("Revoked floor-3");
    expect((await send([{ user: "carol", state: "stopped", device: "PC-ALPHA" }])).status).toBe(401);
  });

  it("warns before deleting a supervisor's last team, and says after that they see nobody", async () => {
    await page.goto(`${server.url}/admin/teams`);
    await page.getByRole("button", { name: "Delete team Floor 2" }).click();
    const question = page.getByRole("group", { name: /^Delete Floor 2\?/ });
    expect(await question.innerText()).toContain(`${SUPERVISOR} will have no teams left and see nobody.`);
    await submit(question.getByRole("button", { name: "Yes, delete" }));
    expect(await status().innerText()).toContain(
      `Deleted team Floor 2. ${SUPERVISOR} now has no teams and sees nobody.`,
    );
    expect(await page.getByRole("form", { name: `Teams of ${SUPERVISOR}` }).innerText()).toContain(
      "now: no teams: sees nobody",
    );
    await page.goto(`${server.url}/admin/accounts`);
    expect(await page.getByRole("row", { name: new RegExp(SUPERVISOR) }).innerText()).toContain(
      "no teams: sees nobody",
    );
    await page.goto(`${server.url}/admin/audit`);
    const rows = await page.getByRole("row").allInnerTexts();
    expect(rows[1]).toMatch(new RegExp(`account\\.teams[\\s\\S]*${SUPERVISOR}`));
    expect(rows[2]).toMatch(/team\.delete[\s\S]*Floor 2/);
  });

  it("keeps a supervisor out of the admin pages", async () => {
    const context = await browser.newContext();
    const other = watchPage(await context.newPage());
    await openFresh(other, `${server.url}/sign-in?next=%2Fadmin%2Ftokens`);
    await other.getByLabel("Username").fill(SUPERVISOR);
    await other.getByLabel("Password").fill(SUPERVISOR_PASSWORD);
    await other.getByRole("button", { name: "Sign in" }).click();
    await other.waitForURL((url) => url.pathname === "/");
    expect(await other.getByRole("link", { name: "Admin" }).count()).toBe(0);
    await openFresh(other, `${server.url}/admin/accounts`);
    expect(new URL(other.url()).pathname).toBe("/");
    expect(takePageProblems(other)).toEqual([]);
    await context.close();
  });
});
