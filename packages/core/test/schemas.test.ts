import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { describe, expect, it } from "vitest"
import {
  Annotations,
  ChatCompletionResponse,
  CompletionChunk,
  ConversationEventsData,
  ConversationHistory,
  ConversationResponse,
  FilesApiRoutesUploadFileBody,
  HTTPValidationError,
  ModelConversation,
  UsageInfo
} from "../src/generated/index.js"
import * as MistralSchema from "../src/MistralSchema.js"

const decode = <A, I>(schema: Schema.Schema<A, I>, input: unknown) => Schema.decodeUnknownEither(schema)(input)
const decodeOk = <A, I>(schema: Schema.Schema<A, I>, input: unknown): A => {
  const result = decode(schema, input)
  if (Either.isLeft(result)) throw new Error(String(result.left))
  return result.right
}
const encodeOk = <A, I>(schema: Schema.Schema<A, I>, value: A): I => {
  const result = Schema.encodeEither(schema)(value)
  if (Either.isLeft(result)) throw new Error(String(result.left))
  return result.right
}

const entryBase = { object: "entry", created_at: "2025-01-01T00:00:00Z", completed_at: null, id: "e1" }

const entries = [
  { ...entryBase, type: "message.input", role: "user", content: "What is the weather in Paris?", prefix: false },
  {
    ...entryBase,
    type: "message.output",
    role: "assistant",
    model: "mistral-medium-latest",
    agent_id: null,
    content: [
      { type: "text", text: "Sunny." },
      { type: "tool_reference", tool: "web_search", title: "Weather", url: "https://example.com" }
    ]
  },
  { ...entryBase, type: "function.call", tool_call_id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' },
  { ...entryBase, type: "function.result", tool_call_id: "call_1", result: '{"temp":21}' },
  { ...entryBase, type: "tool.execution", name: "web_search", arguments: "{}", info: { provider: "x", hits: 3 } },
  {
    ...entryBase,
    type: "agent.handoff",
    previous_agent_id: "ag_1",
    previous_agent_name: "triage",
    next_agent_id: "ag_2",
    next_agent_name: "weather"
  }
]

const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, connector_tokens: null, connectors: null }

describe("conversation entries", () => {
  it("decodes every entry type and encodes it back", () => {
    const history = { object: "conversation.history", conversation_id: "conv_1", entries }
    const decoded = decodeOk(ConversationHistory, history)
    expect(decoded.entries.map((e) => e.type)).toEqual(entries.map((e) => e.type))
    expect(decoded).toEqual(history)
    expect(encodeOk(ConversationHistory, decoded)).toEqual(history)
  })

  it("keeps an unknown entry type as an unknown member with its raw value, and encodes it back", () => {
    const raw = { ...entryBase, type: "message.reasoning", steps: [1, 2] }
    const decoded = decodeOk(ConversationHistory, { conversation_id: "conv_1", entries: [entries[0], raw] })
    const unknown = decoded.entries[1]
    expect(MistralSchema.isUnknown(unknown)).toBe(true)
    expect(MistralSchema.isUnknown(decoded.entries[0])).toBe(false)
    expect(unknown).toEqual({ type: "$unknown", raw })
    expect(encodeOk(ConversationHistory, decoded).entries[1]).toBe(raw)
  })

  it("fails on a known entry type whose body does not match", () => {
    const result = decode(ConversationHistory, {
      conversation_id: "conv_1",
      entries: [{ ...entryBase, type: "function.call", name: "get_weather" }]
    })
    expect(Either.isLeft(result)).toBe(true)
    if (Either.isLeft(result)) expect(result.left.message).toContain("tool_call_id")
  })

  it("fails on a discriminant that is not a string", () => {
    const result = decode(ConversationHistory, {
      conversation_id: "c",
      entries: [{ type: 42, content: "x", role: "user" }]
    })
    expect(Either.isLeft(result)).toBe(true)
  })

  it("tries the defaulted members in order when the discriminant is absent", () => {
    const decoded = decodeOk(ConversationResponse, {
      conversation_id: "conv_1",
      outputs: [
        { content: "Hello", role: "assistant" },
        { previous_agent_id: "a", previous_agent_name: "b", next_agent_id: "c", next_agent_name: "d" }
      ],
      usage
    })
    // no `type`: the message output (first in declaration order) matches the first; only the handoff (last) the second
    expect(decoded.outputs[0]).toEqual({ content: "Hello", role: "assistant" })
    expect(MistralSchema.isUnknown(decoded.outputs[0])).toBe(false)
    expect(decoded.outputs[1]).toEqual({
      previous_agent_id: "a",
      previous_agent_name: "b",
      next_agent_id: "c",
      next_agent_name: "d"
    })
    expect(encodeOk(ConversationResponse, decoded).outputs).toEqual(decoded.outputs)
    expect(Either.isLeft(decode(ConversationResponse, { conversation_id: "c", outputs: [{ foo: 1 }], usage }))).toBe(
      true
    )
  })

  it("decodes a conversation response and ignores unlisted fields of closed objects", () => {
    const decoded = decodeOk(ConversationResponse, {
      object: "conversation.response",
      conversation_id: "conv_1",
      outputs: [entries[1]],
      usage: { ...usage, brand_new_counter: 7 },
      some_future_field: { nested: true }
    })
    expect(decoded.conversation_id).toBe("conv_1")
    expect(decoded.usage).toEqual(usage)
    expect("some_future_field" in decoded).toBe(false)
  })
})

const eventBase = { created_at: "2025-01-01T00:00:00Z" }
const events = [
  { ...eventBase, type: "conversation.response.started", conversation_id: "conv_1" },
  { ...eventBase, type: "conversation.response.done", usage },
  { ...eventBase, type: "conversation.response.error", message: "boom", code: 3000 },
  { ...eventBase, type: "tool.execution.started", output_index: 0, id: "t1", name: "web_search", arguments: "{}" },
  { ...eventBase, type: "tool.execution.delta", output_index: 0, id: "t1", name: "web_search", arguments: '{"q"' },
  { ...eventBase, type: "tool.execution.done", output_index: 0, id: "t1", name: "web_search", info: { a: 1 } },
  {
    ...eventBase,
    type: "message.output.delta",
    output_index: 0,
    id: "m1",
    content_index: 0,
    model: "mistral-medium-latest",
    agent_id: null,
    role: "assistant",
    content: "Hel"
  },
  { ...eventBase, type: "function.call.delta", id: "f1", name: "get_weather", tool_call_id: "call_1", arguments: "{" },
  { ...eventBase, type: "agent.handoff.started", id: "h1", previous_agent_id: "ag_1", previous_agent_name: "triage" },
  { ...eventBase, type: "agent.handoff.done", id: "h1", next_agent_id: "ag_2", next_agent_name: "weather" }
]

describe("conversation stream events", () => {
  it.each(events.map((e) => [e.type, e] as const))("decodes %s", (_, event) => {
    const decoded = decodeOk(ConversationEventsData, event)
    expect(decoded).toEqual(event)
    expect(encodeOk(ConversationEventsData, decoded)).toEqual(event)
  })

  it("covers the ten event types of the document", () => {
    expect(new Set(events.map((e) => e.type)).size).toBe(10)
  })

  it("decodes a message delta whose content is a chunk", () => {
    const event = { ...events[6], content: { type: "text", text: "lo" } }
    expect(decodeOk(ConversationEventsData, event)).toEqual(event)
  })

  it("keeps an unknown event type", () => {
    const raw = { type: "conversation.response.paused", reason: "quota" }
    const decoded = decodeOk(ConversationEventsData, raw)
    expect(decoded).toEqual({ type: "$unknown", raw })
    expect(MistralSchema.isUnknown(decoded)).toBe(true)
    expect(encodeOk(ConversationEventsData, decoded)).toBe(raw)
  })

  it("fails on a malformed known event", () => {
    expect(Either.isLeft(decode(ConversationEventsData, { type: "conversation.response.error", message: 1 }))).toBe(
      true
    )
  })
})

const chatResponse = (content: unknown) => ({
  id: "cmpl-1",
  object: "chat.completion",
  model: "mistral-small-latest",
  created: 1702256327,
  usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
  choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content, tool_calls: null } }]
})

const chunks = [
  { type: "text", text: "Hello" },
  {
    type: "thinking",
    thinking: [
      { type: "text", text: "Let me think" },
      { type: "reference", reference_ids: [1, "doc-2"] }
    ],
    closed: true
  },
  { type: "reference", reference_ids: [3] },
  { type: "image_url", image_url: { url: "https://example.com/cat.png", detail: "high" } },
  { type: "image_url", image_url: "data:image/png;base64,AAAA" }
]

describe("chat completions", () => {
  it("decodes a response whose content is a string", () => {
    const input = chatResponse("Hello!")
    expect(decodeOk(ChatCompletionResponse, input)).toEqual(input)
  })

  it("decodes a response whose content is chunks, thinking chunks nesting chunks", () => {
    const input = chatResponse(chunks)
    const decoded = decodeOk(ChatCompletionResponse, input)
    expect(decoded).toEqual(input)
    expect(encodeOk(ChatCompletionResponse, decoded)).toEqual(input)
  })

  it("does not require the `data` the document lists as required but never defines", () => {
    expect(Either.isRight(decode(ChatCompletionResponse, chatResponse("x")))).toBe(true)
  })

  it("decodes tool calls with arguments as a string or an object", () => {
    const input = {
      ...chatResponse(""),
      choices: [
        {
          index: 0,
          finish_reason: "tool_calls",
          message: {
            role: "assistant",
            content: "",
            tool_calls: [
              { id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
              { id: "call_2", function: { name: "get_time", arguments: { tz: "CET" } }, index: 1 }
            ]
          }
        }
      ]
    }
    expect(decodeOk(ChatCompletionResponse, input)).toEqual(input)
  })

  it("decodes stream chunks with string and chunk content", () => {
    const base = { id: "cmpl-1", object: "chat.completion.chunk", created: 1, model: "mistral-small-latest" }
    const first = { ...base, choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] }
    const second = { ...base, choices: [{ index: 0, delta: { content: chunks }, finish_reason: null }] }
    const last = {
      ...base,
      usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
      choices: [
        {
          index: 0,
          delta: { tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{}" }, index: 0 }] },
          finish_reason: "tool_calls"
        }
      ]
    }
    for (const chunk of [first, second, last]) expect(decodeOk(CompletionChunk, chunk)).toEqual(chunk)
  })

  it("decodes an enum value the document does not list", () => {
    const input = {
      ...chatResponse("x"),
      choices: [{ index: 0, finish_reason: "safety_stop", message: { content: "x" } }]
    }
    expect(decodeOk(ChatCompletionResponse, input).choices[0].finish_reason).toBe("safety_stop")
  })

  it("keeps an unknown chunk type, and fails on a malformed known one", () => {
    const raw = { type: "video_url", video_url: "https://example.com/v.mp4" }
    const decoded = decodeOk(ChatCompletionResponse, chatResponse([chunks[0], raw]))
    const content = decoded.choices[0].message?.content
    expect(Array.isArray(content) && content[1]).toEqual({ type: "$unknown", raw })
    expect(encodeOk(ChatCompletionResponse, decoded)).toEqual(chatResponse([chunks[0], raw]))
    expect(Either.isLeft(decode(ChatCompletionResponse, chatResponse([{ type: "text", text: 1 }])))).toBe(true)
    expect(Either.isLeft(decode(ChatCompletionResponse, chatResponse([{ type: "thinking", thinking: "no" }])))).toBe(
      true
    )
  })

  it("fails when a documented-required field is missing", () => {
    expect(Either.isLeft(decode(UsageInfo, { prompt_tokens: 1, total_tokens: 1 }))).toBe(true)
  })
})

describe("validation errors (422)", () => {
  it("decodes the documented shape", () => {
    const body = { detail: [{ loc: ["body", "model"], msg: "Field required", type: "missing", input: {} }] }
    expect(decodeOk(HTTPValidationError, body)).toEqual(body)
  })

  it("rejects `msg` as an array: the runtime decodes 422 bodies with its own lenient schema", () => {
    const body = { detail: [{ loc: ["body"], msg: ["a", "b"], type: "value_error" }] }
    expect(Either.isLeft(decode(HTTPValidationError, body))).toBe(true)
  })
})

describe("open objects", () => {
  it("keeps every key of an object declared open, through decode and encode", () => {
    const conversation = {
      object: "conversation",
      id: "conv_1",
      created_at: "2025-01-01T00:00:00Z",
      updated_at: "2025-01-01T00:00:00Z",
      model: "mistral-medium-latest",
      metadata: { team: "search", nested: { deep: [1, 2] } },
      unlisted_field: "dropped"
    }
    const decoded = decodeOk(ModelConversation, conversation)
    expect(decoded.metadata).toEqual({ team: "search", nested: { deep: [1, 2] } })
    expect("unlisted_field" in decoded).toBe(false)
    expect(encodeOk(ModelConversation, decoded).metadata).toEqual(conversation.metadata)
  })

  it("keeps extra keys next to the known properties of an open object", () => {
    const input = { audience: ["user", "robot"], priority: 0.5, custom: { x: 1 } }
    const decoded = decodeOk(Annotations, input)
    expect(decoded).toEqual(input)
    expect(encodeOk(Annotations, decoded)).toEqual(input)
    expect(Either.isLeft(decode(Annotations, { priority: "high" }))).toBe(true)
  })
})

describe("MistralSchema", () => {
  it("openEnum accepts any string and remembers the listed values", () => {
    const schema = MistralSchema.openEnum("a", "b")
    expect(decodeOk(schema, "c")).toBe("c")
    expect(Either.isLeft(decode(schema, 1))).toBe(true)
    expect(MistralSchema.knownValues(schema)).toEqual(["a", "b"])
  })

  it("taggedUnion refuses to encode a tag it does not know unless wrapped as unknown", () => {
    const A = Schema.Struct({ kind: Schema.Literal("a"), n: Schema.Number })
    const union = MistralSchema.taggedUnion("kind", { a: A })
    expect(Either.isLeft(Schema.encodeUnknownEither(union)({ kind: "b" }))).toBe(true)
    expect(encodeOk(union, MistralSchema.makeUnknown("kind", { kind: "b", z: 1 }))).toEqual({ kind: "b", z: 1 })
    expect(Either.isLeft(decode(union, "not an object"))).toBe(true)
    expect(Either.isLeft(decode(union, { n: 1 }))).toBe(true)
    expect(Schema.is(union)(decodeOk(union, { kind: "b" }))).toBe(true)
  })

  it("taggedUnion tries every member of a shared tag in order", () => {
    const A = Schema.Struct({ kind: Schema.Literal("x"), a: Schema.String })
    const B = Schema.Struct({ kind: Schema.Literal("x"), b: Schema.Number })
    const union = MistralSchema.taggedUnion("kind", { x: [A, B] })
    expect(decodeOk(union, { kind: "x", b: 1 })).toEqual({ kind: "x", b: 1 })
    expect(Either.isLeft(decode(union, { kind: "x" }))).toBe(true)
  })

  it("Binary accepts a Blob or a Uint8Array for multipart file fields", () => {
    const bytes = new Uint8Array([1, 2, 3])
    expect(decodeOk(FilesApiRoutesUploadFileBody, { file: bytes }).file).toBe(bytes)
    const blob = new Blob(["hello"])
    expect(decodeOk(FilesApiRoutesUploadFileBody, { file: blob, purpose: "fine-tune" }).file).toBe(blob)
    expect(Either.isLeft(decode(FilesApiRoutesUploadFileBody, { file: "path/to/file" }))).toBe(true)
  })
})
