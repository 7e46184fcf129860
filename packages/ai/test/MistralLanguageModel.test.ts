import { AiError, LanguageModel, Prompt, Tool, Toolkit } from "@effect/ai"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Either, Layer, Option, Schema, Stream } from "effect"
import * as MistralLanguageModel from "../src/MistralLanguageModel.js"
import { chunk, completion, fakeMistral, json, type Recorded, sse } from "./fixtures/fakeHttp.js"
import { recordingTracer } from "./fixtures/recordingTracer.js"

const GetWeather = Tool.make("get_weather", {
  description: "The weather forecast for a city",
  parameters: { city: Schema.String, days: Schema.Number },
  success: Schema.String
})
const GetTime = Tool.make("get_time", {
  parameters: { zone: Schema.String },
  success: Schema.String
})
const Tools = Toolkit.make(GetWeather, GetTime)
const ToolsLayer = Tools.toLayer({
  get_weather: ({ city, days }) => Effect.succeed(`sunny in ${city} for ${days} days`),
  get_time: ({ zone }) => Effect.succeed(`noon in ${zone}`)
})

/** The language model over a fake HTTP client answering from `script`. */
const setup = (
  script: Parameters<typeof fakeMistral>[0],
  config?: Omit<MistralLanguageModel.Config.Service, "model">
) => {
  const fake = fakeMistral(script)
  const layer = MistralLanguageModel.layer({ model: "mistral-large-latest", config }).pipe(
    Layer.provide(fake.layer),
    Layer.merge(ToolsLayer)
  )
  return { layer, recorded: fake.recorded }
}

const body = (recorded: ReadonlyArray<Recorded>, index = 0) => recorded[index].body as Record<string, unknown>

describe("MistralLanguageModel request mapping", () => {
  it.effect("maps every prompt role to a chat message", () => {
    const { layer, recorded } = setup([json(completion({ content: "ok" }))], { temperature: 0.2, max_tokens: 64 })
    const prompt = Prompt.make([
      { role: "system", content: "Be brief." },
      { role: "user", content: [{ type: "text", text: "Weather in Paris?" }] },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Let me look." },
          { type: "tool-call", id: "abc123def", name: "get_weather", params: { city: "Paris", days: 1 } }
        ]
      },
      {
        role: "tool",
        content: [
          {
            type: "tool-result",
            id: "abc123def",
            name: "get_weather",
            isFailure: false,
            result: "sunny",
            providerExecuted: false
          }
        ]
      },
      {
        role: "user",
        content: [
          { type: "text", text: "And this?" },
          { type: "file", mediaType: "image/png", data: new URL("https://example.com/cat.png") },
          { type: "file", mediaType: "application/pdf", data: new Uint8Array([1, 2, 3]), fileName: "a.pdf" }
        ]
      }
    ])
    return Effect.gen(function* () {
      const response = yield* LanguageModel.generateText({ prompt })
      expect(response.text).toBe("ok")
      expect(recorded[0].url.pathname).toBe("/v1/chat/completions")
      expect(body(recorded)).toEqual({
        model: "mistral-large-latest",
        temperature: 0.2,
        max_tokens: 64,
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "Weather in Paris?" },
          {
            role: "assistant",
            content: "Let me look.",
            tool_calls: [
              {
                id: "abc123def",
                type: "function",
                function: { name: "get_weather", arguments: '{"city":"Paris","days":1}' }
              }
            ]
          },
          { role: "tool", tool_call_id: "abc123def", name: "get_weather", content: '"sunny"' },
          {
            role: "user",
            content: [
              { type: "text", text: "And this?" },
              { type: "image_url", image_url: "https://example.com/cat.png" },
              { type: "document_url", document_url: "data:application/pdf;base64,AQID", document_name: "a.pdf" }
            ]
          }
        ]
      })
    }).pipe(Effect.provide(layer))
  })

  it.effect("sends reasoning back as thinking chunks", () => {
    const { layer, recorded } = setup([json(completion({ content: "ok" }))])
    const prompt = Prompt.make([
      { role: "user", content: "Think" },
      {
        role: "assistant",
        content: [
          { type: "reasoning", text: "hmm" },
          { type: "text", text: "done" }
        ]
      },
      { role: "user", content: "Again" }
    ])
    return Effect.gen(function* () {
      yield* LanguageModel.generateText({ prompt })
      const messages = body(recorded).messages as ReadonlyArray<unknown>
      expect(messages[1]).toEqual({
        role: "assistant",
        content: [
          { type: "thinking", thinking: [{ type: "text", text: "hmm" }] },
          { type: "text", text: "done" }
        ]
      })
    }).pipe(Effect.provide(layer))
  })

  it.effect("rejects files Mistral chat does not take, before sending anything", () => {
    const { layer, recorded } = setup([json(completion({ content: "ok" }))])
    const prompt = Prompt.make([
      { role: "user", content: [{ type: "file", mediaType: "audio/wav", data: new Uint8Array([1]) }] }
    ])
    return Effect.gen(function* () {
      const error = yield* Effect.flip(LanguageModel.generateText({ prompt }))
      expect(error._tag).toBe("MalformedInput")
      expect(recorded).toHaveLength(0)
    }).pipe(Effect.provide(layer))
  })

  it.effect("declares toolkit tools as strict function tools", () => {
    const { layer, recorded } = setup([json(completion({ content: "no tools needed" }))])
    return Effect.gen(function* () {
      yield* LanguageModel.generateText({ prompt: "hi", toolkit: Tools })
      const sent = body(recorded)
      expect(sent.tool_choice).toBe("auto")
      expect(sent.tools).toEqual([
        {
          type: "function",
          function: {
            name: "get_weather",
            description: "The weather forecast for a city",
            strict: true,
            parameters: {
              type: "object",
              required: ["city", "days"],
              properties: { city: { type: "string" }, days: { type: "number" } },
              additionalProperties: false
            }
          }
        },
        {
          type: "function",
          function: {
            name: "get_time",
            strict: true,
            parameters: {
              type: "object",
              required: ["zone"],
              properties: { zone: { type: "string" } },
              additionalProperties: false
            }
          }
        }
      ])
    }).pipe(Effect.provide(layer))
  })

  it.effect("maps each tool choice", () => {
    const { layer, recorded } = setup([json(completion({ content: "ok" }))], { strict: false })
    return Effect.gen(function* () {
      yield* LanguageModel.generateText({ prompt: "a", toolkit: Tools, toolChoice: "required" })
      yield* LanguageModel.generateText({ prompt: "b", toolkit: Tools, toolChoice: "none" })
      yield* LanguageModel.generateText({ prompt: "c", toolkit: Tools, toolChoice: { tool: "get_time" } })
      yield* LanguageModel.generateText({
        prompt: "d",
        toolkit: Tools,
        toolChoice: { mode: "required", oneOf: ["get_time"] }
      })
      yield* LanguageModel.generateText({ prompt: "e" })
      expect(body(recorded, 0).tool_choice).toBe("any")
      expect(body(recorded, 1).tool_choice).toBe("none")
      expect(body(recorded, 2).tool_choice).toEqual({ type: "function", function: { name: "get_time" } })
      expect(body(recorded, 3).tool_choice).toBe("any")
      expect(
        (body(recorded, 3).tools as ReadonlyArray<{ function: { name: string } }>).map((t) => t.function.name)
      ).toEqual(["get_time"])
      expect((body(recorded, 0).tools as ReadonlyArray<{ function: { strict: boolean } }>)[0].function.strict).toBe(
        false
      )
      // no toolkit: neither tools nor tool_choice
      expect(body(recorded, 4)).not.toHaveProperty("tools")
      expect(body(recorded, 4)).not.toHaveProperty("tool_choice")
    }).pipe(Effect.provide(layer))
  })

  it.effect("asks for a json_schema response format for generateObject", () => {
    const Person = Schema.Struct({ name: Schema.String, age: Schema.Number }).annotations({
      identifier: "Person",
      description: "A person"
    })
    const { layer, recorded } = setup([json(completion({ content: '{"name":"Ada","age":36}' }))])
    return Effect.gen(function* () {
      const response = yield* LanguageModel.generateObject({ prompt: "Who?", schema: Person, objectName: "person" })
      expect(response.value).toEqual({ name: "Ada", age: 36 })
      expect(body(recorded).response_format).toEqual({
        type: "json_schema",
        json_schema: {
          name: "person",
          description: "A person",
          strict: true,
          schema: {
            type: "object",
            required: ["name", "age"],
            properties: { name: { type: "string" }, age: { type: "number" } },
            additionalProperties: false,
            description: "A person"
          }
        }
      })
    }).pipe(Effect.provide(layer))
  })

  it.effect("applies withConfigOverride on top of the layer's configuration", () => {
    const { layer, recorded } = setup([json(completion({ content: "ok" }))], { temperature: 0.1, random_seed: 7 })
    return Effect.gen(function* () {
      yield* LanguageModel.generateText({ prompt: "hi" }).pipe(
        MistralLanguageModel.withConfigOverride({ temperature: 0.9, model: "mistral-small-latest" }),
        MistralLanguageModel.withConfigOverride({ top_p: 0.5 })
      )
      yield* LanguageModel.generateText({ prompt: "hi" })
      expect(body(recorded, 0)).toMatchObject({
        model: "mistral-small-latest",
        temperature: 0.9,
        top_p: 0.5,
        random_seed: 7
      })
      expect(body(recorded, 1)).toMatchObject({ model: "mistral-large-latest", temperature: 0.1 })
    }).pipe(Effect.provide(layer))
  })
  it.effect("applies withConfigOverride to streams", () => {
    const { layer, recorded } = setup([sse([chunk({ content: "ok" }, "stop")])], { temperature: 0.1 })
    return Effect.gen(function* () {
      yield* Stream.runDrain(
        LanguageModel.streamText({ prompt: "hi" }).pipe(MistralLanguageModel.withConfigOverride({ temperature: 1 }))
      )
      expect(body(recorded)).toMatchObject({ temperature: 1, stream: true })
    }).pipe(Effect.provide(layer))
  })
})

describe("MistralLanguageModel response mapping", () => {
  it.effect("maps text, reasoning, usage, finish reason and metadata", () => {
    const { layer } = setup([
      json(
        completion(
          {
            content: [
              { type: "thinking", thinking: [{ type: "text", text: "Let me think." }] },
              { type: "text", text: "42" }
            ]
          },
          "length",
          { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 }
        )
      )
    ])
    return Effect.gen(function* () {
      const response = yield* LanguageModel.generateText({ prompt: "?" })
      expect(response.text).toBe("42")
      expect(response.reasoningText).toBe("Let me think.")
      expect(response.finishReason).toBe("length")
      expect(response.usage.inputTokens).toBe(3)
      expect(response.usage.outputTokens).toBe(4)
      expect(response.usage.totalTokens).toBe(7)
      const metadata = response.content.find((part) => part.type === "response-metadata")
      expect(metadata).toMatchObject({ id: Option.some("cmpl-1"), modelId: Option.some("mistral-large-2411") })
    }).pipe(Effect.provide(layer))
  })

  it.effect("resolves tool calls through the toolkit", () => {
    const { layer } = setup([
      json(
        completion(
          {
            content: "",
            tool_calls: [
              {
                id: "call00001",
                type: "function",
                function: { name: "get_weather", arguments: '{"city":"Paris","days":3}' }
              },
              { id: "call00002", type: "function", function: { name: "get_time", arguments: { zone: "CET" } } }
            ]
          },
          "tool_calls"
        )
      )
    ])
    return Effect.gen(function* () {
      const response = yield* LanguageModel.generateText({ prompt: "weather?", toolkit: Tools })
      expect(response.finishReason).toBe("tool-calls")
      expect(response.toolCalls.map((call) => [call.id, call.name, call.params])).toEqual([
        ["call00001", "get_weather", { city: "Paris", days: 3 }],
        ["call00002", "get_time", { zone: "CET" }]
      ])
      expect(response.toolResults.map((result) => [result.id, result.result])).toEqual([
        ["call00001", "sunny in Paris for 3 days"],
        ["call00002", "noon in CET"]
      ])
    }).pipe(Effect.provide(layer))
  })

  it.effect("fails with MalformedOutput when tool arguments are not JSON", () => {
    const { layer } = setup([
      json(
        completion(
          {
            content: "",
            tool_calls: [{ id: "c", type: "function", function: { name: "get_time", arguments: "{oops" } }]
          },
          "tool_calls"
        )
      )
    ])
    return Effect.gen(function* () {
      const error = yield* Effect.flip(LanguageModel.generateText({ prompt: "t", toolkit: Tools }))
      expect(error._tag).toBe("MalformedOutput")
    }).pipe(Effect.provide(layer))
  })

  it.effect("annotates the span with gen_ai attributes", () => {
    const { layer } = setup([json(completion({ content: "ok" }, "stop"))], { temperature: 0.3 })
    const recording = recordingTracer()
    return Effect.gen(function* () {
      yield* LanguageModel.generateText({ prompt: "hi" })
      const span = Option.getOrThrow(recording.find("LanguageModel.generateText"))
      expect(Object.fromEntries([...span.attributes].filter(([key]) => key.startsWith("gen_ai.")))).toEqual({
        "gen_ai.system": "mistral_ai",
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "mistral-large-latest",
        "gen_ai.request.temperature": 0.3,
        "gen_ai.response.id": "cmpl-1",
        "gen_ai.response.model": "mistral-large-2411",
        "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.usage.input_tokens": 10,
        "gen_ai.usage.output_tokens": 5
      })
    }).pipe(Effect.provide(layer), Effect.withTracer(recording.tracer))
  })
})

describe("MistralLanguageModel streaming", () => {
  it.effect("maps text deltas, usage and finish", () => {
    const { layer, recorded } = setup([
      sse([
        chunk({ role: "assistant", content: "" }),
        chunk({ content: "Hello " }),
        chunk({ content: "world" }),
        chunk({ content: "" }, "stop", { usage: { prompt_tokens: 2, completion_tokens: 2, total_tokens: 4 } })
      ])
    ])
    return Effect.gen(function* () {
      const parts = Chunk.toArray(yield* Stream.runCollect(LanguageModel.streamText({ prompt: "hi" })))
      expect(body(recorded).stream).toBe(true)
      expect(parts.map((part) => part.type)).toEqual([
        "response-metadata",
        "text-start",
        "text-delta",
        "text-delta",
        "text-end",
        "finish"
      ])
      const text = parts.flatMap((part) => (part.type === "text-delta" ? [part.delta] : [])).join("")
      expect(text).toBe("Hello world")
      const finish = parts[parts.length - 1]
      expect(finish.type === "finish" && [finish.reason, finish.usage.inputTokens, finish.usage.outputTokens]).toEqual([
        "stop",
        2,
        2
      ])
    }).pipe(Effect.provide(layer))
  })

  it.effect("joins tool call argument fragments by index and resolves the calls", () => {
    const { layer } = setup([
      sse([
        chunk({ role: "assistant", content: "" }),
        chunk({
          tool_calls: [
            { id: "call00001", type: "function", index: 0, function: { name: "get_weather", arguments: '{"city":' } }
          ]
        }),
        chunk({
          tool_calls: [
            { id: "call00002", type: "function", index: 1, function: { name: "get_time", arguments: '{"zone"' } }
          ]
        }),
        chunk({ tool_calls: [{ index: 0, function: { name: "get_weather", arguments: '"Rome","days":2}' } }] }),
        chunk({ tool_calls: [{ index: 1, function: { name: "get_time", arguments: ':"UTC"}' } }] }),
        chunk({ content: "" }, "tool_calls", { usage: { prompt_tokens: 5, completion_tokens: 9, total_tokens: 14 } })
      ])
    ])
    return Effect.gen(function* () {
      const parts = Chunk.toArray(yield* Stream.runCollect(LanguageModel.streamText({ prompt: "x", toolkit: Tools })))
      const calls = parts.flatMap((part) => (part.type === "tool-call" ? [[part.id, part.name, part.params]] : []))
      expect(calls).toEqual([
        ["call00001", "get_weather", { city: "Rome", days: 2 }],
        ["call00002", "get_time", { zone: "UTC" }]
      ])
      const results = parts.flatMap((part) => (part.type === "tool-result" ? [part.result] : []))
      expect(results).toEqual(["sunny in Rome for 2 days", "noon in UTC"])
      const deltas = parts.flatMap((part) => (part.type === "tool-params-delta" ? [part.delta] : []))
      expect(deltas).toHaveLength(4)
      const finish = parts.find((part) => part.type === "finish")
      expect(finish?.type === "finish" && finish.reason).toBe("tool-calls")
    }).pipe(Effect.provide(layer))
  })

  it.effect("maps thinking chunks to reasoning parts", () => {
    const { layer } = setup([
      sse([
        chunk({ role: "assistant", content: [{ type: "thinking", thinking: [{ type: "text", text: "First, " }] }] }),
        chunk({ content: [{ type: "thinking", thinking: [{ type: "text", text: "add." }] }] }),
        chunk({ content: [{ type: "text", text: "4" }] }),
        chunk({ content: "" }, "stop")
      ])
    ])
    return Effect.gen(function* () {
      const parts = Chunk.toArray(yield* Stream.runCollect(LanguageModel.streamText({ prompt: "2+2" })))
      expect(parts.map((part) => part.type)).toEqual([
        "response-metadata",
        "reasoning-start",
        "reasoning-delta",
        "reasoning-delta",
        "reasoning-end",
        "text-start",
        "text-delta",
        "text-end",
        "finish"
      ])
    }).pipe(Effect.provide(layer))
  })
})

describe("MistralLanguageModel errors", () => {
  it.effect("maps an error status to HttpResponseError, keeping the MistralError as cause", () => {
    const { layer } = setup([
      {
        status: 429,
        headers: { "retry-after": "1", "x-request-id": "req-9" },
        body: JSON.stringify({ object: "error", message: "Slow down", type: "rate_limited", code: "1300" })
      }
    ])
    return Effect.gen(function* () {
      const error = yield* Effect.flip(LanguageModel.generateText({ prompt: "hi" }))
      expect(error._tag).toBe("HttpResponseError")
      if (error._tag !== "HttpResponseError") return
      expect(error.response.status).toBe(429)
      expect(error.response.headers).toEqual({ "x-request-id": "req-9" })
      expect(error.request.url).toBe("https://mistral.test/v1/chat/completions")
      expect(error.request.headers).toEqual({})
      expect(error.body).toContain("Slow down")
      expect(error.cause).toMatchObject({ _tag: "RateLimited", status: 429 })
      expect(AiError.isAiError(error)).toBe(true)
      expect(JSON.stringify(error)).not.toContain("test-key")
    }).pipe(Effect.provide(layer))
  })

  it.effect("maps transport failures, undecodable answers and stream failures", () => {
    const { layer } = setup((_, index) =>
      index === 0
        ? { transportFailure: true }
        : index === 1
          ? { status: 200, body: '{"id": 1}' }
          : { status: 503, body: JSON.stringify({ object: "error", message: "down" }) }
    )
    return Effect.gen(function* () {
      const transport = yield* Effect.flip(LanguageModel.generateText({ prompt: "a" }))
      expect(transport._tag).toBe("HttpRequestError")
      expect(transport.cause).toMatchObject({ _tag: "TransportError" })
      const decode = yield* Effect.flip(LanguageModel.generateText({ prompt: "b" }))
      expect(decode._tag).toBe("MalformedOutput")
      expect(decode.cause).toMatchObject({ _tag: "ResponseDecodeError" })
      const streamed = yield* Stream.runCollect(LanguageModel.streamText({ prompt: "c" })).pipe(Effect.either)
      expect(Either.isLeft(streamed) && streamed.left._tag).toBe("HttpResponseError")
    }).pipe(Effect.provide(layer))
  })
})

describe("MistralLanguageModel.model", () => {
  it.effect("is an AiModel whose provider is mistral", () => {
    const fake = fakeMistral([json(completion({ content: "from the model" }))])
    const model = MistralLanguageModel.model("mistral-small-latest", { temperature: 0 })
    expect(model.provider).toBe("mistral")
    return Effect.gen(function* () {
      const response = yield* LanguageModel.generateText({ prompt: "hi" })
      expect(response.text).toBe("from the model")
      expect(fake.recorded[0].body).toMatchObject({ model: "mistral-small-latest", temperature: 0 })
    }).pipe(Effect.provide(model), Effect.provide(fake.layer))
  })
})
