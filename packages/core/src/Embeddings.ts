/**
 * The Embeddings API: vectors for texts (or code).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Operations from "./generated/embeddings.js"
import { accessors, type Body } from "./internal/services.js"
import * as MistralClient from "./MistralClient.js"
import type * as MistralError from "./MistralError.js"

/**
 * @since 0.1.0
 * @category models
 */
export type CreateRequest = Body<typeof Operations.embeddings_v1_embeddings_post>

/**
 * @since 0.1.0
 * @category models
 */
export type EmbeddingResponse = Operations.EmbeddingResponse

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly create: (request: CreateRequest) => Effect.Effect<EmbeddingResponse, MistralError.MistralError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Embeddings extends Context.Tag("@effect-mistral/core/Embeddings")<Embeddings, Service>() {}

/**
 * Builds the service on a client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromClient = (client: MistralClient.Service): Service => ({
  create: (request) => client.call(Operations.embeddings_v1_embeddings_post, { body: request })
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
export const layer: Layer.Layer<Embeddings, never, MistralClient.MistralClient> = Layer.effect(Embeddings, make)

// =============================================================================
// Accessors
// =============================================================================

const methods = accessors(Embeddings, { effects: ["create"], streams: [] })

/**
 * Calls `create` on the service in context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const create = methods.create
