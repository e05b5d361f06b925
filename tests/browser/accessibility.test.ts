import AxeBuilder from "@axe-core/playwright";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  findChromium,
  hydrated,
  launchChromium,
  openFresh,
  postAndLoad,
  takePageProblems,
  watchPage,
} from "../helpers/browser";
import { createTestDatabase, type TestDatabase } from "../helpers/databases";
import { fillDemo } from "../helpers/demo";
import { killTree } from "../helpers/processes";
import { startServer, type RunningServer } from "../helpers/server";

const ADMIN = "a11y-admin";
const ADMIN_PASSWORD = "Accessible-Admin-Passw0rd";
const WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
/** The WCAG rules that read colours. */
const COLOUR_RULES = ["color-contrast", "link-in-text-block"];
const WAIT = { timeout: 15_000 };
const THEMES = ["light", "dark"] as const;
const EMPLOYEES = 12;

/**
 * Every page a signed-in admin can open, checked in both themes. `{employee}` stands for one of
 * the demo employees; `status` is the answer a page is meant to give (200 unless said); `press`
 * names a button pressed first, to check what it opens.
 */
const PAGES: { path: string; status?: number; press?: string }[] = [
  { path: "/" },
  { path: "/reports/day" },
  { path: "/reports/week" },
  { path: "/reports/month" },
  { path: "/employees/{employee}" },
  { path: "/status" },
  { path: "/fleet" },
  { path: "/fleet", press: "Add agents" },
  { path: "/admin/accounts" },
  { path: "/admin/teams" },
  { path: "/admin/tokens" },
  { path: "/admin/audit" },
  { path: "/admin/schedules" },
  { path: "/admin/holidays" },
  { path: "/admin/leave" },
  { path: "/no-such-page", status: 404 },
  // The states a page explains itself in: nobody matching, an unknown employee, a bad date.
  { path: "/?q=nobody-matches-this" },
  { path: "/employees/nobody-by-this-name" },
  { path: "/reports/day?date=2026-13-40" },
];

type Theme = (typeof THEMES)[number];

/**
 * The serious and critical WCAG 2.1 A/AA violations axe finds on the page, one line per element;
 * with `colours`, only the rules a theme can change (the rest see the same page in both).
 */
async function seriousViolations(page: Page, { colours = false } = {}): Promise<string[]> {
  // Run in the page itself: the default opens a blank page per check to merge frames, and these pages have none.
  const axe = new AxeBuilder({ page }).setLegacyMode(true);
  const results = await (colours ? axe.withRules(COLOUR_RULES) : axe.withTags(WCAG)).analyze();
  return results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .flatMap((violation) =>
      violation.nodes.map(
        (node) =>
          `${violation.id} (${violation.impact}) at ${node.target.join(" ")}: ${node.failureSummary?.replace(/\s+/g, " ")}`,
      ),
    );
}

const isFocused = (target: Locator) => target.evaluate((element) => element === document.activeElement);
/** What draws focus on an element: its outline and its shadow (where the rings are). */
const focusLook = (target: Locator) =>
  target.evaluate((element) => {
    const style = getComputedStyle(element);
    return `outline: ${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}; box-shadow: ${style.boxShadow}`;
  });

/** Presses Tab (or Shift+Tab) until `target` has focus, as someone without a mouse gets there. */
async function tabTo(page: Page, target: Locator, { backwards = false, max = 60 } = {}) {
  for (let presses = 0; presses < max; presses++) {
    await page.keyboard.press(backwards ? "Shift+Tab" : "Tab");
    if (await isFocused(target)) return;
  }
  throw new Error(`${max} presses of ${backwards ? "Shift+Tab" : "Tab"} did not reach ${target}`);
}

/**
 * Checks that the focused `target` shows its focus: its look differs from the same element once
 * Shift+Tab has moved focus away. Tab brings focus back to it.
 */
async function expectFocusShown(page: Page, target: Locator, name: string) {
  expect(await isFocused(target), name).toBe(true);
  const focused = await focusLook(target);
  await page.keyboard.press("Shift+Tab");
  expect(await isFocused(target), name).toBe(false);
  const unfocused = await focusLook(target);
  await page.keyboard.press("Tab");
  expect(await isFocused(target), name).toBe(true);
  expect(focused, `${name} shows its focus`).not.toBe(unfocused);
}

/** Waits until the page's client-side data has arrived (no table or chart still busy). */
async function settled(page: Page) {
  await page
    .locator("[aria-busy=true]")
    .first()
    .waitFor({ state: "detached", ...WAIT });
}

// Every page in a real browser, in the light and the dark theme, checked by axe-core; then the
// dashboard and an admin form used with the keyboard alone.
describe("accessibility in Chromium, with demo data", () => {
  let database: TestDatabase;
  let server: RunningServer;
  let browser: Browser;
  let employee = "";
  const contexts = new Map<Theme, { context: BrowserContext; page: Page }>();

  beforeAll(async () => {
    findChromium(); // Where there is none, fail at once with what to do rather than skip.
    database = await createTestDatabase("sqlite");
    await fillDemo(database.url, { employees: EMPLOYEES, days: 35 });
    server = await startServer({ DATABASE_URL: database.url, ADMIN_USERNAME: ADMIN, ADMIN_PASSWORD });
    browser = await launchChromium();
    for (const theme of THEMES) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      // No theme cookie: the app follows the system's colour scheme, as a first visit does.
      await page.emulateMedia({ colorScheme: theme });
      watchPage(page);
      contexts.set(theme, { context, page });
    }
  }, 120_000);
  afterEach(() => {
    for (const { page } of contexts.values()) expect(takePageProblems(page)).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    if (server) killTree(server.child.pid!, "SIGKILL");
    await database?.drop();
  });

  const pageOf = (theme: Theme) => contexts.get(theme)!.page;

  async function signIn(page: Page) {
    await page.getByLabel("Username").fill(ADMIN);
    await page.getByLabel("Password").fill(ADMIN_PASSWORD);
    await Promise.all([
      page.waitForURL((url) => url.pathname !== "/sign-in"),
      page.getByRole("button", { name: "Sign in" }).click(),
    ]);
  }

  /** The light page, signed in (the axe tests sign in; run alone, a keyboard test does it). */
  async function signedInPage(path: string): Promise<Page> {
    const page = pageOf("light");
    await openFresh(page, `${server.url}${path}`);
    if (new URL(page.url()).pathname === "/sign-in") {
      await signIn(page);
      await openFresh(page, `${server.url}${path}`);
    }
    await hydrated(page);
    await settled(page);
    return page;
  }

  /** Every page in one theme, from signing in: what axe finds, one line per element. */
  async function violationsIn(theme: Theme): Promise<string[]> {
    const page = pageOf(theme);
    const found: string[] = [];
    const check = async (path: string) => {
      const dark = await page.evaluate(() => matchMedia("(prefers-color-scheme: dark)").matches);
      expect({ dark, chosen: await page.locator("html").getAttribute("class") }, path).toEqual({
        dark: theme === "dark",
        chosen: null,
      });
      found.push(
        ...(await seriousViolations(page, { colours: theme === "dark" })).map((line) => `${path} [${theme}]: ${line}`),
      );
    };

    await openFresh(page, `${server.url}/sign-in`);
    await check("/sign-in");
    // A refused sign-in shows its message: that state too.
    await page.getByLabel("Username").fill(ADMIN);
    await page.getByLabel("Password").fill("not-the-password");
    await Promise.all([
      page.waitForURL((url) => url.searchParams.has("error")),
      page.getByRole("button", { name: "Sign in" }).click(),
    ]);
    await page.getByRole("alert").first().waitFor();
    await check("/sign-in (refused)");
    await signIn(page);

    if (!employee) {
      const users = await page.request.get(`${server.url}/api/users`);
      employee = ((await users.json()) as { data: { username: string }[] }).data[0].username;
    }
    for (const { path, status, press } of PAGES) {
      const url = path.replace("{employee}", encodeURIComponent(employee));
      await openFresh(page, `${server.url}${url}`, { status });
      await settled(page);
      if (press) {
        await hydrated(page);
        const button = page.getByRole("button", { name: press, exact: true });
        await button.click();
        await expect.poll(() => button.getAttribute("aria-expanded"), WAIT).toBe("true");
      }
      await check(press ? `${url} (${press} pressed)` : url);
    }
    return found;
  }

  // Both themes at once, one page each: axe keeps a core busy, and the build machine has two.
  it("finds no serious WCAG 2.1 A/AA violation on any page, in the light and the dark theme", async () => {
    const found = await Promise.all(THEMES.map(violationsIn));
    expect(found.flat()).toEqual([]);
  }, 150_000);

  it("skips the header with the first Tab, to the page's own content", async () => {
    for (const path of ["/", "/admin/teams"]) {
      const page = await signedInPage(path);
      const skip = page.getByRole("link", { name: "Skip to content" });
      await page.keyboard.press("Tab");
      expect(await isFocused(skip), path).toBe(true);
      const box = await skip.boundingBox();
      expect(box && box.width > 20 && box.height > 10, `${path}: the focused skip link is visible`).toBe(true);
      await page.keyboard.press("Enter");
      await expect.poll(() => page.evaluate(() => document.activeElement?.id), WAIT).toBe("main");
      // The next Tab lands inside the content, not back in the header.
      await page.keyboard.press("Tab");
      expect(await page.evaluate(() => document.activeElement?.closest("main") !== null), path).toBe(true);
    }
  });

  it("filters, sorts and pages Today's table with the keyboard alone, showing focus", async () => {
    const page = await signedInPage("/?size=10");
    const rows = page.locator("tr[data-username]");
    const names = () => rows.evaluateAll((all) => all.map((row) => row.getAttribute("data-username") ?? ""));
    const range = page.getByTestId("page-range");
    expect(await range.innerText()).toBe(`1–10 of ${EMPLOYEES}`);
    const everyone = await names();

    // The name filter: typed, then emptied.
    const search = page.getByRole("searchbox", { name: "Filter by name" });
    await tabTo(page, search);
    await expectFocusShown(page, search, "the name filter");
    const wanted = everyone[0];
    await page.keyboard.type(wanted);
    await page.keyboard.press("Enter");
    await expect.poll(names, WAIT).toEqual([wanted]);
    await page.keyboard.press("ControlOrMeta+A");
    await page.keyboard.press("Backspace");
    await page.keyboard.press("Enter");
    await expect.poll(names, WAIT).toEqual(everyone);

    // The team filter: an arrow key picks the first team; Clear filters undoes it.
    const team = page.getByRole("combobox", { name: "Team" });
    await tabTo(page, team);
    await expectFocusShown(page, team, "the team filter");
    await page.keyboard.press("ArrowDown");
    await expect.poll(() => team.inputValue(), WAIT).not.toBe("");
    const chosen = await team.inputValue();
    await expect.poll(() => new URL(page.url()).searchParams.get("team"), WAIT).toBe(chosen);
    const matched = page.locator("[role=search] p[aria-live]");
    await expect.poll(() => matched.innerText(), WAIT).toMatch(new RegExp(`^\\d+ of ${EMPLOYEES} employees$`));
    const clear = page.getByRole("button", { name: "Clear filters" });
    await tabTo(page, clear);
    await expectFocusShown(page, clear, "Clear filters");
    await page.keyboard.press("Enter");
    await expect.poll(names, WAIT).toEqual(everyone);

    // A sort header: Enter orders by it, again reverses.
    const worked = page.getByRole("button", { name: "Time worked", exact: true });
    const header = page.locator("th", { has: worked });
    await tabTo(page, worked);
    await expectFocusShown(page, worked, "the Time worked header");
    await page.keyboard.press("Enter");
    await expect.poll(() => header.getAttribute("aria-sort"), WAIT).toBe("descending");
    await page.keyboard.press("Enter");
    await expect.poll(() => header.getAttribute("aria-sort"), WAIT).toBe("ascending");

    // The pages: Enter on Next page, then Space on Previous page.
    const next = page.getByRole("button", { name: "Next page" });
    await tabTo(page, next);
    await expectFocusShown(page, next, "Next page");
    await page.keyboard.press("Enter");
    await expect.poll(() => range.innerText(), WAIT).toBe(`11–${EMPLOYEES} of ${EMPLOYEES}`);
    const previous = page.getByRole("button", { name: "Previous page" });
    await tabTo(page, previous, { backwards: true });
    await page.keyboard.press("Space");
    await expect.poll(() => range.innerText(), WAIT).toBe(`1–10 of ${EMPLOYEES}`);
    const size = page.getByRole("combobox", { name: "Rows per page" });
    await tabTo(page, size);
    await expectFocusShown(page, size, "Rows per page");
  }, 60_000);

  it("moves between periods with the keyboard: the arrows, Today and the date picker", async () => {
    const page = await signedInPage("/reports/week");
    const dateOf = () => new URL(page.url()).searchParams.get("date");
    const nav = page.getByRole("navigation", { name: "Period" });
    const title = () => nav.locator("p").innerText();
    const thisWeek = await title();

    const previous = nav.getByRole("link", { name: "Previous week" });
    await tabTo(page, previous);
    await expectFocusShown(page, previous, "Previous week");
    await page.keyboard.press("Enter");
    await expect.poll(title, WAIT).not.toBe(thisWeek);
    await hydrated(page);

    const today = nav.getByRole("link", { name: "Today" });
    await tabTo(page, today);
    await expectFocusShown(page, today, "Today");
    await page.keyboard.press("Enter");
    await expect.poll(title, WAIT).toBe(thisWeek);
    await hydrated(page);

    // The picker: arrow keys step the date it shows, Enter goes there.
    const picker = nav.getByLabel("Go to date");
    await tabTo(page, picker);
    await expectFocusShown(page, picker, "the date picker");
    const shown = await picker.inputValue();
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    const chosen = await picker.inputValue();
    expect(chosen).not.toBe(shown);
    expect(await title()).toBe(thisWeek);
    await page.keyboard.press("Enter");
    await expect.poll(dateOf, WAIT).toBe(chosen);
    await expect.poll(title, WAIT).not.toBe(thisWeek);
    expect(await picker.inputValue()).toBe(chosen);
    await hydrated(page);

    const next = nav.getByRole("link", { name: "Next week" });
    await tabTo(page, next);
    await expectFocusShown(page, next, "Next week");
  }, 60_000);

  it("creates a team from the keyboard alone", async () => {
    const page = await signedInPage("/admin/teams");
    const form = page.getByRole("form", { name: "New team" });
    const name = form.getByLabel("Team name");
    await tabTo(page, name);
    await expectFocusShown(page, name, "the team name");
    await page.keyboard.type("Keyboard team");
    const create = form.getByRole("button", { name: "Create team" });
    await page.keyboard.press("Tab");
    await expectFocusShown(page, create, "Create team");
    await postAndLoad(page, () => page.keyboard.press("Enter"));
    expect(await page.locator("main [role=status]").innerText()).toContain("Created team Keyboard team");
    expect(await seriousViolations(page)).toEqual([]);
    const members = page.getByRole("textbox", { name: /^Members of Keyboard team/ });
    await tabTo(page, members);
    await expectFocusShown(page, members, "the new team's members");
  });
});
