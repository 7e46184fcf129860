import { EmbeddingModel, LanguageModel, Prompt, Tool, Toolkit } from "@effect/ai"
import * as Fault from "@effect-mistral/emulator/Fault"
import * as MistralEmulator from "@effect-mistral/emulator/MistralEmulator"
import * as MistralNode from "@effect-mistral/node/MistralNode"
import { expect, layer } from "@effect/vitest"
import { Chunk, Effect, Layer, Redacted, Schema, Stream } from "effect"
import * as MistralEmbeddingModel from "../src/MistralEmbeddingModel.js"
import * as MistralLanguageModel from "../src/MistralLanguageModel.js"

const KEY = "sk-ai-provider-test"

const GetWeather = Tool.make("get_weather", {
  description: "The weather forecast for a city",
  parameters: { city: Schema.String, days: Schema.Number },
  success: Schema.String
})
const Tools = Toolkit.make(GetWeather)
const ToolsLayer = Tools.toLayer({
  get_weather: ({ city, days }) => Effect.succeed(`sunny in ${city} for ${days} days`)
})

/** The emulator on a free loopback port, the Node client pointed at it, and both models over the client. */
const TestLayer = Layer.mergeAll(
  MistralLanguageModel.layer({ model: "mistral-large-latest" }),
  MistralEmbeddingModel.layer({ model: "mistral-embed" })
).pipe(
  Layer.provideMerge(
    Layer.unwrapEffect(
      Effect.map(MistralEmulator.MistralEmulator, (emulator) =>
        MistralNode.layer({ apiKey: Redacted.make(KEY), baseUrl: emulator.url, retryPolicy: false })
      )
    )
  ),
  Layer.provideMerge(MistralEmulator.layer({ apiKey: KEY })),
  Layer.merge(ToolsLayer)
)

/** The body of the last chat completion request the emulator received. */
const lastChatBody = Effect.flatMap(MistralEmulator.MistralEmulator, (emulator) =>
  Effect.map(emulator.requests, (requests) => {
    const chats = requests.filter((request) => request.path === "/v1/chat/completions")
    return JSON.parse(chats[chats.length - 1].body) as Record<string, unknown>
  })
)

layer(TestLayer, { excludeTestServices: true })("@effect/ai against the emulator", (it) => {
  it.effect("generates text", () =>
    Effect.gen(function* () {
      const response = yield* LanguageModel.generateText({ prompt: "Hello there" })
      expect(response.text).toContain("Hello there")
      expect(response.finishReason).toBe("stop")
      expect(response.usage.inputTokens).toBeGreaterThan(0)
      expect(response.usage.outputTokens).toBeGreaterThan(0)
    })
  )

  it.effect("streams text", () =>
    Effect.gen(function* () {
      const parts = Chunk.toArray(yield* Stream.runCollect(LanguageModel.streamText({ prompt: "Stream these words" })))
      const text = parts.flatMap((part) => (part.type === "text-delta" ? [part.delta] : [])).join("")
      expect(text).toContain("Stream these words")
      expect(parts.filter((part) => part.type === "text-delta").length).toBeGreaterThan(1)
      expect(parts[0].type).toBe("response-metadata")
      const finish = parts[parts.length - 1]
      expect(finish.type).toBe("finish")
      expect(finish.type === "finish" && finish.reason).toBe("stop")
      expect(finish.type === "finish" && finish.usage.outputTokens).toBeGreaterThan(0)
      // the streamed text equals the plain answer to the same prompt
      const plain = yield* LanguageModel.generateText({ prompt: "Stream these words" })
      expect(plain.text.replace(/reply \d+/, "")).toBe(text.replace(/reply \d+/, ""))
    })
  )

  it.effect("generates an object with a json_schema response format", () =>
    Effect.gen(function* () {
      const Forecast = Schema.Struct({
        city: Schema.String,
        days: Schema.Number,
        sunny: Schema.Boolean,
        tags: Schema.Array(Schema.String)
      })
      const response = yield* LanguageModel.generateObject({
        prompt: "Forecast for Paris",
        schema: Forecast,
        objectName: "forecast"
      })
      expect(Schema.is(Forecast)(response.value)).toBe(true)
      const body = yield* lastChatBody
      expect(body.response_format).toMatchObject({
        type: "json_schema",
        json_schema: { name: "forecast", strict: true, schema: { type: "object" } }
      })
    })
  )

  it.effect("calls a toolkit tool and answers with its result", () =>
    Effect.gen(function* () {
      const prompt = Prompt.make("Please use get_weather city=Paris days=3")
      const first = yield* LanguageModel.generateText({ prompt, toolkit: Tools })
      expect(first.finishReason).toBe("tool-calls")
      expect(first.toolCalls.map((call) => [call.name, call.params])).toEqual([
        ["get_weather", { city: "Paris", days: 3 }]
      ])
      expect(first.toolResults.map((result) => result.result)).toEqual(["sunny in Paris for 3 days"])

      const followUp = Prompt.merge(prompt, Prompt.fromResponseParts(first.content))
      const second = yield* LanguageModel.generateText({ prompt: followUp, toolkit: Tools })
      expect(second.toolCalls).toEqual([])
      expect(second.text).toBe('The result of get_weather is "sunny in Paris for 3 days".')

      const body = yield* lastChatBody
      const messages = body.messages as ReadonlyArray<Record<string, unknown>>
      expect(messages.map((message) => message.role)).toEqual(["user", "assistant", "tool"])
      expect(messages[2].tool_call_id).toBe(first.toolCalls[0].id)
    })
  )

  it.effect("streams a tool call and resolves it", () =>
    Effect.gen(function* () {
      const parts = Chunk.toArray(
        yield* Stream.runCollect(
          LanguageModel.streamText({ prompt: "Stream get_weather city=Lyon days=12", toolkit: Tools })
        )
      )
      const calls = parts.flatMap((part) => (part.type === "tool-call" ? [part.params] : []))
      expect(calls).toEqual([{ city: "Lyon", days: 12 }])
      expect(parts.filter((part) => part.type === "tool-params-delta").length).toBeGreaterThan(1)
      const results = parts.flatMap((part) => (part.type === "tool-result" ? [part.result] : []))
      expect(results).toEqual(["sunny in Lyon for 12 days"])
    })
  )

  it.effect("embeds with mistral-embed", () =>
    Effect.gen(function* () {
      const embedder = yield* EmbeddingModel.EmbeddingModel
      const one = yield* embedder.embed("The cat sat on the mat")
      expect(one).toHaveLength(1024)
      const many = yield* embedder.embedMany(["The cat sat on the mat", "A dog barked", "Rain in Paris"])
      expect(many).toHaveLength(3)
      for (const vector of many) expect(vector).toHaveLength(1024)
      expect(many[0]).toEqual(one)
      expect(many[1]).not.toEqual(many[2])
    })
  )

  it.effect("turns a rate limit into an HttpResponseError that keeps the MistralError", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      yield* emulator.inject(Fault.rateLimited({ retryAfter: 1 }), { match: { path: "/v1/chat/completions" } })
      const error = yield* Effect.flip(LanguageModel.generateText({ prompt: "Hello" }))
      expect(error._tag).toBe("HttpResponseError")
      expect(error._tag === "HttpResponseError" && error.response.status).toBe(429)
      expect(error.cause).toMatchObject({
        _tag: "RateLimited",
        operationId: "chat_completion_v1_chat_completions_post"
      })
      expect(JSON.stringify(error)).not.toContain(KEY)
      // the next call goes through
      const response = yield* LanguageModel.generateText({ prompt: "Hello again" })
      expect(response.text).toContain("Hello again")
    })
  )
})
