/**
 * The FIM (fill-in-the-middle) Completions API: code between a prompt and a suffix, plain or streamed.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Stream from "effect/Stream"
import type * as Components from "./generated/components.js"
import * as Operations from "./generated/fim.js"
import * as Completions from "./internal/completions.js"
import { accessors, type Body } from "./internal/services.js"
import * as MistralClient from "./MistralClient.js"
import type * as MistralError from "./MistralError.js"

/**
 * @since 0.1.0
 * @category models
 */
export type CompletionRequest = Body<typeof Operations.fim_completion_v1_fim_completions_post>

/**
 * The request of a streamed completion; the runtime sets `stream: true` itself.
 *
 * @since 0.1.0
 * @category models
 */
export type StreamRequest = Omit<CompletionRequest, "stream">

/**
 * @since 0.1.0
 * @category models
 */
export type FIMCompletionResponse = Operations.FIMCompletionResponse

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly complete: (request: CompletionRequest) => Effect.Effect<FIMCompletionResponse, MistralError.MistralError>
  readonly stream: (request: StreamRequest) => Stream.Stream<Components.CompletionChunk, MistralError.MistralError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Fim extends Context.Tag("@effect-mistral/core/Fim")<Fim, Service>() {}

/**
 * Builds the service on a client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromClient = (client: MistralClient.Service): Service => ({
  complete: (request) => client.call(Operations.fim_completion_v1_fim_completions_post, { body: request }),
  stream: (request) => client.stream(Operations.fim_completion_v1_fim_completions_post, { body: request })
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
export const layer: Layer.Layer<Fim, never, MistralClient.MistralClient> = Layer.effect(Fim, make)

/**
 * The completed code of the first choice as it arrives.
 *
 * @since 0.1.0
 * @category streams
 */
export const textDeltas: <E, R>(
  chunks: Stream.Stream<Components.CompletionChunk, E, R>
) => Stream.Stream<string, E, R> = Completions.textDeltas

/**
 * Folds a streamed completion into the value the plain call returns.
 *
 * @since 0.1.0
 * @category streams
 */
export const collect: <E, R>(
  chunks: Stream.Stream<Components.CompletionChunk, E, R>
) => Effect.Effect<FIMCompletionResponse, E, R> = Completions.collect

// =============================================================================
// Accessors
// =============================================================================

const methods = accessors(Fim, { effects: ["complete"], streams: ["stream"] })

/**
 * Calls `complete` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const complete = methods.complete

/**
 * Calls `stream` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const stream = methods.stream
