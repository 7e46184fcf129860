/**
 * WebSockets for Node: `MistralWebSocket` over undici's `WebSocket`, which sends headers (the API key) with its
 * handshake. Used by `AudioRealtime` (realtime transcription).
 *
 * @since 0.2.0
 */
import * as MistralWebSocket from "@effect-mistral/core/MistralWebSocket"
import type * as Layer from "effect/Layer"
import type { Dispatcher } from "undici"
import * as UndiciParts from "./internal/undiciParts.js"

/** A dispatcher interceptor that reports the status and headers of an answer that is not an upgrade. */
const observeRefusal =
  (report: (refusal: MistralWebSocket.Refusal) => void): Dispatcher.DispatcherComposeInterceptor =>
  (dispatch) =>
  (options, handler) =>
    dispatch(options, {
      onRequestStart: (controller, context) => handler.onRequestStart?.(controller, context),
      onRequestUpgrade: (controller, status, headers, socket) =>
        handler.onRequestUpgrade?.(controller, status, headers, socket),
      onResponseStart: (controller, status, headers, statusMessage) => {
        const flat: Record<string, string> = {}
        for (const [name, value] of Object.entries(headers)) {
          if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value
        }
        report({ status, headers: flat })
        handler.onResponseStart?.(controller, status, headers, statusMessage)
      },
      onResponseData: (controller, chunk) => handler.onResponseData?.(controller, chunk),
      onResponseEnd: (controller, trailers) => handler.onResponseEnd?.(controller, trailers),
      onResponseError: (controller, error) => handler.onResponseError?.(controller, error)
    })

/**
 * Opens a WebSocket with undici, sending the headers with the handshake; binary messages arrive as `ArrayBuffer`s.
 * A handshake answered with another status than 101 is reported by `refusal` (undici's own error says only that the
 * status was not 101).
 *
 * @since 0.2.0
 * @category constructors
 */
export const open: MistralWebSocket.Service["open"] = (url, options) => {
  let refusal: MistralWebSocket.Refusal | undefined
  // undici's WebSocket comes with its entry point, loaded on the first socket (see `internal/undiciParts`)
  const { getGlobalDispatcher, WebSocket } = UndiciParts.full()
  const socket = new WebSocket(url, {
    headers: { ...options.headers },
    dispatcher: getGlobalDispatcher().compose(
      observeRefusal((seen) => {
        refusal = seen
      })
    )
  })
  socket.binaryType = "arraybuffer"
  // undici's WebSocket is the WHATWG one that Node's global `WebSocket` is made of
  return { socket: socket as unknown as globalThis.WebSocket, refusal: () => refusal }
}

/**
 * @since 0.2.0
 * @category layers
 */
export const layer: Layer.Layer<MistralWebSocket.MistralWebSocket> = MistralWebSocket.layer(open)
