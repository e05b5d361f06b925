import { existsSync, mkdirSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
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
