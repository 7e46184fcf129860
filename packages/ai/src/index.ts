/**
 * @since 0.1.0
 */
export * as MistralEmbeddingModel from "./MistralEmbeddingModel.js"

/**
 * @since 0.1.0
 */
export * as MistralLanguageModel from "./MistralLanguageModel.js"
