/**
 * @since 0.1.0
 */
export * as MistralNode from "./MistralNode.js"

/**
 * @since 0.1.0
 */
export * as NodeFiles from "./NodeFiles.js"

/**
 * @since 0.2.0
 */
export * as NodeWebSocket from "./NodeWebSocket.js"

/**
 * @since 0.1.0
 */
export * as UndiciHttpClient from "./UndiciHttpClient.js"

/**
 * @since 0.2.0
 */
export * as UndiciTransport from "./UndiciTransport.js"
