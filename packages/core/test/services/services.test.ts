import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Stream } from "effect"
import * as Agents from "../../src/Agents.js"
import * as Audio from "../../src/Audio.js"
import * as Classifiers from "../../src/Classifiers.js"
import * as Embeddings from "../../src/Embeddings.js"
import * as Libraries from "../../src/Libraries.js"
import * as Models from "../../src/Models.js"
import * as Ocr from "../../src/Ocr.js"
import { sse } from "../fixtures/fakeHttp.js"
import { bodyOf, clientOf, json, line, usage } from "./helpers.js"

const agent = (id: string, version = 1) => ({
  id,
  name: "helper",
  model: "mistral-medium-latest",
  version,
  versions: [1, 2],
  created_at: "2025-01-01T00:00:00Z",
  updated_at: "2025-01-01T00:00:00Z",
  deployment_chat: false,
  source: "api"
})
const alias = { alias: "prod", version: 2, created_at: "2025-01-01T00:00:00Z", updated_at: "2025-01-01T00:00:00Z" }
const library = {
  id: "lib-1",
  name: "docs",
  created_at: "2025-01-01T00:00:00Z",
  updated_at: "2025-01-01T00:00:00Z",
  owner_id: null,
  owner_type: "User",
  total_size: 0,
  nb_documents: 0,
  chunk_size: null
}
const document = {
  id: "doc-1",
  library_id: "lib-1",
  hash: null,
  mime_type: "text/plain",
  extension: "txt",
  size: 3,
  name: "a.txt",
  created_at: "2025-01-01T00:00:00Z",
  process_status: "done",
  uploaded_by_id: null,
  uploaded_by_type: "User",
  processing_status: "done",
  tokens_processing_total: 1
}
const sharing = { library_id: "lib-1", org_id: "org", role: "Viewer", share_with_type: "User", share_with_uuid: "u-1" }
const voice = { id: "v-1", name: "Ada", created_at: "2025-01-01T00:00:00Z", user_id: null }

describe("Embeddings", () => {
  it.effect("create: POST /v1/embeddings", () =>
    Effect.gen(function* () {
      const answer = {
        id: "e-1",
        object: "list",
        model: "mistral-embed",
        usage,
        data: [{ object: "embedding", index: 0, embedding: [0.1, 0.2] }]
      }
      const { client, recorded } = clientOf([json(answer)])
      const result = yield* Embeddings.fromClient(client).create({ model: "mistral-embed", input: ["hello"] })
      expect(line(recorded[0])).toBe("POST /v1/embeddings")
      expect(bodyOf(recorded[0])).toEqual({ model: "mistral-embed", input: ["hello"] })
      expect(result.data[0].embedding).toEqual([0.1, 0.2])
    })
  )
})

describe("Classifiers", () => {
  it.effect("moderate, moderateChat, classify, classifyChat", () =>
    Effect.gen(function* () {
      const moderation = { id: "m", model: "mistral-moderation-latest", results: [{ categories: { hate: false } }] }
      const { client, recorded } = clientOf((request) =>
        request.url.pathname.endsWith("moderations")
          ? json(moderation)
          : json({ id: "c", model: "ft:classifier", results: [{ intent: { scores: { a: 0.9 } } }] })
      )
      const classifiers = Classifiers.fromClient(client)
      const chat = [[{ role: "user" as const, content: "hi" }]]
      const m = yield* classifiers.moderate({ model: "mistral-moderation-latest", input: ["x"] })
      yield* classifiers.moderateChat({ model: "mistral-moderation-latest", input: chat })
      const c = yield* classifiers.classify({ model: "ft:classifier", input: ["x"] })
      yield* classifiers.classifyChat({ model: "ft:classifier", input: [{ messages: chat[0] }] })
      expect(recorded.map(line)).toEqual([
        "POST /v1/moderations",
        "POST /v1/chat/moderations",
        "POST /v1/classifications",
        "POST /v1/chat/classifications"
      ])
      expect(bodyOf(recorded[1])).toEqual({ model: "mistral-moderation-latest", input: chat })
      expect(m.results[0].categories).toEqual({ hate: false })
      expect(c.results[0].intent.scores).toEqual({ a: 0.9 })
    })
  )
})

describe("Agents", () => {
  it.effect("create, list, listAll, listPage/listAllPages, get, update, delete, versions and aliases", () =>
    Effect.gen(function* () {
      const { client, recorded } = clientOf((request) => {
        const path = request.url.pathname
        const query = request.url.searchParams
        if (path === "/v1/agents" && request.method === "GET")
          return json(query.get("page") === "1" ? [] : [agent("a1"), agent("a2")])
        if (path === "/v1/agents/pages")
          return json(
            query.get("page_token") === "t2"
              ? { data: [agent("a3")], next_page_token: null }
              : { data: [agent("a1")], next_page_token: "t2" }
          )
        if (path.endsWith("/aliases")) {
          if (request.method === "GET") return json([alias])
          if (request.method === "DELETE") return { status: 204 }
          return json(alias)
        }
        if (path.endsWith("/versions")) return json([agent("a1", 1), agent("a1", 2)])
        if (request.method === "DELETE") return { status: 204 }
        return json(agent("a1", 2))
      })
      const agents = Agents.fromClient(client)
      yield* agents.create({ model: "mistral-medium-latest", name: "helper" })
      expect(yield* agents.list({ page: 0, page_size: 10, metadata: { team: "x" } })).toHaveLength(2)
      const all = yield* Stream.runCollect(agents.listAll({ page_size: 2 }))
      expect(Chunk.size(all)).toBe(2)
      const paged = yield* Stream.runCollect(agents.listAllPages({ page_size: 1 }))
      expect(Chunk.toReadonlyArray(paged).map((a) => a.id)).toEqual(["a1", "a3"])
      expect((yield* agents.get("a1", { agent_version: "prod" })).version).toBe(2)
      yield* agents.update("a1", { instructions: "Be brief." })
      yield* agents.delete("a1")
      yield* agents.updateVersion("a1", 1)
      expect(yield* agents.listVersions("a1", { page_size: 5 })).toHaveLength(2)
      yield* agents.getVersion("a1", 2)
      expect(yield* agents.listAliases("a1")).toEqual([alias])
      expect(yield* agents.setAlias("a1", "prod", 2)).toEqual(alias)
      yield* agents.deleteAlias("a1", "prod")
      expect(recorded.map(line)).toEqual([
        "POST /v1/agents",
        `GET /v1/agents?page=0&page_size=10&metadata=${encodeURIComponent('{"team":"x"}')}`,
        "GET /v1/agents?page=0&page_size=2",
        "GET /v1/agents?page=1&page_size=2",
        "GET /v1/agents/pages?page_size=1",
        "GET /v1/agents/pages?page_size=1&page_token=t2",
        "GET /v1/agents/a1?agent_version=prod",
        "PATCH /v1/agents/a1",
        "DELETE /v1/agents/a1",
        "PATCH /v1/agents/a1/version?version=1",
        "GET /v1/agents/a1/versions?page_size=5",
        "GET /v1/agents/a1/versions/2",
        "GET /v1/agents/a1/aliases",
        "PUT /v1/agents/a1/aliases?alias=prod&version=2",
        "DELETE /v1/agents/a1/aliases?alias=prod"
      ])
      expect(bodyOf(recorded[0])).toEqual({ model: "mistral-medium-latest", name: "helper" })
      expect(bodyOf(recorded[7])).toEqual({ instructions: "Be brief." })
    })
  )
})

describe("Models", () => {
  it.effect("list, get, delete, update, archive, unarchive", () =>
    Effect.gen(function* () {
      const card = {
        id: "mistral-small-latest",
        object: "model",
        type: "base",
        capabilities: { completion_chat: true }
      }
      const { client, recorded } = clientOf((request) => {
        if (request.url.pathname === "/v1/models") return json({ object: "list", data: [card] })
        if (request.url.pathname.startsWith("/v1/models/")) return json(card)
        // a model type the document does not know decodes to an unknown variant, kept raw
        if (request.method === "PATCH") return json({ id: "ft:1", model_type: "regression" })
        return json({ id: "ft:1", object: "model", archived: request.method === "POST" })
      })
      const models = Models.fromClient(client)
      expect((yield* models.list()).data).toHaveLength(1)
      const model = yield* models.get("mistral-small-latest")
      expect(model.type === "base" && model.capabilities.completion_chat).toBe(true)
      yield* models.delete("ft:1")
      const updated = yield* models.update("ft:1", { name: "renamed" })
      expect(updated.model_type).toBe("$unknown")
      yield* models.archive("ft:1")
      yield* models.unarchive("ft:1")
      expect(recorded.map(line)).toEqual([
        "GET /v1/models",
        "GET /v1/models/mistral-small-latest",
        "DELETE /v1/models/ft%3A1",
        "PATCH /v1/fine_tuning/models/ft%3A1",
        "POST /v1/fine_tuning/models/ft%3A1/archive",
        "DELETE /v1/fine_tuning/models/ft%3A1/archive"
      ])
      expect(bodyOf(recorded[3])).toEqual({ name: "renamed" })
    })
  )
})

describe("Libraries", () => {
  it.effect("libraries, documents (with a multipart upload) and accesses", () =>
    Effect.gen(function* () {
      const pagination = (page: number) => ({
        total_items: 2,
        total_pages: 2,
        current_page: page,
        page_size: 1,
        has_more: page === 0
      })
      const { client, recorded } = clientOf((request) => {
        const path = request.url.pathname
        const query = request.url.searchParams
        if (path === "/v1/libraries" && request.method === "GET")
          return json(
            query.get("page_token") === "n"
              ? { data: [{ ...library, id: "lib-2" }] }
              : { data: [library], next_page_token: "n" }
          )
        if (path.endsWith("/share")) return json(request.method === "GET" ? { data: [sharing] } : sharing)
        if (path === "/v1/libraries/lib-1/documents" && request.method === "GET")
          return json({ pagination: pagination(Number(query.get("page") ?? 0)), data: [document] })
        if (path.endsWith("/status"))
          return json({ document_id: "doc-1", process_status: "done", processing_status: "done" })
        if (path.endsWith("/text_content")) return json({ text: "abc" })
        if (path.endsWith("signed-url") || path.endsWith("/signed-url")) return json("https://signed.example/doc")
        if (path.endsWith("/reprocess") || (request.method === "DELETE" && path.includes("/documents/")))
          return { status: 204 }
        if (path.includes("/documents")) return json(document)
        return json(library)
      })
      const libraries = Libraries.fromClient(client)
      yield* libraries.create({ name: "docs" })
      const all = yield* Stream.runCollect(libraries.listAll())
      expect(Chunk.toReadonlyArray(all).map((l) => l.id)).toEqual(["lib-1", "lib-2"])
      yield* libraries.get("lib-1")
      yield* libraries.update("lib-1", { name: "d" })
      yield* libraries.patch("lib-1", { description: null })
      yield* libraries.delete("lib-1")
      const uploaded = yield* libraries.documents.upload("lib-1", { file: new File(["abc"], "a.txt") })
      expect(uploaded.name).toBe("a.txt")
      const docs = yield* Stream.runCollect(libraries.documents.listAll("lib-1", { page_size: 1 }))
      expect(Chunk.size(docs)).toBe(2)
      yield* libraries.documents.get("lib-1", "doc-1")
      yield* libraries.documents.update("lib-1", "doc-1", { name: "b.txt" })
      yield* libraries.documents.patch("lib-1", "doc-1", { name: "c.txt" })
      expect((yield* libraries.documents.status("lib-1", "doc-1")).processing_status).toBe("done")
      expect((yield* libraries.documents.textContent("lib-1", "doc-1", { page_start: 1 })).text).toBe("abc")
      expect(yield* libraries.documents.signedUrl("lib-1", "doc-1")).toBe("https://signed.example/doc")
      yield* libraries.documents.extractedTextSignedUrl("lib-1", "doc-1")
      yield* libraries.documents.reprocess("lib-1", "doc-1")
      yield* libraries.documents.delete("lib-1", "doc-1")
      expect((yield* libraries.accesses.list("lib-1")).data).toEqual([sharing])
      yield* libraries.accesses.share("lib-1", { level: "Viewer", share_with_uuid: "u-1", share_with_type: "User" })
      yield* libraries.accesses.delete("lib-1", { share_with_uuid: "u-1", share_with_type: "User" })
      expect(recorded.map(line)).toEqual([
        "POST /v1/libraries",
        "GET /v1/libraries",
        "GET /v1/libraries?page_token=n",
        "GET /v1/libraries/lib-1",
        "PUT /v1/libraries/lib-1",
        "PATCH /v1/libraries/lib-1",
        "DELETE /v1/libraries/lib-1",
        "POST /v1/libraries/lib-1/documents",
        "GET /v1/libraries/lib-1/documents?page_size=1&page=0",
        "GET /v1/libraries/lib-1/documents?page_size=1&page=1",
        "GET /v1/libraries/lib-1/documents/doc-1",
        "PUT /v1/libraries/lib-1/documents/doc-1",
        "PATCH /v1/libraries/lib-1/documents/doc-1",
        "GET /v1/libraries/lib-1/documents/doc-1/status",
        "GET /v1/libraries/lib-1/documents/doc-1/text_content?page_start=1",
        "GET /v1/libraries/lib-1/documents/doc-1/signed-url",
        "GET /v1/libraries/lib-1/documents/doc-1/extracted-text-signed-url",
        "POST /v1/libraries/lib-1/documents/doc-1/reprocess",
        "DELETE /v1/libraries/lib-1/documents/doc-1",
        "GET /v1/libraries/lib-1/share",
        "PUT /v1/libraries/lib-1/share",
        "DELETE /v1/libraries/lib-1/share"
      ])
      expect((recorded[7].body as FormData).get("file")).toBeInstanceOf(File)
      expect(bodyOf(recorded[21])).toEqual({ share_with_uuid: "u-1", share_with_type: "User" })
    })
  )
})

describe("Ocr", () => {
  it.effect("process: POST /v1/ocr", () =>
    Effect.gen(function* () {
      const answer = {
        model: "mistral-ocr-latest",
        usage_info: { pages_processed: 1 },
        pages: [{ index: 0, markdown: "# Title", images: [], dimensions: { dpi: 200, height: 10, width: 10 } }]
      }
      const { client, recorded } = clientOf([json(answer)])
      const result = yield* Ocr.fromClient(client).process({
        model: "mistral-ocr-latest",
        document: { type: "document_url", document_url: "https://example.com/a.pdf" }
      })
      expect(line(recorded[0])).toBe("POST /v1/ocr")
      expect(bodyOf(recorded[0])).toMatchObject({ document: { document_url: "https://example.com/a.pdf" } })
      expect(result.pages[0].markdown).toBe("# Title")
    })
  )
})

describe("Audio", () => {
  it.effect("transcribe (multipart) and transcribeStream (multipart with stream=true)", () =>
    Effect.gen(function* () {
      const transcription = { model: "voxtral-mini-latest", text: "hello", language: "en", usage }
      const events = sse([
        { event: "transcription.text.delta", data: { type: "transcription.text.delta", text: "hel" } },
        { event: "transcription.text.delta", data: { type: "transcription.text.delta", text: "lo" } }
      ])
      const { client, recorded } = clientOf((request) =>
        request.headers.accept === "text/event-stream"
          ? { headers: { "content-type": "text/event-stream" }, body: events }
          : json(transcription)
      )
      const audio = Audio.fromClient(client)
      const file = new File([new Uint8Array([1, 2, 3])], "a.wav", { type: "audio/wav" })
      expect((yield* audio.transcribe({ model: "voxtral-mini-latest", file, language: "en" })).text).toBe("hello")
      const streamed = yield* Stream.runCollect(audio.transcribeStream({ model: "voxtral-mini-latest", file }))
      expect(Chunk.size(streamed)).toBe(2)
      expect(recorded.map(line)).toEqual(["POST /v1/audio/transcriptions", "POST /v1/audio/transcriptions"])
      const plain = recorded[0].body as FormData
      expect(plain.get("model")).toBe("voxtral-mini-latest")
      expect(plain.get("language")).toBe("en")
      expect((plain.get("file") as File).name).toBe("a.wav")
      expect(plain.get("stream")).toBeNull()
      expect((recorded[1].body as FormData).get("stream")).toBe("true")
    })
  )

  it.effect("speech: JSON with base64 audio; speechStream: audio deltas", () =>
    Effect.gen(function* () {
      const base64 = Buffer.from([1, 2, 3]).toString("base64")
      const events = sse([
        { data: { type: "speech.audio.delta", audio_data: base64 } },
        { data: { type: "speech.audio.done", usage: { prompt_tokens: 1 } } }
      ])
      const { client, recorded } = clientOf((request) =>
        request.headers.accept === "text/event-stream"
          ? { headers: { "content-type": "text/event-stream" }, body: events }
          : json({ audio_data: base64 })
      )
      const audio = Audio.fromClient(client)
      const spoken = yield* audio.speech({ input: "Hi", voice_id: "v-1" })
      expect([...Audio.audioBytes(spoken)]).toEqual([1, 2, 3])
      const bytes = yield* Stream.runCollect(Audio.speechAudio(audio.speechStream({ input: "Hi" })))
      expect(Chunk.toReadonlyArray(bytes).map((b) => [...b])).toEqual([[1, 2, 3]])
      expect(recorded.map(line)).toEqual(["POST /v1/audio/speech", "POST /v1/audio/speech"])
      expect(bodyOf(recorded[0])).toEqual({ input: "Hi", voice_id: "v-1" })
      expect(bodyOf(recorded[1])).toEqual({ input: "Hi", stream: true })
    })
  )

  it.effect("voices: list, get, create, update, delete, sample bytes", () =>
    Effect.gen(function* () {
      const { client, recorded } = clientOf((request) => {
        if (request.url.pathname.endsWith("/sample")) return { headers: { "content-type": "audio/wav" }, body: "RIFF" }
        if (request.url.pathname === "/v1/audio/voices" && request.method === "GET")
          return json({ items: [voice], total: 1, page: 0, page_size: 10, total_pages: 1 })
        return json(voice)
      })
      const voices = Audio.fromClient(client).voices
      expect((yield* voices.list({ limit: 10, type: "custom" })).items).toEqual([voice])
      yield* voices.get("v-1")
      yield* voices.create({ name: "Ada", sample_audio: "AAAA" })
      yield* voices.update("v-1", { name: "Grace" })
      yield* voices.delete("v-1")
      const sample = yield* Stream.runCollect(voices.sample("v-1"))
      expect(new TextDecoder().decode(Chunk.toReadonlyArray(sample)[0])).toBe("RIFF")
      expect(recorded.map(line)).toEqual([
        "GET /v1/audio/voices?limit=10&type=custom",
        "GET /v1/audio/voices/v-1",
        "POST /v1/audio/voices",
        "PATCH /v1/audio/voices/v-1",
        "DELETE /v1/audio/voices/v-1",
        "GET /v1/audio/voices/v-1/sample"
      ])
      expect(recorded[5].headers.accept).toBe("audio/wav")
    })
  )
})
