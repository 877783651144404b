// Errors as the FinanceHub API sends them: a gRPC status code and message plus the
// google.rpc details the server attaches (grpc-status-details-bin) — ErrorInfo always
// (reason, domain "financehub.sa"), BadRequest field violations for bad input, RetryInfo
// on rate limits, QuotaFailure on quotas, ResourceInfo for missing resources.
import { Code, ConnectError } from "@connectrpc/connect";
import type { Interceptor, StreamResponse } from "@connectrpc/connect";
import { durationMs } from "@bufbuild/protobuf/wkt";
import {
  BadRequestSchema,
  ErrorInfoSchema,
  QuotaFailureSchema,
  ResourceInfoSchema,
  RetryInfoSchema,
} from "./gen/google/rpc/error_details_pb.js";
import type { ErrorInfo, QuotaFailure_Violation, ResourceInfo } from "./gen/google/rpc/error_details_pb.js";

/** The domain of every ErrorInfo the server sends. */
export const ERROR_DOMAIN = "financehub.sa";

/** One bad field of a request (google.rpc.BadRequest.FieldViolation). */
export interface FieldViolation {
  /** The field's path, as in the request ("symbol", "limit_price"). */
  field: string;
  description: string;
  reason: string;
}

/** "InvalidArgument" -> "INVALID_ARGUMENT": the canonical gRPC status name. */
export function codeName(code: Code): string {
  const name = Code[code] ?? "Unknown";
  return name.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/**
 * A failed call: a `ConnectError` (so `instanceof ConnectError` and `findDetails` keep
 * working) with the server's rich error details decoded.
 */
export class FinanceHubError extends ConnectError {
  /** ErrorInfo.reason, e.g. "INVALID_SYMBOL", "TOKEN_EXPIRED"; undefined when absent. */
  readonly reason: string | undefined;
  /** ErrorInfo.domain ("financehub.sa" for the server's own errors). */
  readonly domain: string | undefined;
  /** ErrorInfo.metadata. */
  readonly errorMetadata: Readonly<Record<string, string>>;
  /** BadRequest field violations; empty when the request was not refused for its fields. */
  readonly fieldViolations: readonly FieldViolation[];
  /** RetryInfo.retry_delay in milliseconds (rate limits). */
  readonly retryDelayMs: number | undefined;
  /** QuotaFailure violations (daily AI token quota and the like). */
  readonly quotaViolations: readonly QuotaFailure_Violation[];
  /** ResourceInfo (what was not found). */
  readonly resourceInfo: ResourceInfo | undefined;
  /** The server's request id (the x-request-id response header), to quote in a report. */
  readonly requestId: string | undefined;

  constructor(source: ConnectError) {
    super(source.rawMessage, source.code, source.metadata, undefined, source.cause ?? source);
    this.details = source.details;
    const info: ErrorInfo | undefined = source.findDetails(ErrorInfoSchema)[0];
    this.reason = info?.reason || undefined;
    this.domain = info?.domain || undefined;
    this.errorMetadata = { ...(info?.metadata ?? {}) };
    this.fieldViolations = source.findDetails(BadRequestSchema).flatMap((bad) =>
      bad.fieldViolations.map((v) => ({ field: v.field, description: v.description, reason: v.reason })));
    const retry = source.findDetails(RetryInfoSchema)[0];
    this.retryDelayMs = retry?.retryDelay ? durationMs(retry.retryDelay) : undefined;
    this.quotaViolations = source.findDetails(QuotaFailureSchema).flatMap((q) => q.violations);
    this.resourceInfo = source.findDetails(ResourceInfoSchema)[0];
    this.requestId = source.metadata.get("x-request-id") ?? undefined;
  }

  /** The canonical status name, e.g. "INVALID_ARGUMENT". */
  get codeName(): string {
    return codeName(this.code);
  }

  /** One line for people: "INVALID_ARGUMENT (INVALID_SYMBOL): ... [symbol: ...]". */
  describe(): string {
    const reason = this.reason ? ` (${this.reason})` : "";
    const fields = this.fieldViolations.length
      ? ` [${this.fieldViolations.map((v) => `${v.field}: ${v.description}`).join("; ")}]`
      : "";
    return `${this.codeName}${reason}: ${this.rawMessage}${fields}`;
  }

  /** Any thrown value as a FinanceHubError; a fetch that never reached a server is UNAVAILABLE. */
  static override from(reason: unknown): FinanceHubError {
    if (reason instanceof FinanceHubError) {
      return reason;
    }
    const error = ConnectError.from(reason);
    if (error.code === Code.Unknown && isNetworkFailure(error.cause ?? reason)) {
      return new FinanceHubError(new ConnectError(
        `${error.rawMessage}: the server cannot be reached (or this page's origin is not allowed by its CORS policy)`,
        Code.Unavailable, error.metadata, undefined, error.cause ?? reason));
    }
    return new FinanceHubError(error);
  }

  // ConnectError's own instanceof check is structural and would accept any ConnectError.
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null &&
      Object.prototype.isPrototypeOf.call(FinanceHubError.prototype, value);
  }
}

/** What fetch throws when no answer came back: Chromium, Node, Firefox, Safari. */
function isNetworkFailure(cause: unknown): boolean {
  return cause instanceof TypeError &&
    /^(Failed to fetch|fetch failed|NetworkError when attempting to fetch resource\.?|Load failed)$/.test(cause.message);
}

async function* rethrowing<T>(messages: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* messages;
  } catch (error) {
    throw FinanceHubError.from(error);
  }
}

/** An interceptor that turns every error of a call (and of a stream) into a FinanceHubError. */
export const errorInterceptor: Interceptor = (next) => async (request) => {
  try {
    const response = await next(request);
    if (!response.stream) {
      return response;
    }
    return { ...response, message: rethrowing(response.message) } as StreamResponse;
  } catch (error) {
    throw FinanceHubError.from(error);
  }
};
