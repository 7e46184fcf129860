import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Agents from "@effect-mistral/core/Agents"
import * as Batch from "@effect-mistral/core/Batch"
import * as Chat from "@effect-mistral/core/Chat"
import * as Conversations from "@effect-mistral/core/Conversations"
import * as Embeddings from "@effect-mistral/core/Embeddings"
import * as Files from "@effect-mistral/core/Files"
import * as Fim from "@effect-mistral/core/Fim"
import * as Models from "@effect-mistral/core/Models"
import * as RetryPolicy from "@effect-mistral/core/RetryPolicy"
import * as MistralEmulator from "@effect-mistral/emulator/MistralEmulator"
import * as MistralNode from "@effect-mistral/node/MistralNode"
import * as NodeFiles from "@effect-mistral/node/NodeFiles"
import { NodeContext } from "@effect/platform-node"
import { expect, layer } from "@effect/vitest"
import { Chunk, Effect, Layer, Redacted, Schedule, Stream } from "effect"

const TestLayer = Layer.unwrapEffect(
  Effect.map(MistralEmulator.MistralEmulator, (emulator) =>
    MistralNode.layer({
      apiKey: Redacted.make("sk-services"),
      baseUrl: emulator.url,
      retryPolicy: RetryPolicy.exponential({ base: "20 millis", jitter: false })
    })
  )
).pipe(Layer.provideMerge(MistralEmulator.layer()), Layer.provideMerge(NodeContext.layer))

const weatherTool = {
  type: "function" as const,
  function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } }
}

layer(TestLayer, { excludeTestServices: true })("services against the emulator", (it) => {
  it.effect("chat: plain and streamed replies agree", () =>
    Effect.gen(function* () {
      const chat = yield* Chat.Chat
      const messages = [{ role: "user" as const, content: "Name a colour" }]
      const plain = yield* chat.complete({ model: "mistral-small-latest", messages })
      expect(Chat.outputText(plain)).toContain("Name a colour")
      const streamed = yield* Chat.collect(chat.stream({ model: "mistral-small-latest", messages }))
      expect(Chat.outputText(streamed)).toBe(Chat.outputText(plain))
      const deltas = yield* Stream.runCollect(Chat.textDeltas(chat.stream({ model: "mistral-small-latest", messages })))
      expect(Chunk.size(deltas)).toBeGreaterThan(1)
    })
  )

  it.effect("chat: a tool call round trip, plain and streamed", () =>
    Effect.gen(function* () {
      const chat = yield* Chat.Chat
      const ask = [{ role: "user" as const, content: "use get_weather city=Oslo" }]
      const first = yield* chat.complete({ model: "mistral-small-latest", messages: ask, tools: [weatherTool] })
      const call = first.choices?.[0]?.message?.tool_calls?.[0]
      expect(call?.function.name).toBe("get_weather")
      expect(JSON.parse(String(call?.function.arguments))).toEqual({ city: "Oslo" })
      const streamed = yield* Chat.collect(
        chat.stream({ model: "mistral-small-latest", messages: ask, tools: [weatherTool] })
      )
      const streamedCall = streamed.choices?.[0]?.message?.tool_calls?.[0]
      expect(streamedCall?.function.name).toBe("get_weather")
      expect(JSON.parse(String(streamedCall?.function.arguments))).toEqual({ city: "Oslo" })
      const answered = yield* chat.complete({
        model: "mistral-small-latest",
        tools: [weatherTool],
        messages: [
          ...ask,
          { role: "assistant" as const, content: "", tool_calls: [call!] },
          { role: "tool" as const, tool_call_id: call!.id!, name: "get_weather", content: "cloudy" }
        ]
      })
      expect(Chat.outputText(answered)).toContain("cloudy")
    })
  )

  it.effect("FIM: plain and streamed", () =>
    Effect.gen(function* () {
      const fim = yield* Fim.Fim
      const plain = yield* fim.complete({ model: "codestral-latest", prompt: "def add(a, b):", suffix: "return c" })
      expect(plain.choices?.length).toBeGreaterThan(0)
      const texts = yield* Stream.runCollect(
        Fim.textDeltas(fim.stream({ model: "codestral-latest", prompt: "def add(a, b):", suffix: "return c" }))
      )
      expect(Chunk.join(texts, "").length).toBeGreaterThan(0)
    })
  )

  it.effect("embeddings: deterministic vectors of the documented size", () =>
    Effect.gen(function* () {
      const embeddings = yield* Embeddings.Embeddings
      const result = yield* embeddings.create({ model: "mistral-embed", input: ["hello", "world"] })
      expect(result.data).toHaveLength(2)
      expect(result.data[0].embedding).toHaveLength(1024)
      const again = yield* embeddings.create({ model: "mistral-embed", input: ["hello"] })
      expect(again.data[0].embedding).toEqual(result.data[0].embedding)
    })
  )

  it.effect("models: list and get", () =>
    Effect.gen(function* () {
      const models = yield* Models.Models
      const list = yield* models.list()
      const ids = (list.data ?? []).map((model) => ("id" in model ? model.id : undefined))
      expect(ids).toContain("mistral-small-latest")
      const one = yield* models.get("mistral-small-latest")
      expect("id" in one && one.id).toBe("mistral-small-latest")
      const missing = yield* Effect.flip(models.get("no-such-model"))
      expect(missing._tag).toBe("NotFound")
    })
  )

  it.effect("files: upload from a path, download byte-identical, delete", () =>
    Effect.gen(function* () {
      const files = yield* Files.Files
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-mistral-it-"))
      const source = path.join(dir, "data.bin")
      const bytes = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 31 + 7) % 256)
      fs.writeFileSync(source, bytes)
      const uploaded = yield* NodeFiles.upload(source, { purpose: "batch" })
      expect(uploaded.bytes).toBe(bytes.length)
      const target = path.join(dir, "copy.bin")
      yield* NodeFiles.saveDownload(uploaded.id, target)
      expect(Buffer.compare(fs.readFileSync(target), Buffer.from(bytes))).toBe(0)
      const streamed = yield* Stream.runCollect(files.download(uploaded.id))
      expect(Chunk.reduce(streamed, 0, (n, chunk) => n + chunk.length)).toBe(bytes.length)
      yield* files.delete(uploaded.id)
      const gone = yield* Effect.flip(files.get(uploaded.id))
      expect(gone._tag).toBe("NotFound")
      fs.rmSync(dir, { recursive: true, force: true })
    })
  )

  it.effect("batch: a stream of requests in, a stream of decoded results out", () =>
    Effect.gen(function* () {
      const requests = Stream.fromIterable(
        ["one", "two", "three"].map((word) => ({
          custom_id: word,
          body: { model: "mistral-small-latest", messages: [{ role: "user", content: `say ${word}` }] }
        }))
      )
      const results = yield* Batch.run(requests, {
        endpoint: "/v1/chat/completions",
        model: "mistral-small-latest",
        schedule: Schedule.spaced("10 millis")
      }).pipe(Stream.runCollect)
      const byId = new Map(Chunk.toArray(results).map((result) => [result.custom_id, result]))
      expect([...byId.keys()].sort()).toEqual(["one", "three", "two"])
      expect(byId.get("two")?.response?.status_code).toBe(200)
      expect(JSON.stringify(byId.get("two")?.response?.body)).toContain("say two")
    })
  )

  it.effect("a conversation started with an agent made through Agents", () =>
    Effect.gen(function* () {
      const agents = yield* Agents.Agents
      const conversations = yield* Conversations.Conversations
      const agent = yield* agents.create({
        model: "mistral-small-latest",
        name: "weather-agent",
        instructions: "Answer about the weather",
        tools: [weatherTool]
      })
      expect(agent.id).toMatch(/^ag_/)
      const started = yield* conversations.start({ agent_id: agent.id, inputs: "hello agent" })
      expect(Conversations.outputText(started)).toContain("hello agent")
      const got = yield* conversations.get(started.conversation_id)
      expect("agent_id" in got && got.agent_id).toBe(agent.id)
      const called = yield* conversations.start({ agent_id: agent.id, inputs: "get_weather city=Lyon" })
      expect(called.outputs[0].type).toBe("function.call")
    })
  )
})
