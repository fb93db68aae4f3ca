/**
 * A real browser for the console's tests: playwright-core driving the system's Chromium (Debian's
 * `chromium` package, which .ci/run installs when missing). Playwright's own browser downloads are
 * never used: machines here reach only the npm registry and Debian.
 */
import { existsSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

export class BrowserMissingError extends Error {
  override name = "BrowserMissingError";
}

export function chromiumPath(): string {
  const path = [process.env.CPLANE_CHROMIUM, ...CANDIDATES].find((p) => p && existsSync(p));
  if (!path) {
    throw new BrowserMissingError(
      `no Chromium at ${CANDIDATES.join(", ")} (or CPLANE_CHROMIUM): apt-get install -y chromium`,
    );
  }
  return path;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    // Root (CI) cannot use Chromium's sandbox; the pages are our own, on loopback.
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
    // Several browsers start at once when the console's test files run in parallel on a loaded machine.
    timeout: 180_000,
  });
}

/** A page that fails the test on any uncaught error or console error of the console's own code. */
export async function watchedPage(browser: Browser, viewport = { width: 1280, height: 800 }) {
  const page: Page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()}`);
  });
  return { page, errors };
}
