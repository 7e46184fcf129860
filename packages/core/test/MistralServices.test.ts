import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, ConfigProvider, Effect, Layer, Redacted, Stream } from "effect"
import * as Agents from "../src/Agents.js"
import * as Audio from "../src/Audio.js"
import * as Batch from "../src/Batch.js"
import * as Chat from "../src/Chat.js"
import * as Classifiers from "../src/Classifiers.js"
import * as Conversations from "../src/Conversations.js"
import * as Embeddings from "../src/Embeddings.js"
import * as Files from "../src/Files.js"
import * as Fim from "../src/Fim.js"
import * as Libraries from "../src/Libraries.js"
import * as MistralClient from "../src/MistralClient.js"
import * as MistralServices from "../src/MistralServices.js"
import * as Models from "../src/Models.js"
import * as Ocr from "../src/Ocr.js"
import { fakeHttp, sse } from "./fixtures/fakeHttp.js"
import { batchJob, completion, fileObject, usage } from "./services/helpers.js"

const stamp = "2025-01-01T00:00:00Z"
const agent = {
  id: "ag-1",
  name: "helper",
  model: "mistral-medium-latest",
  version: 1,
  versions: [1],
  created_at: stamp,
  updated_at: stamp,
  deployment_chat: false,
  source: "api"
}
const voice = { id: "v-1", name: "Ada", created_at: stamp, user_id: null }
const library = {
  id: "lib-1",
  name: "docs",
  created_at: stamp,
  updated_at: stamp,
  owner_id: null,
  owner_type: "User",
  total_size: 0,
  nb_documents: 0,
  chunk_size: null
}
const chunk = (content: string, finish: string | null = null) => ({
  id: "cmpl-1",
  object: "chat.completion.chunk",
  created: 1700000000,
  model: "mistral-small-latest",
  choices: [{ index: 0, delta: { content }, finish_reason: finish }]
})

/** The API as a function of `METHOD /path`: one answer per service used below. */
const answerOf = (method: string, path: string, accept: string | null): Response => {
  const json = (value: unknown) =>
    new Response(JSON.stringify(value), { headers: { "content-type": "application/json" } })
  if (accept === "text/event-stream")
    return new Response(sse([{ data: chunk("Hel") }, { data: chunk("lo", "stop") }], true), {
      headers: { "content-type": "text/event-stream" }
    })
  switch (`${method} ${path}`) {
    case "GET /v1/agents/ag-1":
      return json(agent)
    case "GET /v1/audio/voices/v-1":
      return json(voice)
    case "GET /v1/batch/jobs/job-1":
      return json(batchJob("QUEUED"))
    case "POST /v1/chat/completions":
    case "POST /v1/fim/completions":
      return json(completion("Hello"))
    case "POST /v1/moderations":
      return json({ id: "m", model: "mistral-moderation-latest", results: [{ categories: { hate: false } }] })
    case "DELETE /v1/conversations/conv-1":
      return new Response(null, { status: 204 })
    case "POST /v1/embeddings":
      return json({
        id: "e-1",
        object: "list",
        model: "mistral-embed",
        usage,
        data: [{ object: "embedding", index: 0, embedding: [0.5] }]
      })
    case "GET /v1/files/file-1":
      return json({ ...fileObject("file-1"), deleted: false })
    case "GET /v1/libraries/lib-1":
      return json(library)
    case "GET /v1/models":
      return json({
        object: "list",
        data: [{ id: "mistral-small-latest", object: "model", type: "base", capabilities: { completion_chat: true } }]
      })
    case "POST /v1/ocr":
      return json({ model: "mistral-ocr-latest", usage_info: { pages_processed: 1 }, pages: [] })
    default:
      return new Response(JSON.stringify({ message: `no route ${method} ${path}` }), { status: 404 })
  }
}

/** A `fetch` that answers from `answerOf` and records `METHOD /path` and the Authorization header. */
const fakeFetch = () => {
  const seen: Array<{ readonly line: string; readonly authorization: string | null }> = []
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init)
    const url = new URL(request.url)
    seen.push({ line: `${request.method} ${url.pathname}`, authorization: request.headers.get("authorization") })
    return answerOf(request.method, url.pathname, request.headers.get("accept"))
  }) as typeof globalThis.fetch
  return { fetch, seen }
}

/** One call through every service of `MistralServices.Services`. */
const useEveryService = Effect.gen(function* () {
  const messages = [{ role: "user" as const, content: "Hi" }]
  expect((yield* (yield* Agents.Agents).get("ag-1")).name).toBe("helper")
  expect((yield* (yield* Audio.Audio).voices.get("v-1")).name).toBe("Ada")
  expect((yield* (yield* Batch.Batch).get("job-1")).status).toBe("QUEUED")
  const chat = yield* Chat.Chat
  expect(Chat.outputText(yield* chat.complete({ model: "mistral-small-latest", messages }))).toBe("Hello")
  const deltas = yield* Stream.runCollect(Chat.textDeltas(chat.stream({ model: "mistral-small-latest", messages })))
  expect(Chunk.toReadonlyArray(deltas).join("")).toBe("Hello")
  const moderation = yield* (yield* Classifiers.Classifiers).moderate({
    model: "mistral-moderation-latest",
    input: "hi"
  })
  expect(moderation.results).toHaveLength(1)
  yield* (yield* Conversations.Conversations).delete("conv-1")
  const embeddings = yield* (yield* Embeddings.Embeddings).create({ model: "mistral-embed", input: ["hi"] })
  expect(embeddings.data[0].embedding).toEqual([0.5])
  expect((yield* (yield* Files.Files).get("file-1")).id).toBe("file-1")
  yield* (yield* Fim.Fim).complete({ model: "codestral-latest", prompt: "def" })
  expect((yield* (yield* Libraries.Libraries).get("lib-1")).name).toBe("docs")
  expect((yield* (yield* Models.Models).list()).data).toHaveLength(1)
  const ocr = yield* (yield* Ocr.Ocr).process({
    model: "mistral-ocr-latest",
    document: { type: "document_url", document_url: "https://example.com/a.pdf" }
  })
  expect(ocr.pages).toEqual([])
  const client = yield* MistralClient.MistralClient
  expect(client.baseUrl).toBe("http://mistral.test")
})

const everyLine = [
  "GET /v1/agents/ag-1",
  "GET /v1/audio/voices/v-1",
  "GET /v1/batch/jobs/job-1",
  "POST /v1/chat/completions",
  "POST /v1/chat/completions",
  "POST /v1/moderations",
  "DELETE /v1/conversations/conv-1",
  "POST /v1/embeddings",
  "GET /v1/files/file-1",
  "POST /v1/fim/completions",
  "GET /v1/libraries/lib-1",
  "GET /v1/models",
  "POST /v1/ocr"
]

const options: MistralClient.Options = {
  apiKey: Redacted.make("sk-fetch"),
  baseUrl: "http://mistral.test",
  retryPolicy: false
}

describe("MistralServices", () => {
  it.effect("layerClient gives the client and every service over FetchHttpClient, without node", () =>
    Effect.gen(function* () {
      const { fetch, seen } = fakeFetch()
      const layer = MistralServices.layerClient(options).pipe(
        Layer.provide(FetchHttpClient.layer),
        Layer.provide(Layer.succeed(FetchHttpClient.Fetch, fetch))
      )
      yield* Effect.provide(useEveryService, layer)
      expect(seen.map((request) => request.line)).toEqual(everyLine)
      expect(seen.every((request) => request.authorization === "Bearer sk-fetch")).toBe(true)
    })
  )

  it.effect("layer builds every service on a MistralClient in context (a recording fake HttpClient)", () =>
    Effect.gen(function* () {
      const fake = fakeHttp((request) => {
        if (request.url.pathname !== "/v1/models") return { status: 404, body: "{}" }
        return { body: JSON.stringify({ object: "list", data: [] }) }
      })
      const layer = MistralServices.layer.pipe(
        Layer.provideMerge(MistralClient.layer(options)),
        Layer.provide(Layer.succeed(HttpClient.HttpClient, fake.client))
      )
      const models = yield* Effect.provide(
        Effect.flatMap(Models.Models, (service) => service.list()),
        layer
      )
      expect(models.data).toEqual([])
      expect(fake.recorded.map((request) => `${request.method} ${request.url.pathname}`)).toEqual(["GET /v1/models"])
    })
  )

  it.effect("layerClientConfig reads the options from Config", () =>
    Effect.gen(function* () {
      const { fetch, seen } = fakeFetch()
      const layer = MistralServices.layerClientConfig().pipe(
        Layer.provide(FetchHttpClient.layer),
        Layer.provide(Layer.succeed(FetchHttpClient.Fetch, fetch)),
        Layer.provide(
          Layer.setConfigProvider(
            ConfigProvider.fromMap(
              new Map([
                ["MISTRAL_API_KEY", "sk-config"],
                ["MISTRAL_BASE_URL", "http://mistral.test"],
                ["MISTRAL_MAX_RETRIES", "0"]
              ])
            )
          )
        )
      )
      yield* Effect.provide(useEveryService, layer)
      expect(seen.map((request) => request.line)).toEqual(everyLine)
      expect(seen.every((request) => request.authorization === "Bearer sk-config")).toBe(true)
    })
  )
})
