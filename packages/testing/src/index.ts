/**
 * @since 0.1.0
 */
export * as RedisServer from "./RedisServer.js"

/**
 * @since 0.1.0
 */
export * as PostgresServer from "./PostgresServer.js"

/**
 * @since 0.2.0
 */
export { freePort } from "./freePort.js"
