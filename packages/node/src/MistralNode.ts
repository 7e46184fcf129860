/**
 * What Node users provide: the Mistral client and every service, over an HTTP client for Node.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Agents from "@effect-mistral/core/Agents"
import * as Audio from "@effect-mistral/core/Audio"
import * as Batch from "@effect-mistral/core/Batch"
import * as Chat from "@effect-mistral/core/Chat"
import * as Classifiers from "@effect-mistral/core/Classifiers"
import * as Conversations from "@effect-mistral/core/Conversations"
import * as Embeddings from "@effect-mistral/core/Embeddings"
import * as Files from "@effect-mistral/core/Files"
import * as Fim from "@effect-mistral/core/Fim"
import * as Libraries from "@effect-mistral/core/Libraries"
import * as Models from "@effect-mistral/core/Models"
import * as Ocr from "@effect-mistral/core/Ocr"
import * as MistralClient from "@effect-mistral/core/MistralClient"
import type * as MistralTransport from "@effect-mistral/core/MistralTransport"
import type * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Layer from "effect/Layer"
import * as UndiciHttpClient from "./UndiciHttpClient.js"
import * as UndiciTransport from "./UndiciTransport.js"

/**
 * Every service of `@effect-mistral/core`.
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
 * The services, built on the `MistralClient` in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const services: Layer.Layer<
  Exclude<Services, MistralClient.MistralClient>,
  never,
  MistralClient.MistralClient
> = Layer.mergeAll(
  Agents.layer,
  Audio.layer,
  Batch.layer,
  Chat.layer,
  Classifiers.layer,
  Conversations.layer,
  Embeddings.layer,
  Files.layer,
  Fim.layer,
  Libraries.layer,
  Models.layer,
  Ocr.layer
)

/**
 * The lean undici `HttpClient` with keep-alive, for other HTTP uses of a Node program. The Mistral client itself
 * sends through `transportLayer`; any other `HttpClient` (such as `NodeHttpClient.layerUndici`) works through
 * `layerWithoutHttpClient`.
 *
 * @since 0.1.0
 * @category layers
 */
export const httpClientLayer: Layer.Layer<HttpClient.HttpClient> = UndiciHttpClient.layer()

/**
 * The transport used by default: undici with keep-alive, keeping every request's limits itself (`UndiciTransport`).
 *
 * @since 0.2.0
 * @category layers
 */
export const transportLayer: Layer.Layer<MistralTransport.MistralTransport> = UndiciTransport.layer()

const withServices = <E, R>(client: Layer.Layer<MistralClient.MistralClient, E, R>) =>
  Layer.provideMerge(services, client)

/**
 * The client and every service for Node, from options.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: MistralClient.Options = {}): Layer.Layer<Services> =>
  withServices(MistralClient.layerTransport(options)).pipe(Layer.provide(transportLayer))

/**
 * The client and every service for Node, from `Config` (by default the environment: `MISTRAL_API_KEY`…).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config?: Config.Config<MistralClient.Options> | Config.Config.Wrap<MistralClient.Options>
): Layer.Layer<Services, ConfigError.ConfigError> =>
  withServices(MistralClient.layerTransportConfig(config)).pipe(Layer.provide(transportLayer))

/**
 * The client and every service over an `HttpClient` the caller provides.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWithoutHttpClient = (
  options: MistralClient.Options = {}
): Layer.Layer<Services, never, HttpClient.HttpClient> => withServices(MistralClient.layer(options))
