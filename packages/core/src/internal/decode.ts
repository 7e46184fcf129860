/**
 * The decode stage: an answer becomes the operation's value or a typed error. A status outside 2xx becomes its
 * error (with the error body), a JSON body is decoded with the operation's schema, an event stream is checked to be
 * one and its events decoded one by one.
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type * as MistralError from "../MistralError.js"
import type * as MistralTransport from "../MistralTransport.js"
import type * as Operation from "../Operation.js"
import * as Errors from "./errors.js"
import * as FastParse from "./fastParse.js"
import { decodeEvents, type SseState } from "./sse.js"

/** The context of an answer: the request's, with the answer's request id and status. */
export const answered = (
  context: MistralError.RequestContext,
  response: MistralTransport.Response
): Errors.StatusContext => {
  const requestId = Errors.requestIdOf(response.headers)
  return requestId === undefined
    ? { ...context, status: response.status }
    : { ...context, requestId, status: response.status }
}

/** Whether the answer is a success. */
export const isSuccess = (response: MistralTransport.Response): boolean =>
  response.status >= 200 && response.status < 300

/**
 * The error of a non-success answer. An error body that does not come within the deadline is a timeout; any other
 * failure to read it leaves the status to speak.
 */
export const failStatus = (
  context: Errors.StatusContext,
  response: MistralTransport.Response,
  limits: Errors.Limits,
  scrub: Errors.Scrub
): Effect.Effect<never, MistralError.MistralError> =>
  response.text.pipe(
    Effect.catchAll((failure) =>
      failure.reason === "Timeout"
        ? Effect.fail(Errors.fromTransport(context, failure, limits, scrub))
        : Effect.succeed("")
    ),
    Effect.flatMap((text) =>
      Effect.clockWith((clock) =>
        Effect.fail(
          Errors.fromStatus(context, response.status, response.headers, scrub(text), clock.unsafeCurrentTimeMillis())
        )
      )
    )
  )

const decodeJson = (
  operation: Operation.Operation,
  context: Errors.StatusContext,
  text: string,
  contentType: string | undefined,
  scrub: Errors.Scrub
): Effect.Effect<unknown, MistralError.MistralError> => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (cause) {
    return Effect.fail(
      Errors.responseDecode(context, text, `expected JSON, got ${contentType ?? "no content type"}: ${cause}`, scrub)
    )
  }
  if (operation.success === undefined) return Effect.succeed(json)
  const decoded = FastParse.decoderFor(operation.success)(json)
  return decoded._tag === "Right"
    ? Effect.succeed(decoded.right)
    : Effect.fail(Errors.responseDecodeParse(context, text, decoded.left, "body", scrub))
}

/** The value of a plain call's answer: nothing, its bytes, or its JSON decoded with the operation's schema. */
export const body = (
  operation: Operation.Operation,
  context: MistralError.RequestContext,
  response: MistralTransport.Response,
  limits: Errors.Limits,
  scrub: Errors.Scrub
): Effect.Effect<unknown, MistralError.MistralError> => {
  const answer = answered(context, response)
  if (!isSuccess(response)) return failStatus(answer, response, limits, scrub)
  const bodyError = (failure: MistralTransport.TransportFailure) => Errors.fromTransport(answer, failure, limits, scrub)
  switch (operation.response) {
    case "empty":
      return Effect.asVoid(Effect.mapError(response.text, bodyError))
    case "bytes":
      return Effect.mapError(response.bytes, bodyError)
  }
  return Effect.flatMap(Effect.mapError(response.text, bodyError), (text) =>
    decodeJson(operation, answer, text, response.headers["content-type"], scrub)
  )
}

/** What a stream needs besides its answer. */
export interface StreamOptions {
  readonly limits: Errors.Limits
  readonly maxEventSize: number
  readonly scrub: Errors.Scrub
  readonly state: SseState
}

/** A successful answer's body as it arrives, with its transport failures as stream errors. */
export const bytes = (
  context: Errors.StatusContext,
  response: MistralTransport.Response,
  options: StreamOptions
): Stream.Stream<Uint8Array, MistralError.MistralError> =>
  Stream.mapError(response.stream, (failure) =>
    Errors.fromStreamTransport(context, failure, options.limits, options.state.received, options.scrub)
  )

/** The decoded events of a successful answer, or the error of an answer that is not an event stream. */
export const events = (
  operation: Operation.Operation,
  context: Errors.StatusContext,
  response: MistralTransport.Response,
  options: StreamOptions
): Effect.Effect<Stream.Stream<unknown, MistralError.MistralError>, MistralError.MistralError> => {
  const type = response.headers["content-type"] ?? ""
  if (!type.startsWith("text/event-stream")) {
    return Effect.flatMap(
      Effect.orElseSucceed(response.text, () => ""),
      (text) =>
        Effect.fail(
          Errors.responseDecode(
            context,
            text,
            `expected text/event-stream, got ${type || "no content type"}`,
            options.scrub
          )
        )
    )
  }
  const schema = operation.event
  if (schema === undefined) return Effect.dieMessage(`${operation.operationId} does not stream`)
  return Effect.succeed(
    decodeEvents(
      bytes(context, response, options),
      FastParse.decoderFor(schema),
      {
        ...context,
        maxEventSize: options.maxEventSize,
        scrub: options.scrub,
        endsWithDone: operation.streamTerminator === "[DONE]"
      },
      options.state
    )
  )
}
