import { EmbeddingModel } from "@effect/ai"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import * as MistralEmbeddingModel from "../src/MistralEmbeddingModel.js"
import { fakeMistral, json, type Recorded } from "./fixtures/fakeHttp.js"
import { recordingTracer } from "./fixtures/recordingTracer.js"

/** Answers each input with `[length, position]`, in reverse order, to check that results are put back by index. */
const answer = (request: Recorded) => {
  const body = request.body as { readonly model: string; readonly input: ReadonlyArray<string> }
  const data = body.input.map((input, index) => ({ object: "embedding", embedding: [input.length, index], index }))
  return json({
    id: "embd-1",
    object: "list",
    model: body.model,
    usage: { prompt_tokens: body.input.length, completion_tokens: 0, total_tokens: body.input.length },
    data: data.reverse()
  })
}

const inputsOf = (recorded: ReadonlyArray<Recorded>) =>
  recorded.map((request) => (request.body as { readonly input: ReadonlyArray<string> }).input)

describe("MistralEmbeddingModel", () => {
  it.effect("batches embedMany into one request and keeps the order", () => {
    const fake = fakeMistral(answer)
    return Effect.gen(function* () {
      const embedder = yield* EmbeddingModel.EmbeddingModel
      const vectors = yield* embedder.embedMany(["a", "bb", "ccc"])
      expect(vectors).toEqual([
        [1, 0],
        [2, 1],
        [3, 2]
      ])
      expect(inputsOf(fake.recorded)).toEqual([["a", "bb", "ccc"]])
      expect(fake.recorded[0].url.pathname).toBe("/v1/embeddings")
      expect(fake.recorded[0].body).toMatchObject({ model: "mistral-embed" })
    }).pipe(Effect.provide(MistralEmbeddingModel.layer({ model: "mistral-embed" }).pipe(Layer.provide(fake.layer))))
  })

  it.effect("batches concurrent embed calls and splits by maxBatchSize", () => {
    const fake = fakeMistral(answer)
    return Effect.gen(function* () {
      const embedder = yield* EmbeddingModel.EmbeddingModel
      const vectors = yield* Effect.forEach(["a", "b", "c", "d", "e"], (input) => embedder.embed(input), {
        concurrency: "unbounded",
        batching: true
      })
      expect(vectors).toHaveLength(5)
      expect(inputsOf(fake.recorded).map((inputs) => inputs.length)).toEqual([2, 2, 1])
    }).pipe(
      Effect.provide(
        MistralEmbeddingModel.layerBatched({ model: "mistral-embed", config: { maxBatchSize: 2 } }).pipe(
          Layer.provide(fake.layer)
        )
      )
    )
  })

  it.effect("sends the configuration and its overrides", () => {
    const fake = fakeMistral(answer)
    const model = MistralEmbeddingModel.model("codestral-embed", { output_dimension: 256 })
    expect(model.provider).toBe("mistral")
    return Effect.gen(function* () {
      const embedder = yield* EmbeddingModel.EmbeddingModel
      yield* embedder.embed("x")
      yield* embedder.embed("y").pipe(MistralEmbeddingModel.withConfigOverride({ output_dtype: "int8" }))
      expect(fake.recorded[0].body).toEqual({ model: "codestral-embed", output_dimension: 256, input: ["x"] })
      expect(fake.recorded[1].body).toEqual({
        model: "codestral-embed",
        output_dimension: 256,
        output_dtype: "int8",
        input: ["y"]
      })
    }).pipe(Effect.provide(model), Effect.provide(fake.layer))
  })

  it.live("gathers calls over a window in data-loader mode", () => {
    const fake = fakeMistral(answer)
    return Effect.gen(function* () {
      const embedder = yield* EmbeddingModel.EmbeddingModel
      const vectors = yield* Effect.all([embedder.embed("a"), embedder.embed("bb")], {
        concurrency: "unbounded"
      })
      expect(vectors).toEqual([
        [1, 0],
        [2, 1]
      ])
      expect(inputsOf(fake.recorded)).toEqual([["a", "bb"]])
    }).pipe(
      Effect.provide(
        MistralEmbeddingModel.model("mistral-embed", { mode: "data-loader", window: "20 millis" }).pipe(
          Layer.provide(fake.layer)
        )
      ),
      Effect.scoped
    )
  })

  it.effect("maps errors to AiError and annotates the span", () => {
    const fake = fakeMistral([json({ object: "error", message: "bad key", type: "unauthorized" }, 401)])
    const recording = recordingTracer()
    return Effect.gen(function* () {
      const embedder = yield* EmbeddingModel.EmbeddingModel
      const error = yield* Effect.flip(embedder.embed("x"))
      expect(error._tag).toBe("HttpResponseError")
      expect(error._tag === "HttpResponseError" && error.response.status).toBe(401)
      expect(error.cause).toMatchObject({ _tag: "AuthenticationError" })
      const span = Option.getOrThrow(recording.find("MistralEmbeddingModel.embedMany"))
      expect(span.attributes.get("gen_ai.system")).toBe("mistral_ai")
      expect(span.attributes.get("gen_ai.operation.name")).toBe("embeddings")
      expect(span.attributes.get("gen_ai.request.model")).toBe("mistral-embed")
    }).pipe(
      Effect.provide(MistralEmbeddingModel.layer({ model: "mistral-embed" }).pipe(Layer.provide(fake.layer))),
      Effect.withTracer(recording.tracer)
    )
  })
})
