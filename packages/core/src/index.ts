/**
 * @since 0.1.0
 */
export * as ConversationRunner from "./ConversationRunner.js"

/**
 * @since 0.1.0
 */
export * as Conversations from "./Conversations.js"

/**
 * @since 0.1.0
 */
export * as MistralClient from "./MistralClient.js"

/**
 * @since 0.1.0
 */
export * as MistralError from "./MistralError.js"

/**
 * @since 0.1.0
 */
export * as MistralSchema from "./MistralSchema.js"

/**
 * @since 0.1.0
 */
export * as Operation from "./Operation.js"

/**
 * @since 0.1.0
 */
export * as RetryPolicy from "./RetryPolicy.js"

/**
 * Every operation descriptor, keyed by operationId.
 *
 * @since 0.1.0
 */
export { Operations } from "./generated/Operations.js"

/**
 * Every schema of the API (and every operation descriptor), by name.
 *
 * @since 0.1.0
 */
export * as Schemas from "./generated/index.js"

/**
 * @since 0.1.0
 */
export * as Tool from "./Tool.js"
