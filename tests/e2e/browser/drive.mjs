// Drives the browser demo (clients/web) in Debian's headless Chromium with playwright-core,
// as a person would: log in, show a ticker, stream live quotes, place a paper order, look
// up a bad symbol. Prints one JSON object: what each step saw, or where it stopped.
//
//   node tests/e2e/browser/drive.mjs '{"pageUrl": ..., "email": ..., ...}'
//
// Config: pageUrl (with ?api=...), email, password, symbol, badSymbol, limitPrice,
// quantity, minUpdates, chromium (executable), timeoutMs (per step).
import { chromium } from "playwright-core";

const config = JSON.parse(process.argv[2] ?? "{}");
const timeout = config.timeoutMs ?? 20_000;
const result = { ok: false, steps: {}, console: [], pageErrors: [], failedRequests: [] };

async function text(page, selector) {
  return (await page.textContent(selector))?.trim() ?? "";
}

/** Wait for `selector` to be visible, unless the error box shows first (then fail with it). */
async function settle(page, selector, what) {
  const outcome = await Promise.race([
    page.waitForSelector(selector, { state: "visible", timeout }).then(() => "done"),
    page.waitForSelector("#error:not([hidden])", { timeout }).then(() => "error"),
  ]);
  if (outcome === "error") {
    throw new Error(`${what}: the page shows an error: ${await text(page, "#error")}`);
  }
}

async function step(name, run) {
  result.current = name;
  result.steps[name] = await run();
}

const browser = await chromium.launch({
  executablePath: config.chromium ?? "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  timeout,
});
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(timeout);
  page.on("console", (message) => result.console.push(`${message.type()}: ${message.text()}`));
  page.on("pageerror", (error) => result.pageErrors.push(String(error)));
  page.on("requestfailed", (request) =>
    result.failedRequests.push(`${request.method()} ${request.url()}: ${request.failure()?.errorText}`));

  await step("load", async () => {
    await page.goto(config.pageUrl, { waitUntil: "load" });
    await page.waitForSelector("body[data-ready=true]");
    return { title: await page.title(), api: await text(page, "#api-url") };
  });

  await step("login", async () => {
    await page.fill("#email", config.email);
    await page.fill("#password", config.password);
    await page.click("#login");
    await settle(page, "#session-status[data-state=logged-in]", "login");
    return { status: await text(page, "#session-status") };
  });

  await step("ticker", async () => {
    await page.fill("#symbol", config.symbol);
    await page.click("#show");
    await settle(page, `#ticker[data-symbol="${config.symbol}"]`, "show ticker");
    return {
      name: await text(page, "#ticker-name"),
      sector: await text(page, "#ticker-sector"),
      market: await text(page, "#ticker-market"),
      price: await text(page, "#quote-price"),
      previousClose: await text(page, "#quote-previous-close"),
    };
  });

  await step("stream", async () => {
    const started = Date.now();
    await page.click("#stream-start");
    await page.waitForFunction(
      (min) => Number(document.querySelector("#stream-count")?.textContent) >= min
        || !document.querySelector("#error")?.hidden,
      config.minUpdates, { timeout });
    const updates = Number(await text(page, "#stream-count"));
    if (updates < config.minUpdates) {
      throw new Error(`stream: the page shows an error: ${await text(page, "#error")}`);
    }
    const seconds = (Date.now() - started) / 1000;
    const last = await text(page, "#stream-last");
    const price = await text(page, "#quote-price");
    await page.click("#stream-stop");
    await page.waitForSelector("#stream-section[data-state=stopped]");
    return { updates, seconds, last, price, state: await text(page, "#stream-state") };
  });

  await step("order", async () => {
    await page.selectOption("#order-side", "BUY");
    await page.selectOption("#order-type", config.limitPrice ? "LIMIT" : "MARKET");
    await page.fill("#order-quantity", String(config.quantity ?? 1));
    await page.fill("#order-limit", config.limitPrice ?? "");
    await page.click("#place-order");
    await settle(page, "#order-result:not([hidden])", "place order");
    return {
      id: await text(page, "#order-id"),
      status: await text(page, "#order-status"),
      detail: await text(page, "#order-detail"),
    };
  });

  await step("badSymbol", async () => {
    await page.fill("#symbol", config.badSymbol);
    await page.click("#show");
    await page.waitForSelector("#error:not([hidden])");
    return {
      code: await text(page, "#error-code"),
      reason: await text(page, "#error-reason"),
      message: await text(page, "#error-message"),
      fields: await page.$$eval("#error-fields li", (items) =>
        items.map((item) => ({ field: item.dataset.field, text: item.textContent }))),
    };
  });

  delete result.current;
  result.ok = true;
} catch (error) {
  result.failure = { step: result.current, message: String(error?.message ?? error) };
} finally {
  await browser.close().catch(() => {});
  process.stdout.write(JSON.stringify(result) + "\n");
}
