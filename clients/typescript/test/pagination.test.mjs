import assert from "node:assert/strict";
import { test } from "node:test";

import { Code, paginate } from "../dist/index.js";
import { PASSWORD, clock, fakeServer } from "./fake-server.mjs";

test("iterTickers walks every page, passing the filters and page size on", async () => {
  const server = fakeServer(clock());
  const client = server.client();
  await client.login("trader@example.com", PASSWORD);

  const symbols = [];
  for await (const ticker of client.iterTickers({ sector: "Banks", pageSize: 1 })) {
    symbols.push(ticker.symbol);
  }
  assert.deepEqual(symbols, ["2220", "2222", "2224", "2226"]);
  const calls = server.callsOf("ListTickers");
  assert.deepEqual(calls.map((c) => [c.message.sector, c.message.pageSize, c.message.pageToken]),
    [["Banks", 1, ""], ["Banks", 1, "page-1"], ["Banks", 1, "page-2"], ["Banks", 1, "page-3"]]);
  assert.ok(calls.every((c) => c.authorization === "Bearer access-1"));
});

test("pages are fetched lazily and maxPages stops early", async () => {
  const server = fakeServer(clock());
  const client = server.client({ apiKey: "fhp_valid" });
  const iterator = client.iterTickers();
  const first = await iterator.next();
  assert.equal(first.value.symbol, "2220");
  assert.equal(server.callsOf("ListTickers").length, 1, "one page asked so far");
  await iterator.return();

  const limited = [];
  for await (const ticker of client.iterTickers({ pageSize: 3, maxPages: 2 })) {
    limited.push(ticker.symbol);
  }
  assert.equal(limited.length, 6);
  assert.equal(server.callsOf("ListTickers").length, 3);
});

test("an empty first page ends at once", async () => {
  const server = fakeServer(clock());
  const client = server.client({ apiKey: "fhp_valid" });
  const all = [];
  for await (const ticker of client.iterTickers({ sector: "Utilities" })) {
    all.push(ticker);
  }
  assert.deepEqual(all, []);
  assert.equal(server.callsOf("ListTickers").length, 1);
});

test("paginate refuses a server that repeats a page token (no endless loop)", async () => {
  const pages = paginate(async () => ({ nextPageToken: "same", items: [1] }), (page) => page.items);
  const seen = [];
  await assert.rejects(async () => {
    for await (const item of pages) {
      seen.push(item);
    }
  }, (error) => error.code === Code.Internal && /repeated the page token/.test(error.message));
  assert.deepEqual(seen, [1, 1]);
});
