/**
 * `@effect/ai`'s `LanguageModel` over Mistral chat completions: text, streamed text, objects through a
 * `json_schema` response format, and tool calls through `@effect/ai` toolkits.
 *
 * @since 0.1.0
 */
import type * as AiError from "@effect/ai/AiError"
import * as IdGenerator from "@effect/ai/IdGenerator"
import * as LanguageModel from "@effect/ai/LanguageModel"
import * as AiModel from "@effect/ai/Model"
import type * as Response from "@effect/ai/Response"
import type * as ChatApi from "@effect-mistral/core/generated/chat"
import { chat_completion_v1_chat_completions_post } from "@effect-mistral/core/generated/chat"
import * as MistralClient from "@effect-mistral/core/MistralClient"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Stream from "effect/Stream"
import type { Simplify } from "effect/Types"
import * as Chat from "./internal/chat.js"
import { toAiError } from "./internal/errors.js"
import * as Telemetry from "./internal/telemetry.js"

/**
 * The chat models known when this package was written; any other model id is accepted as well.
 *
 * @since 0.1.0
 * @category models
 */
export type Model =
  | "mistral-large-latest"
  | "mistral-medium-latest"
  | "mistral-small-latest"
  | "magistral-medium-latest"
  | "magistral-small-latest"
  | "codestral-latest"
  | "devstral-medium-latest"
  | "devstral-small-latest"
  | "ministral-8b-latest"
  | "ministral-3b-latest"
  | "pixtral-large-latest"
  | "open-mistral-nemo"

/**
 * The fields of a chat completion request a configuration may set, for a whole layer (`model`, `layer`, `make`) or
 * for the calls inside an effect (`withConfigOverride`).
 *
 * @since 0.1.0
 * @category context
 */
export class Config extends Context.Tag("@effect-mistral/ai/MistralLanguageModel/Config")<Config, Config.Service>() {
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
   * Any field of the request (`temperature`, `max_tokens`, `random_seed`, `safe_prompt`, `prompt_mode`,
   * `parallel_tool_calls`, a `response_format` for text generation…), except those the provider builds from the
   * prompt (`messages`, `tools`, `tool_choice`, `stream`).
   *
   * @since 0.1.0
   * @category models
   */
  export interface Service extends Simplify<Partial<Omit<ChatApi.ChatCompletionRequest, Chat.Reserved>>> {
    /**
     * Whether function tools and `json_schema` response formats are sent with `strict: true`. Default `true`.
     */
    readonly strict?: boolean | undefined
  }
}

const moduleName = "MistralLanguageModel"

/**
 * A language model for `@effect/ai`, to provide where `LanguageModel.LanguageModel` is needed; it requires the
 * `MistralClient` (from `MistralNode.layer` on Node).
 *
 * @since 0.1.0
 * @category ai models
 */
export const model = (
  model: (string & {}) | Model,
  config?: Omit<Config.Service, "model">
): AiModel.Model<"mistral", LanguageModel.LanguageModel, MistralClient.MistralClient> =>
  AiModel.make("mistral", layer(config === undefined ? { model } : { model, config }))

/**
 * Builds the `LanguageModel` service over the `MistralClient` in context.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: {
  readonly model: (string & {}) | Model
  readonly config?: Omit<Config.Service, "model"> | undefined
}): Effect.Effect<LanguageModel.Service, never, MistralClient.MistralClient> =>
  Effect.gen(function* () {
    const client = yield* MistralClient.MistralClient

    const mapError =
      (method: string) =>
      (error: Parameters<typeof toAiError>[0]): AiError.AiError =>
        toAiError(error, { module: moduleName, method, baseUrl: client.baseUrl })

    const makeRequest = (providerOptions: LanguageModel.ProviderOptions) =>
      Effect.gen(function* () {
        const override = yield* Config.getOrUndefined
        const config: Config.Service = { model: options.model, ...options.config, ...override }
        const { strict: strictOption, model: configuredModel, response_format, ...fields } = config
        const strict = strictOption ?? true
        const messages = yield* Chat.prepareMessages(providerOptions.prompt)
        const tools = yield* Chat.prepareTools(providerOptions, strict)
        const responseFormat = Chat.prepareResponseFormat(providerOptions, strict, response_format)
        const request: ChatApi.ChatCompletionRequest = {
          ...fields,
          model: configuredModel ?? options.model,
          messages,
          ...(tools.tools === undefined ? {} : { tools: tools.tools }),
          ...(tools.tool_choice === undefined ? {} : { tool_choice: tools.tool_choice }),
          ...(responseFormat === undefined ? {} : { response_format: responseFormat })
        }
        return request
      })

    return yield* LanguageModel.make({
      generateText: (providerOptions) =>
        Effect.gen(function* () {
          const request = yield* makeRequest(providerOptions)
          Telemetry.annotateChatRequest(providerOptions.span, request)
          const response = yield* client
            .call(chat_completion_v1_chat_completions_post, { body: request })
            .pipe(Effect.mapError(mapError("generateText")))
          Telemetry.annotateChatResponse(providerOptions.span, response)
          return yield* Chat.makeResponse(response)
        }),
      streamText: (providerOptions) =>
        Stream.unwrap(
          Effect.gen(function* () {
            const request = yield* makeRequest(providerOptions)
            Telemetry.annotateChatRequest(providerOptions.span, request)
            const idGenerator = yield* IdGenerator.IdGenerator
            const state = new Chat.StreamState(idGenerator)
            return client.stream(chat_completion_v1_chat_completions_post, { body: request }).pipe(
              Stream.mapError(mapError("streamText")),
              Stream.mapEffect((chunk) => state.onChunk(chunk)),
              Stream.concat(Stream.fromEffect(Effect.suspend(() => state.onEnd()))),
              Stream.flattenIterables,
              Stream.tap((part: Response.StreamPartEncoded) =>
                Effect.sync(() => Telemetry.annotateStreamPart(providerOptions.span, part))
              )
            )
          })
        )
    })
  })

/**
 * A layer of `LanguageModel.LanguageModel` over the `MistralClient` in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: {
  readonly model: (string & {}) | Model
  readonly config?: Omit<Config.Service, "model"> | undefined
}): Layer.Layer<LanguageModel.LanguageModel, never, MistralClient.MistralClient> =>
  Layer.effect(LanguageModel.LanguageModel, make(options))

/**
 * An effect or a stream, for the combinators that apply to both.
 *
 * @since 0.1.0
 * @category models
 */
export type EffectOrStream = Effect.Effect<unknown, unknown, unknown> | Stream.Stream<unknown, unknown, unknown>

/**
 * Runs the language model calls inside an effect (`generateText`, `generateObject`) or a stream (`streamText`)
 * with these configuration fields on top of the layer's and of any enclosing override.
 *
 * @since 0.1.0
 * @category configuration
 */
export const withConfigOverride: {
  (overrides: Config.Service): <Self extends EffectOrStream>(self: Self) => Self
  <Self extends EffectOrStream>(self: Self, overrides: Config.Service): Self
} = dual(2, <Self extends EffectOrStream>(self: Self, overrides: Config.Service): Self => {
  const merged = Effect.map(Config.getOrUndefined, (config): Config.Service => ({ ...config, ...overrides }))
  if (Predicate.hasProperty(self, Stream.StreamTypeId)) {
    const stream = self as Stream.Stream<unknown, unknown, unknown>
    return Stream.unwrap(Effect.map(merged, (config) => Stream.provideService(stream, Config, config))) as Self
  }
  const effect = self as Effect.Effect<unknown, unknown, unknown>
  return Effect.flatMap(merged, (config) => Effect.provideService(effect, Config, config)) as Self
})
