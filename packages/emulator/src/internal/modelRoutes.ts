/** Models: the base models (read-only) and fine-tuned models (update, archive, unarchive, delete). */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import { notFound } from "./errors.js"
import { pathParam, validBody } from "./http.js"
import { models } from "./models.js"
import type { FineTunedModel, State } from "./state.js"
import * as Validation from "./validation.js"

const isBaseModel = (id: string) =>
  models.some((card) => card.id === id || (card.aliases as ReadonlyArray<string>).includes(id))

/** A fine-tuned model as `CompletionFineTunedModel`, the answer of the update route. */
const completionFineTunedModel = (model: FineTunedModel) => ({
  id: model.id,
  object: "model",
  created: model.created,
  owned_by: model.owned_by,
  workspace_id: model.workspace_id,
  root: model.root,
  root_version: model.root_version,
  archived: model.archived,
  name: model.name,
  description: model.description,
  capabilities: {
    completion_chat: true,
    completion_fim: false,
    function_calling: true,
    fine_tuning: true,
    classification: false
  },
  max_context_length: model.max_context_length,
  aliases: model.aliases,
  job: model.job,
  model_type: "completion"
})

export const modelRoutes = (state: State) => {
  const findFineTuned = Effect.flatMap(pathParam("model_id"), (id) => {
    const model = state.fineTunedModels.get(id)
    if (model !== undefined) return Effect.succeed(model)
    return Effect.fail(notFound(isBaseModel(id) ? `Model ${id} is not a fine-tuned model` : `Model ${id} not found`))
  })

  const list = Effect.sync(() =>
    HttpServerResponse.unsafeJson({ object: "list", data: [...models, ...state.fineTunedModels.values()] })
  )

  const get = Effect.gen(function* () {
    const id = yield* pathParam("model_id")
    const model =
      models.find((card) => card.id === id || (card.aliases as ReadonlyArray<string>).includes(id)) ??
      state.fineTunedModels.get(id)
    return model === undefined
      ? yield* Effect.fail(notFound(`Model ${id} not found`))
      : HttpServerResponse.unsafeJson(model)
  })

  const remove = Effect.map(findFineTuned, (model) => {
    state.fineTunedModels.delete(model.id)
    return HttpServerResponse.unsafeJson({ id: model.id, object: "model", deleted: true })
  })

  const update = Effect.gen(function* () {
    const model = yield* findFineTuned
    const body = yield* validBody(Validation.checkUpdateModel)
    if (body.name !== undefined) model.name = body.name as string | null
    if (body.description !== undefined) model.description = body.description as string | null
    return HttpServerResponse.unsafeJson(completionFineTunedModel(model))
  })

  const setArchived = (archived: boolean) =>
    Effect.map(findFineTuned, (model) => {
      model.archived = archived
      return HttpServerResponse.unsafeJson({ id: model.id, object: "model", archived })
    })

  return HttpRouter.empty.pipe(
    HttpRouter.get("/v1/models", list),
    HttpRouter.get("/v1/models/:model_id", get),
    HttpRouter.del("/v1/models/:model_id", remove),
    HttpRouter.patch("/v1/fine_tuning/models/:model_id", update),
    HttpRouter.post("/v1/fine_tuning/models/:model_id/archive", setArchived(true)),
    HttpRouter.del("/v1/fine_tuning/models/:model_id/archive", setArchived(false))
  )
}
