/**
 * The client's settings: the options of a client (key, base URL or server preset, timeouts, retry policy, headers),
 * the options read from the environment, and the per-call settings that the `with*` combinators put in the context
 * of an effect or a stream.
 *
 * @since 0.2.0
 */
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { dual } from "effect/Function"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as MistralError from "./MistralError.js"
import * as RetryPolicy from "./RetryPolicy.js"

/**
 * The API's base URLs: the global endpoint (the default) and the regional inference endpoints, where requests are
 * processed in that geography.
 *
 * @since 0.2.0
 * @category constants
 */
export const servers = {
  global: "https://api.mistral.ai",
  eu: "https://api.eu.mistral.ai",
  us: "https://api.us.mistral.ai"
} as const

/**
 * @since 0.2.0
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
  /**
   * Sends the current span's trace context (`traceparent`, `tracestate` when there is one, and `b3`) with every
   * request. Default true; `HttpClient.currentTracerPropagation` set to `false` for an effect (the platform's own
   * switch) turns it off there too.
   */
  readonly tracerPropagation?: boolean | undefined
  /** Records the client's metrics (see `MistralMetrics`). Default true. */
  readonly metrics?: boolean | undefined
  /**
   * A log line per attempt through Effect's `Logger`: `"debug"` (operation, method, path, status, duration, request
   * id, attempt) or `"trace"` (also the bodies, truncated, at trace level). Default `MISTRAL_LOG`, else `"off"`.
   * Never the key.
   */
  readonly log?: LogMode | undefined
  /**
   * Records prompts and outputs on the client span (`gen_ai.input.messages`, `gen_ai.output.messages`). Default
   * `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`, else false.
   */
  readonly captureContent?: boolean | undefined
}

/**
 * @since 0.2.0
 * @category models
 */
export type LogMode = "off" | "debug" | "trace"

/**
 * Per-call settings, carried in the context (see `withRetry`, `withoutRetry`, `withRequestTimeout`, …).
 *
 * @since 0.2.0
 * @category models
 */
export interface CallSettings {
  readonly retryPolicy?: RetryPolicy.RetryPolicy | undefined
  readonly requestTimeout?: Duration.Duration | undefined
  readonly streamIdleTimeout?: Duration.Duration | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly rateLimit?: RateLimitSettings | undefined
}

/**
 * Per-call settings of the shared budget (see `MistralRateLimit`).
 *
 * @since 0.2.0
 * @category models
 */
export interface RateLimitSettings {
  /** The longest wait for the budget. */
  readonly maxWait?: Duration.Duration | undefined
  /** The tokens to count for the request instead of the estimate. */
  readonly tokens?: number | undefined
}

/**
 * @since 0.2.0
 * @category context
 */
export class CurrentCallSettings extends Context.Reference<CurrentCallSettings>()(
  "@effect-mistral/core/MistralClient/CurrentCallSettings",
  { defaultValue: (): CallSettings => ({}) }
) {}

/**
 * The options with every default filled in.
 *
 * @since 0.2.0
 * @category models
 */
export interface Resolved {
  readonly apiKey: Redacted.Redacted | undefined
  readonly baseUrl: string
  readonly requestTimeout: Duration.Duration
  readonly streamIdleTimeout: Duration.Duration
  readonly retryPolicy: RetryPolicy.RetryPolicy
  readonly onRetry: ((attempt: RetryPolicy.RetryAttempt) => Effect.Effect<void>) | undefined
  readonly maxRetryAfter: Duration.DurationInput | undefined
  readonly headers: Readonly<Record<string, string>>
  readonly maxEventSize: number
  readonly tracerPropagation: boolean
  readonly metrics: boolean
  readonly log: LogMode
  readonly captureContent: boolean
}

/** An environment variable where there is a process (Node, Bun, Deno's compatibility), else nothing. */
const environment = (name: string): string | undefined => {
  const process = (globalThis as { readonly process?: { readonly env?: Record<string, string | undefined> } }).process
  return process?.env?.[name]
}

const logModeOf = (value: string | undefined): LogMode | undefined =>
  value === "debug" || value === "trace" || value === "off" ? value : undefined

/**
 * @since 0.2.0
 * @category constructors
 */
export const resolve = (options: Options): Resolved => ({
  apiKey: options.apiKey,
  baseUrl: (options.baseUrl ?? servers[options.server ?? "global"]).replace(/\/+$/, ""),
  requestTimeout: Duration.decode(options.requestTimeout ?? "60 seconds"),
  streamIdleTimeout: Duration.decode(options.streamIdleTimeout ?? "60 seconds"),
  retryPolicy: options.retryPolicy === false ? RetryPolicy.none : (options.retryPolicy ?? RetryPolicy.defaultPolicy),
  onRetry: options.onRetry,
  maxRetryAfter: options.maxRetryAfter,
  headers: options.headers ?? {},
  maxEventSize: options.maxEventSize ?? 8 * 1024 * 1024,
  tracerPropagation: options.tracerPropagation ?? true,
  metrics: options.metrics ?? true,
  log: options.log ?? logModeOf(environment("MISTRAL_LOG")) ?? "off",
  captureContent: options.captureContent ?? environment("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT") === "true"
})

/**
 * The options read from the environment: `MISTRAL_API_KEY` (required), `MISTRAL_BASE_URL`, `MISTRAL_SERVER`
 * (`global`, `eu` or `us`), `MISTRAL_REQUEST_TIMEOUT` and `MISTRAL_STREAM_IDLE_TIMEOUT` (durations such as `30 seconds`),
 * `MISTRAL_MAX_RETRIES`, `MISTRAL_LOG` (`off`, `debug` or `trace`) and
 * `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` (`true` records prompts and outputs on spans).
 *
 * @since 0.2.0
 * @category config
 */
export const defaultConfig: Config.Config<Options> = Config.suspend(() => environmentConfig).pipe(
  Config.mapOrFail((options) =>
    options.apiKey === undefined
      ? Either.left(ConfigError.MissingData(["MISTRAL_API_KEY"], keyHint("environment")))
      : Either.right(options)
  )
)

/**
 * `defaultConfig` without the requirement of a key: a missing `MISTRAL_API_KEY` is left to `validate`, which names it
 * with a hint.
 *
 * @since 0.2.0
 * @category config
 */
export const environmentConfig: Config.Config<Options> = Config.all({
  apiKey: Config.option(Config.redacted("MISTRAL_API_KEY")),
  baseUrl: Config.option(Config.string("MISTRAL_BASE_URL")),
  server: Config.option(Config.literal("global", "eu", "us")("MISTRAL_SERVER")),
  requestTimeout: Config.option(Config.duration("MISTRAL_REQUEST_TIMEOUT")),
  streamIdleTimeout: Config.option(Config.duration("MISTRAL_STREAM_IDLE_TIMEOUT")),
  maxRetries: Config.option(Config.integer("MISTRAL_MAX_RETRIES")),
  log: Config.option(Config.literal("off", "debug", "trace")("MISTRAL_LOG")),
  captureContent: Config.option(Config.boolean("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"))
}).pipe(
  Config.map(
    ({ apiKey, baseUrl, server, requestTimeout, streamIdleTimeout, maxRetries, log, captureContent }): Options => ({
      apiKey: optionValue(apiKey),
      baseUrl: optionValue(baseUrl),
      server: optionValue(server),
      requestTimeout: optionValue(requestTimeout),
      streamIdleTimeout: optionValue(streamIdleTimeout),
      retryPolicy:
        maxRetries._tag === "Some"
          ? maxRetries.value <= 0
            ? false
            : RetryPolicy.exponential({ maxRetries: maxRetries.value })
          : undefined,
      log: optionValue(log),
      captureContent: optionValue(captureContent)
    })
  )
)

/**
 * Where options came from, so that a failed check names what the user wrote: `"options"` (the option's name) or
 * `"environment"` (the variable too, as `defaultConfig` reads it).
 *
 * @since 0.2.0
 * @category models
 */
export type Source = "options" | "environment"

const variables = { apiKey: "MISTRAL_API_KEY", baseUrl: "MISTRAL_BASE_URL" } as const

const keyHint = (source: Source) =>
  source === "environment"
    ? "Set MISTRAL_API_KEY to a key from https://console.mistral.ai/api-keys (or leave it out only for a server that needs none, through layer({ baseUrl }))"
    : "Pass a key from https://console.mistral.ai/api-keys as apiKey: Redacted.make(key), or leave apiKey out for a server that needs none"

/**
 * Checks options before a client is built: a blank API key or a base URL that is not an absolute `http:` / `https:`
 * URL fails with a `ConfigurationError` naming the option (and the variable, for options read from the
 * environment), so the mistake shows when the layer is built instead of as a 401 or a retried transport failure.
 * `requireApiKey` makes a missing key an error too (the environment's `MISTRAL_API_KEY` is required).
 *
 * @since 0.2.0
 * @category validation
 */
export const validate = (
  options: Options,
  settings: { readonly source?: Source | undefined; readonly requireApiKey?: boolean | undefined } = {}
): Effect.Effect<Options, MistralError.ConfigurationError> => {
  const source = settings.source ?? "options"
  const variable = (name: keyof typeof variables) => (source === "environment" ? variables[name] : undefined)
  if (options.apiKey === undefined) {
    if (settings.requireApiKey === true) {
      return Effect.fail(
        new MistralError.ConfigurationError({
          option: "apiKey",
          variable: variable("apiKey"),
          detail: "is missing",
          hint: keyHint(source)
        })
      )
    }
  } else if (!Redacted.isRedacted(options.apiKey) || Redacted.value(options.apiKey).trim().length === 0) {
    return Effect.fail(
      new MistralError.ConfigurationError({
        option: "apiKey",
        variable: variable("apiKey"),
        detail: Redacted.isRedacted(options.apiKey) ? "is blank" : "is not a Redacted value",
        hint: keyHint(source)
      })
    )
  }
  if (options.baseUrl !== undefined) {
    const problem = urlProblem(options.baseUrl)
    if (problem !== undefined) {
      return Effect.fail(
        new MistralError.ConfigurationError({
          option: "baseUrl",
          variable: variable("baseUrl"),
          detail: problem,
          hint: `Use an absolute URL such as ${servers.global} (or ${servers.eu}, or http://127.0.0.1:<port> for a local server)${source === "environment" ? ", or unset MISTRAL_BASE_URL for the default" : ""}`
        })
      )
    }
  }
  if (options.server !== undefined && !Object.hasOwn(servers, options.server)) {
    return Effect.fail(
      new MistralError.ConfigurationError({
        option: "server",
        variable: source === "environment" ? "MISTRAL_SERVER" : undefined,
        detail: `is ${JSON.stringify(options.server)}`,
        hint: `Use one of ${Object.keys(servers).join(", ")}`
      })
    )
  }
  return Effect.succeed(options)
}

/**
 * What is wrong with a base URL (blank, not absolute, not `http:`/`https:`, with a query or fragment), if anything.
 *
 * @since 0.2.0
 * @category validation
 */
export const baseUrlProblem = (value: string): string | undefined => urlProblem(value)

const urlProblem = (value: string): string | undefined => {
  if (value.trim().length === 0) return "is blank"
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return `is ${JSON.stringify(value)}, not an absolute URL`
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return `is ${JSON.stringify(value)}: ${url.protocol} is not http: or https:`
  }
  if (url.search !== "" || url.hash !== "") return `is ${JSON.stringify(value)}: a base URL has no query or fragment`
  return undefined
}

const optionValue = <A>(option: { readonly _tag: "Some"; readonly value: A } | { readonly _tag: "None" }) =>
  option._tag === "Some" ? option.value : undefined

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
 * @since 0.2.0
 * @category combinators
 */
export const withRetry: SettingsCombinator<RetryPolicy.RetryPolicy> = combinator((retryPolicy) => (settings) => ({
  ...settings,
  retryPolicy
}))

/**
 * Runs the calls inside an effect or stream without retries.
 *
 * @since 0.2.0
 * @category combinators
 */
export const withoutRetry = <Self extends EffectOrStream>(self: Self): Self =>
  updateSettings(self, (settings) => ({ ...settings, retryPolicy: RetryPolicy.none })) as Self

/**
 * Runs the calls inside an effect or stream with another request timeout.
 *
 * @since 0.2.0
 * @category combinators
 */
export const withRequestTimeout: SettingsCombinator<Duration.DurationInput> = combinator((timeout) => (settings) => ({
  ...settings,
  requestTimeout: Duration.decode(timeout)
}))

/**
 * Runs the streams inside an effect or stream with another idle timeout.
 *
 * @since 0.2.0
 * @category combinators
 */
export const withStreamIdleTimeout: SettingsCombinator<Duration.DurationInput> = combinator(
  (timeout) => (settings) => ({ ...settings, streamIdleTimeout: Duration.decode(timeout) })
)

/**
 * Adds headers to the requests made inside an effect or stream.
 *
 * @since 0.2.0
 * @category combinators
 */
export const withHeaders: SettingsCombinator<Readonly<Record<string, string>>> = combinator(
  (headers) => (settings) => ({ ...settings, headers: { ...settings.headers, ...headers } })
)

/**
 * Runs the calls inside an effect or stream with other settings of the shared budget: the longest wait, or the
 * tokens to count instead of the estimate.
 *
 * @since 0.2.0
 * @category combinators
 */
export const withRateLimit: SettingsCombinator<{
  readonly maxWait?: Duration.DurationInput | undefined
  readonly tokens?: number | undefined
}> = combinator((options) => (settings) => ({
  ...settings,
  rateLimit: {
    ...settings.rateLimit,
    ...(options.maxWait === undefined ? {} : { maxWait: Duration.decode(options.maxWait) }),
    ...(options.tokens === undefined ? {} : { tokens: options.tokens })
  }
}))

/**
 * Reads options from `Config` and checks them. The default (`defaultConfig`) is read without requiring
 * the key, so that a missing `MISTRAL_API_KEY` fails with a `ConfigurationError` that says what to do, like a blank
 * one; checks name the variables.
 *
 * @since 0.2.0
 * @category config
 */
export const read = (
  config: Config.Config<Options> | Config.Config.Wrap<Options>
): Effect.Effect<Options, ConfigError.ConfigError | MistralError.ConfigurationError> =>
  config === defaultConfig || config === environmentConfig
    ? Effect.flatMap(environmentConfig, (options) =>
        validate(options, {
          source: "environment",
          requireApiKey: config === defaultConfig
        })
      )
    : Effect.flatMap(Config.isConfig(config) ? config : Config.unwrap(config), (options) => validate(options))
