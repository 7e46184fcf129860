/**
 * The seam between the client and the network: the client hands a transport one request and its limits, and gets
 * back a response or a `TransportFailure` that says what went wrong.
 *
 * A transport keeps the limits itself (the Node transport of `@effect-mistral/node` arms one timer per request, and
 * one per streamed read while it waits): no fiber and no race per call. Any `HttpClient` becomes a transport through
 * `fromHttpClient`, which keeps the limits with Effect timeouts. Under a clock other than the live one (`TestClock`),
 * every transport made with `make` keeps them with Effect timeouts too, so tests control time.
 *
 * @since 0.2.0
 */
import type * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Predicate from "effect/Predicate"
import * as Stream from "effect/Stream"
import { describeCause } from "./internal/errors.js"
import * as Timeout from "./internal/timeout.js"

/**
 * How the caller will read the body: whole as text, whole as bytes (both within the request timeout, so a transport
 * may read them in the same wait as the head), or as a stream of chunks bounded by the idle timeout.
 *
 * @since 0.2.0
 * @category models
 */
export type BodyRead = "text" | "bytes" | "stream"

/**
 * The limits of one request.
 *
 * @since 0.2.0
 * @category models
 */
export interface Limits {
  /** Until the head; with `read` `text` or `bytes` until the whole body is read. For a stream, its error body too. */
  readonly timeout: Duration.Duration
  /** For `read: "stream"`: the longest wait for the next bytes (time the reader spends between reads does not count). */
  readonly idleTimeout?: Duration.Duration | undefined
  readonly read: BodyRead
}

/**
 * What went wrong underneath: the deadline passed (`Timeout`), a stream's next bytes were late (`IdleTimeout`), the
 * request could not be sent or its head not read (`Connection`), or the body broke off (`Body`).
 *
 * @since 0.2.0
 * @category errors
 */
export class TransportFailure extends Data.TaggedError("TransportFailure")<{
  readonly reason: "Timeout" | "IdleTimeout" | "Connection" | "Body"
  /** A safe description: messages and codes of the cause chain, never the request or its headers. */
  readonly detail: string
}> {
  override get message(): string {
    return `${this.reason}: ${this.detail}`
  }
}

/**
 * A failure from a cause (an undici error, a socket error, …), described without the request.
 *
 * @since 0.2.0
 * @category constructors
 */
export const failure = (reason: TransportFailure["reason"], cause?: unknown): TransportFailure =>
  new TransportFailure({ reason, detail: cause === undefined ? reasonText[reason] : describeCause(cause) })

const reasonText: Record<TransportFailure["reason"], string> = {
  Timeout: "the request deadline passed",
  IdleTimeout: "no bytes came within the idle timeout",
  Connection: "the request failed",
  Body: "the body broke off"
}

/**
 * An answer. `text` and `bytes` read the whole body (a body read with the head is at hand at once); `stream` hands it
 * on as it arrives. Read the body once.
 *
 * @since 0.2.0
 * @category models
 */
export interface Response {
  readonly status: number
  readonly headers: Headers.Headers
  readonly text: Effect.Effect<string, TransportFailure>
  readonly bytes: Effect.Effect<Uint8Array, TransportFailure>
  readonly stream: Stream.Stream<Uint8Array, TransportFailure>
}

/**
 * @since 0.2.0
 * @category models
 */
export interface Transport {
  readonly send: (
    request: HttpClientRequest.HttpClientRequest,
    limits: Limits
  ) => Effect.Effect<Response, TransportFailure>
}

/**
 * The transport the client sends through (see `MistralClient.layerTransport`).
 *
 * @since 0.2.0
 * @category tags
 */
export class MistralTransport extends Context.Tag("@effect-mistral/core/MistralTransport")<
  MistralTransport,
  Transport
>() {}

const textEncoder = new TextEncoder()

/**
 * A response whose body was read whole with its head.
 *
 * @since 0.2.0
 * @category constructors
 */
export const textResponse = (status: number, headers: Headers.Headers, text: string): Response => ({
  status,
  headers,
  // built when read: a plain call reads `text` alone
  get text() {
    return Effect.succeed(text)
  },
  get bytes() {
    return Effect.sync(() => textEncoder.encode(text))
  },
  get stream() {
    return Stream.sync(() => textEncoder.encode(text))
  }
})

const textDecoder = new TextDecoder()

/**
 * A response whose body was read whole, as bytes, with its head.
 *
 * @since 0.2.0
 * @category constructors
 */
export const bytesResponse = (status: number, headers: Headers.Headers, bytes: Uint8Array): Response => ({
  status,
  headers,
  get text() {
    return Effect.sync(() => textDecoder.decode(bytes))
  },
  get bytes() {
    return Effect.succeed(bytes)
  },
  get stream() {
    return Stream.succeed(bytes)
  }
})

/**
 * A transport over `send`, which keeps the limits with real timers. Under another clock (`TestClock`) the limits are
 * kept with Effect timeouts instead, and `send` is given none.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (send: Transport["send"]): Transport => {
  const unlimited = (request: HttpClientRequest.HttpClientRequest) => send(request, unlimitedStream)
  return {
    send: (request, limits) =>
      Effect.clockWith((clock) =>
        Timeout.isLiveClock(clock) ? send(request, limits) : withEffectTimeouts(unlimited, request, limits)
      )
  }
}

const unlimitedStream: Limits = { timeout: Duration.infinity, read: "stream" }

/**
 * Keeps `limits` with Effect timeouts around a `send` that keeps none: the head (and a body read whole) within the
 * timeout, a stream's error body within what is left of it, each streamed read within the idle timeout.
 */
const withEffectTimeouts = (
  send: (request: HttpClientRequest.HttpClientRequest) => Effect.Effect<Response, TransportFailure>,
  request: HttpClientRequest.HttpClientRequest,
  limits: Limits
): Effect.Effect<Response, TransportFailure> => {
  const timedOut = () => failure("Timeout")
  if (limits.read !== "stream") {
    // the whole body within the timeout, read with the head
    const whole = (response: Response): Effect.Effect<Response, TransportFailure> =>
      limits.read === "text"
        ? Effect.map(response.text, (text) => textResponse(response.status, response.headers, text))
        : Effect.map(response.bytes, (bytes) => bytesResponse(response.status, response.headers, bytes))
    return Timeout.timeoutFail(Effect.flatMap(send(request), whole), limits.timeout, timedOut)
  }
  return Effect.clockWith((clock) => {
    const deadline = clock.unsafeCurrentTimeMillis() + Duration.toMillis(limits.timeout)
    const idle = limits.idleTimeout
    return Effect.map(
      Timeout.timeoutFail(send(request), limits.timeout, timedOut),
      (response): Response => ({
        status: response.status,
        headers: response.headers,
        get text() {
          return Effect.suspend(() =>
            Timeout.timeoutFail(
              response.text,
              Duration.millis(Math.max(0, deadline - clock.unsafeCurrentTimeMillis())),
              timedOut
            )
          )
        },
        get bytes() {
          return response.bytes
        },
        get stream() {
          return idle === undefined || !Duration.isFinite(idle)
            ? response.stream
            : Stream.timeoutFail(response.stream, () => failure("IdleTimeout"), idle)
        }
      })
    )
  })
}

/** What a platform error says went wrong underneath, never the request it holds (and its Authorization header). */
const describeHttpClientError = (error: HttpClientError.HttpClientError): string => {
  const cause = Predicate.hasProperty(error, "cause") ? error.cause : undefined
  // the error becomes a `TransportError` ("Transport failure: …"): a "Transport" reason would only repeat it
  if (cause === undefined) return error.reason === "Transport" ? "the request could not be sent" : error.reason
  return error.reason === "Transport" ? describeCause(cause) : `${error.reason}: ${describeCause(cause)}`
}

const fromPlatform =
  (reason: TransportFailure["reason"]) =>
  (error: HttpClientError.HttpClientError): TransportFailure =>
    new TransportFailure({ reason, detail: describeHttpClientError(error) })

// each body reader of the platform's response is touched only when it is read: some start reading when asked for
const fromHttpClientResponse = (response: HttpClientResponse.HttpClientResponse): Response => ({
  status: response.status,
  headers: response.headers,
  get text() {
    return Effect.mapError(response.text, fromPlatform("Body"))
  },
  get bytes() {
    return Effect.map(Effect.mapError(response.arrayBuffer, fromPlatform("Body")), (buffer) => new Uint8Array(buffer))
  },
  get stream() {
    return Stream.mapError(response.stream, fromPlatform("Body"))
  }
})

/**
 * Any `HttpClient` as a transport; the limits are kept with Effect timeouts.
 *
 * @since 0.2.0
 * @category constructors
 */
export const fromHttpClient = (client: HttpClient.HttpClient): Transport => {
  const send = (request: HttpClientRequest.HttpClientRequest) =>
    Effect.mapBoth(client.execute(request), {
      onFailure: fromPlatform("Connection"),
      onSuccess: fromHttpClientResponse
    })
  return { send: (request, limits) => withEffectTimeouts(send, request, limits) }
}

/**
 * The transport over the `HttpClient` in context.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerHttpClient: Layer.Layer<MistralTransport, never, HttpClient.HttpClient> = Layer.effect(
  MistralTransport,
  Effect.map(HttpClient.HttpClient, fromHttpClient)
)
