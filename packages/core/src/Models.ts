/**
 * The Models API: list and read models; delete, update, archive and unarchive fine-tuned models.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Operations from "./generated/models.js"
import { accessors, type Body, type Query } from "./internal/services.js"
import * as MistralClient from "./MistralClient.js"
import type * as MistralError from "./MistralError.js"

/**
 * A base model card, a fine-tuned model card, or an unknown kind kept raw.
 *
 * @since 0.1.0
 * @category models
 */
export type Model = Operations.RetrieveModelV1ModelsModelIdGetResponse

/**
 * @since 0.1.0
 * @category models
 */
export type ModelList = Operations.ModelList

/**
 * @since 0.1.0
 * @category models
 */
export type ListOptions = Query<typeof Operations.list_models_v1_models_get>

/**
 * @since 0.1.0
 * @category models
 */
export type UpdateRequest = Body<typeof Operations.jobs_api_routes_fine_tuning_update_fine_tuned_model>

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly list: (options?: ListOptions) => Effect.Effect<ModelList, MistralError.MistralError>
  readonly get: (modelId: string) => Effect.Effect<Model, MistralError.MistralError>
  /** Deletes a fine-tuned model. */
  readonly delete: (modelId: string) => Effect.Effect<Operations.DeleteModelResponse, MistralError.MistralError>
  /** Updates a fine-tuned model's name or description. */
  readonly update: (
    modelId: string,
    request: UpdateRequest
  ) => Effect.Effect<Operations.JobsApiRoutesFineTuningUpdateFineTunedModelResponse, MistralError.MistralError>
  readonly archive: (modelId: string) => Effect.Effect<Operations.ArchiveModelResponse, MistralError.MistralError>
  readonly unarchive: (modelId: string) => Effect.Effect<Operations.UnarchiveModelResponse, MistralError.MistralError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Models extends Context.Tag("@effect-mistral/core/Models")<Models, Service>() {}

/**
 * Builds the service on a client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromClient = (client: MistralClient.Service): Service => ({
  list: (options = {}) => client.call(Operations.list_models_v1_models_get, { query: options }),
  get: (modelId) => client.call(Operations.retrieve_model_v1_models__model_id__get, { path: { model_id: modelId } }),
  delete: (modelId) =>
    client.call(Operations.delete_model_v1_models__model_id__delete, { path: { model_id: modelId } }),
  update: (modelId, request) =>
    client.call(Operations.jobs_api_routes_fine_tuning_update_fine_tuned_model, {
      path: { model_id: modelId },
      body: request
    }),
  archive: (modelId) =>
    client.call(Operations.jobs_api_routes_fine_tuning_archive_fine_tuned_model, { path: { model_id: modelId } }),
  unarchive: (modelId) =>
    client.call(Operations.jobs_api_routes_fine_tuning_unarchive_fine_tuned_model, { path: { model_id: modelId } })
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
export const layer: Layer.Layer<Models, never, MistralClient.MistralClient> = Layer.effect(Models, make)

// =============================================================================
// Accessors
// =============================================================================

const methods = accessors(Models, { effects: ["list", "get", "delete", "update", "archive", "unarchive"], streams: [] })

/**
 * Calls `list` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const list = methods.list

/**
 * Calls `get` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const get = methods.get

/**
 * Calls `delete` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
const delete_ = methods.delete

/**
 * Calls `update` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const update = methods.update

/**
 * Calls `archive` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const archive = methods.archive

/**
 * Calls `unarchive` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const unarchive = methods.unarchive

export {
  /**
   * Calls `delete` on the service in context.
   *
   * @since 0.2.0
   * @category accessors
   */
  delete_ as delete
}
