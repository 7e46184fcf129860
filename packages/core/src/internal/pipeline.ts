/**
 * One request, stage by stage, composed here and nowhere else:
 *
 *   prepare → budget → send → decode → retry → observe
 *
 * - prepare (`prepare.ts`): URL, query, headers and body through their schemas, the `stream` flag; a request that
 *   does not encode fails here and nothing is sent.
 * - budget (`budget.ts`, `MistralRateLimit`): when a shared budget is provided, each attempt takes a request and
 *   its estimated tokens (waiting while the budget is spent) and settles them against the answer's `usage`; a 429
 *   pauses the budget for every worker.
 * - send (`MistralTransport`): the transport gets the request and its limits (timeout, idle timeout, how the body
 *   is read) and answers a response or a `TransportFailure`, mapped to a `MistralError` in `errors.ts`.
 * - decode (`decode.ts`, `sse.ts`): status → typed error, body → the operation's schema, SSE → events.
 * - retry (`retry.ts`, `RetryPolicy`): the policy and `Retry-After`; streams only before their first element.
 * - observe (`observe.ts`): a client span, free when no tracer is installed.
 *
 * A new stage (a shared budget before send, metrics after decode) is one more step in `call` and `streamBody`.
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as MistralConfig from "../MistralConfig.js"
import type * as MistralBudget from "../MistralBudget.js"
import * as MistralError from "../MistralError.js"
import type * as MistralTransport from "../MistralTransport.js"
import type * as Operation from "../Operation.js"
import * as RetryPolicy from "../RetryPolicy.js"
import * as Budget from "./budget.js"
import * as Decode from "./decode.js"
import * as Errors from "./errors.js"
import * as Observe from "./observe.js"
import * as Prepare from "./prepare.js"
import * as Retry from "./retry.js"

/** Everything a client's requests share, handed to each stage explicitly. */
export interface Client {
  readonly transport: MistralTransport.Transport
  readonly config: MistralConfig.Resolved
  readonly defaults: Prepare.Defaults
  /** The shared budget, when one was provided. */
  readonly budget?: MistralBudget.Budget | undefined
}

/** The send stage: the transport, its failure mapped to the error the caller sees. */
const send = (
  client: Client,
  prepared: Prepare.Prepared,
  limits: MistralTransport.Limits
): Effect.Effect<MistralTransport.Response, MistralError.MistralError> =>
  Effect.mapError(client.transport.send(prepared.request, limits), (failure) =>
    Errors.fromTransport(prepared.context, failure, limits, client.defaults.scrub)
  )

const retrySchedule = (client: Client, operation: Operation.Operation, policy: RetryPolicy.RetryPolicy) =>
  RetryPolicy.toSchedule(policy, {
    operationId: operation.operationId,
    onRetry: client.config.onRetry,
    maxRetryAfter: client.config.maxRetryAfter
  })

const spanName = (operation: Operation.Operation) => `Mistral.${operation.operationId}`

/** A plain call: the whole answer is read within the request timeout, then decoded. */
export const call = (
  client: Client,
  operation: Operation.Operation,
  input: Prepare.RawInput | undefined
): Effect.Effect<unknown, MistralError.MistralError> =>
  Effect.flatMap(MistralConfig.CurrentCallSettings, (settings) => {
    const prepared = Prepare.prepare(client.defaults, operation, input ?? {}, settings, "call")
    if (prepared._tag === "Left") return Effect.fail(prepared.left)
    const limits: MistralTransport.Limits = {
      timeout: settings.requestTimeout ?? client.config.requestTimeout,
      read: operation.response === "bytes" ? "bytes" : "text"
    }
    const exchange = Effect.flatMap(send(client, prepared.right, limits), (response) =>
      Decode.body(operation, prepared.right.context, response, limits, client.defaults.scrub)
    )
    const attempt =
      client.budget === undefined
        ? exchange
        : Budget.effect(client.budget, prepared.right, input?.body, settings.rateLimit, exchange)
    const policy = settings.retryPolicy ?? client.config.retryPolicy
    const retried =
      policy === RetryPolicy.none
        ? attempt
        : Retry.retry(attempt, () => retrySchedule(client, operation, policy), MistralError.isRetryable)
    return Observe.withSpan(retried, spanName(operation), () => ({
      "mistral.operation_id": operation.operationId,
      "http.request.method": operation.method,
      "url.path": prepared.right.context.path
    }))
  })

/** How a streamed answer's body becomes the stream's elements. */
type StreamOf<A> = (
  context: Errors.StatusContext,
  response: MistralTransport.Response,
  options: Decode.StreamOptions
) => Effect.Effect<Stream.Stream<A, MistralError.MistralError>, MistralError.MistralError>

/**
 * The one mechanism behind event streams and byte downloads: send, check the head, turn the body into elements,
 * and retry only while nothing has been handed on — after the first element a break is an error, never a replay.
 */
const streamBody = <A>(
  client: Client,
  operation: Operation.Operation,
  input: Prepare.RawInput | undefined,
  mode: Prepare.Mode,
  elements: StreamOf<A>
): Stream.Stream<A, MistralError.MistralError> =>
  Stream.unwrap(
    Effect.map(MistralConfig.CurrentCallSettings, (settings) => {
      const prepared = Prepare.prepare(client.defaults, operation, input ?? {}, settings, mode)
      if (prepared._tag === "Left") return Stream.fail(prepared.left)
      const limits: MistralTransport.Limits = {
        timeout: settings.requestTimeout ?? client.config.requestTimeout,
        idleTimeout: settings.streamIdleTimeout ?? client.config.streamIdleTimeout,
        read: "stream"
      }
      const options: Decode.StreamOptions = {
        limits,
        maxEventSize: client.config.maxEventSize,
        scrub: client.defaults.scrub,
        state: { received: 0 }
      }
      // until the body begins: the head, and any error body read in its place, within the request timeout
      const exchange = Stream.unwrapScoped(
        Effect.flatMap(send(client, prepared.right, limits), (response) => {
          const context = Decode.answered(prepared.right.context, response)
          return Decode.isSuccess(response)
            ? elements(context, response, options)
            : Decode.failStatus(context, response, limits, client.defaults.scrub)
        })
      )
      const attempt =
        client.budget === undefined
          ? exchange
          : Budget.stream(client.budget, prepared.right, input?.body, settings.rateLimit, exchange)
      const policy = settings.retryPolicy ?? client.config.retryPolicy
      if (policy === RetryPolicy.none) return attempt
      const isRetryable = (error: MistralError.MistralError) =>
        options.state.received === 0 && MistralError.isRetryable(error)
      return Retry.retryStream(
        attempt,
        () =>
          RetryPolicy.toSchedule(policy, {
            operationId: operation.operationId,
            isRetryable,
            onRetry: client.config.onRetry,
            maxRetryAfter: client.config.maxRetryAfter
          }),
        isRetryable
      )
    })
  ).pipe((self) =>
    Observe.withStreamSpan(self, spanName(operation), () => ({
      "mistral.operation_id": operation.operationId,
      "http.request.method": operation.method
    }))
  )

/** A streamed operation's decoded events. */
export const stream = (
  client: Client,
  operation: Operation.Operation,
  input: Prepare.RawInput | undefined
): Stream.Stream<unknown, MistralError.MistralError> =>
  operation.event === undefined
    ? Stream.dieMessage(`${operation.operationId} does not stream`)
    : streamBody(client, operation, input, "stream", (context, response, options) =>
        Decode.events(operation, context, response, options)
      )

/** An operation's answer as bytes, as they arrive. */
export const bytes = (
  client: Client,
  operation: Operation.Operation,
  input: Prepare.RawInput | undefined
): Stream.Stream<Uint8Array, MistralError.MistralError> =>
  streamBody(client, operation, input, "bytes", (context, response, options) =>
    Effect.succeed(
      Stream.mapChunks(Decode.bytes(context, response, options), (chunk) => {
        options.state.received += chunk.length
        return chunk
      })
    )
  )
