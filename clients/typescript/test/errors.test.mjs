import assert from "node:assert/strict";
import { test } from "node:test";

import { create, toBinary } from "@bufbuild/protobuf";
import { anyPack, AnySchema, DurationSchema } from "@bufbuild/protobuf/wkt";
import { BinaryWriter } from "@bufbuild/protobuf/wire";

import {
  BadRequestSchema,
  Code,
  ConnectError,
  ErrorInfoSchema,
  FinanceHubError,
  GetTickerRequestSchema,
  RetryInfoSchema,
  codeName,
  createFinanceHubClient,
} from "../dist/index.js";
import { PASSWORD, clock, fakeServer } from "./fake-server.mjs";

function checkInvalidSymbol(error, symbol) {
  assert.ok(error instanceof FinanceHubError, `not a FinanceHubError: ${error}`);
  assert.ok(error instanceof ConnectError, "still a ConnectError for Connect-aware code");
  assert.equal(error.code, Code.InvalidArgument);
  assert.equal(error.codeName, "INVALID_ARGUMENT");
  assert.equal(error.reason, "INVALID_SYMBOL");
  assert.equal(error.domain, "financehub.sa");
  assert.deepEqual(error.errorMetadata, { symbol });
  assert.deepEqual(error.fieldViolations, [{
    field: "symbol", description: `${JSON.stringify(symbol)} is not a 4-digit Tadawul code`,
    reason: "INVALID_SYMBOL",
  }]);
  assert.match(error.rawMessage, /is not a Tadawul symbol/);
  assert.equal(error.findDetails(ErrorInfoSchema)[0].reason, "INVALID_SYMBOL");
  assert.match(error.describe(), /^INVALID_ARGUMENT \(INVALID_SYMBOL\): .* \[symbol: .*4-digit/);
}

test("a refused unary call throws a FinanceHubError with reason and field violations", async () => {
  const server = fakeServer(clock());
  const client = server.client({ apiKey: "fhp_valid" });
  await assert.rejects(client.market.getTicker({ symbol: "99x" }), (error) => {
    checkInvalidSymbol(error, "99x");
    assert.equal(error.requestId, "req-123");
    return true;
  });
});

test("an error in the middle of a stream is a FinanceHubError too", async () => {
  const server = fakeServer(clock());
  const client = server.client();
  await client.login("trader@example.com", PASSWORD);
  const received = [];
  await assert.rejects(async () => {
    for await (const event of client.quotes.streamQuotes({ symbols: ["2222", "9999"] })) {
      received.push(event.event.value.symbol);
    }
  }, (error) => {
    checkInvalidSymbol(error, "9999");
    return true;
  });
  assert.deepEqual(received, ["2222", "9999"]);
});

test("FinanceHubError.from wraps anything; codeName spells the gRPC names", () => {
  const plain = FinanceHubError.from(new Error("boom"));
  assert.equal(plain.code, Code.Unknown);
  assert.equal(plain.reason, undefined);
  assert.deepEqual(plain.fieldViolations, []);
  assert.equal(FinanceHubError.from(plain), plain);
  assert.equal(new ConnectError("x") instanceof FinanceHubError, false);
  assert.equal(codeName(Code.ResourceExhausted), "RESOURCE_EXHAUSTED");
  assert.equal(codeName(Code.Unauthenticated), "UNAUTHENTICATED");
});

// --- the real gRPC-Web transport, against a fetch that answers as Envoy does ----------------

function grpcWebFrame(flag, payload) {
  const frame = new Uint8Array(5 + payload.length);
  new DataView(frame.buffer).setUint8(0, flag);
  new DataView(frame.buffer).setUint32(1, payload.length);
  frame.set(payload, 5);
  return frame;
}

/** google.rpc.Status, encoded by hand: code = 1, message = 2, details = 3 (Any). */
function statusBytes(code, message, details) {
  const writer = new BinaryWriter();
  writer.tag(1, 0).int32(code);
  writer.tag(2, 2).string(message);
  for (const detail of details) {
    writer.tag(3, 2).bytes(toBinary(AnySchema, detail));
  }
  return writer.finish();
}

test("over gRPC-Web, grpc-status-details-bin becomes reason, violations and retry delay", async () => {
  const details = [
    anyPack(ErrorInfoSchema, create(ErrorInfoSchema, { reason: "RATE_LIMITED", domain: "financehub.sa" })),
    anyPack(RetryInfoSchema, create(RetryInfoSchema, { retryDelay: create(DurationSchema, { seconds: 2n, nanos: 500_000_000 }) })),
    anyPack(BadRequestSchema, create(BadRequestSchema, { fieldViolations: [{ field: "symbol", description: "too many" }] })),
  ];
  const statusBin = Buffer.from(statusBytes(8, "slow down", details)).toString("base64").replace(/=+$/, "");
  const trailer = new TextEncoder().encode(
    `grpc-status: 8\r\ngrpc-message: slow%20down\r\ngrpc-status-details-bin: ${statusBin}\r\n`);
  const requests = [];
  const fetch = async (url, init) => {
    requests.push({ url: String(url), headers: new Headers(init.headers), body: new Uint8Array(init.body) });
    return new Response(grpcWebFrame(0x80, trailer), {
      status: 200,
      headers: { "content-type": "application/grpc-web+proto", "x-request-id": "req-9" },
    });
  };
  const client = createFinanceHubClient({ baseUrl: "http://envoy.test:8080/", apiKey: "fhp_k", fetch });
  await assert.rejects(client.market.getTicker({ symbol: "2222" }), (error) => {
    assert.ok(error instanceof FinanceHubError);
    assert.equal(error.code, Code.ResourceExhausted);
    assert.equal(error.rawMessage, "slow down");
    assert.equal(error.reason, "RATE_LIMITED");
    assert.equal(error.retryDelayMs, 2500);
    assert.deepEqual(error.fieldViolations, [{ field: "symbol", description: "too many", reason: "" }]);
    assert.equal(error.requestId, "req-9");
    return true;
  });
  const [sent] = requests;
  assert.equal(sent.url, "http://envoy.test:8080/financehub.v1.MarketService/GetTicker");
  assert.equal(sent.headers.get("content-type"), "application/grpc-web+proto");
  assert.equal(sent.headers.get("x-grpc-web"), "1");
  assert.equal(sent.headers.get("x-api-key"), "fhp_k");
  const expected = toBinary(GetTickerRequestSchema, create(GetTickerRequestSchema, { symbol: "2222" }));
  assert.deepEqual(sent.body, grpcWebFrame(0x00, expected));
});

test("a fetch that reaches no server is UNAVAILABLE, with a hint about CORS", async () => {
  const fetch = async () => { throw new TypeError("Failed to fetch"); };
  const client = createFinanceHubClient({ baseUrl: "http://envoy.test:8080", fetch });
  await assert.rejects(client.market.getTicker({ symbol: "2222" }), (error) => {
    assert.ok(error instanceof FinanceHubError);
    assert.equal(error.codeName, "UNAVAILABLE");
    assert.match(error.rawMessage, /cannot be reached.*CORS/);
    return true;
  });
  // A TypeError of our own making is not taken for a network failure.
  assert.equal(FinanceHubError.from(new TypeError("x is undefined")).code, Code.Unknown);
});
