/**
 * `@effect/ai`'s `EmbeddingModel` over Mistral embeddings. Concurrent `embed` calls are batched into one request
 * (`batched` mode, optionally with a cache), or gathered over a time window (`data-loader` mode).
 *
 * @since 0.1.0
 */
import type * as AiError from "@effect/ai/AiError"
import * as EmbeddingModel from "@effect/ai/EmbeddingModel"
import * as AiModel from "@effect/ai/Model"
import type * as EmbeddingsApi from "@effect-mistral/core/generated/embeddings"
import { embeddings_v1_embeddings_post } from "@effect-mistral/core/generated/embeddings"
import * as MistralClient from "@effect-mistral/core/MistralClient"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type { Simplify } from "effect/Types"
import { toAiError } from "./internal/errors.js"
import * as Telemetry from "./internal/telemetry.js"

/**
 * The embedding models known when this package was written; any other model id is accepted as well.
 *
 * @since 0.1.0
 * @category models
 */
export type Model = "mistral-embed" | "codestral-embed"

/**
 * The fields of an embeddings request a configuration may set (`output_dimension`, `output_dtype`, `metadata`…).
 *
 * @since 0.1.0
 * @category context
 */
export class Config extends Context.Tag("@effect-mistral/ai/MistralEmbeddingModel/Config")<Config, Config.Service>() {
  /**
   * The configuration in context, if any.
   *
   * @since 0.1.0
   * @category accessors
   */
  static readonly getOrUndefined: Effect.Effect<Config.Service | undefined> = Effect.map(
    Effect.serviceOption(Config),
    Option.getOrUndefined
  )
}

/**
 * @since 0.1.0
 * @category context
 */
export declare namespace Config {
  /**
   * Any field of the request except `input`.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Service extends Simplify<Partial<Omit<EmbeddingsApi.EmbeddingRequest, "input">>> {}

  /**
   * `batched` mode: the inputs of concurrent `embed` calls (and of one `embedMany`) go in requests of at most
   * `maxBatchSize` inputs (default 128); `cache` keeps embeddings of inputs already seen.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Batched extends Omit<Config.Service, "model"> {
    readonly maxBatchSize?: number | undefined
    readonly cache?:
      | {
          readonly capacity: number
          readonly timeToLive: Duration.DurationInput
        }
      | undefined
  }

  /**
   * `data-loader` mode: the inputs of `embed` calls made within `window` of each other go in one request.
   *
   * @since 0.1.0
   * @category models
   */
  export interface DataLoader extends Omit<Config.Service, "model"> {
    readonly window: Duration.DurationInput
    readonly maxBatchSize?: number | undefined
  }
}

const moduleName = "MistralEmbeddingModel"

/**
 * Inputs per request by default. Mistral also bounds the tokens of one request, so batches are kept moderate.
 */
const defaultMaxBatchSize = 128

const makeEmbedMany = (
  client: MistralClient.Service,
  model: string,
  globalConfig: Omit<Config.Service, "model">
): ((input: ReadonlyArray<string>) => Effect.Effect<Array<EmbeddingModel.Result>, AiError.AiError>) => {
  return (input) =>
    Effect.useSpan("MistralEmbeddingModel.embedMany", { kind: "client", captureStackTrace: false }, (span) =>
      Effect.gen(function* () {
        const override = yield* Config.getOrUndefined
        const request: EmbeddingsApi.EmbeddingRequest = { model, ...globalConfig, ...override, input }
        Telemetry.annotateEmbeddingRequest(span, request.model)
        const response = yield* client
          .call(embeddings_v1_embeddings_post, { body: request })
          .pipe(
            Effect.mapError((error) =>
              toAiError(error, { module: moduleName, method: "embedMany", baseUrl: client.baseUrl })
            )
          )
        Telemetry.annotateEmbeddingResponse(span, response)
        return response.data.map(
          (item, position): EmbeddingModel.Result => ({
            index: item.index ?? position,
            embeddings: [...(item.embedding ?? [])]
          })
        )
      })
    )
}

/**
 * Builds an `EmbeddingModel` that batches concurrent requests.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeBatched = (options: {
  readonly model: (string & {}) | Model
  readonly config?: Config.Batched | undefined
}): Effect.Effect<EmbeddingModel.Service, never, MistralClient.MistralClient> =>
  Effect.gen(function* () {
    const client = yield* MistralClient.MistralClient
    const { cache, maxBatchSize = defaultMaxBatchSize, ...globalConfig } = options.config ?? {}
    return yield* EmbeddingModel.make({
      embedMany: makeEmbedMany(client, options.model, globalConfig),
      maxBatchSize,
      ...(cache === undefined ? {} : { cache })
    })
  })

/**
 * Builds an `EmbeddingModel` that gathers requests over a time window.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeDataLoader = (options: {
  readonly model: (string & {}) | Model
  readonly config: Config.DataLoader
}): Effect.Effect<EmbeddingModel.Service, never, MistralClient.MistralClient | Scope.Scope> =>
  Effect.gen(function* () {
    const client = yield* MistralClient.MistralClient
    const { window, maxBatchSize = defaultMaxBatchSize, ...globalConfig } = options.config
    return yield* EmbeddingModel.makeDataLoader({
      embedMany: makeEmbedMany(client, options.model, globalConfig),
      window,
      maxBatchSize
    })
  })

/**
 * A layer of `EmbeddingModel.EmbeddingModel` in `batched` mode.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerBatched = (options: {
  readonly model: (string & {}) | Model
  readonly config?: Config.Batched | undefined
}): Layer.Layer<EmbeddingModel.EmbeddingModel, never, MistralClient.MistralClient> =>
  Layer.effect(EmbeddingModel.EmbeddingModel, makeBatched(options))

/**
 * A layer of `EmbeddingModel.EmbeddingModel` in `data-loader` mode.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerDataLoader = (options: {
  readonly model: (string & {}) | Model
  readonly config: Config.DataLoader
}): Layer.Layer<EmbeddingModel.EmbeddingModel, never, MistralClient.MistralClient> =>
  Layer.scoped(EmbeddingModel.EmbeddingModel, makeDataLoader(options))

/**
 * A layer of `EmbeddingModel.EmbeddingModel` in `batched` mode (the same as `layerBatched`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = layerBatched

/**
 * The options of `model`: `batched` (the default) or `data-loader` mode with their settings.
 *
 * @since 0.1.0
 * @category models
 */
export type ModelOptions =
  | Simplify<{ readonly mode?: "batched" | undefined } & Config.Batched>
  | Simplify<{ readonly mode: "data-loader" } & Config.DataLoader>

/**
 * An embedding model for `@effect/ai`, to provide where `EmbeddingModel.EmbeddingModel` is needed; it requires the
 * `MistralClient` (from `MistralNode.layer` on Node).
 *
 * @since 0.1.0
 * @category ai models
 */
export const model = (
  model: (string & {}) | Model,
  options: ModelOptions = {}
): AiModel.Model<"mistral", EmbeddingModel.EmbeddingModel, MistralClient.MistralClient> => {
  if (options.mode === "data-loader") {
    const { mode: _mode, ...config } = options
    return AiModel.make("mistral", layerDataLoader({ model, config }))
  }
  const { mode: _mode, ...config } = options
  return AiModel.make("mistral", layerBatched({ model, config }))
}

/**
 * Runs the embedding calls inside an effect with these request fields on top of the layer's.
 *
 * @since 0.1.0
 * @category configuration
 */
export const withConfigOverride: {
  (overrides: Config.Service): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, overrides: Config.Service): Effect.Effect<A, E, R>
} = dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, overrides: Config.Service): Effect.Effect<A, E, R> =>
    Effect.flatMap(Config.getOrUndefined, (config) => Effect.provideService(self, Config, { ...config, ...overrides }))
)
