// The browser demo: plain DOM on top of the TypeScript SDK, over gRPC-Web through Envoy.
import {
  Code,
  DataOrigin,
  FinanceHubError,
  Market,
  OrderSide,
  OrderStatus,
  OrderType,
  TimeInForce,
  createFinanceHubClient,
} from "@financehub/client";
import type { Quote } from "@financehub/client";

/** Envoy's URL: `?api=...`, else this page's host on port 8080. */
function apiBaseUrl(location: Location): string {
  const configured = new URLSearchParams(location.search).get("api");
  if (configured) {
    return configured.replace(/\/+$/, "");
  }
  return `${location.protocol}//${location.hostname}:8080`;
}

function element<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) {
    throw new Error(`the page has no #${id}`);
  }
  return found as T;
}

function text(id: string, value: string): void {
  element(id).textContent = value;
}

const baseUrl = apiBaseUrl(window.location);
const client = createFinanceHubClient({ baseUrl, defaultTimeoutMs: 15_000 });
text("api-url", baseUrl);

// --- errors -----------------------------------------------------------------------------------

function showError(error: unknown): void {
  const failure = FinanceHubError.from(error);
  const box = element("error");
  box.hidden = false;
  box.dataset["code"] = failure.codeName;
  box.dataset["reason"] = failure.reason ?? "";
  text("error-code", failure.codeName);
  text("error-reason", failure.reason ? `(${failure.reason})` : "");
  text("error-message", failure.rawMessage || failure.message);
  const fields = element("error-fields");
  fields.replaceChildren(...failure.fieldViolations.map((violation) => {
    const item = document.createElement("li");
    item.dataset["field"] = violation.field;
    item.textContent = `${violation.field}: ${violation.description}`;
    return item;
  }));
  console.warn("FinanceHub call failed:", failure.describe(), failure.requestId ?? "");
}

function clearError(): void {
  element("error").hidden = true;
}

/** Run an action for a form or button, showing its error (if any) in the error box. */
function action(run: () => Promise<void>): (event?: Event) => void {
  return (event) => {
    event?.preventDefault();
    clearError();
    run().catch(showError);
  };
}

// --- login ------------------------------------------------------------------------------------

element("login-form").addEventListener("submit", action(async () => {
  const email = element<HTMLInputElement>("email").value.trim();
  const answer = await client.login(email, element<HTMLInputElement>("password").value);
  element<HTMLInputElement>("password").value = "";
  const status = element("session-status");
  status.dataset["state"] = "logged-in";
  status.textContent = `Logged in as ${answer.user?.email ?? email}.`;
  element<HTMLButtonElement>("logout").disabled = false;
}));

element("logout").addEventListener("click", action(async () => {
  await client.logout();
  const status = element("session-status");
  status.dataset["state"] = "anonymous";
  status.textContent = "Logged out.";
  element<HTMLButtonElement>("logout").disabled = true;
}));

// --- ticker and quote ---------------------------------------------------------------------------

function currentSymbol(): string {
  return element<HTMLInputElement>("symbol").value.trim();
}

function showQuote(quote: Quote): void {
  text("quote-price", quote.price.toFixed(2));
  const change = element("quote-change");
  change.textContent = `${quote.change >= 0 ? "+" : ""}${quote.change.toFixed(2)} (${quote.changePercent.toFixed(2)}%)`;
  change.className = quote.change > 0 ? "up" : quote.change < 0 ? "down" : "";
  text("quote-previous-close", quote.previousClose.toFixed(2));
  text("quote-limits", `${quote.limitDown.toFixed(2)} – ${quote.limitUp.toFixed(2)}`);
}

element("symbol-form").addEventListener("submit", action(async () => {
  const symbol = currentSymbol();
  const box = element("ticker");
  box.hidden = true; // until this symbol's answer is in
  delete box.dataset["symbol"];
  const [{ ticker }, { quote }] = await Promise.all([
    client.market.getTicker({ symbol }),
    client.quotes.getQuote({ symbol }),
  ]);
  text("ticker-name", ticker ? `${ticker.nameEn} (${ticker.symbol})` : symbol);
  text("ticker-sector", ticker?.sector || "—");
  text("ticker-market", ticker ? Market[ticker.market] ?? "" : "");
  if (quote) {
    showQuote(quote);
    text("quote-origin", quote.dataOrigin === DataOrigin.SYNTHETIC ? "synthetic (demo)" : "exchange data");
    const limit = element<HTMLInputElement>("order-limit");
    if (!limit.value) {
      limit.placeholder = quote.previousClose.toFixed(2);
    }
  }
  box.dataset["symbol"] = ticker?.symbol ?? symbol;
  box.hidden = false;
}));

// --- live quotes --------------------------------------------------------------------------------

let streaming: AbortController | undefined;

function streamState(state: string): void {
  text("stream-state", state);
  element("stream-section").dataset["state"] = state;
  element<HTMLButtonElement>("stream-start").disabled = state === "streaming";
  element<HTMLButtonElement>("stream-stop").disabled = state !== "streaming";
}

element("stream-start").addEventListener("click", action(async () => {
  streaming?.abort();
  const controller = new AbortController();
  streaming = controller;
  const symbol = currentSymbol();
  let updates = 0;
  text("stream-count", "0");
  element("stream-log").replaceChildren();
  streamState("streaming");
  try {
    for await (const event of client.quotes.streamQuotes({ symbols: [symbol] }, { signal: controller.signal })) {
      if (event.event.case !== "quote") {
        continue; // heartbeats and gap markers
      }
      const quote = event.event.value;
      showQuote(quote);
      if (event.snapshot) {
        continue;
      }
      updates += 1;
      text("stream-count", String(updates));
      const line = `${quote.symbol} ${quote.price.toFixed(2)} vol ${quote.volume} #${quote.sequence}`;
      text("stream-last", line);
      const item = document.createElement("li");
      item.textContent = line;
      const log = element("stream-log");
      log.prepend(item);
      while (log.childElementCount > 50) {
        log.lastElementChild?.remove();
      }
    }
    streamState("ended");
  } catch (error) {
    if (controller.signal.aborted || FinanceHubError.from(error).code === Code.Canceled) {
      streamState("stopped");
      return;
    }
    streamState("failed");
    throw error;
  }
}));

element("stream-stop").addEventListener("click", () => {
  streaming?.abort();
  streaming = undefined;
});

// --- paper order --------------------------------------------------------------------------------

element("order-form").addEventListener("submit", action(async () => {
  const type = element<HTMLSelectElement>("order-type").value === "MARKET" ? OrderType.MARKET : OrderType.LIMIT;
  const limit = element<HTMLInputElement>("order-limit").value.trim();
  const { order } = await client.trading.placeOrder({
    clientOrderId: `web-${crypto.randomUUID()}`,
    symbol: currentSymbol(),
    side: element<HTMLSelectElement>("order-side").value === "SELL" ? OrderSide.SELL : OrderSide.BUY,
    type,
    timeInForce: TimeInForce.DAY,
    quantity: BigInt(element<HTMLInputElement>("order-quantity").value || "0"),
    ...(type === OrderType.LIMIT ? { limitPrice: { value: limit } } : {}),
  });
  if (!order) {
    throw new Error("the server answered without an order");
  }
  text("order-id", order.orderId);
  const status = OrderStatus[order.status] ?? String(order.status);
  text("order-status", status);
  element("order-result").dataset["status"] = status;
  const price = order.limitPrice?.value ? ` at ${order.limitPrice.value}` : " at market";
  text("order-detail",
    `${OrderSide[order.side]} ${order.quantity} ${order.symbol}${price}${order.statusReason ? ` — ${order.statusReason}` : ""}`);
  element("order-result").hidden = false;
}));

document.body.dataset["ready"] = "true";
