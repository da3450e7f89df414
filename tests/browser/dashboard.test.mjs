// The dashboard (`/`) and the API docs (`/docs`) in Debian's headless
// chromium, driven by playwright-core, against a spawned `rollup devnet`.
//
//   cd tests/browser && npm ci && node --test
//
// Needs the `rollup` binary (`cargo build -p rollup`; $ROLLUP_BIN or the
// target dir) and chromium ($CHROMIUM, default /usr/bin/chromium).
// Screenshots and the devnet log go to $BROWSER_TEST_OUT (default
// tests/browser/out/).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import { startDevnet, stopDevnet } from "./devnet.mjs";

const OUT = resolve(process.env.BROWSER_TEST_OUT || join(import.meta.dirname, "out"));
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
mkdirSync(OUT, { recursive: true });

let net;
let browser;

before(async () => {
  net = await startDevnet({ logFile: join(OUT, "devnet.log") });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // CI runs as root, where chromium's sandbox cannot start.
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
});

after(async () => {
  await browser?.close();
  await stopDevnet(net);
});

/** Fails the test on a script error of the page. */
function watchErrors(page) {
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  return errors;
}

test("dashboard: a deposit with the button is credited, an armed fault is disputed and won by proof", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = watchErrors(page);
  await page.goto(net.url + "/");
  await page.locator("#conn[data-state=live]").waitFor({ timeout: 15_000 });
  // The heads are polled.
  await page.locator("#l2-heads dd b").first().waitFor({ timeout: 15_000 });

  // Deposit 1 ETH with the button, from dev account 0 (the first option).
  await page.locator("#deposit-from option").first().waitFor({ state: "attached", timeout: 15_000 });
  const account0 = await page.locator("#deposit-from").inputValue();
  assert.equal(account0.toLowerCase(), "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266");
  await page.fill("#deposit-amount", "1");
  await page.click("#deposit-btn");
  const credited = page.locator("#deposits tr", { hasText: "l2-credited" });
  await credited.first().waitFor({ timeout: 60_000 });
  assert.match(await credited.first().innerText(), /\b1\b/);

  // Arm invalid-output-root with its control; the next output is wrong.
  const control = page.locator('.fault[data-kind="invalid-output-root"] button[data-action="arm"]');
  await control.click();
  await page.locator('.fault.armed[data-kind="invalid-output-root"]').waitFor({ timeout: 10_000 });

  // The game appears, is bisected move by move, and is won by the proof.
  const game = page.locator(".game").first();
  await game.waitFor({ timeout: 120_000 });
  await game.locator(".moves li").first().waitFor({ timeout: 120_000 });
  // A picture mid-bisection: a few moves in, or the result if it came first.
  await page.waitForFunction(() => {
    const g = document.querySelector(".game");
    return g && (g.querySelectorAll(".moves li").length >= 3 || g.dataset.status !== "in-progress");
  }, null, { timeout: 120_000 });
  await page.screenshot({ path: join(OUT, "dashboard-dispute.png"), fullPage: true });
  await page.locator(".game .result", { hasText: "challenger won (proof)" }).first()
    .waitFor({ timeout: 180_000 });
  const moves = await game.locator(".moves li").count();
  assert.ok(moves >= 1, `moves drawn: ${moves}`);
  assert.ok(await game.locator("svg.bisect rect").count() >= 2, "the bisection is drawn");
  assert.match(await game.innerText(), /EXECUTE/);
  // The one-shot fault fired: it is off again.
  await page.locator('.fault[data-kind="invalid-output-root"]:not(.armed)').waitFor({ timeout: 20_000 });
  await page.screenshot({ path: join(OUT, "dashboard-resolved.png"), fullPage: true });

  // Readable on a phone: nothing wider than the screen but the scrolling tables.
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(overflow <= 390, `page is ${overflow}px wide on a 390px screen`);
  await page.screenshot({ path: join(OUT, "dashboard-phone.png") });
  assert.deepEqual(errors, []);
  await page.close();
});

test("docs: /docs renders offline, with no request leaving 127.0.0.1", async () => {
  const context = await browser.newContext();
  const outside = [];
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === "127.0.0.1") return route.continue();
    outside.push(url.href);
    return route.abort("blockedbyclient");
  });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(net.url + "/docs");
  await page.locator(".swagger-ui .info .title", { hasText: "Rollup bridge API" }).waitFor({ timeout: 30_000 });
  const operations = await page.locator(".opblock").count();
  assert.ok(operations >= 20, `operations rendered: ${operations}`);
  await page.locator(".opblock-summary-path", { hasText: "/v1/faults/{kind}" }).first().waitFor();
  await page.screenshot({ path: join(OUT, "docs.png") });
  assert.deepEqual(outside, [], "requests that left 127.0.0.1");
  assert.deepEqual(errors, []);
  await context.close();
});

test("dashboard: reconnects after the devnet restarts", async () => {
  const page = await browser.newPage();
  await page.goto(net.url + "/");
  await page.locator("#conn[data-state=live]").waitFor({ timeout: 15_000 });
  await stopDevnet(net, { removeData: false });
  await page.locator("#conn[data-state=reconnecting]").waitFor({ timeout: 30_000 });
  net = await startDevnet({ dataDir: net.dataDir, ports: net.ports, fresh: false, logFile: join(OUT, "devnet.log") });
  await page.locator("#conn[data-state=live]").waitFor({ timeout: 60_000 });
  await page.close();
});
