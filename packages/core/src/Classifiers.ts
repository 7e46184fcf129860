/**
 * The Classifiers API: moderation and classification of texts and of chat conversations.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Operations from "./generated/classifiers.js"
import { accessors, type Body } from "./internal/services.js"
import * as MistralClient from "./MistralClient.js"
import type * as MistralError from "./MistralError.js"
import type * as Operation from "./Operation.js"

/**
 * Texts to moderate or classify (moderations and classifications take the same request).
 *
 * @since 0.1.0
 * @category models
 */
export type ClassificationRequest = Body<typeof Operations.moderations_v1_moderations_post>

/**
 * @since 0.1.0
 * @category models
 */
export type ChatModerationRequest = Body<typeof Operations.chat_moderations_v1_chat_moderations_post>

/**
 * @since 0.1.0
 * @category models
 */
export type ChatClassificationRequest = Body<typeof Operations.chat_classifications_v1_chat_classifications_post>

/**
 * @since 0.1.0
 * @category models
 */
export type ModerationResponse = Operation.Success<typeof Operations.moderations_v1_moderations_post>

/**
 * @since 0.1.0
 * @category models
 */
export type ClassificationResponse = Operation.Success<typeof Operations.classifications_v1_classifications_post>

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly moderate: (request: ClassificationRequest) => Effect.Effect<ModerationResponse, MistralError.MistralError>
  readonly moderateChat: (
    request: ChatModerationRequest
  ) => Effect.Effect<ModerationResponse, MistralError.MistralError>
  readonly classify: (
    request: ClassificationRequest
  ) => Effect.Effect<ClassificationResponse, MistralError.MistralError>
  readonly classifyChat: (
    request: ChatClassificationRequest
  ) => Effect.Effect<ClassificationResponse, MistralError.MistralError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Classifiers extends Context.Tag("@effect-mistral/core/Classifiers")<Classifiers, Service>() {}

/**
 * Builds the service on a client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromClient = (client: MistralClient.Service): Service => ({
  moderate: (request) => client.call(Operations.moderations_v1_moderations_post, { body: request }),
  moderateChat: (request) => client.call(Operations.chat_moderations_v1_chat_moderations_post, { body: request }),
  classify: (request) => client.call(Operations.classifications_v1_classifications_post, { body: request }),
  classifyChat: (request) =>
    client.call(Operations.chat_classifications_v1_chat_classifications_post, { body: request })
})

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, MistralClient.MistralClient> = Effect.map(
  MistralClient.MistralClient,
  fromClient
)

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Classifiers, never, MistralClient.MistralClient> = Layer.effect(Classifiers, make)

// =============================================================================
// Accessors
// =============================================================================

const methods = accessors(Classifiers, {
  effects: ["moderate", "moderateChat", "classify", "classifyChat"],
  streams: []
})

/**
 * Calls `moderate` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const moderate = methods.moderate

/**
 * Calls `moderateChat` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const moderateChat = methods.moderateChat

/**
 * Calls `classify` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const classify = methods.classify

/**
 * Calls `classifyChat` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const classifyChat = methods.classifyChat
