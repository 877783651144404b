import assert from "node:assert/strict";
import { test } from "node:test";

import { Code, ConnectError, FinanceHubError, jwtExpiry } from "../dist/index.js";
import { PASSWORD, clock, fakeServer } from "./fake-server.mjs";

test("login keeps the tokens and every later call carries the bearer token", async () => {
  const server = fakeServer(clock());
  const changes = [];
  const client = server.client({ onSessionChange: (tokens) => changes.push(tokens) });
  assert.equal(client.session.loggedIn, false);

  const answer = await client.login("trader@example.com", PASSWORD);
  assert.equal(answer.tokens.accessToken, "access-1");
  assert.equal(client.session.tokens.accessToken, "access-1");
  assert.equal(client.session.tokens.refreshToken, "refresh-1");
  assert.deepEqual(changes.map((t) => t?.accessToken), ["access-1"]);

  const ticker = await client.market.getTicker({ symbol: "2222" });
  assert.equal(ticker.ticker.nameEn, "Saudi Arabian Oil Company");
  const [login] = server.callsOf("Login");
  assert.equal(login.authorization, null, "Login itself carries no credentials");
  const [call] = server.callsOf("GetTicker");
  assert.equal(call.authorization, "Bearer access-1");
  assert.equal(call.apiKey, null);
});

test("a wrong password is an error with its reason and no session", async () => {
  const client = fakeServer(clock()).client();
  await assert.rejects(client.login("trader@example.com", "wrong"), (error) => {
    assert.ok(error instanceof FinanceHubError);
    assert.equal(error.code, Code.Unauthenticated);
    assert.equal(error.reason, "INVALID_CREDENTIALS");
    return true;
  });
  assert.equal(client.session.loggedIn, false);
});

test("an API key is sent as x-api-key, and a login takes over from it", async () => {
  const server = fakeServer(clock());
  const client = server.client({ apiKey: "fhp_valid" });
  await client.market.getTicker({ symbol: "1120" });
  await client.login("trader@example.com", PASSWORD);
  await client.market.getTicker({ symbol: "1120" });
  const [asKey, asUser] = server.callsOf("GetTicker");
  assert.deepEqual([asKey.apiKey, asKey.authorization], ["fhp_valid", null]);
  assert.deepEqual([asUser.apiKey, asUser.authorization], [null, "Bearer access-1"],
    "never both: the server refuses a call with both");
});

test("the access token is refreshed before it expires, once for concurrent calls", async () => {
  const time = clock();
  const server = fakeServer(time, { accessTtlMs: 120_000 });
  const client = server.client({ refreshMarginMs: 60_000 });
  await client.login("trader@example.com", PASSWORD);

  time.advance(30_000); // 90 s left: no refresh yet
  await client.market.getTicker({ symbol: "2222" });
  assert.equal(server.state.refreshes, 0);

  time.advance(40_000); // 50 s left, inside the margin
  await Promise.all([1, 2, 3].map(() => client.market.getTicker({ symbol: "2222" })));
  assert.equal(server.state.refreshes, 1, "refresh tokens are single-use: one refresh only");
  const [refresh] = server.callsOf("RefreshToken");
  assert.equal(refresh.message.refreshToken, "refresh-1");
  assert.equal(refresh.authorization, null);
  assert.deepEqual(server.callsOf("GetTicker").map((c) => c.authorization),
    ["Bearer access-1", "Bearer access-2", "Bearer access-2", "Bearer access-2"]);
  assert.equal(client.session.tokens.refreshToken, "refresh-2");
});

test("UNAUTHENTICATED refreshes the session once and sends the call again", async () => {
  const server = fakeServer(clock());
  const client = server.client();
  await client.login("trader@example.com", PASSWORD);
  server.state.valid.delete("access-1"); // e.g. revoked, or the clocks disagree

  const answer = await client.market.getTicker({ symbol: "2222" });
  assert.equal(answer.ticker.symbol, "2222");
  assert.equal(server.state.refreshes, 1);
  assert.deepEqual(server.callsOf("GetTicker").map((c) => c.authorization),
    ["Bearer access-1", "Bearer access-2"]);
});

test("a server stream refused as UNAUTHENTICATED is retried with its request", async () => {
  const server = fakeServer(clock());
  const client = server.client();
  await client.login("trader@example.com", PASSWORD);
  server.state.valid.delete("access-1");

  const symbols = [];
  for await (const event of client.quotes.streamQuotes({ symbols: ["2222", "1120"] })) {
    symbols.push(event.event.value.symbol);
  }
  assert.deepEqual(symbols, ["2222", "1120"]);
  const calls = server.callsOf("StreamQuotes");
  assert.deepEqual(calls.map((c) => [c.authorization, c.message.symbols]),
    [["Bearer access-1", ["2222", "1120"]], ["Bearer access-2", ["2222", "1120"]]]);
});

test("only one retry: a call still refused after the refresh fails", async () => {
  const server = fakeServer(clock());
  const client = server.client();
  await client.login("trader@example.com", PASSWORD);
  server.state.refuseAllTokens = true;
  await assert.rejects(client.market.getTicker({ symbol: "2222" }), (error) => {
    assert.ok(error instanceof FinanceHubError);
    assert.equal(error.code, Code.Unauthenticated);
    assert.equal(error.reason, "TOKEN_INVALID");
    return true;
  });
  assert.equal(server.state.refreshes, 1);
  assert.equal(server.callsOf("GetTicker").length, 2);
});

test("a refused refresh ends the session and reports the original error", async () => {
  const server = fakeServer(clock());
  const changes = [];
  const client = server.client({ onSessionChange: (tokens) => changes.push(tokens?.accessToken) });
  await client.login("trader@example.com", PASSWORD);
  server.state.valid.clear();
  server.state.refuseRefresh = true;
  await assert.rejects(client.market.getTicker({ symbol: "2222" }),
    (error) => error instanceof ConnectError && error.code === Code.Unauthenticated);
  assert.equal(client.session.loggedIn, false);
  assert.deepEqual(changes, ["access-1", undefined]);
});

test("logout ends the session on the server and forgets the tokens", async () => {
  const server = fakeServer(clock());
  const client = server.client();
  await client.login("trader@example.com", PASSWORD);
  await client.logout();
  assert.equal(server.callsOf("Logout")[0].authorization, "Bearer access-1");
  assert.equal(client.session.loggedIn, false);
  await assert.rejects(client.market.getTicker({ symbol: "2222" }),
    (error) => error.code === Code.Unauthenticated && server.callsOf("GetTicker")[0].authorization === null);
});

test("a session can be resumed from saved tokens", async () => {
  const time = clock();
  const server = fakeServer(time);
  const first = server.client();
  await first.login("trader@example.com", PASSWORD);
  const second = server.client({ session: first.session.tokens });
  await second.market.getTicker({ symbol: "2222" });
  assert.equal(server.callsOf("GetTicker")[0].authorization, "Bearer access-1");
});

test("jwtExpiry reads the exp claim of a JWT", () => {
  const payload = Buffer.from(JSON.stringify({ sub: "u", exp: 1_764_660_000 })).toString("base64url");
  assert.equal(jwtExpiry(`eyJhbGciOiJFZERTQSJ9.${payload}.sig`), 1_764_660_000_000);
  assert.equal(jwtExpiry("not-a-jwt"), undefined);
});
