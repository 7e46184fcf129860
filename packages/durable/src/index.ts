/**
 * The storage layers are separate modules, so that only the driver in use is loaded:
 * `@effect-mistral/durable/DurableSqlite` and `@effect-mistral/durable/DurablePostgres`.
 *
 * @since 0.1.0
 */
export * as DurableConversation from "./DurableConversation.js"

/**
 * @since 0.1.0
 */
export * as DurableTool from "./DurableTool.js"

/**
 * @since 0.1.0
 */
export * as DurableBatch from "./DurableBatch.js"
