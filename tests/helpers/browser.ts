import { existsSync, mkdirSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser, type Page, type Response } from "playwright-core";
import { ROOT } from "./server";

const NOT_FOUND =
  "No Chromium or Chrome found: install one (Debian: apt-get install chromium; anywhere: npx playwright-core install chromium) or set CHROME_PATH to its executable";

/** Playwright's browser folder: PLAYWRIGHT_BROWSERS_PATH ("0": inside playwright-core), else its per-user cache. */
function playwrightBrowsers(): string {
  const set = process.env.PLAYWRIGHT_BROWSERS_PATH;
  if (set === "0") return path.join(ROOT, "node_modules", "playwright-core", ".local-browsers");
  if (set) return set;
  if (process.platform === "darwin") return path.join(os.homedir(), "Library", "Caches", "ms-playwright");
  if (process.platform === "win32")
    return path.join(process.env.LOCALAPPDATA || path.join(os.homedir(), "AppData", "Local"), "ms-playwright");
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "ms-playwright");
}

const TESTING_APP = "Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing";
/** Inside Playwright's chromium-<revision> folders (current layouts, then older ones). */
const PLAYWRIGHT_CHROME = [
  "chrome-linux64/chrome",
  "chrome-linux-arm64/chrome",
  `chrome-mac-arm64/${TESTING_APP}`,
  `chrome-mac-x64/${TESTING_APP}`,
  "chrome-win64/chrome.exe",
  "chrome-linux/chrome",
  "chrome-mac/Chromium.app/Contents/MacOS/Chromium",
  "chrome-win/chrome.exe",
];
/** Inside Playwright's chromium_headless_shell-<revision> folders. */
const PLAYWRIGHT_SHELL = [
  "chrome-headless-shell-linux64/chrome-headless-shell",
  "chrome-headless-shell-linux-arm64/chrome-headless-shell",
  "chrome-headless-shell-mac-arm64/chrome-headless-shell",
  "chrome-headless-shell-mac-x64/chrome-headless-shell",
  "chrome-headless-shell-win64/chrome-headless-shell.exe",
  "chrome-linux/headless_shell",
];

/** Executables of Playwright's Chromium and then its headless shell, newest revision first. */
function playwrightCandidates(): string[] {
  const root = playwrightBrowsers();
  if (!existsSync(root)) return [];
  const folders = readdirSync(root);
  const newestFirst = (prefix: string, files: string[]) =>
    folders
      .filter((name) => name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length)))
      .sort((a, b) => Number(b.slice(prefix.length)) - Number(a.slice(prefix.length)))
      .flatMap((name) => files.map((file) => path.join(root, name, file)));
  return [...newestFirst("chromium-", PLAYWRIGHT_CHROME), ...newestFirst("chromium_headless_shell-", PLAYWRIGHT_SHELL)];
}

const SYSTEM = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
  "/Applications/Chromium.app/Contents/MacOS/Chromium",
  ...[process.env.PROGRAMFILES, process.env["PROGRAMFILES(X86)"], process.env.LOCALAPPDATA].flatMap((dir) =>
    dir ? [path.join(dir, "Google", "Chrome", "Application", "chrome.exe")] : [],
  ),
];

/**
 * The Chromium or Chrome the browser tests run, the first of: CHROME_PATH when set (it must
 * exist); Playwright's (under PLAYWRIGHT_BROWSERS_PATH or its cache, e.g.
 * ~/.cache/ms-playwright/chromium-<revision>/chrome-linux64/chrome, then its headless shell);
 * the system's (/usr/bin/chromium, chromium-browser, google-chrome, google-chrome-stable, the
 * macOS and Windows Chrome). With none it throws one line saying what to do, so the browser
 * tests fail rather than skip.
 */
export function findChromium(): string {
  const wanted = process.env.CHROME_PATH;
  if (wanted) {
    if (!existsSync(wanted))
      throw new Error(
        `CHROME_PATH is ${wanted}, which does not exist: set it to a Chromium or Chrome executable, or unset it`,
      );
    return wanted;
  }
  const found = [...playwrightCandidates(), ...SYSTEM].find((file) => existsSync(file));
  if (!found) throw new Error(NOT_FOUND);
  return found;
}

/** Headless Chromium (findChromium's) as the browser tests run it (no sandbox, GPU or background traffic). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: findChromium(),
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/** Where browser tests save their screenshots; they print the files' paths so the CI log says where they are. */
export const SCREENSHOTS = path.join(ROOT, "test-results", "screenshots");

/**
 * Full-page screenshots named `<prefix>-<name>.png` under SCREENSHOTS; `print` lists the files
 * taken (call it in afterAll).
 */
export function screenshots(prefix: string) {
  const taken: string[] = [];
  return {
    taken,
    async take(page: Page, name: string): Promise<string> {
      mkdirSync(SCREENSHOTS, { recursive: true });
      const file = path.join(SCREENSHOTS, `${prefix}-${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      taken.push(file);
      return file;
    },
    print(title: string): void {
      if (taken.length) console.log(`${title}:\n${taken.map((file) => `  ${file}`).join("\n")}`);
    },
  };
}

const problems = new WeakMap<Page, string[]>();

/**
 * Starts recording a page's console errors and uncaught exceptions (once per page). A
 * Content-Security-Policy violation, such as a blocked inline style, is a console error: a
 * page that logs one may look right after a client-side navigation and broken on a fresh load.
 */
export function watchPage(page: Page): Page {
  if (problems.has(page)) return page;
  const seen: string[] = [];
  problems.set(page, seen);
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const where = message.location().url;
    seen.push(`${page.url()}: console error: ${message.text()}${where ? ` (at ${where})` : ""}`);
  });
  page.on("pageerror", (error) => seen.push(`${page.url()}: uncaught ${error.name}: ${error.message}`));
  return page;
}

/** The console errors and uncaught exceptions a watched page had since the last call, then forgets them. */
export function takePageProblems(page: Page): string[] {
  const seen = problems.get(page);
  if (!seen) throw new Error("takePageProblems: call watchPage(page) first");
  return seen.splice(0);
}

/**
 * Opens a URL as a shared link is opened: a fresh load (page.goto), so the browser renders the
 * server's HTML under the page's own Content-Security-Policy rather than a client-side
 * navigation's. Waits until the page is loaded and its network is quiet, then throws if the
 * final answer's status is not `status` or if the page logged any console error or uncaught
 * exception. The one message let through is the browser's own report of the expected status
 * for this very document ("Failed to load resource: … 404"), when a non-2xx status is expected.
 */
export async function openFresh(
  page: Page,
  url: string,
  { status = 200 }: { status?: number } = {},
): Promise<Response> {
  watchPage(page);
  takePageProblems(page);
  const response = await page.goto(url, { waitUntil: "load" });
  if (!response) throw new Error(`openFresh(${url}): no response (a same-document navigation is not a fresh load)`);
  await page.waitForLoadState("networkidle");
  const documentUrl = response.url();
  const found = takePageProblems(page).filter(
    (problem) =>
      !(
        status >= 400 &&
        problem.includes(`Failed to load resource: the server responded with a status of ${status}`) &&
        problem.endsWith(`(at ${documentUrl})`)
      ),
  );
  if (response.status() !== status) found.unshift(`${url} answered ${response.status()}, expected ${status}`);
  if (found.length) throw new Error(`A fresh load of ${url} went wrong:\n${found.join("\n")}`);
  return response;
}

/** Waits until React has hydrated the page, so what a user types or presses reaches it. */
export const hydrated = (page: Page) =>
  page.waitForFunction(() => {
    const heading = document.querySelector("main h1");
    return heading !== null && Object.keys(heading).some((key) => key.startsWith("__reactFiber"));
  });

/**
 * After a failed test, prints what the page showed and what the server last logged: a
 * notice that never came is told apart from an error shown instead or a server that failed.
 */
export async function explainFailure(
  context: { task: { result?: { state?: string } } },
  page: Page | undefined,
  serverOutput?: () => string,
): Promise<void> {
  if (context.task.result?.state !== "fail" || !page) return;
  const main = await page
    .locator("main")
    .first()
    .innerText({ timeout: 2_000 })
    .catch((error: Error) => `(no main: ${error.message.split("\n")[0]})`);
  console.log(
    `After the failure, ${page.url()} showed:\n${main.slice(0, 2_000)}\n` +
      (serverOutput ? `The server's last output:\n${serverOutput().slice(-4_000)}` : ""),
  );
}

/**
 * Does what posts a form (a click, Enter) and waits until the page its answer leads to has
 * loaded. Not waitForNavigation: that also resolves on the history.replaceState Next's router
 * makes when it hydrates, which can land between the click and the post's answer.
 */
export async function postAndLoad(page: Page, act: () => Promise<unknown>): Promise<void> {
  await Promise.all([page.waitForEvent("load"), act()]);
}
