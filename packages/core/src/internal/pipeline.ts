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
 * - observe (`observe.ts`): the trace context on the wire, a client span with the HTTP and GenAI attributes (when
 *   a tracer is installed), the metrics and the per-attempt log; the other stages report to the call's
 *   `Observation` with plain method calls.
 *
 * A new stage (a shared budget before send, metrics after decode) is one more step in `call` and `streamBody`.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Tracer from "effect/Tracer"
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
  readonly observe: Observe.Settings
}

/** The send stage: the transport, its failure mapped to the error the caller sees; each attempt reported. */
const send = (
  client: Client,
  prepared: Prepare.Prepared,
  limits: MistralTransport.Limits,
  observation: Observe.Observation | undefined
): Effect.Effect<MistralTransport.Response, MistralError.MistralError> => {
  if (observation === undefined) {
    return Effect.mapError(client.transport.send(prepared.request, limits), (failure) =>
      Errors.fromTransport(prepared.context, failure, limits, client.defaults.scrub)
    )
  }
  return Effect.suspend(() => {
    observation.attempt()
    return Effect.mapBoth(client.transport.send(prepared.request, limits), {
      onFailure: (failure) => {
        const error = Errors.fromTransport(prepared.context, failure, limits, client.defaults.scrub)
        observation.answered(undefined, error)
        return error
      },
      onSuccess: (response) => {
        observation.answered(response, undefined)
        return response
      }
    })
  })
}

/** The client's `onRetry`, and the observation's count of retries when it records metrics. */
const onRetryOf = (client: Client, observation: Observe.Observation | undefined) => {
  const onRetry = client.config.onRetry
  if (observation?.labels === undefined) return onRetry
  return (attempt: RetryPolicy.RetryAttempt) => {
    observation.retried(attempt)
    return onRetry === undefined ? Effect.void : onRetry(attempt)
  }
}

/** The retry stage's schedule, built on the first failure that may be retried. */
const scheduleOf = (
  client: Client,
  operation: Operation.Operation,
  policy: RetryPolicy.RetryPolicy,
  observation: Observe.Observation | undefined,
  isRetryable: ((error: MistralError.MistralError) => boolean) | undefined
) =>
  RetryPolicy.toSchedule(policy, {
    operationId: operation.operationId,
    ...(isRetryable === undefined ? {} : { isRetryable }),
    onRetry: onRetryOf(client, observation),
    maxRetryAfter: client.config.maxRetryAfter
  })

/** The request of a call, with the trace context when it is observed. */
const traced = (
  prepared: Prepare.Prepared,
  observation: Observe.Observation | undefined,
  span: Tracer.Span | undefined
): Prepare.Prepared => {
  if (observation === undefined) return prepared
  const request = observation.request(prepared.request, span)
  // nothing to propagate: the prepared request as it is (no copy per call)
  return request === prepared.request ? prepared : { ...prepared, request }
}

/** An attempt with its log line, when the client logs. */
const logged = <A>(
  self: Effect.Effect<A, MistralError.MistralError>,
  prepared: Prepare.Prepared,
  observation: Observe.Observation | undefined
): Effect.Effect<A, MistralError.MistralError> =>
  observation === undefined || observation.settings.log === "off"
    ? self
    : Effect.onExit(self, (exit) => observation.logAttempt(exit, prepared.request))

/** A plain call: the whole answer is read within the request timeout, then decoded. */
export const call = (
  client: Client,
  operation: Operation.Operation,
  input: Prepare.RawInput | undefined
): Effect.Effect<unknown, MistralError.MistralError> =>
  Effect.withFiberRuntime<unknown, MistralError.MistralError>((fiber) => {
    const settings = Context.get(fiber.currentContext, MistralConfig.CurrentCallSettings)
    const prepared = Prepare.prepare(client.defaults, operation, input ?? {}, settings, "call")
    if (prepared._tag === "Left") return Effect.fail(prepared.left)
    const observation = Observe.begin(fiber, client.observe, operation, input, prepared.right.context.path)
    const limits: MistralTransport.Limits = {
      timeout: settings.requestTimeout ?? client.config.requestTimeout,
      read: operation.response === "bytes" ? "bytes" : "text"
    }
    const policy = settings.retryPolicy ?? client.config.retryPolicy
    const run = (span: Tracer.Span | undefined) => {
      const request = traced(prepared.right, observation, span)
      const exchange = logged(
        Effect.flatMap(send(client, request, limits, observation), (response) =>
          Decode.body(operation, request.context, response, limits, client.defaults.scrub)
        ),
        request,
        observation
      )
      const attempt =
        client.budget === undefined
          ? exchange
          : Budget.effect(client.budget, request, input?.body, settings.rateLimit, exchange)
      if (policy === RetryPolicy.none) return attempt
      return Retry.retry(
        attempt,
        () => scheduleOf(client, operation, policy, observation, undefined),
        MistralError.isRetryable
      )
    }
    return observation === undefined ? run(undefined) : Observe.call(observation, run)
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
    Effect.withFiberRuntime<Stream.Stream<A, MistralError.MistralError>>((fiber) => {
      const settings = Context.get(fiber.currentContext, MistralConfig.CurrentCallSettings)
      const prepared = Prepare.prepare(client.defaults, operation, input ?? {}, settings, mode)
      if (prepared._tag === "Left") return Effect.succeed(Stream.fail(prepared.left))
      const observation = Observe.begin(fiber, client.observe, operation, input, prepared.right.context.path)
      const limits: MistralTransport.Limits = {
        timeout: settings.requestTimeout ?? client.config.requestTimeout,
        idleTimeout: settings.streamIdleTimeout ?? client.config.streamIdleTimeout,
        read: "stream"
      }
      const options: Decode.StreamOptions = {
        limits,
        maxEventSize: client.config.maxEventSize,
        scrub: client.defaults.scrub,
        state: observation === undefined ? { received: 0 } : { received: 0, onEvents: observation.onEvents }
      }
      const policy = settings.retryPolicy ?? client.config.retryPolicy
      const run = (span: Tracer.Span | undefined) => {
        const request = traced(prepared.right, observation, span)
        // until the body begins: the head, and any error body read in its place, within the request timeout
        const exchange = Stream.unwrapScoped(
          logged(
            Effect.flatMap(send(client, request, limits, observation), (response) => {
              const context = Decode.answered(request.context, response)
              return Decode.isSuccess(response)
                ? elements(context, response, options)
                : Decode.failStatus(context, response, limits, client.defaults.scrub)
            }),
            request,
            observation
          )
        )
        const attempt =
          client.budget === undefined
            ? exchange
            : Budget.stream(client.budget, request, input?.body, settings.rateLimit, exchange)
        if (policy === RetryPolicy.none) return attempt
        const isRetryable = (error: MistralError.MistralError) =>
          options.state.received === 0 && MistralError.isRetryable(error)
        return Retry.retryStream(
          attempt,
          () => scheduleOf(client, operation, policy, observation, isRetryable),
          isRetryable
        )
      }
      return Effect.succeed(observation === undefined ? run(undefined) : Observe.stream(observation, run))
    })
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
