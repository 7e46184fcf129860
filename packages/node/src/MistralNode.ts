/**
 * What Node users provide: the Mistral client and every service, over an HTTP client for Node, and realtime
 * transcription (`AudioRealtime`) over undici's WebSocket.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as AudioRealtime from "@effect-mistral/core/AudioRealtime"
import type * as MistralClient from "@effect-mistral/core/MistralClient"
import type * as MistralError from "@effect-mistral/core/MistralError"
import * as MistralServices from "@effect-mistral/core/MistralServices"
import type * as MistralTransport from "@effect-mistral/core/MistralTransport"
import type * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Layer from "effect/Layer"
import * as NodeWebSocket from "./NodeWebSocket.js"
import * as UndiciHttpClient from "./UndiciHttpClient.js"
import * as UndiciTransport from "./UndiciTransport.js"

/**
 * Every service of `@effect-mistral/core` (`MistralServices.Services`) and `AudioRealtime`.
 *
 * @since 0.1.0
 * @category models
 */
export type Services = MistralServices.Services | AudioRealtime.AudioRealtime

/**
 * The services, built on the `MistralClient` in context (`MistralServices.layer`).
 *
 * @since 0.1.0
 * @category layers
 */
export const services: Layer.Layer<
  Exclude<MistralServices.Services, MistralClient.MistralClient>,
  never,
  MistralClient.MistralClient
> = MistralServices.layer

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

/**
 * The client and every service for Node, from options.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: MistralClient.Options & NodeOptions = {}
): Layer.Layer<Services, MistralError.ConfigurationError> => {
  const { proxy, ...clientOptions } = options
  return Layer.merge(
    MistralServices.layerTransport(clientOptions).pipe(
      Layer.provide(proxy === undefined ? transportLayer : UndiciTransport.layer({ proxy }))
    ),
    AudioRealtime.layer(clientOptions).pipe(Layer.provide(NodeWebSocket.layer))
  )
}

/**
 * What only the Node transport takes.
 *
 * @since 0.2.0
 * @category models
 */
export interface NodeOptions {
  /**
   * A forward proxy (`http://proxy:3128`); default the environment's `HTTPS_PROXY` / `HTTP_PROXY` with `NO_PROXY`;
   * `false` ignores the environment.
   */
  readonly proxy?: string | false | undefined
}

/**
 * The client and every service for Node, from `Config` (by default the environment: `MISTRAL_API_KEY`…).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config?: Config.Config<MistralClient.Options> | Config.Config.Wrap<MistralClient.Options>,
  nodeOptions: NodeOptions = {}
): Layer.Layer<Services, ConfigError.ConfigError | MistralError.ConfigurationError> =>
  Layer.merge(
    MistralServices.layerTransportConfig(config).pipe(
      Layer.provide(nodeOptions.proxy === undefined ? transportLayer : UndiciTransport.layer(nodeOptions))
    ),
    AudioRealtime.layerConfig(config).pipe(Layer.provide(NodeWebSocket.layer))
  )

/**
 * The client and every service over an `HttpClient` the caller provides (`MistralServices.layerClient`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWithoutHttpClient = (
  options: MistralClient.Options = {}
): Layer.Layer<Services, MistralError.ConfigurationError, HttpClient.HttpClient> =>
  Layer.merge(
    MistralServices.layerClient(options),
    AudioRealtime.layer(options).pipe(Layer.provide(NodeWebSocket.layer))
  )
