// An in-memory FinanceHub for the unit tests: Connect's router transport runs real
// Connect handlers in-process, so the SDK's interceptors see real requests and errors.
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";

import {
  AuthService,
  BadRequestSchema,
  BadRequest_FieldViolationSchema,
  ErrorInfoSchema,
  MarketService,
  QuoteService,
  TickerSchema,
  TokenPairSchema,
  createFinanceHubClient,
} from "../dist/index.js";

export const PASSWORD = "correct horse battery";

/** A fake clock the client reads (milliseconds). */
export function clock(start = Date.UTC(2025, 11, 2, 7, 0, 0)) {
  const state = { now: start };
  return { now: () => state.now, advance: (ms) => { state.now += ms; }, get value() { return state.now; } };
}

/**
 * The fake server's state: issued tokens, what each call carried, and switches the tests
 * flip (revoke the current access token, refuse refreshes).
 */
export function fakeServer(time, { accessTtlMs = 15 * 60_000 } = {}) {
  const state = {
    generation: 0,
    valid: new Set(),          // access tokens the server accepts
    refreshTokens: new Set(),  // refresh tokens not yet spent
    calls: [],                 // { method, authorization, apiKey, message }
    refreshes: 0,
    refuseRefresh: false,
    refuseAllTokens: false,    // refuse even freshly issued access tokens
    tickers: Array.from({ length: 7 }, (_, i) => create(TickerSchema, {
      symbol: String(2220 + i), nameEn: `Company ${i}`, sector: i % 2 ? "Energy" : "Banks",
    })),
  };

  function issue() {
    state.generation += 1;
    const access = `access-${state.generation}`;
    const refresh = `refresh-${state.generation}`;
    state.valid.add(access);
    state.refreshTokens.add(refresh);
    return create(TokenPairSchema, {
      accessToken: access,
      refreshToken: refresh,
      accessTokenExpireTime: timestampFromMs(time.now() + accessTtlMs),
      refreshTokenExpireTime: timestampFromMs(time.now() + 7 * 86_400_000),
      tokenType: "Bearer",
    });
  }

  function record(method, context, message) {
    state.calls.push({
      method,
      authorization: context.requestHeader.get("authorization"),
      apiKey: context.requestHeader.get("x-api-key"),
      message,
    });
  }

  /** Who is calling: a bearer token must be one the server issued and still accepts. */
  function authenticate(context) {
    const authorization = context.requestHeader.get("authorization");
    if (authorization === null) {
      if (context.requestHeader.get("x-api-key") === "fhp_valid") {
        return "partner";
      }
      throw new ConnectError("credentials required", Code.Unauthenticated, undefined, [
        { desc: ErrorInfoSchema, value: { reason: "UNAUTHENTICATED", domain: "financehub.sa" } },
      ]);
    }
    const token = authorization.replace(/^Bearer /, "");
    if (state.refuseAllTokens || !state.valid.has(token)) {
      throw new ConnectError("the access token is not valid", Code.Unauthenticated, undefined, [
        { desc: ErrorInfoSchema, value: { reason: "TOKEN_INVALID", domain: "financehub.sa" } },
      ]);
    }
    return "user";
  }

  function invalidSymbol(symbol) {
    return new ConnectError(`${JSON.stringify(symbol)} is not a Tadawul symbol`, Code.InvalidArgument,
      { "x-request-id": "req-123" }, [
        { desc: ErrorInfoSchema, value: { reason: "INVALID_SYMBOL", domain: "financehub.sa", metadata: { symbol } } },
        { desc: BadRequestSchema, value: { fieldViolations: [create(BadRequest_FieldViolationSchema, {
          field: "symbol", description: `${JSON.stringify(symbol)} is not a 4-digit Tadawul code`,
          reason: "INVALID_SYMBOL" })] } },
      ]);
  }

  const routes = (router) => {
    router.service(AuthService, {
      login(request, context) {
        record("Login", context, request);
        if (request.password !== PASSWORD) {
          throw new ConnectError("wrong email or password", Code.Unauthenticated, undefined, [
            { desc: ErrorInfoSchema, value: { reason: "INVALID_CREDENTIALS", domain: "financehub.sa" } },
          ]);
        }
        return { tokens: issue(), user: { email: request.email } };
      },
      async refreshToken(request, context) {
        record("RefreshToken", context, request);
        state.refreshes += 1;
        await new Promise((resolve) => setTimeout(resolve, 5)); // long enough to overlap
        if (state.refuseRefresh || !state.refreshTokens.delete(request.refreshToken)) {
          throw new ConnectError("the refresh token was revoked", Code.Unauthenticated);
        }
        return { tokens: issue() };
      },
      logout(request, context) {
        record("Logout", context, request);
        authenticate(context);
        state.valid.clear();
        return {};
      },
    });
    router.service(MarketService, {
      getTicker(request, context) {
        record("GetTicker", context, request);
        authenticate(context);
        if (!/^\d{4}$/.test(request.symbol)) {
          throw invalidSymbol(request.symbol);
        }
        return { ticker: { symbol: request.symbol, nameEn: "Saudi Arabian Oil Company" } };
      },
      listTickers(request, context) {
        record("ListTickers", context, request);
        authenticate(context);
        const matching = state.tickers.filter((t) => !request.sector || t.sector === request.sector);
        const start = request.pageToken ? Number(request.pageToken.replace("page-", "")) : 0;
        const size = request.pageSize || 2;
        const end = start + size;
        return {
          tickers: matching.slice(start, end),
          nextPageToken: end < matching.length ? `page-${end}` : "",
          totalSize: matching.length,
        };
      },
    });
    router.service(QuoteService, {
      async *streamQuotes(request, context) {
        record("StreamQuotes", context, request);
        authenticate(context);
        for (const [index, symbol] of request.symbols.entries()) {
          yield { event: { case: "quote", value: { symbol, price: 24 + index, sequence: 1n } }, snapshot: true };
        }
        if (request.symbols.includes("9999")) {
          throw invalidSymbol("9999");
        }
      },
    });
  };

  return {
    state,
    issue,
    /** A client of this server (the clock and an in-memory transport). */
    client: (extra = {}) => createFinanceHubClient({
      baseUrl: "http://financehub.test",
      now: time.now,
      createTransport: ({ interceptors }) => createRouterTransport(routes, { transport: { interceptors } }),
      ...extra,
    }),
    callsOf: (method) => state.calls.filter((call) => call.method === method),
  };
}
