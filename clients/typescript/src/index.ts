// @financehub/client: the FinanceHub Pro API (Saudi Exchange market data, research,
// paper trading, AI) for browsers and Node, over gRPC-Web.
export { createFinanceHubClient } from "./client.js";
export type { FinanceHubClient, FinanceHubClientOptions, Filter, TransportOptions } from "./client.js";
export { AuthSession, credentialsInterceptor, jwtExpiry, tokensFromPair, API_KEY_HEADER, AUTHORIZATION_HEADER } from "./session.js";
export type { AuthSessionOptions, SessionTokens } from "./session.js";
export { FinanceHubError, codeName, errorInterceptor, ERROR_DOMAIN } from "./errors.js";
export type { FieldViolation } from "./errors.js";
export { paginate } from "./pagination.js";
export type { PageOptions } from "./pagination.js";
export { Code, ConnectError } from "@connectrpc/connect";
export type { CallOptions, Client, Interceptor, Transport } from "@connectrpc/connect";

// The contract: messages, enums and service descriptors of financehub.v1.
export * from "./gen/financehub/v1/admin_pb.js";
export * from "./gen/financehub/v1/ai_pb.js";
export * from "./gen/financehub/v1/auth_pb.js";
export * from "./gen/financehub/v1/backtests_pb.js";
export * from "./gen/financehub/v1/charts_pb.js";
export * from "./gen/financehub/v1/fundamentals_pb.js";
export * from "./gen/financehub/v1/funds_pb.js";
export * from "./gen/financehub/v1/identity_pb.js";
export * from "./gen/financehub/v1/indices_pb.js";
export * from "./gen/financehub/v1/market_pb.js";
export * from "./gen/financehub/v1/quotes_pb.js";
export * from "./gen/financehub/v1/research_pb.js";
export * from "./gen/financehub/v1/securities_pb.js";
export * from "./gen/financehub/v1/trading_pb.js";
export * from "./gen/google/rpc/error_details_pb.js";
