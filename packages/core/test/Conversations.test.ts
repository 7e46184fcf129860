import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Redacted, Stream } from "effect"
import * as Conversations from "../src/Conversations.js"
import * as MistralClient from "../src/MistralClient.js"
import { type Answer, fakeHttp, sse } from "./fixtures/fakeHttp.js"

const KEY = "sk-conversations-test"

const entry = (id: string, text: string) => ({
  object: "entry",
  type: "message.output",
  id,
  created_at: "2026-01-01T00:00:00Z",
  model: "mistral-small-latest",
  role: "assistant",
  content: text
})

const response = (conversationId: string, text = "hi") => ({
  object: "conversation.response",
  conversation_id: conversationId,
  outputs: [entry("msg_1", text)],
  usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 }
})

const conversation = (id: string) => ({
  object: "conversation",
  id,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
  model: "mistral-small-latest"
})

const json = (value: unknown, status = 200): Answer => ({ status, body: JSON.stringify(value) })

const serviceOf = (answers: ReadonlyArray<Answer>) => {
  const fake = fakeHttp(answers)
  const client = MistralClient.makeWith(fake.client, { apiKey: Redacted.make(KEY), baseUrl: "https://api.test" })
  return { service: Conversations.fromClient(client), recorded: fake.recorded }
}

const sseAnswer = (body: string): Answer => ({ headers: { "content-type": "text/event-stream" }, body })

const events = [
  {
    event: "conversation.response.started",
    data: { type: "conversation.response.started", conversation_id: "conv_1" }
  },
  {
    event: "message.output.delta",
    data: { type: "message.output.delta", id: "msg_1", content: "Hel", model: "m", created_at: "t" }
  },
  { event: "message.output.delta", data: { type: "message.output.delta", id: "msg_1", content: "lo" } },
  {
    event: "function.call.delta",
    data: { type: "function.call.delta", id: "fc_1", name: "get_weather", tool_call_id: "call_1", arguments: '{"ci' }
  },
  {
    event: "function.call.delta",
    data: {
      type: "function.call.delta",
      id: "fc_1",
      name: "get_weather",
      tool_call_id: "call_1",
      arguments: 'ty":"Paris"}'
    }
  },
  { event: "tool.future", data: { type: "tool.future", anything: true } },
  {
    event: "conversation.response.done",
    data: { type: "conversation.response.done", usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } }
  }
]

describe("Conversations on the wire", () => {
  it.effect("start: POST /v1/conversations with the request body", () =>
    Effect.gen(function* () {
      const { service, recorded } = serviceOf([json(response("conv_1"))])
      const result = yield* service.start({ model: "mistral-small-latest", inputs: "Hello", metadata: { a: "b" } })
      expect(result.conversation_id).toBe("conv_1")
      expect(Conversations.outputText(result)).toBe("hi")
      expect(recorded[0].method).toBe("POST")
      expect(recorded[0].url.href).toBe("https://api.test/v1/conversations")
      expect(JSON.parse(recorded[0].body as string)).toEqual({
        model: "mistral-small-latest",
        inputs: "Hello",
        metadata: { a: "b" }
      })
      expect(recorded[0].headers.authorization).toBe(`Bearer ${KEY}`)
      expect(recorded[0].headers.accept).toBe("application/json")
    })
  )

  it.effect("startStream: the same URL with stream: true, decoded events", () =>
    Effect.gen(function* () {
      const { service, recorded } = serviceOf([sseAnswer(sse(events))])
      const received = yield* Stream.runCollect(service.startStream({ model: "m", inputs: "Hello" }))
      expect(Chunk.size(received)).toBe(events.length)
      expect(JSON.parse(recorded[0].body as string)).toEqual({ model: "m", inputs: "Hello", stream: true })
      expect(recorded[0].url.pathname).toBe("/v1/conversations")
      expect(recorded[0].headers.accept).toBe("text/event-stream")
      const unknown = Chunk.toArray(received)[5]
      expect(unknown).toEqual({ type: "$unknown", raw: { type: "tool.future", anything: true } })
    })
  )

  it.effect("append and appendStream: POST /v1/conversations/{id}", () =>
    Effect.gen(function* () {
      const { service, recorded } = serviceOf([json(response("conv_1")), sseAnswer(sse(events))])
      yield* service.append("conv_1", { inputs: [{ role: "user", content: "more" }] })
      yield* Stream.runDrain(service.appendStream("conv_1", { inputs: "more" }))
      expect(recorded.map((r) => `${r.method} ${r.url.pathname}`)).toEqual([
        "POST /v1/conversations/conv_1",
        "POST /v1/conversations/conv_1"
      ])
      expect(JSON.parse(recorded[0].body as string)).toEqual({ inputs: [{ role: "user", content: "more" }] })
      expect(JSON.parse(recorded[1].body as string)).toEqual({ inputs: "more", stream: true })
    })
  )

  it.effect("restart and restartStream: POST /v1/conversations/{id}/restart", () =>
    Effect.gen(function* () {
      const { service, recorded } = serviceOf([json(response("conv_2")), sseAnswer(sse(events))])
      const restarted = yield* service.restart("conv_1", { from_entry_id: "msg_1", inputs: "again" })
      expect(restarted.conversation_id).toBe("conv_2")
      yield* Stream.runDrain(service.restartStream("conv_1", { from_entry_id: "msg_1", inputs: "again" }))
      expect(recorded.map((r) => `${r.method} ${r.url.pathname}`)).toEqual([
        "POST /v1/conversations/conv_1/restart",
        "POST /v1/conversations/conv_1/restart"
      ])
      expect(JSON.parse(recorded[0].body as string)).toEqual({ from_entry_id: "msg_1", inputs: "again" })
      expect(JSON.parse(recorded[1].body as string)).toEqual({ from_entry_id: "msg_1", inputs: "again", stream: true })
    })
  )

  it.effect("get, history, messages and delete", () =>
    Effect.gen(function* () {
      const { service, recorded } = serviceOf([
        json(conversation("conv_1")),
        json({ object: "conversation.history", conversation_id: "conv_1", entries: [entry("msg_1", "x")] }),
        json({ object: "conversation.messages", conversation_id: "conv_1", messages: [entry("msg_1", "x")] }),
        { status: 204 }
      ])
      const got = yield* service.get("conv_1")
      expect(got.id).toBe("conv_1")
      const history = yield* service.history("conv_1")
      expect(history.entries).toHaveLength(1)
      const messages = yield* service.messages("conv_1")
      expect(messages.messages).toHaveLength(1)
      yield* service.delete("conv_1")
      expect(recorded.map((r) => `${r.method} ${r.url.pathname}`)).toEqual([
        "GET /v1/conversations/conv_1",
        "GET /v1/conversations/conv_1/history",
        "GET /v1/conversations/conv_1/messages",
        "DELETE /v1/conversations/conv_1"
      ])
      expect(recorded.every((r) => r.body === undefined)).toBe(true)
    })
  )

  it.effect("list sends page, page_size and the JSON-encoded metadata filter", () =>
    Effect.gen(function* () {
      const { service, recorded } = serviceOf([json([conversation("conv_1"), conversation("conv_2")])])
      const listed = yield* service.list({ page: 1, page_size: 2, metadata: { team: "a b" } })
      expect(listed.map((c) => c.id)).toEqual(["conv_1", "conv_2"])
      const query = recorded[0].url.searchParams
      expect(query.get("page")).toBe("1")
      expect(query.get("page_size")).toBe("2")
      expect(query.get("metadata")).toBe('{"team":"a b"}')
    })
  )

  it.effect("listAll pages until a page comes back short", () =>
    Effect.gen(function* () {
      const { service, recorded } = serviceOf([
        json([conversation("c1"), conversation("c2")]),
        json([conversation("c3"), conversation("c4")]),
        json([conversation("c5")])
      ])
      const all = yield* Stream.runCollect(service.listAll({ page_size: 2 }))
      expect(Chunk.toArray(all).map((c) => c.id)).toEqual(["c1", "c2", "c3", "c4", "c5"])
      expect(recorded.map((r) => r.url.searchParams.get("page"))).toEqual(["0", "1", "2"])
    })
  )

  it.effect("ids are percent-encoded into their segment", () =>
    Effect.gen(function* () {
      const { service, recorded } = serviceOf([json(conversation("x"))])
      yield* service.get("../a?b#c/d")
      expect(recorded[0].url.pathname).toBe("/v1/conversations/..%2Fa%3Fb%23c%2Fd")
    })
  )

  it.effect("an empty id is a typed error and nothing is sent", () =>
    Effect.gen(function* () {
      const { service, recorded } = serviceOf([json(conversation("x"))])
      const error = yield* Effect.flip(service.get(""))
      expect(error._tag).toBe("RequestEncodeError")
      expect(recorded).toHaveLength(0)
    })
  )
})

describe("stream helpers", () => {
  it.effect("collect folds a stream into the value start returns", () =>
    Effect.gen(function* () {
      const { service } = serviceOf([sseAnswer(sse(events))])
      const folded = yield* Conversations.collect(service.startStream({ model: "m", inputs: "Hello" }))
      expect(folded).toEqual({
        object: "conversation.response",
        conversation_id: "conv_1",
        outputs: [
          {
            object: "entry",
            type: "message.output",
            id: "msg_1",
            created_at: "t",
            model: "m",
            role: "assistant",
            content: "Hello"
          },
          {
            object: "entry",
            type: "function.call",
            id: "fc_1",
            tool_call_id: "call_1",
            name: "get_weather",
            arguments: '{"city":"Paris"}'
          }
        ],
        usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 }
      })
    })
  )

  it.effect("collect merges chunked content", () =>
    Effect.gen(function* () {
      const chunked = [
        { data: { type: "message.output.delta", id: "m", content: { type: "text", text: "a" } } },
        { data: { type: "message.output.delta", id: "m", content: { type: "text", text: "b" } } },
        {
          data: {
            type: "message.output.delta",
            id: "m",
            content: { type: "tool_reference", tool: "web_search", title: "t" }
          }
        }
      ]
      const { service } = serviceOf([sseAnswer(sse(chunked))])
      const folded = yield* Conversations.collect(service.startStream({ model: "m", inputs: "x" }))
      const first = folded.outputs[0]
      expect(first.type === "message.output" && first.content).toEqual([
        { type: "text", text: "ab" },
        { type: "tool_reference", tool: "web_search", title: "t" }
      ])
    })
  )

  it.effect("collect handles a single chunk of many events without overflowing the stack", () =>
    Effect.gen(function* () {
      const many = Array.from({ length: 20_000 }, () => ({
        type: "message.output.delta" as const,
        id: "m",
        content: "x"
      }))
      const folded = yield* Conversations.collect(Stream.fromChunk(Chunk.unsafeFromArray(many)))
      expect(Conversations.outputText(folded)).toHaveLength(20_000)
    })
  )

  it.effect("textDeltas gives the text as it arrives", () =>
    Effect.gen(function* () {
      const { service } = serviceOf([sseAnswer(sse(events))])
      const texts = yield* Stream.runCollect(Conversations.textDeltas(service.startStream({ model: "m", inputs: "x" })))
      expect(Chunk.toArray(texts)).toEqual(["Hel", "lo"])
    })
  )
})
