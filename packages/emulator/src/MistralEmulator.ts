/**
 * A local, stateful Mistral API server that answers the real wire format,
 * deterministically, and misbehaves on demand.
 *
 * @since 0.1.0
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import type * as HttpServerError from "@effect/platform/HttpServerError"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as Http from "node:http"
import type * as Fault from "./Fault.js"
import { makeApp } from "./internal/server.js"
import type { RateLimits as RateLimitsModel } from "./internal/rateLimits.js"
import type { RealtimeSession as RealtimeSessionModel } from "./internal/realtime.js"
import { makeState } from "./internal/state.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The port to listen on; 0 (the default) picks a free one. */
  readonly port?: number | undefined
  /** The address to listen on, `127.0.0.1` by default. */
  readonly host?: string | undefined
  /** When set, `Authorization: Bearer <apiKey>` is required; otherwise any non-empty bearer token is accepted. */
  readonly apiKey?: string | Redacted.Redacted<string> | undefined
  /**
   * Rate limits enforced per API key, as the API does: requests per second, tokens per minute per model (sliding
   * windows of 1 s and 60 s; the tokens charged are each answer's `usage.total_tokens`). A request over a limit gets
   * 429 with `Retry-After` (and `retry-after-ms`) and the API's error body, and is not executed.
   * `GET /v1/admin/rate-limit` reports them. None by default.
   */
  readonly rateLimits?: RateLimits | undefined
  /**
   * How many requests of a running batch job run each time the job is retrieved (10,000 by default): a job of more
   * moves through RUNNING in steps, its `completed_requests` growing at each retrieval, whatever the polling rate.
   */
  readonly batchStep?: number | undefined
}

/**
 * @since 0.2.0
 * @category models
 */
export type RateLimits = RateLimitsModel

/**
 * Which requests an injected fault applies to; every given field must match.
 * `operation` is an operation id of the API document
 * (`agents_api_v1_conversations_start`); it also matches the streamed variant
 * (`agents_api_v1_conversations_start_stream`).
 *
 * @since 0.1.0
 * @category models
 */
export interface FaultMatch {
  readonly method?: string | undefined
  readonly path?: string | RegExp | undefined
  readonly operation?: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface InjectOptions {
  /** How many matching requests the fault applies to: 1 by default, `Infinity` for all. */
  readonly times?: number | undefined
  readonly match?: FaultMatch | undefined
}

/**
 * A request as the emulator saw it. `headers` never holds `authorization`.
 *
 * @since 0.1.0
 * @category models
 */
export interface RecordedRequest {
  readonly method: string
  readonly path: string
  /** The query string, with its `?`, or `""`. */
  readonly query: string
  /** The operation id of the API document, `_stream` suffixed for streamed calls. */
  readonly operation: string | undefined
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  readonly time: Date
  /** The fault the emulator applied to this request, if any. */
  readonly fault: Fault.Fault | undefined
  /** The answer's status, once it was made. */
  readonly status?: number | undefined
  /** Refused with 429 by the emulator's own rate limits (`Options.rateLimits`), not by an injected fault. */
  readonly rateLimited: boolean
  /** The tokens charged to the key's budget for this request (its answer's `usage.total_tokens`). */
  readonly tokens?: number | undefined
  /** The `x-request-id` the emulator answered with. */
  readonly requestId: string
  /** The W3C trace context the request carried (`traceparent`, `tracestate`), when it carried a valid one. */
  readonly trace?: TraceContext | undefined
}

/**
 * A request's W3C trace context: the trace, and the span that sent the request (the client's span).
 *
 * @since 0.2.0
 * @category models
 */
export interface TraceContext {
  readonly traceId: string
  /** The sender's span: the parent of any span the server makes for the request. */
  readonly parentSpanId: string
  readonly sampled: boolean
  readonly traceState?: string | undefined
}

/**
 * What the emulator saw of a realtime transcription session (a WebSocket at `/v1/audio/transcriptions/realtime`):
 * its format, the audio and messages received, whether it ended, and how the socket closed (`closeCode` 1006: no
 * close frame).
 *
 * @since 0.2.0
 * @category models
 */
export type RealtimeSession = Readonly<RealtimeSessionModel>

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** The base URL, e.g. `http://127.0.0.1:54321`, without a trailing slash. */
  readonly url: string
  readonly port: number
  /** Makes the next `times` matching requests misbehave. */
  readonly inject: (fault: Fault.Fault, options?: InjectOptions) => Effect.Effect<void>
  /** Forgets injected faults, `x-emulator-fault` counters, the rate-limit windows, the request log and the realtime sessions; stored conversations, agents, files, batch jobs and models stay. */
  readonly reset: Effect.Effect<void>
  /** Requests received since the start or the last `reset`, oldest first (the last 10,000). */
  readonly requests: Effect.Effect<ReadonlyArray<RecordedRequest>>
  /** Realtime transcription sessions since the start or the last `reset`, oldest first (copies). */
  readonly realtimeSessions: Effect.Effect<ReadonlyArray<RealtimeSession>>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class MistralEmulator extends Context.Tag("@effect-mistral/emulator/MistralEmulator")<
  MistralEmulator,
  Service
>() {}

/**
 * Starts the emulator; it stops when the scope closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<Service, HttpServerError.ServeError, Scope.Scope> =>
  Effect.gen(function* () {
    const apiKey = Redacted.isRedacted(options.apiKey) ? Redacted.value(options.apiKey) : options.apiKey
    const state = makeState({ apiKey, rateLimits: options.rateLimits, batchStep: options.batchStep })
    const host = options.host ?? "127.0.0.1"
    let nodeServer: Http.Server | undefined
    const server = yield* NodeHttpServer.make(
      () => {
        nodeServer = Http.createServer()
        return nodeServer
      },
      { port: options.port ?? 0, host }
    )
    // Runs before the server's own close: open streams and keep-alive connections would hold it.
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        nodeServer?.closeAllConnections()
        // a WebSocket closing politely waits for its peer's close frame (up to 30 s)
        for (const connection of state.upgradedConnections) connection.destroy()
      })
    )
    // A network server lives in real time, even when started from a test with a TestClock.
    yield* Effect.withClock(server.serve(makeApp(state)), Clock.make())
    const port = server.address._tag === "TcpAddress" ? server.address.port : 0
    const urlHost = host.includes(":") ? `[${host}]` : host
    return MistralEmulator.of({
      url: `http://${urlHost}:${port}`,
      port,
      inject: (fault, injectOptions) =>
        Effect.sync(() => {
          state.faults.push({ fault, remaining: injectOptions?.times ?? 1, match: injectOptions?.match })
        }),
      reset: Effect.sync(() => {
        state.faults = []
        state.headerFaultCounts.clear()
        state.requests = []
        state.limiter?.clear()
        state.realtimeSessions = []
      }),
      requests: Effect.sync(() => [...state.requests]),
      realtimeSessions: Effect.sync(() => state.realtimeSessions.map((session) => ({ ...session })))
    })
  })

/**
 * The emulator as a layer, listening on loopback (a free port by default).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<MistralEmulator, HttpServerError.ServeError> =>
  Layer.scoped(MistralEmulator, make(options))

/**
 * The emulator as a layer, with options read from `Config`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  options: Config.Config.Wrap<Options>
): Layer.Layer<MistralEmulator, HttpServerError.ServeError | ConfigError.ConfigError> =>
  Layer.scoped(MistralEmulator, Effect.flatMap(Config.unwrap(options), make))
