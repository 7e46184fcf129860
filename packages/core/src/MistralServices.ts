/**
 * Every service of the API at once, over any `HttpClient`: the layers a program provides when it wants the whole
 * client (`Chat`, `Conversations`, `Files`, …) rather than one service. Platform-independent: with `FetchHttpClient`
 * (browsers, Deno, Bun, edge runtimes) or any other `HttpClient`; `@effect-mistral/node` builds its layers on these.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Agents from "./Agents.js"
import * as Audio from "./Audio.js"
import * as Batch from "./Batch.js"
import * as Chat from "./Chat.js"
import * as Classifiers from "./Classifiers.js"
import * as Conversations from "./Conversations.js"
import * as Embeddings from "./Embeddings.js"
import * as Files from "./Files.js"
import * as Fim from "./Fim.js"
import * as Libraries from "./Libraries.js"
import * as MistralClient from "./MistralClient.js"
import type * as MistralError from "./MistralError.js"
import type * as MistralTransport from "./MistralTransport.js"
import * as Models from "./Models.js"
import * as Ocr from "./Ocr.js"

/**
 * The client and every service.
 *
 * @since 0.1.0
 * @category models
 */
export type Services =
  | MistralClient.MistralClient
  | Agents.Agents
  | Audio.Audio
  | Batch.Batch
  | Chat.Chat
  | Classifiers.Classifiers
  | Conversations.Conversations
  | Embeddings.Embeddings
  | Files.Files
  | Fim.Fim
  | Libraries.Libraries
  | Models.Models
  | Ocr.Ocr

/**
 * Every service, built on the `MistralClient` in context.
 *
 * One layer builds them all from the client (each service's `make` is its `fromClient` over the client): a dozen
 * merged layers would cost a dozen layer builds, a noticeable share of a fresh process's first request.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<
  Exclude<Services, MistralClient.MistralClient>,
  never,
  MistralClient.MistralClient
> = Layer.effectContext(
  Effect.map(MistralClient.MistralClient, (client) =>
    Context.empty().pipe(
      Context.add(Agents.Agents, Agents.fromClient(client)),
      Context.add(Audio.Audio, Audio.fromClient(client)),
      Context.add(Batch.Batch, Batch.fromClient(client)),
      Context.add(Chat.Chat, Chat.fromClient(client)),
      Context.add(Classifiers.Classifiers, Classifiers.fromClient(client)),
      Context.add(Conversations.Conversations, Conversations.fromClient(client)),
      Context.add(Embeddings.Embeddings, Embeddings.fromClient(client)),
      Context.add(Files.Files, Files.fromClient(client)),
      Context.add(Fim.Fim, Fim.fromClient(client)),
      Context.add(Libraries.Libraries, Libraries.fromClient(client)),
      Context.add(Models.Models, Models.fromClient(client)),
      Context.add(Ocr.Ocr, Ocr.fromClient(client))
    )
  )
)

/**
 * The client (from options) and every service, over the `HttpClient` in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerClient = (
  options: MistralClient.Options = {}
): Layer.Layer<Services, MistralError.ConfigurationError, HttpClient.HttpClient> =>
  Layer.provideMerge(layer, MistralClient.layer(options))

/**
 * The client (from `Config`, by default the environment: `MISTRAL_API_KEY`…) and every service, over the
 * `HttpClient` in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerClientConfig = (
  config?: Config.Config<MistralClient.Options> | Config.Config.Wrap<MistralClient.Options>
): Layer.Layer<Services, ConfigError.ConfigError | MistralError.ConfigurationError, HttpClient.HttpClient> =>
  Layer.provideMerge(layer, MistralClient.layerConfig(config))

/**
 * The client and every service over the `MistralTransport` in context (see `MistralClient.layerTransport`).
 *
 * @since 0.2.0
 * @category layers
 */
export const layerTransport = (
  options: MistralClient.Options = {}
): Layer.Layer<Services, MistralError.ConfigurationError, MistralTransport.MistralTransport> =>
  Layer.provideMerge(layer, MistralClient.layerTransport(options))

/**
 * `layerTransport` with options from `Config` (by default the environment: `MISTRAL_API_KEY`…).
 *
 * @since 0.2.0
 * @category layers
 */
export const layerTransportConfig = (
  config?: Config.Config<MistralClient.Options> | Config.Config.Wrap<MistralClient.Options>
): Layer.Layer<
  Services,
  ConfigError.ConfigError | MistralError.ConfigurationError,
  MistralTransport.MistralTransport
> => Layer.provideMerge(layer, MistralClient.layerTransportConfig(config))
