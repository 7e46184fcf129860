/**
 * The client: one generic executor for every operation descriptor, as a service.
 *
 * `call`, `stream` and `bytes` run an operation through the request pipeline (prepare → send → decode → retry →
 * observe, see the README's Architecture section); the settings are in `MistralConfig`, the network behind
 * `MistralTransport`. `layer` builds the client over any `HttpClient`, `layerTransport` over a transport that keeps
 * the limits itself (the Node one of `@effect-mistral/node`).
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as Errors from "./internal/errors.js"
import * as Observe from "./internal/observe.js"
import * as Pipeline from "./internal/pipeline.js"
import { lowerCaseKeys } from "./internal/prepare.js"
import { VERSION } from "./internal/version.js"
import * as MistralConfig from "./MistralConfig.js"
import type * as MistralError from "./MistralError.js"
import * as MistralBudget from "./MistralBudget.js"
import * as MistralTransport from "./MistralTransport.js"
import type * as Operation from "./Operation.js"

export {
  /**
   * @since 0.1.0
   * @category models
   */
  type CallSettings,
  /**
   * @since 0.1.0
   * @category context
   */
  CurrentCallSettings,
  /**
   * @since 0.1.0
   * @category config
   */
  defaultConfig,
  /**
   * @since 0.1.0
   * @category models
   */
  type Options,
  /**
   * @since 0.1.0
   * @category constants
   */
  servers,
  /**
   * @since 0.1.0
   * @category combinators
   */
  withHeaders,
  /**
   * @since 0.1.0
   * @category combinators
   */
  withoutRetry,
  /**
   * @since 0.1.0
   * @category combinators
   */
  withRateLimit,
  /**
   * @since 0.1.0
   * @category combinators
   */
  withRequestTimeout,
  /**
   * @since 0.1.0
   * @category combinators
   */
  withRetry,
  /**
   * @since 0.1.0
   * @category combinators
   */
  withStreamIdleTimeout
} from "./MistralConfig.js"

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

/**
 * Builds a client over a transport.
 *
 * @since 0.2.0
 * @category constructors
 */
export const fromTransport = (
  transport: MistralTransport.Transport,
  options: MistralConfig.Options = {},
  budget?: MistralBudget.Budget | undefined
): Service => {
  const config = MistralConfig.resolve(options)
  const secret = config.apiKey === undefined ? undefined : Redacted.value(config.apiKey)
  const headers: Record<string, string> = {
    "user-agent": `effect-mistral/${VERSION}`,
    ...lowerCaseKeys(config.headers)
  }
  if (secret !== undefined) headers.authorization = `Bearer ${secret}`
  const scrub = Errors.scrubberOf(secret)
  const client: Pipeline.Client = {
    transport,
    config,
    defaults: { baseUrl: config.baseUrl, headers, scrub },
    budget,
    observe: Observe.settings(config, scrub)
  }
  const problem = MistralConfig.baseUrlProblem(config.baseUrl)
  if (problem !== undefined) {
    // built without the layer's check (`makeWith`, `fromTransport`): a malformed base URL fails every call at once,
    // as a request that cannot be encoded (never retried, nothing sent), not as a transient transport failure
    const fail = (operation: Operation.Operation) =>
      Errors.requestEncode(
        { operationId: operation.operationId, method: operation.method, path: operation.path },
        "baseUrl",
        `${problem}; use an absolute http(s) URL such as ${MistralConfig.servers.global}`
      )
    return {
      baseUrl: config.baseUrl,
      call: ((operation) => Effect.fail(fail(operation))) as Service["call"],
      stream: ((operation) => Stream.fail(fail(operation))) as Service["stream"],
      bytes: ((operation) => Stream.fail(fail(operation))) as Service["bytes"]
    }
  }
  return {
    baseUrl: config.baseUrl,
    call: ((operation, input) => Pipeline.call(client, operation, input)) as Service["call"],
    stream: ((operation, input) => Pipeline.stream(client, operation, input)) as Service["stream"],
    bytes: ((operation, input) => Pipeline.bytes(client, operation, input)) as Service["bytes"]
  }
}

/**
 * Builds a client over the given `HttpClient` (no context needed); the limits are kept with Effect timeouts.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeWith = (
  httpClient: HttpClient.HttpClient,
  options: MistralConfig.Options = {},
  budget?: MistralBudget.Budget | undefined
): Service => fromTransport(MistralTransport.fromHttpClient(httpClient), options, budget)

/** The shared budget, when the context provides one (`MistralRateLimit.layer` provides one). */
const budgetInContext = Effect.map(Effect.serviceOption(MistralBudget.MistralBudget), Option.getOrUndefined)

/**
 * Builds a client over the `HttpClient` in context. The options are checked first (`MistralConfig.validate`): a blank
 * key or a malformed base URL fails with a `ConfigurationError` and nothing is sent.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: MistralConfig.Options = {}
): Effect.Effect<Service, MistralError.ConfigurationError, HttpClient.HttpClient> =>
  Effect.flatMap(MistralConfig.validate(options), (options) =>
    Effect.flatMap(HttpClient.HttpClient, (httpClient) =>
      Effect.map(budgetInContext, (budget) => makeWith(httpClient, options, budget))
    )
  )

/**
 * A layer of the client, over whatever `HttpClient` the context provides. Fails when it is built if the options do
 * not check (`MistralConfig.validate`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: MistralConfig.Options = {}
): Layer.Layer<MistralClient, MistralError.ConfigurationError, HttpClient.HttpClient> =>
  Layer.effect(MistralClient, make(options))

/**
 * A layer whose options come from `Config` (by default from the environment, see `MistralConfig.defaultConfig`),
 * checked when it is built: a missing or blank `MISTRAL_API_KEY` or a malformed `MISTRAL_BASE_URL` is a
 * `ConfigurationError` naming the variable.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config<MistralConfig.Options> | Config.Config.Wrap<MistralConfig.Options> = MistralConfig.defaultConfig
): Layer.Layer<MistralClient, ConfigError.ConfigError | MistralError.ConfigurationError, HttpClient.HttpClient> =>
  Layer.effect(
    MistralClient,
    Effect.flatMap(MistralConfig.read(config), (options) =>
      Effect.flatMap(HttpClient.HttpClient, (httpClient) =>
        Effect.map(budgetInContext, (budget) => makeWith(httpClient, options, budget))
      )
    )
  )

const overTransport = (options: MistralConfig.Options) =>
  Effect.flatMap(MistralTransport.MistralTransport, (transport) =>
    Effect.map(budgetInContext, (budget) => fromTransport(transport, options, budget))
  )

/**
 * A layer of the client over the `MistralTransport` in context, its options checked like `layer`'s.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerTransport = (
  options: MistralConfig.Options = {}
): Layer.Layer<MistralClient, MistralError.ConfigurationError, MistralTransport.MistralTransport> =>
  Layer.effect(MistralClient, Effect.flatMap(MistralConfig.validate(options), overTransport))

/**
 * `layerTransport` with options from `Config`, checked like `layerConfig`'s.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerTransportConfig = (
  config: Config.Config<MistralConfig.Options> | Config.Config.Wrap<MistralConfig.Options> = MistralConfig.defaultConfig
): Layer.Layer<
  MistralClient,
  ConfigError.ConfigError | MistralError.ConfigurationError,
  MistralTransport.MistralTransport
> => Layer.effect(MistralClient, Effect.flatMap(MistralConfig.read(config), overTransport))

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
