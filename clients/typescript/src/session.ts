// Credentials for every call: a login session (access + refresh token, refreshed before
// the access token expires and once more when the server answers UNAUTHENTICATED), or
// an API key for machine clients.
import { Code, ConnectError } from "@connectrpc/connect";
import type { Interceptor, StreamRequest, StreamResponse, UnaryRequest, UnaryResponse } from "@connectrpc/connect";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { TokenPair } from "./gen/financehub/v1/auth_pb.js";

/** The header names the server reads (server/security/authenticator.py). */
export const AUTHORIZATION_HEADER = "authorization";
export const API_KEY_HEADER = "x-api-key";

/** A login session as the SDK keeps it. Times are milliseconds since the epoch. */
export interface SessionTokens {
  accessToken: string;
  refreshToken: string;
  accessTokenExpiresAt: number;
  refreshTokenExpiresAt?: number;
}

/** Calls that exchange credentials themselves: they never carry a token or an API key. */
const CREDENTIAL_EXCHANGE = new Set([
  "financehub.v1.AuthService/Login",
  "financehub.v1.AuthService/Register",
  "financehub.v1.AuthService/RefreshToken",
  "financehub.v1.AuthService/RequestPasswordReset",
  "financehub.v1.AuthService/ResetPassword",
  "financehub.v1.AuthService/VerifyEmail",
]);

/** The `exp` claim of a JWT in milliseconds, or undefined when it has none. */
export function jwtExpiry(token: string): number | undefined {
  const payload = token.split(".")[1];
  if (!payload) {
    return undefined;
  }
  try {
    const base64 = payload.replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4))) as { exp?: unknown };
    return typeof claims.exp === "number" ? claims.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** SessionTokens from the server's TokenPair (expiry from the pair, else from the JWT). */
export function tokensFromPair(pair: TokenPair | undefined): SessionTokens {
  if (!pair?.accessToken || !pair.refreshToken) {
    throw new ConnectError("the server answered without a token pair", Code.Internal);
  }
  const accessTokenExpiresAt = pair.accessTokenExpireTime
    ? timestampMs(pair.accessTokenExpireTime)
    : jwtExpiry(pair.accessToken) ?? Number.POSITIVE_INFINITY;
  return {
    accessToken: pair.accessToken,
    refreshToken: pair.refreshToken,
    accessTokenExpiresAt,
    ...(pair.refreshTokenExpireTime ? { refreshTokenExpiresAt: timestampMs(pair.refreshTokenExpireTime) } : {}),
  };
}

export interface AuthSessionOptions {
  /** Exchanges a refresh token for a new pair (AuthService.RefreshToken). */
  refresh: (refreshToken: string) => Promise<TokenPair | undefined>;
  /** Refresh this long before the access token expires. Default 60 000 ms. */
  refreshMarginMs?: number;
  /** The clock, for tests. */
  now?: () => number;
  /** Called whenever the tokens change (login, refresh, logout, session lost). */
  onChange?: (tokens: SessionTokens | undefined) => void;
  /** A session to resume (e.g. kept by the application between page loads). */
  initial?: SessionTokens;
}

/** The tokens of one login, refreshed on demand; one refresh at a time (they are single-use). */
export class AuthSession {
  #tokens: SessionTokens | undefined;
  #refreshing: Promise<SessionTokens | undefined> | undefined;
  readonly #options: AuthSessionOptions;
  readonly #marginMs: number;
  readonly #now: () => number;

  constructor(options: AuthSessionOptions) {
    this.#options = options;
    this.#tokens = options.initial;
    this.#marginMs = options.refreshMarginMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  get tokens(): SessionTokens | undefined {
    return this.#tokens;
  }

  get loggedIn(): boolean {
    return this.#tokens !== undefined;
  }

  set(tokens: SessionTokens | undefined): void {
    this.#tokens = tokens;
    this.#options.onChange?.(tokens);
  }

  /** The access token to send now: refreshed first when it expires within the margin. */
  async accessToken(): Promise<string | undefined> {
    const tokens = this.#tokens;
    if (!tokens) {
      return undefined;
    }
    if (tokens.accessTokenExpiresAt - this.#marginMs > this.#now()) {
      return tokens.accessToken;
    }
    return (await this.refresh(tokens.accessToken))?.accessToken;
  }

  /**
   * Exchange the refresh token for a new pair, unless the session has already moved on
   * from `staleAccessToken` (another call refreshed meanwhile). Concurrent callers share
   * one refresh. A refused refresh ends the session (and answers undefined); other
   * failures (network) are thrown and keep the session.
   */
  async refresh(staleAccessToken?: string): Promise<SessionTokens | undefined> {
    if (this.#refreshing) {
      return this.#refreshing;
    }
    const tokens = this.#tokens;
    if (!tokens) {
      return undefined;
    }
    if (staleAccessToken !== undefined && tokens.accessToken !== staleAccessToken) {
      return tokens;
    }
    if (tokens.refreshTokenExpiresAt !== undefined && tokens.refreshTokenExpiresAt <= this.#now()) {
      this.set(undefined);
      return undefined;
    }
    const refreshing = (async () => {
      try {
        const fresh = tokensFromPair(await this.#options.refresh(tokens.refreshToken));
        if (this.#tokens === tokens) {
          this.set(fresh);
        }
        return this.#tokens;
      } catch (error) {
        const code = ConnectError.from(error).code;
        if ((code === Code.Unauthenticated || code === Code.InvalidArgument) && this.#tokens === tokens) {
          this.set(undefined);
          return undefined;
        }
        throw error;
      } finally {
        this.#refreshing = undefined;
      }
    })();
    this.#refreshing = refreshing;
    return refreshing;
  }
}

async function* replay<T>(messages: readonly T[]): AsyncGenerator<T> {
  yield* messages;
}

async function* prepend<T>(first: IteratorResult<T>, rest: AsyncIterator<T>): AsyncGenerator<T> {
  if (first.done) {
    return;
  }
  yield first.value;
  for (let next = await rest.next(); !next.done; next = await rest.next()) {
    yield next.value;
  }
}

/**
 * A stream response whose first message (or its refusal) has been read: a server that
 * refuses a stream may say so in the response headers or in the first frame, and either
 * way the call can still be sent again.
 */
async function peeked(response: StreamResponse): Promise<StreamResponse> {
  const messages = response.message[Symbol.asyncIterator]();
  const first = await messages.next();
  return { ...response, message: prepend(first, messages) };
}

/**
 * The credentials interceptor: `authorization: Bearer <access token>` while logged in,
 * else `x-api-key` when the client has one. When the server answers UNAUTHENTICATED to a
 * bearer call, the session is refreshed and the call sent once more (unary calls, and
 * server streams refused before their first message).
 */
export function credentialsInterceptor(session: AuthSession, apiKey?: string): Interceptor {
  return (next) => async (request) => {
    const path = `${request.service.typeName}/${request.method.name}`;
    if (CREDENTIAL_EXCHANGE.has(path)) {
      request.header.delete(AUTHORIZATION_HEADER);
      request.header.delete(API_KEY_HEADER);
      return next(request);
    }
    // A server stream's one request message is read once; keep it so a retry can send it
    // again. (Client and bidi streams are not buffered, and not retried.)
    let messages: unknown[] | undefined;
    const retryable = !request.stream || request.method.methodKind === "server_streaming";
    if (request.stream && retryable) {
      messages = [];
      for await (const message of request.message) {
        messages.push(message);
      }
    }
    const attempt = async (token: string | undefined): Promise<UnaryResponse | StreamResponse> => {
      if (token !== undefined) {
        request.header.set(AUTHORIZATION_HEADER, `Bearer ${token}`);
        request.header.delete(API_KEY_HEADER);
      } else if (apiKey) {
        request.header.set(API_KEY_HEADER, apiKey);
      }
      if (!retryable) {
        return next(request);
      }
      const sent = messages
        ? ({ ...request, message: replay(messages) } as StreamRequest)
        : (request as UnaryRequest);
      const response = await next(sent);
      return response.stream ? peeked(response) : response;
    };
    const token = await session.accessToken();
    try {
      return await attempt(token);
    } catch (error) {
      if (token === undefined || !retryable || ConnectError.from(error).code !== Code.Unauthenticated) {
        throw error;
      }
      const fresh = await session.refresh(token);
      if (!fresh) {
        throw error;
      }
      return attempt(fresh.accessToken);
    }
  };
}
