import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { ROOT } from "./server";

/** The system's Chromium; browser tests skip where it is missing. */
export const CHROMIUM = "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);

/** Where browser tests save their screenshots; they print the files' paths so the CI log says where they are. */
export const SCREENSHOTS = path.join(ROOT, "test-results", "screenshots");

/** Headless Chromium as the browser tests run it (no sandbox, GPU or background traffic). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

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
