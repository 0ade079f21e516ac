import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { demoSeed } from "../../dev/synapse-sim";
import { isLoopback, launchChromium } from "./support/browser";
import { LocalStack, waitForTerminal } from "./support/localStack";
import { until } from "../support/until";

// The dashboard in Debian's Chromium against the `npm start` stack, acting only as a user would.
jest.setTimeout(150_000);
const OUTPUT = join(__dirname, "../../test-results/dashboard");
const KEY = "e2e-function-key";
const XSS = "<img src=x onerror=alert(1)>";
const PAUSED_POOL_LINK = "reporting-link";

let stack: LocalStack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const requested: string[] = [];
const leftLoopback: string[] = [];
const dialogs: string[] = [];
const ids: Record<string, string> = {};

async function onboard(
  tables: { schema: string; name: string }[],
  linkConnection = "demo-link",
): Promise<string> {
  const response = await fetch(`${stack.hostUrl}/api/onboarding`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ linkConnection, tables }),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { requestId: string }).requestId;
}

/** Polls from Node: the page's CSP (rightly) refuses the string evaluation waitForFunction would need. */
const focusOn = (id: string) =>
  until(`focus on #${id}`, async () =>
    (await page.evaluate("document.activeElement?.id")) === id ? true : undefined,
  );

const tableRow = (name: string) =>
  page.locator("#tables tbody tr").filter({ has: page.getByRole("rowheader", { name, exact: true }) });

beforeAll(async () => {
  browser = await launchChromium();
  stack = await LocalStack.start();
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  // Every request the page makes is recorded; one for anywhere but loopback is refused and noted.
  await context.route("**/*", async (route) => {
    const url = route.request().url();
    requested.push(url);
    if (isLoopback(url)) await route.continue();
    else {
      leftLoopback.push(url);
      await route.abort("blockedbyclient");
    }
  });
  // The demo's link whose dedicated SQL pool is Paused (local.settings.json maps it to pausedpool).
  const seed = demoSeed();
  const reset = await fetch(`${stack.sim.url}/_sim/reset`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...seed, links: [...seed.links, { name: PAUSED_POOL_LINK, status: "Running" }] }),
  });
  expect(reset.status).toBe(200);
  page = await context.newPage();
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(`${stack.hostUrl}/api/dashboard?code=${KEY}&refresh=1`);
  // Survives only while the page is never reloaded.
  await page.evaluate("window.notReloaded = true");
}, 180_000);

afterAll(async () => {
  // Either is undefined when beforeAll failed, for example without Chromium.
  await (browser as Browser | undefined)?.close();
  await (stack as LocalStack | undefined)?.stop();
});

describe("dashboard in Chromium", () => {
  it("shows the demo's tables, and their statuses change on screen to Replicating without a reload", async () => {
    // The link is on the page before it has any table (ROUTING_RULES names it); open it, then onboard.
    await page.getByRole("button", { name: "Show the tables of demo/demo-link" }).click();
    await page.locator("#detail").waitFor();
    await page.evaluate(`window.seen = [];
      new MutationObserver(() => {
        for (const th of document.querySelectorAll("#tables tbody th")) {
          if (th.textContent !== "dbo.Customers") continue;
          const status = th.parentElement.querySelector(".status").textContent;
          if (window.seen[window.seen.length - 1] !== status) window.seen.push(status);
        }
      }).observe(document.body, { subtree: true, childList: true });`);
    ids.replicating = await onboard([
      { schema: "dbo", name: "Customers" },
      { schema: "dbo", name: "Orders" },
    ]);
    ids.failed = await onboard([{ schema: "dbo", name: "AuditLog" }]);
    ids.rejected = await onboard([{ schema: "dbo", name: "Legacy" }]);
    ids.xss = await onboard([{ schema: "dbo", name: XSS }]);
    ids.pausedPool = await onboard([{ schema: "dbo", name: "Products" }], PAUSED_POOL_LINK);
    await tableRow("dbo.Customers").getByText("Replicating", { exact: true }).waitFor({ timeout: 120_000 });
    await tableRow("dbo.Orders").getByText("Replicating", { exact: true }).waitFor({ timeout: 30_000 });
    const seen = await page.evaluate<string[]>("window.seen");
    console.log(`dbo.Customers on screen: ${seen.join(" → ")}`);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen[seen.length - 1]).toBe("Replicating");
    expect(await page.evaluate("window.notReloaded")).toBe(true);
    await expect(page.locator("#refreshed").textContent()).resolves.toMatch(/Last refreshed at/);
  });

  it("shows a Failed table's reason and what to do", async () => {
    await waitForTerminal(stack.hostUrl, ids.failed!);
    const row = tableRow("dbo.AuditLog");
    await row.getByText("Failed", { exact: true }).waitFor({ timeout: 30_000 });
    await expect(row.locator("td.error").textContent()).resolves.toMatch(/primary key/i);
    await expect(row.locator("td.advice").textContent()).resolves.toMatch(/^Add a primary key/);
  });

  it(`shows the table named ${XSS} as text: no element, no dialog, no script`, async () => {
    await waitForTerminal(stack.hostUrl, ids.xss!);
    const header = page.getByRole("rowheader", { name: `dbo.${XSS}`, exact: true });
    await header.waitFor({ timeout: 30_000 });
    expect(await header.textContent()).toBe(`dbo.${XSS}`);
    expect(await page.locator("img").count()).toBe(0);
    expect(dialogs).toEqual([]);
  });

  it("shows a Rejected request through the status filter, and its tables one click from the list", async () => {
    await waitForTerminal(stack.hostUrl, ids.rejected!);
    await page.getByLabel("Status").selectOption("Rejected");
    const row = page.locator("#requests tbody tr").filter({ hasText: "Rejected" });
    await row.first().waitFor({ timeout: 30_000 });
    await until("one row under the Rejected filter", async () =>
      (await page.locator("#requests tbody tr").count()) === 1 ? true : undefined,
    );
    expect(await page.locator("#requests tbody tr").count()).toBe(1);
    await row.getByRole("button").click();
    await page.locator("#request-heading", { hasText: "Rejected" }).waitFor();
    await expect(page.locator("#request-tables").textContent()).resolves.toMatch(/other-link/);
    await page.getByLabel("Status").selectOption("");
  });

  it("shows the link whose SQL pool is paused with its warning, its table still Pending", async () => {
    const row = page.locator("#links tbody tr").filter({ hasText: `demo/${PAUSED_POOL_LINK}` });
    await row
      .locator("td ul.warnings li", { hasText: "waiting for SQL pool pausedpool (Paused)" })
      .waitFor({ timeout: 60_000 });
    await expect(row.locator(".bar-legend").textContent()).resolves.toBe("1 Pending");
  });

  it("works from the keyboard alone: Tab to a link, Enter, then Tab to a request, Enter", async () => {
    await page.locator("body").focus();
    const tabTo = async (name: RegExp) => {
      for (let i = 0; i < 40; i++) {
        await page.keyboard.press("Tab");
        const label = await page.evaluate<string>('document.activeElement?.getAttribute("aria-label") ?? ""');
        if (name.test(label)) return label;
      }
      throw new Error(`no focusable control named ${name} within 40 Tabs`);
    };
    await tabTo(/^Show the tables of demo\/demo-link$/);
    await page.keyboard.press("Enter");
    await focusOn("detail-heading");
    await tabTo(new RegExp(`^Show the tables of request ${ids.replicating!}$`));
    await page.keyboard.press("Enter");
    await focusOn("request-heading");
    await expect(page.locator("#request-heading").textContent()).resolves.toContain(ids.replicating!);
  });

  it("sends every request to loopback and passes the function key to the API, not to the address bar", () => {
    expect(leftLoopback).toEqual([]);
    const api = requested.filter((u) => /\/api\/(links|onboarding)/.test(u));
    expect(api.length).toBeGreaterThan(0);
    expect(api.every((u) => new URL(u).searchParams.get("code") === KEY)).toBe(true);
    expect(page.url()).not.toContain(KEY);
  });

  it("saves screenshots at 1280×800 and at phone width with the test output", async () => {
    const { pausedPool: _waits, ...ending } = ids;
    await Promise.all(Object.values(ending).map((id) => waitForTerminal(stack.hostUrl, id)));
    await page.waitForTimeout(6_000); // one more refresh after the last request ended
    mkdirSync(OUTPUT, { recursive: true });
    const wide = join(OUTPUT, "dashboard-1280x800.png");
    await page.screenshot({ path: wide, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(500);
    // At phone width nothing may be wider than the screen except inside the tables' own scroll boxes.
    expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(OUTPUT, "dashboard-390x844.png"), fullPage: true });
    if (process.env.UPDATE_DOCS_SCREENSHOT === "1")
      copyFileSync(wide, join(__dirname, "../../docs/dashboard.png"));
    console.log(`screenshots in ${OUTPUT}`);
  });
});
