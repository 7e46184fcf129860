/**
 * Faults the emulator can be told to produce, programmatically with
 * `MistralEmulator.inject` or per request with the `x-emulator-fault` header.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"

/**
 * One way of misbehaving.
 *
 * - `Status`: answer `status` with the API's JSON error body (`Retry-After`
 *   when `retryAfter` is set); the request is not executed.
 * - `Reset`: destroy the connection before the response head.
 * - `Delay`: wait before answering, then answer normally.
 * - `EventDelay`: wait before each server-sent event after the first.
 * - `StreamCut`: close the connection after `afterEvents` server-sent events,
 *   without ending the chunked body.
 * - `MalformedJson`: answer 200 with a truncated copy of the real JSON answer
 *   (in a stream: the first event's data is truncated); the request is executed.
 * - `WrongContentType`: answer 200 with an HTML page (or `contentType`); the
 *   request is not executed.
 * - `StreamError`: in a realtime transcription session, send an `error` message
 *   (`{"type":"error","error":{"message","code"}}`) after `afterEvents`
 *   messages; other requests ignore it.
 * - `UnknownEvent`: in a realtime transcription session, send a message of a
 *   type the protocol does not list (`emulator.unknown`) after `afterEvents`
 *   messages, as a newer server might; other requests ignore it.
 *
 * In a realtime transcription session (a WebSocket), `Status` refuses the
 * handshake, `Reset` destroys the connection before it, `Delay` delays the
 * handshake, `EventDelay` delays every message the server sends
 * (`session.created` too) and `StreamCut` destroys the connection after
 * `afterEvents` messages, without a close frame.
 *
 * @since 0.1.0
 * @category models
 */
export type Fault =
  | Status
  | Reset
  | Delay
  | EventDelay
  | StreamCut
  | MalformedJson
  | WrongContentType
  | StreamError
  | UnknownEvent

/**
 * @since 0.1.0
 * @category models
 */
export interface Status {
  readonly _tag: "Status"
  readonly status: number
  /** Seconds, sent as the `Retry-After` header. */
  readonly retryAfter?: number | undefined
  readonly message?: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Reset {
  readonly _tag: "Reset"
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Delay {
  readonly _tag: "Delay"
  readonly delay: Duration.Duration
}

/**
 * @since 0.1.0
 * @category models
 */
export interface EventDelay {
  readonly _tag: "EventDelay"
  readonly delay: Duration.Duration
}

/**
 * @since 0.1.0
 * @category models
 */
export interface StreamCut {
  readonly _tag: "StreamCut"
  readonly afterEvents: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface MalformedJson {
  readonly _tag: "MalformedJson"
}

/**
 * @since 0.1.0
 * @category models
 */
export interface WrongContentType {
  readonly _tag: "WrongContentType"
  readonly contentType: string
}

/**
 * @since 0.2.0
 * @category models
 */
export interface StreamError {
  readonly _tag: "StreamError"
  readonly code: number
  readonly message: string
  readonly afterEvents: number
}

/**
 * @since 0.2.0
 * @category models
 */
export interface UnknownEvent {
  readonly _tag: "UnknownEvent"
  readonly afterEvents: number
}

/**
 * Answer `status` with a JSON error body.
 *
 * @since 0.1.0
 * @category constructors
 */
export const status = (
  status: number,
  options?: { readonly retryAfter?: number | undefined; readonly message?: string | undefined }
): Status => ({ _tag: "Status", status, retryAfter: options?.retryAfter, message: options?.message })

/**
 * Answer 429 with `Retry-After` (seconds, default 1).
 *
 * @since 0.1.0
 * @category constructors
 */
export const rateLimited = (options?: { readonly retryAfter?: number | undefined }): Status =>
  status(429, { retryAfter: options?.retryAfter ?? 1 })

/**
 * Destroy the connection before the response head.
 *
 * @since 0.1.0
 * @category constructors
 */
export const reset: Reset = { _tag: "Reset" }

/**
 * Wait before the response head.
 *
 * @since 0.1.0
 * @category constructors
 */
export const delay = (delay: Duration.DurationInput): Delay => ({ _tag: "Delay", delay: Duration.decode(delay) })

/**
 * Wait between server-sent events.
 *
 * @since 0.1.0
 * @category constructors
 */
export const eventDelay = (delay: Duration.DurationInput): EventDelay => ({
  _tag: "EventDelay",
  delay: Duration.decode(delay)
})

/**
 * Close the connection after `afterEvents` server-sent events.
 *
 * @since 0.1.0
 * @category constructors
 */
export const streamCut = (afterEvents: number): StreamCut => ({ _tag: "StreamCut", afterEvents })

/**
 * Answer 200 with a truncated JSON body.
 *
 * @since 0.1.0
 * @category constructors
 */
export const malformedJson: MalformedJson = { _tag: "MalformedJson" }

/**
 * Answer 200 with a body of another content type (default `text/html`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const wrongContentType = (contentType = "text/html"): WrongContentType => ({
  _tag: "WrongContentType",
  contentType
})

/**
 * Send an `error` message in a realtime session after `afterEvents` messages (default 1: after `session.created`).
 *
 * @since 0.2.0
 * @category constructors
 */
export const streamError = (
  code: number,
  options?: { readonly message?: string | undefined; readonly afterEvents?: number | undefined }
): StreamError => ({
  _tag: "StreamError",
  code,
  message: options?.message ?? "Injected error",
  afterEvents: options?.afterEvents ?? 1
})

/**
 * Send a message of an unknown type in a realtime session after `afterEvents` messages (default 1).
 *
 * @since 0.2.0
 * @category constructors
 */
export const unknownEvent = (afterEvents = 1): UnknownEvent => ({ _tag: "UnknownEvent", afterEvents })

/**
 * The name of the per-request fault header.
 *
 * @since 0.1.0
 * @category header
 */
export const headerName = "x-emulator-fault"

/**
 * A fault read from the `x-emulator-fault` header, with how many requests
 * carrying that same header value it applies to (`undefined`: all of them).
 *
 * @since 0.1.0
 * @category header
 */
export interface HeaderFault {
  readonly fault: Fault
  readonly times: number | undefined
}

const nonNegativeInteger = (key: string, value: string | undefined): Either.Either<number, string> => {
  const n = value === undefined ? Number.NaN : Number(value)
  return Number.isInteger(n) && n >= 0 ? Either.right(n) : Either.left(`${key} must be a non-negative integer`)
}

/**
 * Parses the `x-emulator-fault` header: `;`-separated `key=value` pairs,
 * exactly one of `status=<code>` (with optional `retry-after=<seconds>`),
 * `reset`, `delay=<ms>`, `event-delay=<ms>`, `cut-after=<events>`,
 * `malformed`, `content-type=<mime>` (or `html`), `stream-error=<code>`, `unknown-event`, plus optional `times=<n>`.
 *
 * @since 0.1.0
 * @category header
 */
export const parseHeader = (value: string): Either.Either<HeaderFault, string> => {
  const pairs = new Map<string, string | undefined>()
  for (const part of value.split(";")) {
    const trimmed = part.trim()
    if (trimmed === "") continue
    const eq = trimmed.indexOf("=")
    const key = (eq === -1 ? trimmed : trimmed.slice(0, eq)).trim().toLowerCase()
    pairs.set(key, eq === -1 ? undefined : trimmed.slice(eq + 1).trim())
  }
  let times: number | undefined
  if (pairs.has("times")) {
    const parsed = nonNegativeInteger("times", pairs.get("times"))
    if (Either.isLeft(parsed)) return Either.left(parsed.left)
    times = parsed.right
  }
  const kinds = [
    "status",
    "reset",
    "delay",
    "event-delay",
    "cut-after",
    "malformed",
    "content-type",
    "html",
    "stream-error",
    "unknown-event"
  ].filter((key) => pairs.has(key))
  const unknown = [...pairs.keys()].filter((key) => key !== "times" && key !== "retry-after" && !kinds.includes(key))
  if (unknown.length > 0) return Either.left(`unknown key ${unknown[0]}`)
  if (kinds.length !== 1) return Either.left("exactly one fault kind expected")
  const kind = kinds[0]
  const make = (fault: Fault): Either.Either<HeaderFault, string> => Either.right({ fault, times })
  const number = (key: string) => nonNegativeInteger(key, pairs.get(key))
  switch (kind) {
    case "status": {
      const code = number("status")
      if (Either.isLeft(code) || code.right < 100 || code.right > 599) return Either.left("status must be 100-599")
      if (pairs.has("retry-after")) {
        const retryAfter = number("retry-after")
        if (Either.isLeft(retryAfter)) return Either.left(retryAfter.left)
        return make(status(code.right, { retryAfter: retryAfter.right }))
      }
      return make(code.right === 429 ? rateLimited() : status(code.right))
    }
    case "reset":
      return make(reset)
    case "delay":
      return Either.map(number("delay"), (ms) => ({ fault: delay(Duration.millis(ms)), times }))
    case "event-delay":
      return Either.map(number("event-delay"), (ms) => ({ fault: eventDelay(Duration.millis(ms)), times }))
    case "cut-after":
      return Either.map(number("cut-after"), (k) => ({ fault: streamCut(k), times }))
    case "malformed":
      return make(malformedJson)
    case "html":
      return make(wrongContentType())
    case "stream-error":
      return Either.map(number("stream-error"), (code) => ({ fault: streamError(code), times }))
    case "unknown-event":
      return make(unknownEvent())
    default:
      return make(wrongContentType(pairs.get("content-type") || "text/html"))
  }
}

/**
 * Writes the `x-emulator-fault` header value for a fault.
 *
 * @since 0.1.0
 * @category header
 */
export const toHeader = (fault: Fault, options?: { readonly times?: number | undefined }): string => {
  const times = options?.times === undefined ? "" : `;times=${options.times}`
  switch (fault._tag) {
    case "Status":
      return `status=${fault.status}${fault.retryAfter === undefined ? "" : `;retry-after=${fault.retryAfter}`}${times}`
    case "Reset":
      return `reset${times}`
    case "Delay":
      return `delay=${Duration.toMillis(fault.delay)}${times}`
    case "EventDelay":
      return `event-delay=${Duration.toMillis(fault.delay)}${times}`
    case "StreamCut":
      return `cut-after=${fault.afterEvents}${times}`
    case "MalformedJson":
      return `malformed${times}`
    case "WrongContentType":
      return `content-type=${fault.contentType}${times}`
    case "StreamError":
      return `stream-error=${fault.code}${times}`
    case "UnknownEvent":
      return `unknown-event${times}`
  }
}
