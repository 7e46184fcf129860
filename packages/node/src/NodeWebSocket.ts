/**
 * WebSockets for Node: `MistralWebSocket` over undici's `WebSocket`, which sends headers (the API key) with its
 * handshake. Used by `AudioRealtime` (realtime transcription).
 *
 * @since 0.2.0
 */
import * as MistralWebSocket from "@effect-mistral/core/MistralWebSocket"
import type * as Layer from "effect/Layer"
import { WebSocket } from "undici"

/**
 * Opens a WebSocket with undici, sending the headers with the handshake; binary messages arrive as `ArrayBuffer`s.
 *
 * @since 0.2.0
 * @category constructors
 */
export const open: MistralWebSocket.Service["open"] = (url, options) => {
  const socket = new WebSocket(url, { headers: { ...options.headers } })
  socket.binaryType = "arraybuffer"
  // undici's WebSocket is the WHATWG one that Node's global `WebSocket` is made of
  return socket as unknown as globalThis.WebSocket
}

/**
 * @since 0.2.0
 * @category layers
 */
export const layer: Layer.Layer<MistralWebSocket.MistralWebSocket> = MistralWebSocket.layer(open)
