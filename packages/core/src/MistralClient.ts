/**
 * The client runtime: one generic executor for every operation descriptor.
 *
 * It builds the request (URL, query, headers, body through its schema), sends it through `HttpClient.HttpClient`,
 * maps failures to `MistralError`s, decodes the answer, retries by policy and applies timeouts. Streamed operations
 * come back as a `Stream` of decoded events.
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import type * as ParseResult from "effect/ParseResult"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as HttpDeadline from "./HttpDeadline.js"
import * as Errors from "./internal/errors.js"
import * as FastParse from "./internal/fastParse.js"
import * as Runtime from "./internal/runtime.js"
import { decodeEvents } from "./internal/sse.js"
import { VERSION } from "./internal/version.js"
import * as MistralError from "./MistralError.js"
import type * as Operation from "./Operation.js"
import * as RetryPolicy from "./RetryPolicy.js"

/**
 * The API's base URLs: the global endpoint (the default) and the regional inference endpoints, where requests are
 * processed in that geography.
 *
 * @since 0.1.0
 * @category constants
 */
export const servers = {
  global: "https://api.mistral.ai",
  eu: "https://api.eu.mistral.ai",
  us: "https://api.us.mistral.ai"
} as const

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The API key, sent as `Authorization: Bearer …`. */
  readonly apiKey?: Redacted.Redacted | undefined
  /** Default `https://api.mistral.ai` (the global endpoint); wins over `server`. */
  readonly baseUrl?: string | undefined
  /** A preset for the base URL: `eu` or `us` for regional inference, `global` (the default). */
  readonly server?: keyof typeof servers | undefined
  /** Until the answer's head (for plain calls: until the whole answer is read). Default 60 s. */
  readonly requestTimeout?: Duration.DurationInput | undefined
  /** Longest silence between two chunks of a stream (keep-alives count). Default 60 s. */
  readonly streamIdleTimeout?: Duration.DurationInput | undefined
  /** The retry policy; `false` turns retries off. Default `RetryPolicy.defaultPolicy`. */
  readonly retryPolicy?: RetryPolicy.RetryPolicy | false | undefined
  /** Called before each retry, after the debug log line (e.g. to show retries to a person). */
  readonly onRetry?: ((attempt: RetryPolicy.RetryAttempt) => Effect.Effect<void>) | undefined
  /** The longest `Retry-After` the client waits for; a server asking for more gets no retry. Default 1 minute. */
  readonly maxRetryAfter?: Duration.DurationInput | undefined
  /** Extra headers sent with every request. */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** The largest server-sent event accepted, in characters. Default 8 MiB. */
  readonly maxEventSize?: number | undefined
}

/**
 * Per-call settings, carried in the context (see `withRetry`, `withoutRetry`, `withRequestTimeout`, …).
 *
 * @since 0.1.0
 * @category models
 */
export interface CallSettings {
  readonly retryPolicy?: RetryPolicy.RetryPolicy | undefined
  readonly requestTimeout?: Duration.Duration | undefined
  readonly streamIdleTimeout?: Duration.Duration | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
}

/**
 * @since 0.1.0
 * @category context
 */
export class CurrentCallSettings extends Context.Reference<CurrentCallSettings>()(
  "@effect-mistral/core/MistralClient/CurrentCallSettings",
  { defaultValue: (): CallSettings => ({}) }
) {}

/**
 * The arguments of `call` and `stream`: the input may be left out when nothing in it is required.
 *
 * @since 0.1.0
 * @category models
 */
export type InputArgs<O extends Operation.Operation> =
  {} extends Operation.Input<O> ? [input?: Operation.Input<O>] : [input: Operation.Input<O>]

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** The base URL requests go to. */
  readonly baseUrl: string
  /** Executes an operation and decodes its answer. */
  readonly call: <O extends Operation.Callable>(
    operation: O,
    ...input: InputArgs<O>
  ) => Effect.Effect<Operation.Success<O>, MistralError.MistralError>
  /** Executes a streamed operation; each server-sent event is decoded with the operation's event schema. */
  readonly stream: <O extends Operation.Streamable>(
    operation: O,
    ...input: InputArgs<O>
  ) => Stream.Stream<Operation.Event<O>, MistralError.MistralError>
  /**
   * Executes an operation that answers bytes (a file download, audio) and streams the body as it arrives, without
   * buffering it. Retried by policy only until the first chunk has been handed on.
   */
  readonly bytes: <O extends Downloadable>(
    operation: O,
    ...input: InputArgs<O>
  ) => Stream.Stream<Uint8Array, MistralError.MistralError>
}

/**
 * Operations whose success answer is raw bytes.
 *
 * @since 0.1.0
 * @category models
 */
export type Downloadable = Operation.Operation & { readonly response: "bytes" }

/**
 * @since 0.1.0
 * @category tags
 */
export class MistralClient extends Context.Tag("@effect-mistral/core/MistralClient")<MistralClient, Service>() {}

interface Resolved {
  readonly apiKey: Redacted.Redacted | undefined
  readonly baseUrl: string
  readonly requestTimeout: Duration.Duration
  readonly streamIdleTimeout: Duration.Duration
  readonly retryPolicy: RetryPolicy.RetryPolicy
  readonly onRetry: ((attempt: RetryPolicy.RetryAttempt) => Effect.Effect<void>) | undefined
  readonly maxRetryAfter: Duration.DurationInput | undefined
  readonly headers: Readonly<Record<string, string>>
  readonly maxEventSize: number
}

const resolve = (options: Options): Resolved => ({
  apiKey: options.apiKey,
  baseUrl: (options.baseUrl ?? servers[options.server ?? "global"]).replace(/\/+$/, ""),
  requestTimeout: Duration.decode(options.requestTimeout ?? "60 seconds"),
  streamIdleTimeout: Duration.decode(options.streamIdleTimeout ?? "60 seconds"),
  retryPolicy: options.retryPolicy === false ? RetryPolicy.none : (options.retryPolicy ?? RetryPolicy.defaultPolicy),
  onRetry: options.onRetry,
  maxRetryAfter: options.maxRetryAfter,
  headers: options.headers ?? {},
  maxEventSize: options.maxEventSize ?? 8 * 1024 * 1024
})

type Decoder = (u: unknown) => Either.Either<unknown, ParseResult.ParseError>

const decoders = new WeakMap<Operation.AnySchema, Decoder>()
const encoders = new WeakMap<Operation.AnySchema, Decoder>()

/** Compiled once per schema, then reused by every call. */
const decoderFor = (schema: Operation.AnySchema): Decoder => {
  let decoder = decoders.get(schema)
  if (decoder === undefined) {
    decoder = FastParse.decodeUnknownEither(schema)
    decoders.set(schema, decoder)
  }
  return decoder
}

const encoderFor = (schema: Operation.AnySchema): Decoder => {
  let encoder = encoders.get(schema)
  if (encoder === undefined) {
    encoder = FastParse.encodeUnknownEitherPreserving(schema)
    encoders.set(schema, encoder)
  }
  return encoder
}

interface RawInput {
  readonly path?: unknown
  readonly query?: unknown
  readonly headers?: unknown
  readonly body?: unknown
}

interface Prepared {
  readonly request: HttpClientRequest.HttpClientRequest
  readonly context: MistralError.RequestContext
  /** The request timeout in force, for a transport-enforced deadline to report. */
  readonly timeout: Duration.Duration
}

const appendFormValue = (form: FormData, key: string, value: unknown): void => {
  if (value === undefined || value === null) return
  if (typeof File !== "undefined" && value instanceof File) {
    // as it is: a new name would wrap it in another File, and a transport may know this one (NodeFiles)
    form.append(key, value)
  } else if (typeof Blob !== "undefined" && value instanceof Blob) {
    form.append(key, value, key)
  } else if (value instanceof Uint8Array) {
    form.append(key, new Blob([value as Uint8Array<ArrayBuffer>]), key)
  } else if (Array.isArray(value)) {
    for (const item of value) appendFormValue(form, key, item)
  } else if (typeof value === "object") {
    form.append(key, JSON.stringify(value))
  } else {
    form.append(key, String(value))
  }
}

const jsonStream = (body: unknown, stream: boolean | undefined): unknown => {
  if (stream === undefined || typeof body !== "object" || body === null || Array.isArray(body)) return body
  const record = body as Record<string, unknown>
  if (stream) return { ...record, stream: true }
  return record.stream === true ? { ...record, stream: false } : record
}

/**
 * Builds a client from resolved settings and an `HttpClient`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<Service, never, HttpClient.HttpClient> =>
  Effect.map(HttpClient.HttpClient, (httpClient) => makeWith(httpClient, options))

/**
 * Builds a client over the given `HttpClient` (no context needed).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeWith = (httpClient: HttpClient.HttpClient, options: Options = {}): Service => {
  const config = resolve(options)
  const secret = config.apiKey === undefined ? undefined : Redacted.value(config.apiKey)
  const authorization = secret === undefined ? undefined : `Bearer ${secret}`
  const scrub =
    secret === undefined || secret.length === 0
      ? (text: string) => text
      : (text: string) => (text.includes(secret) ? text.split(secret).join("<redacted>") : text)
  const baseHeaders: Record<string, string> = {
    "user-agent": `effect-mistral/${VERSION}`,
    ...lowerCaseKeys(config.headers)
  }
  if (authorization !== undefined) baseHeaders.authorization = authorization

  const encodeFailure = (
    context: MistralError.RequestContext,
    error: ParseResult.ParseError,
    prefix: string
  ): MistralError.RequestEncodeError => {
    const { field, issue } = Errors.describeParseError(error, prefix)
    return new MistralError.RequestEncodeError({ ...context, field, issue: scrub(issue) })
  }

  const prepare = (
    operation: Operation.Operation,
    input: RawInput,
    settings: CallSettings,
    accept: string,
    stream: boolean | undefined
  ): Either.Either<Prepared, MistralError.MistralError> => {
    let context: MistralError.RequestContext = {
      operationId: operation.operationId,
      method: operation.method,
      path: operation.path
    }
    // Path parameters: encoded through their schema, each percent-encoded into its own segment.
    let path = operation.path
    if (operation.pathParameters !== undefined) {
      const encoded = encoderFor(operation.pathParameters)(input.path ?? {})
      if (encoded._tag === "Left") return fail(encodeFailure(context, encoded.left, "path"))
      const values = encoded.right as Record<string, unknown>
      let invalid: { readonly name: string; readonly issue: string } | undefined
      path = path.replace(/\{([^}]+)\}/g, (_, name: string) => {
        const value = values[name]
        const text = value === undefined || value === null ? "" : String(value)
        if (text.length === 0) invalid ??= { name, issue: "must be a non-empty string" }
        // no encoding makes a dot segment safe: URL normalisers read %2E as "." too
        else if (text === "." || text === "..") invalid ??= { name, issue: 'must not be "." or ".."' }
        else if (!isWellFormed(text)) invalid ??= { name, issue: "is not well-formed Unicode (a lone surrogate)" }
        return invalid === undefined ? encodeURIComponent(text) : ""
      })
      if (invalid !== undefined) {
        return fail(
          new MistralError.RequestEncodeError({ ...context, field: `path.${invalid.name}`, issue: invalid.issue })
        )
      }
      context = { ...context, path }
    }
    const urlParams: Array<[string, string]> = []
    if (operation.query !== undefined) {
      const encoded = encoderFor(operation.query)(input.query ?? {})
      if (encoded._tag === "Left") return fail(encodeFailure(context, encoded.left, "query"))
      const json = operation.queryJson
      for (const [key, value] of Object.entries(encoded.right as Record<string, unknown>)) {
        if (value === undefined) continue
        if (json?.includes(key)) {
          urlParams.push([key, JSON.stringify(value)])
        } else if (Array.isArray(value)) {
          for (const item of value)
            urlParams.push([key, typeof item === "object" ? JSON.stringify(item) : String(item)])
        } else if (value !== null) {
          urlParams.push([key, typeof value === "object" ? JSON.stringify(value) : String(value)])
        }
      }
    }
    const badParam = urlParams.find(([, value]) => !isWellFormed(value))
    if (badParam !== undefined) {
      return fail(
        new MistralError.RequestEncodeError({
          ...context,
          field: `query.${badParam[0]}`,
          issue: "is not well-formed Unicode (a lone surrogate)"
        })
      )
    }
    const headers: Record<string, string> = { ...baseHeaders, accept }
    if (operation.headers !== undefined) {
      const encoded = encoderFor(operation.headers)(input.headers ?? {})
      if (encoded._tag === "Left") return fail(encodeFailure(context, encoded.left, "headers"))
      for (const [key, value] of Object.entries(encoded.right as Record<string, unknown>)) {
        if (value !== undefined && value !== null) headers[key.toLowerCase()] = String(value)
      }
    }
    if (settings.headers !== undefined) Object.assign(headers, lowerCaseKeys(settings.headers))
    let request = HttpClientRequest.make(operation.method)(config.baseUrl + path, { urlParams, headers })
    const body = operation.body
    if (body !== undefined) {
      if (input.body === undefined) {
        if (body.required) {
          return fail(new MistralError.RequestEncodeError({ ...context, field: "body", issue: "is missing" }))
        }
      } else {
        const encoded = encoderFor(body.schema)(input.body)
        if (encoded._tag === "Left") return fail(encodeFailure(context, encoded.left, "body"))
        if (body.mediaType === "multipart/form-data") {
          const form = new FormData()
          for (const [key, value] of Object.entries(encoded.right as Record<string, unknown>)) {
            appendFormValue(form, key, value)
          }
          request = HttpClientRequest.bodyFormData(request, form)
        } else {
          request = HttpClientRequest.bodyText(
            request,
            JSON.stringify(jsonStream(encoded.right, stream)),
            "application/json"
          )
        }
      }
    }
    return succeed({ request, context, timeout: settings.requestTimeout ?? config.requestTimeout })
  }

  const withRequestId = (
    context: MistralError.RequestContext,
    response: HttpClientResponse.HttpClientResponse
  ): MistralError.RequestContext => {
    const requestId = Errors.requestIdOf(response.headers)
    return requestId === undefined ? context : { ...context, requestId }
  }

  const deadlineSupported = HttpDeadline.isSupported(httpClient)

  const transportError = (
    context: MistralError.RequestContext,
    error: HttpClientError.HttpClientError,
    timeout: Duration.Duration
  ): MistralError.MistralError =>
    HttpDeadline.isDeadlineExceeded(causeOf(error))
      ? new MistralError.RequestTimeout({ ...context, timeout })
      : new MistralError.TransportError({ ...context, detail: scrub(describeHttpClientError(error)) })

  const send = (prepared: Prepared) =>
    Effect.mapError(httpClient.execute(prepared.request), (error) =>
      transportError(prepared.context, error, prepared.timeout)
    )

  const failStatus = (
    context: MistralError.RequestContext,
    response: HttpClientResponse.HttpClientResponse,
    timeout: Duration.Duration
  ) =>
    response.text.pipe(
      // an error body that does not come in time is a timeout (the transport's deadline); any other failure to read
      // it leaves the status to speak
      Effect.catchAll((error) =>
        HttpDeadline.isDeadlineExceeded(causeOf(error))
          ? Effect.fail(transportError(context, error, timeout))
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

  const readBody = (
    operation: Operation.Operation,
    context: MistralError.RequestContext,
    response: HttpClientResponse.HttpClientResponse,
    timeout: Duration.Duration
  ): Effect.Effect<unknown, MistralError.MistralError> => {
    const status = response.status
    if (status < 200 || status >= 300) return failStatus(context, response, timeout)
    const bodyError = (error: HttpClientError.HttpClientError) => transportError(context, error, timeout)
    switch (operation.response) {
      case "empty":
        return Effect.asVoid(Effect.mapError(response.text, bodyError))
      case "bytes":
        return Effect.map(Effect.mapError(response.arrayBuffer, bodyError), (buffer) => new Uint8Array(buffer))
    }
    return Effect.flatMap(Effect.mapError(response.text, bodyError), (text) => {
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch (cause) {
        const type = response.headers["content-type"] ?? "no content type"
        return Effect.fail(
          new MistralError.ResponseDecodeError({
            ...context,
            status,
            body: scrub(Errors.truncateBody(text)),
            issue: `expected JSON, got ${type}: ${String(cause)}`
          })
        )
      }
      if (operation.success === undefined) return Effect.succeed(json)
      const decoded = decoderFor(operation.success)(json)
      if (decoded._tag === "Right") return Effect.succeed(decoded.right)
      const { field, issue } = Errors.describeParseError(decoded.left, "body")
      return Effect.fail(
        new MistralError.ResponseDecodeError({
          ...context,
          status,
          body: scrub(Errors.truncateBody(text)),
          issue: `${field}: ${issue}`
        })
      )
    })
  }

  const retrySchedule = (operationId: string, policy: RetryPolicy.RetryPolicy) =>
    RetryPolicy.toSchedule(policy, { operationId, onRetry: config.onRetry, maxRetryAfter: config.maxRetryAfter })

  const call = (
    operation: Operation.Operation,
    input: RawInput | undefined
  ): Effect.Effect<unknown, MistralError.MistralError> =>
    Effect.flatMap(CurrentCallSettings, (settings) => {
      const prepared = prepare(
        operation,
        input ?? {},
        settings,
        "application/json",
        operation.response === "json-or-sse" ? false : undefined
      )
      if (prepared._tag === "Left") return Effect.fail(prepared.left)
      const timeout = settings.requestTimeout ?? config.requestTimeout
      // the timeout covers the head and the body of a plain call; a transport that keeps deadlines saves a fiber
      const exchange = Effect.flatMap(send(prepared.right), (response) =>
        readBody(operation, withRequestId(prepared.right.context, response), response, timeout)
      )
      const onTimeout = () => new MistralError.RequestTimeout({ ...prepared.right.context, timeout })
      const attempt = deadlineSupported
        ? Runtime.withDeadline(prepared.right.request, exchange, timeout, onTimeout, {
            // every answer but bytes is read whole as text at once: the transport may read it in the same wait
            readsText: operation.response !== "bytes"
          })
        : Runtime.timeoutFail(exchange, timeout, onTimeout)
      const policy = settings.retryPolicy ?? config.retryPolicy
      const retried =
        policy === RetryPolicy.none
          ? attempt
          : Runtime.retry(attempt, () => retrySchedule(operation.operationId, policy), MistralError.isRetryable)
      return Runtime.withSpan(retried, `Mistral.${operation.operationId}`, () => ({
        "mistral.operation_id": operation.operationId,
        "http.request.method": operation.method,
        "url.path": prepared.right.context.path
      }))
    })

  /**
   * The one mechanism behind event streams and byte downloads: send, check the head, hand the body's bytes (with
   * the idle timeout and break-off errors) to `toStream`, and retry only while nothing has been handed on — after
   * the first element a break is an error, never a replay.
   */
  const streamBody = <A>(
    operation: Operation.Operation,
    input: RawInput | undefined,
    accept: string,
    stream: boolean | undefined,
    toStream: (
      bytes: Stream.Stream<Uint8Array, MistralError.MistralError>,
      context: MistralError.RequestContext & { readonly status: number },
      response: HttpClientResponse.HttpClientResponse,
      state: { received: number }
    ) => Effect.Effect<Stream.Stream<A, MistralError.MistralError>, MistralError.MistralError>
  ): Stream.Stream<A, MistralError.MistralError> =>
    Stream.unwrap(
      Effect.map(Effect.zip(CurrentCallSettings, Effect.clock), ([settings, clock]) => {
        const prepared = prepare(operation, input ?? {}, settings, accept, stream)
        if (prepared._tag === "Left") return Stream.fail(prepared.left)
        const timeout = settings.requestTimeout ?? config.requestTimeout
        const idle = settings.streamIdleTimeout ?? config.streamIdleTimeout
        const state = { received: 0 }
        // a transport that keeps deadlines also times the body's reads: no timeout fiber per read
        const transportTimed = deadlineSupported && Runtime.isLiveClock(clock)
        const idleTimeout = (context: MistralError.RequestContext & { readonly status: number }) =>
          new MistralError.StreamIdleTimeout({ ...context, timeout: idle, eventsReceived: state.received })
        // until the body begins: the head, and any error or unexpected body read in its place
        const exchange = Effect.flatMap(send(prepared.right), (response) => {
          const status = response.status
          const context = { ...withRequestId(prepared.right.context, response), status }
          if (status < 200 || status >= 300) return failStatus(context, response, timeout)
          const body = response.stream.pipe(
            Stream.mapError(
              (error): MistralError.MistralError =>
                transportTimed && HttpDeadline.isIdleTimeoutExceeded(causeOf(error))
                  ? idleTimeout(context)
                  : new MistralError.StreamBroken({
                      ...context,
                      detail: scrub(describeHttpClientError(error)),
                      eventsReceived: state.received
                    })
            )
          )
          const bytes = transportTimed ? body : Stream.timeoutFail(body, () => idleTimeout(context), idle)
          return toStream(bytes, context, response, state)
        })
        const attempt = Stream.unwrapScoped(
          transportTimed
            ? Effect.suspend(() => {
                // set at each attempt: a retry sends the same request
                Runtime.setLimits(prepared.right.request, clock, timeout, { idleTimeout: Duration.toMillis(idle) })
                return exchange
              })
            : Runtime.timeoutFail(
                exchange,
                timeout,
                () => new MistralError.RequestTimeout({ ...prepared.right.context, timeout })
              )
        )
        const policy = settings.retryPolicy ?? config.retryPolicy
        if (policy === RetryPolicy.none) return attempt
        const isRetryable = (error: MistralError.MistralError) =>
          state.received === 0 && MistralError.isRetryable(error)
        return Runtime.retryStream(
          attempt,
          () =>
            RetryPolicy.toSchedule(policy, {
              operationId: operation.operationId,
              isRetryable,
              onRetry: config.onRetry,
              maxRetryAfter: config.maxRetryAfter
            }),
          isRetryable
        )
      })
    ).pipe((self) =>
      Runtime.withStreamSpan(self, `Mistral.${operation.operationId}`, () => ({
        "mistral.operation_id": operation.operationId,
        "http.request.method": operation.method
      }))
    )

  const stream = (operation: Operation.Operation, input: RawInput | undefined) => {
    const eventSchema = operation.event
    if (eventSchema === undefined) return Stream.die(new Error(`${operation.operationId} does not stream`))
    const decode = decoderFor(eventSchema)
    return streamBody(
      operation,
      input,
      "text/event-stream",
      operation.response === "json-or-sse" ? true : undefined,
      (bytes, context, response, state) => {
        const type = response.headers["content-type"] ?? ""
        if (!type.startsWith("text/event-stream")) {
          return Effect.flatMap(
            Effect.orElseSucceed(response.text, () => ""),
            (text) =>
              Effect.fail(
                new MistralError.ResponseDecodeError({
                  ...context,
                  body: scrub(Errors.truncateBody(text)),
                  issue: `expected text/event-stream, got ${type || "no content type"}`
                })
              )
          )
        }
        return Effect.succeed(
          decodeEvents(
            bytes,
            decode,
            {
              ...context,
              maxEventSize: config.maxEventSize,
              scrub,
              endsWithDone: operation.streamTerminator === "[DONE]"
            },
            state
          )
        )
      }
    )
  }

  const bytes = (operation: Operation.Operation, input: RawInput | undefined) =>
    streamBody(operation, input, operation.successMediaType ?? "*/*", undefined, (body, _context, _response, state) =>
      Effect.succeed(
        Stream.mapChunks(body, (chunk) => {
          state.received += chunk.length
          return chunk
        })
      )
    )

  return {
    baseUrl: config.baseUrl,
    call: call as Service["call"],
    stream: stream as Service["stream"],
    bytes: bytes as Service["bytes"]
  }
}

const fail = <E>(error: E): Either.Either<never, E> => ({ _tag: "Left", left: error }) as Either.Either<never, E>
const succeed = <A>(value: A): Either.Either<A, never> => ({ _tag: "Right", right: value }) as Either.Either<A, never>

const isWellFormed = (text: string): boolean => !/\p{Surrogate}/u.test(text)

const lowerCaseKeys = (headers: Readonly<Record<string, string>>): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(headers)) out[key.toLowerCase()] = value
  return out
}

/** What a platform error says went wrong underneath (a transport's `DeadlineExceeded`, a socket error, …). */
const causeOf = (error: HttpClientError.HttpClientError): unknown => ("cause" in error ? error.cause : undefined)

const describeHttpClientError = (error: HttpClientError.HttpClientError): string => {
  // The platform error holds the request (and its Authorization header): keep only what describes the failure.
  const cause = causeOf(error)
  const reason = error.reason
  return cause === undefined ? reason : `${reason}: ${Errors.describeCause(cause)}`
}

/**
 * A layer of the client, over whatever `HttpClient` the context provides.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<MistralClient, never, HttpClient.HttpClient> =>
  Layer.effect(MistralClient, make(options))

/**
 * The options read from the environment: `MISTRAL_API_KEY` (required), `MISTRAL_BASE_URL`, `MISTRAL_SERVER`
 * (`global`, `eu` or `us`), `MISTRAL_REQUEST_TIMEOUT` and `MISTRAL_STREAM_IDLE_TIMEOUT` (durations such as `30 seconds`),
 * `MISTRAL_MAX_RETRIES`.
 *
 * @since 0.1.0
 * @category config
 */
export const defaultConfig: Config.Config<Options> = Config.all({
  apiKey: Config.redacted("MISTRAL_API_KEY"),
  baseUrl: Config.option(Config.string("MISTRAL_BASE_URL")),
  server: Config.option(Config.literal("global", "eu", "us")("MISTRAL_SERVER")),
  requestTimeout: Config.option(Config.duration("MISTRAL_REQUEST_TIMEOUT")),
  streamIdleTimeout: Config.option(Config.duration("MISTRAL_STREAM_IDLE_TIMEOUT")),
  maxRetries: Config.option(Config.integer("MISTRAL_MAX_RETRIES"))
}).pipe(
  Config.map(
    ({ apiKey, baseUrl, server, requestTimeout, streamIdleTimeout, maxRetries }): Options => ({
      apiKey,
      baseUrl: optionValue(baseUrl),
      server: optionValue(server),
      requestTimeout: optionValue(requestTimeout),
      streamIdleTimeout: optionValue(streamIdleTimeout),
      retryPolicy:
        maxRetries._tag === "Some"
          ? maxRetries.value <= 0
            ? false
            : RetryPolicy.exponential({ maxRetries: maxRetries.value })
          : undefined
    })
  )
)

const optionValue = <A>(option: { readonly _tag: "Some"; readonly value: A } | { readonly _tag: "None" }) =>
  option._tag === "Some" ? option.value : undefined

/**
 * A layer whose options come from `Config` (by default from the environment, see `defaultConfig`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config<Options> | Config.Config.Wrap<Options> = defaultConfig
): Layer.Layer<MistralClient, import("effect/ConfigError").ConfigError, HttpClient.HttpClient> =>
  Layer.effect(MistralClient, Effect.flatMap(Config.isConfig(config) ? config : Config.unwrap(config), make))

const updateSettings = <A, E, R>(
  self: Effect.Effect<A, E, R> | Stream.Stream<A, E, R>,
  f: (settings: CallSettings) => CallSettings
): Effect.Effect<A, E, R> | Stream.Stream<A, E, R> => {
  if (Predicate.hasProperty(self, Stream.StreamTypeId)) {
    const stream = self as Stream.Stream<A, E, R>
    return Stream.unwrap(
      Effect.map(CurrentCallSettings, (settings) => Stream.provideService(stream, CurrentCallSettings, f(settings)))
    )
  }
  const effect = self as Effect.Effect<A, E, R>
  return Effect.flatMap(CurrentCallSettings, (settings) =>
    Effect.provideService(effect, CurrentCallSettings, f(settings))
  )
}

/**
 * A per-call settings combinator for effects and streams alike.
 */
type EffectOrStream = Effect.Effect<unknown, unknown, unknown> | Stream.Stream<unknown, unknown, unknown>

interface SettingsCombinator<Arg> {
  <Self extends EffectOrStream>(self: Self, arg: Arg): Self
  (arg: Arg): <Self extends EffectOrStream>(self: Self) => Self
}

const combinator = <Arg>(f: (arg: Arg) => (settings: CallSettings) => CallSettings): SettingsCombinator<Arg> =>
  dual(2, <A, E, R>(self: Effect.Effect<A, E, R> | Stream.Stream<A, E, R>, arg: Arg) =>
    updateSettings(self, f(arg))
  ) as SettingsCombinator<Arg>

/**
 * Runs the calls inside an effect or stream with another retry policy.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withRetry: SettingsCombinator<RetryPolicy.RetryPolicy> = combinator((retryPolicy) => (settings) => ({
  ...settings,
  retryPolicy
}))

/**
 * Runs the calls inside an effect or stream without retries.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withoutRetry = <Self extends EffectOrStream>(self: Self): Self =>
  updateSettings(self, (settings) => ({ ...settings, retryPolicy: RetryPolicy.none })) as Self

/**
 * Runs the calls inside an effect or stream with another request timeout.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withRequestTimeout: SettingsCombinator<Duration.DurationInput> = combinator((timeout) => (settings) => ({
  ...settings,
  requestTimeout: Duration.decode(timeout)
}))

/**
 * Runs the streams inside an effect or stream with another idle timeout.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withStreamIdleTimeout: SettingsCombinator<Duration.DurationInput> = combinator(
  (timeout) => (settings) => ({ ...settings, streamIdleTimeout: Duration.decode(timeout) })
)

/**
 * Adds headers to the requests made inside an effect or stream.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withHeaders: SettingsCombinator<Readonly<Record<string, string>>> = combinator(
  (headers) => (settings) => ({ ...settings, headers: { ...settings.headers, ...headers } })
)

/**
 * Executes any operation through the `MistralClient` in context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const call = <O extends Operation.Callable>(
  operation: O,
  ...input: InputArgs<O>
): Effect.Effect<Operation.Success<O>, MistralError.MistralError, MistralClient> =>
  Effect.flatMap(MistralClient, (client) => client.call(operation, ...input))

/**
 * Streams any streamed operation through the `MistralClient` in context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const stream = <O extends Operation.Streamable>(
  operation: O,
  ...input: InputArgs<O>
): Stream.Stream<Operation.Event<O>, MistralError.MistralError, MistralClient> =>
  Stream.unwrap(Effect.map(MistralClient, (client) => client.stream(operation, ...input)))

/**
 * Streams the bytes of an operation that answers bytes through the `MistralClient` in context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const bytes = <O extends Downloadable>(
  operation: O,
  ...input: InputArgs<O>
): Stream.Stream<Uint8Array, MistralError.MistralError, MistralClient> =>
  Stream.unwrap(Effect.map(MistralClient, (client) => client.bytes(operation, ...input)))
