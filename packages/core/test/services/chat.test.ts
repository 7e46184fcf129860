import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Stream } from "effect"
import * as Agents from "../../src/Agents.js"
import * as Chat from "../../src/Chat.js"
import * as Fim from "../../src/Fim.js"
import { sse } from "../fixtures/fakeHttp.js"
import { bodyOf, clientOf, completion, json, line, usage } from "./helpers.js"

const chunk = (delta: Record<string, unknown>, finish: string | null = null, extra: Record<string, unknown> = {}) => ({
  id: "cmpl-9",
  object: "chat.completion.chunk",
  created: 1700000001,
  model: "mistral-small-latest",
  choices: [{ index: 0, delta, finish_reason: finish }],
  ...extra
})

const streamed = sse(
  [
    { data: chunk({ role: "assistant", content: "" }) },
    { data: chunk({ content: "Hel" }) },
    { data: chunk({ content: "lo" }) },
    { data: chunk({ content: "!" }, "stop", { usage }) }
  ],
  true
)

describe("Chat", () => {
  it.effect("complete: POST /v1/chat/completions with the body as given, decoded answer", () =>
    Effect.gen(function* () {
      const { client, recorded } = clientOf([json(completion("Bonjour"))])
      const chat = Chat.fromClient(client)
      const answer = yield* chat.complete({
        model: "mistral-small-latest",
        messages: [{ role: "user", content: "Salut" }],
        temperature: 0.2
      })
      expect(line(recorded[0])).toBe("POST /v1/chat/completions")
      expect(bodyOf(recorded[0])).toEqual({
        model: "mistral-small-latest",
        messages: [{ role: "user", content: "Salut" }],
        temperature: 0.2
      })
      expect(Chat.outputText(answer)).toBe("Bonjour")
      expect(answer.usage.total_tokens).toBe(8)
    })
  )

  it.effect("stream: stream=true, accept text/event-stream, ends at [DONE]; textDeltas and collect", () =>
    Effect.gen(function* () {
      const { client, recorded } = clientOf([{ headers: { "content-type": "text/event-stream" }, body: streamed }])
      const chat = Chat.fromClient(client)
      const request = { model: "mistral-small-latest", messages: [{ role: "user" as const, content: "Hi" }] }
      const text = yield* Stream.runCollect(Chat.textDeltas(chat.stream(request)))
      expect(Chunk.toReadonlyArray(text).join("")).toBe("Hello!")
      expect(bodyOf(recorded[0])).toMatchObject({ stream: true })
      expect(recorded[0].headers.accept).toBe("text/event-stream")

      const collected = yield* Chat.collect(chat.stream(request))
      expect(collected).toEqual({
        id: "cmpl-9",
        object: "chat.completion",
        model: "mistral-small-latest",
        created: 1700000001,
        usage,
        choices: [{ index: 0, message: { role: "assistant", content: "Hello!" }, finish_reason: "stop" }]
      })
    })
  )

  it.effect("collect merges tool-call pieces and keeps choices apart", () =>
    Effect.gen(function* () {
      const chunks = Stream.make(
        chunk({ tool_calls: [{ id: "call_1", index: 0, function: { name: "weather", arguments: '{"ci' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { name: "", arguments: 'ty":"Paris"}' } }] }, "tool_calls"),
        {
          id: "cmpl-9",
          model: "m",
          choices: [{ index: 1, delta: { content: [{ type: "text", text: "b" }] }, finish_reason: "length" }]
        }
      )
      const collected = yield* Chat.collect(chunks as Stream.Stream<Chat.CompletionChunk>)
      expect(collected.choices).toEqual([
        {
          index: 0,
          message: {
            role: "assistant",
            content: "",
            tool_calls: [{ id: "call_1", index: 0, function: { name: "weather", arguments: '{"city":"Paris"}' } }]
          },
          finish_reason: "tool_calls"
        },
        { index: 1, message: { role: "assistant", content: [{ type: "text", text: "b" }] }, finish_reason: "length" }
      ])
    })
  )

  it.effect("collect is stack-safe on a single chunk of 20k elements", () =>
    Effect.gen(function* () {
      const many = Array.from({ length: 20_000 }, () => chunk({ content: "a" }))
      const collected = yield* Chat.collect(Stream.fromChunk(Chunk.unsafeFromArray(many)))
      expect(Chat.outputText(collected).length).toBe(20_000)
    })
  )
})

describe("Fim", () => {
  it.effect("complete and stream: POST /v1/fim/completions", () =>
    Effect.gen(function* () {
      const { client, recorded } = clientOf((request) =>
        request.headers.accept === "text/event-stream"
          ? { headers: { "content-type": "text/event-stream" }, body: streamed }
          : json(completion("return a + b"))
      )
      const fim = Fim.fromClient(client)
      const answer = yield* fim.complete({ model: "codestral-latest", prompt: "def add(a, b):", suffix: "" })
      expect(answer.choices[0].message?.content).toBe("return a + b")
      const text = yield* Stream.runCollect(Fim.textDeltas(fim.stream({ model: "codestral-latest", prompt: "x" })))
      expect(Chunk.toReadonlyArray(text).join("")).toBe("Hello!")
      expect(recorded.map(line)).toEqual(["POST /v1/fim/completions", "POST /v1/fim/completions"])
      expect(bodyOf(recorded[0])).toEqual({
        model: "codestral-latest",
        prompt: "def add(a, b):",
        suffix: ""
      })
      expect(bodyOf(recorded[1])).toMatchObject({ stream: true })
    })
  )
})

describe("Agents completion", () => {
  it.effect("complete and stream: POST /v1/agents/completions", () =>
    Effect.gen(function* () {
      const { client, recorded } = clientOf((request) =>
        request.headers.accept === "text/event-stream"
          ? { headers: { "content-type": "text/event-stream" }, body: streamed }
          : json(completion("ok"))
      )
      const agents = Agents.fromClient(client)
      const messages = [{ role: "user" as const, content: "Hi" }]
      const answer = yield* agents.complete({ agent_id: "ag_1", messages })
      expect(Chat.outputText(answer)).toBe("ok")
      const folded = yield* Chat.collect(agents.stream({ agent_id: "ag_1", messages }))
      expect(Chat.outputText(folded)).toBe("Hello!")
      expect(recorded.map(line)).toEqual(["POST /v1/agents/completions", "POST /v1/agents/completions"])
      expect(bodyOf(recorded[0])).toEqual({ agent_id: "ag_1", messages })
      expect(bodyOf(recorded[1])).toEqual({ agent_id: "ag_1", messages, stream: true })
    })
  )
})
