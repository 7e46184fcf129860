/**
 * The seam through which the client opens WebSockets (realtime transcription, `AudioRealtime`).
 *
 * `@effect/platform`'s `Socket.WebSocketConstructor` takes a URL and protocols only, and the API authenticates a
 * WebSocket with `Authorization: Bearer …` on its handshake: this service opens a socket with headers. Browsers'
 * `WebSocket` cannot send headers, so a platform provides it where it can (`@effect-mistral/node` does, over
 * undici's `WebSocket`). The socket it returns is driven by `Socket.fromWebSocket`.
 *
 * @since 0.2.0
 */
import * as Context from "effect/Context"
import * as Layer from "effect/Layer"

/**
 * The answer to a handshake that the server refused (an HTTP status other than 101), as far as the platform can see
 * it; the WebSocket API itself only reports an error.
 *
 * @since 0.2.0
 * @category models
 */
export interface Refusal {
  readonly status: number
  /** Lower-cased names. */
  readonly headers: Readonly<Record<string, string>>
}

/**
 * An opened WebSocket, and what the platform saw of a refused handshake.
 *
 * @since 0.2.0
 * @category models
 */
export interface Connection {
  readonly socket: globalThis.WebSocket
  /** The refusal of the handshake, once the server has answered with another status than 101; else `undefined`. */
  readonly refusal: () => Refusal | undefined
}

/**
 * @since 0.2.0
 * @category models
 */
export interface Service {
  /** Opens a WebSocket to `url` (`ws:` or `wss:`), sending `headers` with its handshake. */
  readonly open: (url: string, options: { readonly headers: Readonly<Record<string, string>> }) => Connection
}

/**
 * @since 0.2.0
 * @category tags
 */
export class MistralWebSocket extends Context.Tag("@effect-mistral/core/MistralWebSocket")<
  MistralWebSocket,
  Service
>() {}

/**
 * A layer from an `open` function.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (open: Service["open"]): Layer.Layer<MistralWebSocket> =>
  Layer.succeed(MistralWebSocket, MistralWebSocket.of({ open }))
