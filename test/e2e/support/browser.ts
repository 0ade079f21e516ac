import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

/** Debian's package; Playwright's own browser download cannot run here, so the tests use the system's. */
export const DEFAULT_CHROMIUM = "/usr/bin/chromium";

/** Where Chromium is, or an error that says how to install it: the browser tests fail, never skip. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  const path = env.CHROMIUM_PATH ?? DEFAULT_CHROMIUM;
  if (!existsSync(path)) {
    throw new Error(
      `Chromium not found at ${path}. The dashboard's browser tests need it: ` +
        "run `sudo apt-get install -y chromium` (Debian/Ubuntu; .ci/run does this), " +
        "or set CHROMIUM_PATH to a Chromium or Chrome binary.",
    );
  }
  return path;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath() });
}

/** True for http(s) URLs on the loopback interface (and for data:/blob: URLs, which go nowhere). */
export function isLoopback(url: string): boolean {
  const parsed = new URL(url);
  if (parsed.protocol === "data:" || parsed.protocol === "blob:" || parsed.protocol === "about:") return true;
  return ["127.0.0.1", "localhost", "[::1]"].includes(parsed.hostname);
}
