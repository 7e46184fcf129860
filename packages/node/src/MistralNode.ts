/**
 * What Node users provide: the Mistral client and every service, over an HTTP client for Node.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Conversations from "@effect-mistral/core/Conversations"
import * as MistralClient from "@effect-mistral/core/MistralClient"
import type * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Layer from "effect/Layer"
import * as UndiciHttpClient from "./UndiciHttpClient.js"

/**
 * Every service of `@effect-mistral/core`.
 *
 * @since 0.1.0
 * @category models
 */
export type Services = MistralClient.MistralClient | Conversations.Conversations

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
> = Conversations.layer

/**
 * The HTTP client used by default: the lean undici client with keep-alive (`UndiciHttpClient`). Any other
 * `HttpClient` (such as `NodeHttpClient.layerUndici`) works through `layerWithoutHttpClient`.
 *
 * @since 0.1.0
 * @category layers
 */
export const httpClientLayer: Layer.Layer<HttpClient.HttpClient> = UndiciHttpClient.layer()

const withServices = <E, R>(client: Layer.Layer<MistralClient.MistralClient, E, R>) =>
  Layer.provideMerge(services, client)

/**
 * The client and every service for Node, from options.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: MistralClient.Options = {}): Layer.Layer<Services> =>
  withServices(MistralClient.layer(options)).pipe(Layer.provide(httpClientLayer))

/**
 * The client and every service for Node, from `Config` (by default the environment: `MISTRAL_API_KEY`…).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config?: Config.Config<MistralClient.Options> | Config.Config.Wrap<MistralClient.Options>
): Layer.Layer<Services, ConfigError.ConfigError> =>
  withServices(MistralClient.layerConfig(config)).pipe(Layer.provide(httpClientLayer))

/**
 * The client and every service over an `HttpClient` the caller provides.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWithoutHttpClient = (
  options: MistralClient.Options = {}
): Layer.Layer<Services, never, HttpClient.HttpClient> => withServices(MistralClient.layer(options))
