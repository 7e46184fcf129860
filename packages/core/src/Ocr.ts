/**
 * The OCR API: the text, tables and images of a document (a URL, an uploaded file, an image).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Operations from "./generated/ocr.js"
import { accessors, type Body } from "./internal/services.js"
import * as MistralClient from "./MistralClient.js"
import type * as MistralError from "./MistralError.js"

/**
 * @since 0.1.0
 * @category models
 */
export type ProcessRequest = Body<typeof Operations.ocr_v1_ocr_post>

/**
 * @since 0.1.0
 * @category models
 */
export type OCRResponse = Operations.OCRResponse

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly process: (request: ProcessRequest) => Effect.Effect<OCRResponse, MistralError.MistralError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Ocr extends Context.Tag("@effect-mistral/core/Ocr")<Ocr, Service>() {}

/**
 * Builds the service on a client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromClient = (client: MistralClient.Service): Service => ({
  process: (request) => client.call(Operations.ocr_v1_ocr_post, { body: request })
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
export const layer: Layer.Layer<Ocr, never, MistralClient.MistralClient> = Layer.effect(Ocr, make)

// =============================================================================
// Accessors
// =============================================================================

const methods = accessors(Ocr, { effects: ["process"], streams: [] })

/**
 * Calls `process` on the service in context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const process = methods.process
