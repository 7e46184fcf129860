/**
 * The Mistral client's transport for Node: requests go straight to `undici` with keep-alive, and the limits are kept
 * here, by timers: one per request for the deadline (the head, and a body read whole in the same wait), and one per
 * streamed read, armed only while it waits for bytes. No fiber and no race per call.
 *
 * `MistralNode.layer` sends through it. It shares the sending and body-reading code with `UndiciHttpClient`, the
 * general `HttpClient` for everything else.
 *
 * @since 0.2.0
 */
import * as Headers from "@effect/platform/Headers"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as MistralTransport from "@effect-mistral/core/MistralTransport"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Undici from "undici"
import * as Internal from "./internal/undici.js"
import * as UndiciHttpClient from "./UndiciHttpClient.js"

const failureOf =
  (reason: "Connection" | "Body") =>
  (failure: Internal.Failure): MistralTransport.TransportFailure =>
    failure._tag === "Deadline"
      ? MistralTransport.failure("Timeout")
      : failure._tag === "Idle"
        ? MistralTransport.failure("IdleTimeout")
        : MistralTransport.failure(reason, failure.cause)

const connectionFailure = failureOf("Connection")
const bodyFailure = failureOf("Body")

const headersOf = (data: Undici.Dispatcher.ResponseData): Headers.Headers =>
  Headers.fromInput(data.headers as Record<string, string | ReadonlyArray<string>>)

/** An answer whose body is read as it comes: whole before the deadline, or as a stream bounded by the idle timeout. */
const streamedResponse = (
  data: Undici.Dispatcher.ResponseData,
  deadline: number | undefined,
  idleTimeout: number | undefined
): MistralTransport.Response => {
  const body = data.body
  return {
    status: data.statusCode,
    headers: headersOf(data),
    // built when read: a stream reads `stream` alone (or `text` for an error status)
    get text() {
      return Internal.readWhole(body, deadline, () => body.text(), bodyFailure)
    },
    get bytes() {
      return Internal.readWhole(body, deadline, () => body.arrayBuffer().then((b) => new Uint8Array(b)), bodyFailure)
    },
    get stream() {
      return Internal.readStream(body, idleTimeout, bodyFailure)
    }
  }
}

/** An answer read whole with its head. */
const wholeAnswerOf = (answer: Internal.WholeAnswer): MistralTransport.Response =>
  answer.text !== undefined
    ? MistralTransport.textResponse(answer.status, answer.headers, answer.text)
    : MistralTransport.bytesResponse(answer.status, answer.headers, answer.bytes ?? new Uint8Array(0))

const millisOf = (duration: Duration.Duration | undefined): number | undefined =>
  duration === undefined || !Duration.isFinite(duration) ? undefined : Duration.toMillis(duration)

const answerOf = (
  answer: Internal.Answer,
  limits: MistralTransport.Limits,
  deadline: number | undefined
): MistralTransport.Response => {
  const { data } = answer
  if (answer.text !== undefined) return MistralTransport.textResponse(data.statusCode, headersOf(data), answer.text)
  if (answer.bytes !== undefined) return MistralTransport.bytesResponse(data.statusCode, headersOf(data), answer.bytes)
  return streamedResponse(data, deadline, millisOf(limits.idleTimeout))
}

/**
 * The transport over the given undici dispatcher.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (dispatcher: Undici.Dispatcher): MistralTransport.Transport =>
  MistralTransport.make((request: HttpClientRequest.HttpClientRequest, limits: MistralTransport.Limits) => {
    const timeout = millisOf(limits.timeout)
    const deadline = timeout === undefined ? undefined : Date.now() + timeout
    if (limits.read !== "stream") {
      return Internal.sendWhole(dispatcher, request, deadline, limits.read, wholeAnswerOf, connectionFailure)
    }
    return Internal.send(
      dispatcher,
      request,
      { deadline },
      (answer) => answerOf(answer, limits, deadline),
      connectionFailure
    )
  })

/**
 * The transport over the `Dispatcher` in context.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerWithoutDispatcher: Layer.Layer<
  MistralTransport.MistralTransport,
  never,
  UndiciHttpClient.Dispatcher
> = Layer.effect(MistralTransport.MistralTransport, Effect.map(UndiciHttpClient.Dispatcher, make))

/**
 * The transport with its own keep-alive agent.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (options: UndiciHttpClient.AgentOptions = {}): Layer.Layer<MistralTransport.MistralTransport> =>
  Layer.provide(layerWithoutDispatcher, UndiciHttpClient.dispatcherLayer(options))
