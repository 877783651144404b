// createFinanceHubClient: typed clients for every FinanceHub service over gRPC-Web
// (through Envoy), with login sessions or an API key, pagination and decoded errors.
import { createClient } from "@connectrpc/connect";
import type { CallOptions, Client, Interceptor, Transport } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import type { DescMessage, MessageInitShape } from "@bufbuild/protobuf";

import { AdminService } from "./gen/financehub/v1/admin_pb.js";
import { AIService } from "./gen/financehub/v1/ai_pb.js";
import { AuthService } from "./gen/financehub/v1/auth_pb.js";
import type { LoginResponse } from "./gen/financehub/v1/auth_pb.js";
import { BacktestService } from "./gen/financehub/v1/backtests_pb.js";
import type { Backtest, ListBacktestsRequestSchema } from "./gen/financehub/v1/backtests_pb.js";
import { ChartService } from "./gen/financehub/v1/charts_pb.js";
import { FundamentalsService } from "./gen/financehub/v1/fundamentals_pb.js";
import { FundService } from "./gen/financehub/v1/funds_pb.js";
import type { Fund, ListFundsRequestSchema } from "./gen/financehub/v1/funds_pb.js";
import { IndexService } from "./gen/financehub/v1/indices_pb.js";
import { MarketService } from "./gen/financehub/v1/market_pb.js";
import type {
  ListTickersRequestSchema,
  ScreenSecuritiesRequestSchema,
  ScreenedSecurity,
} from "./gen/financehub/v1/market_pb.js";
import { QuoteService } from "./gen/financehub/v1/quotes_pb.js";
import { ResearchService } from "./gen/financehub/v1/research_pb.js";
import type { ListNewsRequestSchema, NewsItem } from "./gen/financehub/v1/research_pb.js";
import type { Ticker } from "./gen/financehub/v1/securities_pb.js";
import { TradingService } from "./gen/financehub/v1/trading_pb.js";
import type {
  Fill,
  ListFillsRequestSchema,
  ListOrdersRequestSchema,
  Order,
} from "./gen/financehub/v1/trading_pb.js";

import { errorInterceptor } from "./errors.js";
import { paginate } from "./pagination.js";
import type { PageOptions } from "./pagination.js";
import { AuthSession, credentialsInterceptor, tokensFromPair } from "./session.js";
import type { SessionTokens } from "./session.js";

export interface TransportOptions {
  baseUrl: string;
  interceptors: Interceptor[];
  fetch?: typeof globalThis.fetch;
}

export interface FinanceHubClientOptions {
  /** Envoy's URL, e.g. "http://localhost:8080" (gRPC-Web is served there). */
  baseUrl: string;
  /** An API key ("fhp_..."), sent as x-api-key whenever no user is logged in. */
  apiKey?: string;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof globalThis.fetch;
  /** Extra interceptors, run inside the error mapping and outside the credentials. */
  interceptors?: Interceptor[];
  /** A session to resume (from `onSessionChange` of an earlier client). */
  session?: SessionTokens;
  /** Called with the new tokens on login and refresh, and with undefined when the session ends. */
  onSessionChange?: (tokens: SessionTokens | undefined) => void;
  /** Refresh the access token this long before it expires. Default 60 000 ms. */
  refreshMarginMs?: number;
  /** Deadline of each call unless the call sets `timeoutMs`. Streams are not limited by default. */
  defaultTimeoutMs?: number;
  /** Builds the transport (default: Connect's gRPC-Web transport); tests pass an in-memory one. */
  createTransport?: (options: TransportOptions) => Transport;
  /** The clock, for tests. */
  now?: () => number;
}

/** A list request without its page token (the iterator follows the pages), plus paging options. */
export type Filter<Schema extends DescMessage> = Omit<MessageInitShape<Schema>, "pageToken" | "$typeName"> & PageOptions;

export interface FinanceHubClient {
  readonly admin: Client<typeof AdminService>;
  readonly ai: Client<typeof AIService>;
  readonly auth: Client<typeof AuthService>;
  readonly backtests: Client<typeof BacktestService>;
  readonly charts: Client<typeof ChartService>;
  readonly fundamentals: Client<typeof FundamentalsService>;
  readonly funds: Client<typeof FundService>;
  readonly indices: Client<typeof IndexService>;
  readonly market: Client<typeof MarketService>;
  readonly quotes: Client<typeof QuoteService>;
  readonly research: Client<typeof ResearchService>;
  readonly trading: Client<typeof TradingService>;

  /** The login session (tokens, refresh); empty until `login`. */
  readonly session: AuthSession;
  /** Log in with email and password; later calls carry the access token. */
  login(email: string, password: string, options?: CallOptions): Promise<LoginResponse>;
  /** End the session on the server (best effort) and forget the tokens. */
  logout(options?: CallOptions): Promise<void>;

  iterTickers(filter?: Filter<typeof ListTickersRequestSchema>, options?: CallOptions): AsyncGenerator<Ticker, void, undefined>;
  iterScreen(filter?: Filter<typeof ScreenSecuritiesRequestSchema>, options?: CallOptions): AsyncGenerator<ScreenedSecurity, void, undefined>;
  iterOrders(filter?: Filter<typeof ListOrdersRequestSchema>, options?: CallOptions): AsyncGenerator<Order, void, undefined>;
  iterFills(filter?: Filter<typeof ListFillsRequestSchema>, options?: CallOptions): AsyncGenerator<Fill, void, undefined>;
  iterFunds(filter?: Filter<typeof ListFundsRequestSchema>, options?: CallOptions): AsyncGenerator<Fund, void, undefined>;
  iterNews(filter?: Filter<typeof ListNewsRequestSchema>, options?: CallOptions): AsyncGenerator<NewsItem, void, undefined>;
  iterBacktests(filter?: Filter<typeof ListBacktestsRequestSchema>, options?: CallOptions): AsyncGenerator<Backtest, void, undefined>;
}

function defaultTransport(defaultTimeoutMs: number | undefined) {
  return ({ baseUrl, interceptors, fetch }: TransportOptions): Transport =>
    createGrpcWebTransport({
      baseUrl,
      interceptors,
      useBinaryFormat: true,
      // Called unbound, window.fetch throws "Illegal invocation".
      ...(fetch ? { fetch: (input, init) => fetch(input, init) } : {}),
      ...(defaultTimeoutMs !== undefined ? { defaultTimeoutMs } : {}),
    });
}

function splitPaging<T extends PageOptions>(filter: T | undefined): [Omit<T, "maxPages">, PageOptions] {
  const { maxPages, ...request } = filter ?? ({} as T);
  return [request, maxPages === undefined ? {} : { maxPages }];
}

export function createFinanceHubClient(options: FinanceHubClientOptions): FinanceHubClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  // The session refreshes through `auth`, which is created below (refresh calls skip
  // the credentials interceptor, so there is no recursion).
  let auth: Client<typeof AuthService> | undefined;
  const session = new AuthSession({
    refresh: async (refreshToken) => (await auth!.refreshToken({ refreshToken })).tokens,
    ...(options.refreshMarginMs !== undefined ? { refreshMarginMs: options.refreshMarginMs } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.onSessionChange ? { onChange: options.onSessionChange } : {}),
    ...(options.session ? { initial: options.session } : {}),
  });
  const transport = (options.createTransport ?? defaultTransport(options.defaultTimeoutMs))({
    baseUrl,
    interceptors: [errorInterceptor, ...(options.interceptors ?? []), credentialsInterceptor(session, options.apiKey)],
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  auth = createClient(AuthService, transport);
  const market = createClient(MarketService, transport);
  const trading = createClient(TradingService, transport);
  const funds = createClient(FundService, transport);
  const research = createClient(ResearchService, transport);
  const backtests = createClient(BacktestService, transport);
  const authClient = auth;

  return {
    admin: createClient(AdminService, transport),
    ai: createClient(AIService, transport),
    auth: authClient,
    backtests,
    charts: createClient(ChartService, transport),
    fundamentals: createClient(FundamentalsService, transport),
    funds,
    indices: createClient(IndexService, transport),
    market,
    quotes: createClient(QuoteService, transport),
    research,
    trading,
    session,

    async login(email, password, callOptions) {
      const response = await authClient.login({ email, password }, callOptions);
      session.set(tokensFromPair(response.tokens));
      return response;
    },

    async logout(callOptions) {
      try {
        if (session.loggedIn) {
          await authClient.logout({}, callOptions);
        }
      } finally {
        session.set(undefined);
      }
    },

    iterTickers(filter, callOptions) {
      const [request, paging] = splitPaging(filter);
      return paginate((pageToken) => market.listTickers({ ...request, pageToken }, callOptions),
        (page) => page.tickers, paging);
    },
    iterScreen(filter, callOptions) {
      const [request, paging] = splitPaging(filter);
      return paginate((pageToken) => market.screenSecurities({ ...request, pageToken }, callOptions),
        (page) => page.securities, paging);
    },
    iterOrders(filter, callOptions) {
      const [request, paging] = splitPaging(filter);
      return paginate((pageToken) => trading.listOrders({ ...request, pageToken }, callOptions),
        (page) => page.orders, paging);
    },
    iterFills(filter, callOptions) {
      const [request, paging] = splitPaging(filter);
      return paginate((pageToken) => trading.listFills({ ...request, pageToken }, callOptions),
        (page) => page.fills, paging);
    },
    iterFunds(filter, callOptions) {
      const [request, paging] = splitPaging(filter);
      return paginate((pageToken) => funds.listFunds({ ...request, pageToken }, callOptions),
        (page) => page.funds, paging);
    },
    iterNews(filter, callOptions) {
      const [request, paging] = splitPaging(filter);
      return paginate((pageToken) => research.listNews({ ...request, pageToken }, callOptions),
        (page) => page.news, paging);
    },
    iterBacktests(filter, callOptions) {
      const [request, paging] = splitPaging(filter);
      return paginate((pageToken) => backtests.listBacktests({ ...request, pageToken }, callOptions),
        (page) => page.backtests, paging);
    },
  };
}
