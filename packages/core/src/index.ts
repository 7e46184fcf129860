/**
 * @since 0.1.0
 */
export * as Agents from "./Agents.js"

/**
 * @since 0.1.0
 */
export * as Audio from "./Audio.js"

/**
 * @since 0.2.0
 */
export * as AudioRealtime from "./AudioRealtime.js"

/**
 * @since 0.1.0
 */
export * as Batch from "./Batch.js"

/**
 * @since 0.1.0
 */
export * as Chat from "./Chat.js"

/**
 * @since 0.1.0
 */
export * as Classifiers from "./Classifiers.js"

/**
 * @since 0.1.0
 */
export * as Content from "./Content.js"

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
export * as Embeddings from "./Embeddings.js"

/**
 * @since 0.1.0
 */
export * as Files from "./Files.js"

/**
 * @since 0.1.0
 */
export * as Fim from "./Fim.js"

/**
 * @since 0.1.0
 */
export * as Libraries from "./Libraries.js"

/**
 * @since 0.1.0
 */
export * as MistralClient from "./MistralClient.js"

/**
 * @since 0.2.0
 */
export * as MistralBudget from "./MistralBudget.js"

/**
 * @since 0.2.0
 */
export * as MistralConfig from "./MistralConfig.js"

/**
 * @since 0.1.0
 */
export * as MistralError from "./MistralError.js"

/**
 * @since 0.2.0
 */
export * as MistralMetrics from "./MistralMetrics.js"

/**
 * @since 0.1.0
 */
export * as MistralSchema from "./MistralSchema.js"

/**
 * @since 0.2.0
 */
export * as MistralTransport from "./MistralTransport.js"

/**
 * @since 0.1.0
 */
export * as MistralServices from "./MistralServices.js"

/**
 * @since 0.2.0
 */
export * as MistralWebSocket from "./MistralWebSocket.js"

/**
 * @since 0.1.0
 */
export * as Models from "./Models.js"

/**
 * @since 0.1.0
 */
export * as Ocr from "./Ocr.js"

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
 * A file whose bytes come from a `Stream`, for multipart uploads that are never held whole in memory.
 *
 * @since 0.3.0
 */
export * as StreamedFile from "./StreamedFile.js"

/**
 * The text of a `multipart/form-data` body (boundary, part heads, closing line), as every form writer of the client
 * writes it.
 *
 * @since 0.3.0
 */
export * as Multipart from "./Multipart.js"

/**
 * @since 0.2.0
 */
export * as StructuredOutput from "./StructuredOutput.js"

/**
 * @since 0.1.0
 */
export * as Tool from "./Tool.js"
