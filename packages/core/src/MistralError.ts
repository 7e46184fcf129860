/**
 * The errors of the Mistral client: one tagged family, so callers can `Effect.catchTag` on any member.
 *
 * Every error carries the operation id, the HTTP method and the URL path it concerns, the status and the request id
 * where there is one. None ever carries the API key, the request headers or the request object. The classes share
 * one `TypeId` (`@effect/platform`'s `TypeIdError`); the client builds them in one internal module, never elsewhere.
 *
 * @since 0.1.0
 */
import { TypeIdError } from "@effect/platform/Error"
import * as Duration from "effect/Duration"
import * as Predicate from "effect/Predicate"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("@effect-mistral/core/MistralError")

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * Where an error happened: the operation and the request, never its credentials.
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestContext {
  readonly operationId: string
  readonly method: string
  /** The URL path that was (or would have been) requested, parameters filled in; no query, no host. */
  readonly path: string
  /** The `x-request-id` (or `mistral-correlation-id`) header of the answer, where there was one. */
  readonly requestId?: string | undefined
}

/**
 * The body of an API error as the Mistral API sends it: `{"object":"error","message":…,"type":…,"code":…}`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ApiErrorBody {
  readonly message?: string | undefined
  readonly type?: string | undefined
  readonly code?: string | undefined
  /** The answer's body as received (truncated to 4 KiB), for what the fields above do not capture. */
  readonly raw?: string | undefined
}

/**
 * One entry of a 422 answer's `detail`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ValidationIssue {
  readonly loc: ReadonlyArray<string | number>
  /** The API has sent `msg` both as a string and as an array of strings; arrays are joined with `; `. */
  readonly msg: string
  readonly type: string
}

const where = (self: RequestContext & { readonly status?: number | undefined }): string => {
  const status = self.status === undefined ? "" : ` ${self.status}`
  const id = self.requestId === undefined ? "" : ` request-id=${self.requestId}`
  return `(${self.operationId}: ${self.method} ${self.path}${status}${id})`
}

const describeApiError = (fallback: string, body: ApiErrorBody): string => {
  const parts = [body.message ?? fallback]
  if (body.type !== undefined) parts.push(`type=${body.type}`)
  if (body.code !== undefined) parts.push(`code=${body.code}`)
  return parts.join(" ")
}

/**
 * 422: the API rejected the request's content. `issues` is the decoded `detail`.
 *
 * @since 0.1.0
 * @category errors
 */
export class ValidationError extends TypeIdError(TypeId, "ValidationError")<
  RequestContext & {
    readonly status: 422
    readonly issues: ReadonlyArray<ValidationIssue>
    readonly body: ApiErrorBody
  }
> {
  override get message(): string {
    const issues =
      this.issues.length === 0
        ? (this.body.message ?? "invalid request")
        : this.issues.map((issue) => `${issue.loc.join(".")}: ${issue.msg}`).join("; ")
    return `Validation failed: ${issues} ${where(this)}`
  }
}

/**
 * 401: the API key is missing, wrong or revoked.
 *
 * @since 0.1.0
 * @category errors
 */
export class AuthenticationError extends TypeIdError(TypeId, "AuthenticationError")<
  RequestContext & { readonly status: 401; readonly body: ApiErrorBody }
> {
  override get message(): string {
    return `${describeApiError("Unauthorized", this.body)} ${where(this)}`
  }
}

/**
 * 403: the key is valid but may not do this.
 *
 * @since 0.1.0
 * @category errors
 */
export class PermissionDenied extends TypeIdError(TypeId, "PermissionDenied")<
  RequestContext & { readonly status: 403; readonly body: ApiErrorBody }
> {
  override get message(): string {
    return `${describeApiError("Permission denied", this.body)} ${where(this)}`
  }
}

/**
 * 404: the resource (conversation, agent, file…) does not exist.
 *
 * @since 0.1.0
 * @category errors
 */
export class NotFound extends TypeIdError(TypeId, "NotFound")<
  RequestContext & { readonly status: 404; readonly body: ApiErrorBody }
> {
  override get message(): string {
    return `${describeApiError("Not found", this.body)} ${where(this)}`
  }
}

/**
 * 429: too many requests. `retryAfter` is the server's `Retry-After` (seconds or HTTP date), when it sent one.
 *
 * @since 0.1.0
 * @category errors
 */
export class RateLimited extends TypeIdError(TypeId, "RateLimited")<
  RequestContext & {
    readonly status: 429
    readonly retryAfter?: Duration.Duration | undefined
    readonly body: ApiErrorBody
  }
> {
  override get message(): string {
    const after = this.retryAfter === undefined ? "" : ` retry after ${Duration.format(this.retryAfter)}`
    return `${describeApiError("Rate limited", this.body)}${after} ${where(this)}`
  }
}

/**
 * 5xx: the server failed. 500, 502, 503 and 504 are retried by the default policy.
 *
 * @since 0.1.0
 * @category errors
 */
export class ServerError extends TypeIdError(TypeId, "ServerError")<
  RequestContext & {
    readonly status: number
    readonly retryAfter?: Duration.Duration | undefined
    readonly body: ApiErrorBody
  }
> {
  override get message(): string {
    return `${describeApiError("Server error", this.body)} ${where(this)}`
  }
}

/**
 * Any other non-success status (400, 409, 413…).
 *
 * @since 0.1.0
 * @category errors
 */
export class HttpStatusError extends TypeIdError(TypeId, "HttpStatusError")<
  RequestContext & { readonly status: number; readonly body: ApiErrorBody }
> {
  override get message(): string {
    return `${describeApiError(`HTTP ${this.status}`, this.body)} ${where(this)}`
  }
}

/**
 * The request could not be sent or its answer could not be read (connection refused or reset, DNS, TLS…).
 *
 * @since 0.1.0
 * @category errors
 */
export class TransportError extends TypeIdError(TypeId, "TransportError")<
  RequestContext & { readonly detail: string }
> {
  override get message(): string {
    return `Transport failure: ${this.detail} ${where(this)}`
  }
}

/**
 * No answer (for streams: no response head) within the request timeout.
 *
 * @since 0.1.0
 * @category errors
 */
export class RequestTimeout extends TypeIdError(TypeId, "RequestTimeout")<
  RequestContext & { readonly timeout: Duration.Duration }
> {
  override get message(): string {
    return `No answer within ${Duration.format(this.timeout)} ${where(this)}`
  }
}

/**
 * A stream sent nothing for longer than the stream idle timeout.
 *
 * @since 0.1.0
 * @category errors
 */
export class StreamIdleTimeout extends TypeIdError(TypeId, "StreamIdleTimeout")<
  RequestContext & { readonly status: number; readonly timeout: Duration.Duration; readonly eventsReceived: number }
> {
  override get message(): string {
    return `Stream idle for ${Duration.format(this.timeout)} after ${this.eventsReceived} event(s) ${where(this)}`
  }
}

/**
 * The answer did not match the operation's schema (or was not JSON). `body` is the raw text (truncated to 64 KiB),
 * `issue` the schema's explanation.
 *
 * @since 0.1.0
 * @category errors
 */
export class ResponseDecodeError extends TypeIdError(TypeId, "ResponseDecodeError")<
  RequestContext & { readonly status: number; readonly body: string; readonly issue: string }
> {
  override get message(): string {
    return `Unexpected answer: ${this.issue} ${where(this)}`
  }
}

/**
 * The request's input did not encode with the operation's schema; nothing was sent. `field` is the path of the
 * offending field (`body.inputs.0.role`), `issue` the schema's explanation.
 *
 * @since 0.1.0
 * @category errors
 */
export class RequestEncodeError extends TypeIdError(TypeId, "RequestEncodeError")<
  RequestContext & { readonly field: string; readonly issue: string }
> {
  override get message(): string {
    return `Invalid request at ${this.field}: ${this.issue} ${where(this)}`
  }
}

/**
 * The server reported an error inside a stream (a `conversation.response.error` event, or an `error` event).
 *
 * @since 0.1.0
 * @category errors
 */
export class StreamEventError extends TypeIdError(TypeId, "StreamEventError")<
  RequestContext & {
    readonly status: number
    readonly code?: string | number | undefined
    readonly detail: string
    readonly eventsReceived: number
  }
> {
  override get message(): string {
    const code = this.code === undefined ? "" : ` code=${this.code}`
    return `Stream error: ${this.detail}${code} ${where(this)}`
  }
}

/**
 * A stream ended before its end (connection cut, or a body that ended mid-event).
 *
 * @since 0.1.0
 * @category errors
 */
export class StreamBroken extends TypeIdError(TypeId, "StreamBroken")<
  RequestContext & { readonly status: number; readonly detail: string; readonly eventsReceived: number }
> {
  override get message(): string {
    return `Stream broke off after ${this.eventsReceived} event(s): ${this.detail} ${where(this)}`
  }
}

/**
 * The shared rate-limit budget (`MistralRateLimit`) is spent for longer than the request may wait; nothing was sent.
 *
 * @since 0.2.0
 * @category errors
 */
export class BudgetExhausted extends TypeIdError(TypeId, "BudgetExhausted")<
  RequestContext & { readonly budget: "requests" | "tokens"; readonly wait: Duration.Duration }
> {
  override get message(): string {
    return `The shared ${this.budget} budget would take ${Duration.format(this.wait)} to allow this request ${where(this)}`
  }
}

/**
 * The client's settings are unusable (a blank API key, a base URL that is not an `http(s)` URL, a missing
 * `MISTRAL_API_KEY`); the layer fails when it is built, before anything is sent. `option` is the option's name,
 * `variable` the environment variable it was read from (when it was), `hint` what to do about it. Never retried, and
 * not a member of `MistralError` (it concerns no request).
 *
 * @since 0.2.0
 * @category errors
 */
export class ConfigurationError extends TypeIdError(TypeId, "ConfigurationError")<{
  readonly option: string
  readonly variable?: string | undefined
  readonly detail: string
  readonly hint: string
}> {
  override get message(): string {
    const name = this.variable === undefined ? `option ${this.option}` : `${this.variable} (option ${this.option})`
    return `Invalid configuration: ${name} ${this.detail}. ${this.hint}`
  }
}

/**
 * A structured reply (`StructuredOutput`) did not decode with the schema it was asked for: not JSON, or JSON of
 * another shape. `text` is the reply's raw text, `issue` the schema's explanation, `name` the schema's name as sent
 * in `response_format`. Not a member of `MistralError`: the request itself succeeded.
 *
 * @since 0.2.0
 * @category errors
 */
export class StructuredOutputError extends TypeIdError(TypeId, "StructuredOutputError")<{
  readonly name: string
  readonly text: string
  readonly issue: string
}> {
  override get message(): string {
    const shown = this.text.length > 200 ? `${this.text.slice(0, 200)}…` : this.text
    return `The reply does not match the schema ${this.name}: ${this.issue} (reply: ${JSON.stringify(shown)})`
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export type MistralError =
  | ValidationError
  | AuthenticationError
  | PermissionDenied
  | NotFound
  | RateLimited
  | ServerError
  | HttpStatusError
  | TransportError
  | RequestTimeout
  | StreamIdleTimeout
  | ResponseDecodeError
  | RequestEncodeError
  | StreamEventError
  | StreamBroken
  | BudgetExhausted

/**
 * @since 0.1.0
 * @category guards
 */
export const isMistralError = (u: unknown): u is MistralError => Predicate.hasProperty(u, TypeId)

const retryableStatuses: ReadonlySet<number> = new Set([429, 500, 502, 503, 504])

/**
 * Whether the default policy retries this error: 429, 500, 502, 503, 504, transport failures, request timeouts,
 * and streams that broke or went idle (streams only before their first event; the runtime sees to that).
 *
 * @since 0.1.0
 * @category guards
 */
export const isRetryable = (error: MistralError): boolean => {
  switch (error._tag) {
    case "RateLimited":
    case "TransportError":
    case "RequestTimeout":
    case "StreamIdleTimeout":
    case "StreamBroken":
      return true
    case "ServerError":
      return retryableStatuses.has(error.status)
    default:
      return false
  }
}

/**
 * What the server asked to wait before the next attempt, if it said.
 *
 * @since 0.1.0
 * @category getters
 */
export const retryAfter = (error: MistralError): Duration.Duration | undefined =>
  error._tag === "RateLimited" || error._tag === "ServerError" ? error.retryAfter : undefined
