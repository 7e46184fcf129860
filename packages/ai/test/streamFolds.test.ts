import { LanguageModel, Tool, Toolkit } from "@effect/ai"
import * as Chat from "@effect-mistral/core/Chat"
import * as Conversations from "@effect-mistral/core/Conversations"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Layer, Schema, Stream } from "effect"
import * as MistralLanguageModel from "../src/MistralLanguageModel.js"
import { type Answer, chunk, completion, fakeMistral, json, sse } from "./fixtures/fakeHttp.js"

// One answer (some text, then tool calls) in the two shapes Mistral streams it, written both as chat completion
// chunks and as conversation events. Every fold must give the same calls and text.

const GetWeather = Tool.make("get_weather", {
  parameters: { city: Schema.String, days: Schema.Number },
  success: Schema.String
})
const GetTime = Tool.make("get_time", { parameters: { zone: Schema.String }, success: Schema.String })
const Tools = Toolkit.make(GetWeather, GetTime)
const ToolsLayer = Tools.toLayer({
  get_weather: ({ city, days }) => Effect.succeed(`sunny in ${city} for ${days} days`),
  get_time: ({ zone }) => Effect.succeed(`noon in ${zone}`)
})

/** A fragment of a streamed call: `id` and `index` as sent (absent when undefined). */
interface Fragment {
  readonly id?: string
  readonly index?: number
  readonly name: string
  readonly arguments: string
}

interface Shape {
  readonly name: string
  readonly text: ReadonlyArray<string>
  /** The tool-call fragments of each chunk (or event group), in order. */
  readonly fragments: ReadonlyArray<ReadonlyArray<Fragment>>
}

const expected = {
  text: "Let me check.",
  calls: [
    ["call00001", "get_weather", { city: "Paris", days: 1 }],
    ["call00002", "get_time", { zone: "CET" }],
    ["call00003", "get_weather", { city: "Rome", days: 2 }]
  ]
}

const shapes: ReadonlyArray<Shape> = [
  {
    name: "parallel calls that all carry index 0 with distinct ids",
    text: ["Let me ", "check."],
    fragments: [
      [
        { id: "call00001", index: 0, name: "get_weather", arguments: '{"city":"Paris","days":1}' },
        { id: "call00002", index: 0, name: "get_time", arguments: '{"zone":"CET"}' }
      ],
      [{ id: "call00003", index: 0, name: "get_weather", arguments: '{"city":"Rome","days":2}' }]
    ]
  },
  {
    name: "continuation fragments without id",
    text: ["Let me check", "."],
    fragments: [
      [{ id: "call00001", index: 0, name: "get_weather", arguments: '{"city":' }],
      [{ index: 0, name: "", arguments: '"Paris","days":1}' }],
      [{ id: "call00002", index: 1, name: "get_time", arguments: '{"zone"' }],
      [{ index: 1, name: "", arguments: ':"CE' }],
      [{ name: "", arguments: 'T"}' }],
      [{ id: "call00003", index: 2, name: "get_weather", arguments: '{"city":"Rome",' }],
      [{ index: 2, name: "", arguments: '"days":2}' }]
    ]
  }
]

const chatAnswer = (shape: Shape): Answer =>
  sse([
    chunk({ role: "assistant", content: "" }),
    ...shape.text.map((text) => chunk({ content: text })),
    ...shape.fragments.map((fragments) =>
      chunk({
        tool_calls: fragments.map((fragment) => ({
          ...(fragment.id === undefined ? {} : { id: fragment.id, type: "function" }),
          ...(fragment.index === undefined ? {} : { index: fragment.index }),
          function: { name: fragment.name, arguments: fragment.arguments }
        }))
      })
    ),
    chunk({ content: "" }, "tool_calls", { usage: { prompt_tokens: 3, completion_tokens: 9, total_tokens: 12 } })
  ])

/** The same answer as conversation events: the call id is `tool_call_id`, the index is `output_index`. */
const conversationAnswer = (shape: Shape): Answer => {
  const events: Array<unknown> = [{ type: "conversation.response.started", conversation_id: "conv_1" }]
  for (const text of shape.text) {
    events.push({ type: "message.output.delta", output_index: 0, id: "msg_1", role: "assistant", content: text })
  }
  let entry = 0
  for (const fragments of shape.fragments) {
    for (const fragment of fragments) {
      if (fragment.id !== undefined) entry++
      events.push({
        type: "function.call.delta",
        ...(fragment.index === undefined ? {} : { output_index: fragment.index + 1 }),
        id: `fc_${entry}`,
        name: fragment.name,
        tool_call_id: fragment.id ?? "",
        arguments: fragment.arguments
      })
    }
  }
  events.push({ type: "conversation.response.done", usage: { prompt_tokens: 3, completion_tokens: 9 } })
  return {
    headers: { "content-type": "text/event-stream" },
    body: events
      .map((event) => `event: ${(event as { type: string }).type}\ndata: ${JSON.stringify(event)}\n\n`)
      .join("")
  }
}

const viaChat = (shape: Shape) => {
  const fake = fakeMistral([chatAnswer(shape)])
  return Effect.gen(function* () {
    const response = yield* Chat.collect(Chat.stream({ model: "m", messages: [{ role: "user", content: "x" }] }))
    return {
      text: Chat.outputText(response),
      calls: (response.choices[0].message?.tool_calls ?? []).map((call) => [
        call.id,
        call.function.name,
        JSON.parse(call.function.arguments as string)
      ])
    }
  }).pipe(Effect.provide(Chat.layer.pipe(Layer.provide(fake.layer))))
}

const viaConversations = (shape: Shape) => {
  const fake = fakeMistral([conversationAnswer(shape)])
  return Effect.gen(function* () {
    const response = yield* Conversations.collect(Conversations.startStream({ model: "m", inputs: "x" }))
    return {
      text: Conversations.outputText(response),
      calls: response.outputs.flatMap((output) =>
        output.type === "function.call"
          ? [[output.tool_call_id, output.name, JSON.parse(output.arguments as string)]]
          : []
      )
    }
  }).pipe(Effect.provide(Conversations.layer.pipe(Layer.provide(fake.layer))))
}

const viaStreamText = (shape: Shape) => {
  const fake = fakeMistral([chatAnswer(shape)])
  const layer = MistralLanguageModel.layer({ model: "mistral-large-latest" }).pipe(
    Layer.provide(fake.layer),
    Layer.merge(ToolsLayer)
  )
  return Effect.gen(function* () {
    const parts = Chunk.toArray(yield* Stream.runCollect(LanguageModel.streamText({ prompt: "x", toolkit: Tools })))
    return {
      text: parts.flatMap((part) => (part.type === "text-delta" ? [part.delta] : [])).join(""),
      calls: parts.flatMap((part) => (part.type === "tool-call" ? [[part.id, part.name, part.params]] : [])),
      results: parts.flatMap((part) => (part.type === "tool-result" ? [part.result] : []))
    }
  }).pipe(Effect.provide(layer))
}

describe("one wire stream folds the same everywhere", () => {
  for (const shape of shapes) {
    it.effect(`Chat.collect, Conversations.collect and streamText agree: ${shape.name}`, () =>
      Effect.gen(function* () {
        const chat = yield* viaChat(shape)
        const conversation = yield* viaConversations(shape)
        const streamed = yield* viaStreamText(shape)
        expect(chat).toEqual(expected)
        expect(conversation).toEqual(expected)
        expect({ text: streamed.text, calls: streamed.calls }).toEqual(expected)
        expect(streamed.results).toEqual(["sunny in Paris for 1 days", "noon in CET", "sunny in Rome for 2 days"])
      })
    )
  }
})

describe("tool arguments go through the one secure parse", () => {
  it.effect("generateText and streamText refuse a __proto__ key with MalformedOutput", () => {
    const args = '{"zone":"CET","__proto__":{"admin":true}}'
    const fake = fakeMistral((_, index) =>
      index === 0
        ? json(
            completion(
              { content: "", tool_calls: [{ id: "call00001", function: { name: "get_time", arguments: args } }] },
              "tool_calls"
            )
          )
        : sse([chunk({ tool_calls: [{ id: "call00001", index: 0, function: { name: "get_time", arguments: args } }] })])
    )
    const layer = MistralLanguageModel.layer({ model: "mistral-large-latest" }).pipe(
      Layer.provide(fake.layer),
      Layer.merge(ToolsLayer)
    )
    return Effect.gen(function* () {
      const generated = yield* Effect.flip(LanguageModel.generateText({ prompt: "t", toolkit: Tools }))
      expect(generated._tag).toBe("MalformedOutput")
      expect(generated.message).toContain("forbidden key")
      const streamed = yield* Effect.flip(Stream.runDrain(LanguageModel.streamText({ prompt: "t", toolkit: Tools })))
      expect(streamed._tag).toBe("MalformedOutput")
    }).pipe(Effect.provide(layer))
  })
})
