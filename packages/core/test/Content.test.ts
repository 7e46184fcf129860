import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Either, Redacted, Schema, Stream } from "effect"
import * as Chat from "../src/Chat.js"
import * as Content from "../src/Content.js"
import * as ConversationRunner from "../src/ConversationRunner.js"
import * as Conversations from "../src/Conversations.js"
import * as Fim from "../src/Fim.js"
import type * as Components from "../src/generated/components.js"
import * as MistralClient from "../src/MistralClient.js"
import * as Tool from "../src/Tool.js"
import { type Answer, fakeHttp, sse } from "./fixtures/fakeHttp.js"

const textChunk = (text: string): Components.ContentChunk => ({ type: "text", text })

const call = (id: string | undefined, index: number | undefined, name: string, args: string): Components.ToolCall => ({
  ...(id === undefined ? {} : { id }),
  ...(index === undefined ? {} : { index }),
  function: { name, arguments: args }
})

const merged = (fragments: ReadonlyArray<Components.ToolCall>) => {
  const calls: Array<Components.ToolCall> = []
  for (const fragment of fragments) Content.mergeToolCall(calls, fragment)
  return calls.map((c) => [c.id, c.function.name, c.function.arguments])
}

describe("Content.text", () => {
  it("is one rule for strings, chunks, untyped chunks and single chunks", () => {
    expect(Content.text("plain")).toBe("plain")
    expect(Content.text(null)).toBe("")
    expect(Content.text(undefined)).toBe("")
    expect(
      Content.text([
        { type: "text", text: "a" },
        { text: "b" },
        { type: "thinking", thinking: [{ type: "text", text: "hidden" }] },
        { type: "image_url", image_url: "https://x" },
        { type: "$unknown", raw: { type: "future", text: "no" } },
        { type: "reference", text: "not a text chunk" },
        { type: "text", text: "c" }
      ])
    ).toBe("abc")
    expect(Content.text({ text: "untyped" })).toBe("untyped")
    expect(Content.text({ type: "text", text: "typed" })).toBe("typed")
    expect(Content.text({ type: "thinking", thinking: [] })).toBe("")
    expect(Content.text({ type: "text", text: 1 })).toBe("")
  })

  it("thinkingText joins the text chunks of a thinking chunk", () => {
    expect(
      Content.thinkingText({
        type: "thinking",
        thinking: [{ type: "text", text: "one " }, { text: "two" }, { type: "$unknown", raw: {} }]
      })
    ).toBe("one two")
  })
})

describe("Content.append", () => {
  it("concatenates strings and switches to chunks once a chunk arrives, merging adjacent text", () => {
    expect(Content.append(undefined, "a", textChunk)).toBe("a")
    expect(Content.append("a", "b", textChunk)).toBe("ab")
    const think: Components.ContentChunk = { type: "thinking", thinking: [{ type: "text", text: "t" }] }
    const withThink = Content.append("a", think, textChunk)
    expect(withThink).toEqual([{ type: "text", text: "a" }, think])
    expect(Content.append(withThink, "b", textChunk)).toEqual([{ type: "text", text: "a" }, think, textChunk("b")])
    expect(Content.append([textChunk("x")], [{ text: "y" }, textChunk("z")], textChunk)).toEqual([textChunk("xyz")])
    expect(Content.append("", [think], textChunk)).toEqual([think])
  })
})

describe("Content tool-call fragments", () => {
  it("parallel calls that all carry index 0 stay distinct by id", () => {
    expect(
      merged([
        call("a", 0, "get_weather", '{"city":"Paris"}'),
        call("b", 0, "get_time", '{"zone":"CET"}'),
        call("c", 0, "get_weather", '{"city":"Rome"}')
      ])
    ).toEqual([
      ["a", "get_weather", '{"city":"Paris"}'],
      ["b", "get_time", '{"zone":"CET"}'],
      ["c", "get_weather", '{"city":"Rome"}']
    ])
  })

  it("a fragment without id continues the (last) call with its index; with neither, the last call", () => {
    expect(
      merged([
        call("a", 0, "get_weather", '{"ci'),
        call(undefined, 0, "", 'ty":"Paris"}'),
        call("b", 1, "get_time", '{"zone"'),
        call("", 1, "", ':"CE'),
        call(undefined, undefined, "", 'T"}'),
        call("c", 0, "get_weather", '{"city"'),
        call("null", 0, "", ':"Rome"}')
      ])
    ).toEqual([
      ["a", "get_weather", '{"city":"Paris"}'],
      ["b", "get_time", '{"zone":"CET"}'],
      ["c", "get_weather", '{"city":"Rome"}']
    ])
  })

  it("a repeated id continues its call even after other calls; unknown indexes and an empty list open calls", () => {
    expect(merged([call("a", 0, "f", "{"), call("b", 1, "g", "{}"), call("a", 0, "", "}")])).toEqual([
      ["a", "f", "{}"],
      ["b", "g", "{}"]
    ])
    expect(Content.findToolCall([], { index: 3 })).toBe(-1)
    expect(Content.findToolCall([], {})).toBe(-1)
    expect(Content.findToolCall([{ id: "a", index: 0 }], { index: 2 })).toBe(-1)
    expect(Content.findToolCall([{ id: "a", index: 0 }], { id: "b", index: 0 })).toBe(-1)
  })

  it("appendArguments: strings concatenate, an empty piece keeps, an object replaces", () => {
    expect(Content.appendArguments('{"a"', ":1}")).toBe('{"a":1}')
    expect(Content.appendArguments({ a: 1 }, "")).toEqual({ a: 1 })
    expect(Content.appendArguments("{", { a: 1 })).toEqual({ a: 1 })
    expect(Content.appendArguments({ a: 1 }, " ")).toBe('{"a":1} ')
    expect(Content.argumentsText({ a: 1 })).toBe('{"a":1}')
  })
})

describe("Content.parseArguments", () => {
  it("parses JSON, takes objects as they are and reads empty text as {}", () => {
    expect(Content.parseArguments('{"city":"Paris"}')).toEqual(Either.right({ city: "Paris" }))
    expect(Content.parseArguments({ city: "Paris" })).toEqual(Either.right({ city: "Paris" }))
    expect(Content.parseArguments("  ")).toEqual(Either.right({}))
    expect(Content.parseArguments('{"constructor":"a string is fine"}')).toEqual(
      Either.right({ constructor: "a string is fine" })
    )
  })

  it("refuses text that is not JSON", () => {
    const parsed = Content.parseArguments("{oops")
    expect(Either.isLeft(parsed) && parsed.left.reason).toBe("NotJson")
    expect(Either.isLeft(parsed) && parsed.left.message).toContain("not JSON")
  })

  it("refuses __proto__ and constructor.prototype keys, however deep or escaped", () => {
    for (const text of [
      '{"__proto__":{"admin":true}}',
      '{"a":[{"b":{"__proto__":{}}}]}',
      '{"constructor":{"prototype":{"admin":true}}}',
      '{"\\u005f_proto__":{"admin":true}}'
    ]) {
      const parsed = Content.parseArguments(text)
      expect(Either.isLeft(parsed) && parsed.left.reason, text).toBe("ForbiddenKey")
    }
    expect(({} as Record<string, unknown>).admin).toBeUndefined()
  })
})

const KEY = "sk-content-test"
const clientOf = (answers: ReadonlyArray<Answer>) => {
  const fake = fakeHttp(answers)
  return MistralClient.makeWith(fake.client, { apiKey: Redacted.make(KEY), baseUrl: "https://api.test" })
}
const sseAnswer = (body: string): Answer => ({ headers: { "content-type": "text/event-stream" }, body })
const completionChunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
  data: {
    id: "c1",
    object: "chat.completion.chunk",
    model: "m",
    created: 1,
    choices: [{ index: 0, delta, finish_reason: finish }]
  }
})

describe("services read content with the one rule", () => {
  it.effect("Chat and Fim: untyped text chunks are text in textDeltas, collect and outputText", () =>
    Effect.gen(function* () {
      const body = sse(
        [
          completionChunk({ role: "assistant", content: [{ text: "Hel" }] }),
          completionChunk({ content: [{ type: "thinking", thinking: [{ text: "hidden" }] }, { text: "lo" }] }),
          completionChunk({ content: "!" }, "stop")
        ],
        true
      )
      const chat = Chat.fromClient(clientOf([sseAnswer(body)]))
      const deltas = yield* Stream.runCollect(Chat.textDeltas(chat.stream({ model: "m", messages: [] })))
      expect(Chunk.toArray(deltas)).toEqual(["Hel", "lo", "!"])
      const collected = yield* Chat.collect(chat.stream({ model: "m", messages: [] }))
      expect(Chat.outputText(collected)).toBe("Hello!")
      const fim = Fim.fromClient(clientOf([sseAnswer(body)]))
      const fimDeltas = yield* Stream.runCollect(Fim.textDeltas(fim.stream({ model: "codestral", prompt: "x" })))
      expect(Chunk.toArray(fimDeltas).join("")).toBe("Hello!")
    })
  )

  it.effect("Conversations: untyped text chunks are text in textDeltas, collect and outputText", () =>
    Effect.gen(function* () {
      const body = sse([
        {
          event: "conversation.response.started",
          data: { type: "conversation.response.started", conversation_id: "conv_1" }
        },
        { event: "message.output.delta", data: { type: "message.output.delta", id: "m1", content: "Hel" } },
        { event: "message.output.delta", data: { type: "message.output.delta", id: "m1", content: { text: "lo" } } },
        {
          event: "conversation.response.done",
          data: { type: "conversation.response.done", usage: { prompt_tokens: 1, completion_tokens: 1 } }
        }
      ])
      const service = Conversations.fromClient(clientOf([sseAnswer(body)]))
      const deltas = yield* Stream.runCollect(
        Conversations.textDeltas(service.startStream({ model: "m", inputs: "hi" }))
      )
      expect(Chunk.toArray(deltas)).toEqual(["Hel", "lo"])
      const collected = yield* Conversations.collect(service.startStream({ model: "m", inputs: "hi" }))
      expect(Conversations.outputText(collected)).toBe("Hello")
    })
  )

  it.effect("ConversationRunner parses arguments securely: __proto__ goes back as invalid arguments", () =>
    Effect.gen(function* () {
      const fake = fakeHttp([
        {
          body: JSON.stringify({
            object: "conversation.response",
            conversation_id: "conv_1",
            outputs: [
              {
                object: "entry",
                type: "function.call",
                id: "fc_1",
                tool_call_id: "c1",
                name: "get_weather",
                arguments: '{"city":"Paris","__proto__":{"admin":true}}'
              }
            ],
            usage: {}
          })
        },
        {
          body: JSON.stringify({
            object: "conversation.response",
            conversation_id: "conv_1",
            outputs: [{ object: "entry", type: "message.output", id: "m", role: "assistant", content: "ok" }],
            usage: {}
          })
        }
      ])
      const client = MistralClient.makeWith(fake.client, { apiKey: Redacted.make(KEY), baseUrl: "https://api.test" })
      const weather = Tool.make("get_weather", {
        parameters: Schema.Struct({ city: Schema.String }),
        handler: ({ city }) => Effect.succeed(city)
      })
      const result = yield* ConversationRunner.run({ model: "m", inputs: "x" }, { tools: [weather] }).pipe(
        Effect.provideService(Conversations.Conversations, Conversations.fromClient(client))
      )
      expect(result.steps[0].calls.map((c) => c.outcome)).toEqual(["invalid_arguments"])
      const sent = JSON.parse(fake.recorded[1].body as string) as { inputs: Array<{ result: string }> }
      expect(sent.inputs[0].result).toContain("forbidden key")
    })
  )
})
