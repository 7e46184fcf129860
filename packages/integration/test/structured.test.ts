import * as Chat from "@effect-mistral/core/Chat"
import * as Conversations from "@effect-mistral/core/Conversations"
import * as StructuredOutput from "@effect-mistral/core/StructuredOutput"
import * as MistralEmulator from "@effect-mistral/emulator/MistralEmulator"
import * as MistralNode from "@effect-mistral/node/MistralNode"
import { NodeContext } from "@effect/platform-node"
import { expect, layer } from "@effect/vitest"
import { Chunk, Effect, Layer, Redacted, Schema, Stream } from "effect"

const TestLayer = Layer.unwrapEffect(
  Effect.map(MistralEmulator.MistralEmulator, (emulator) =>
    MistralNode.layer({ apiKey: Redacted.make("sk-structured"), baseUrl: emulator.url, retryPolicy: false })
  )
).pipe(Layer.provideMerge(MistralEmulator.layer()), Layer.provideMerge(NodeContext.layer))

const Book = Schema.Struct({
  title: Schema.String,
  year: Schema.Int,
  authors: Schema.Array(Schema.String),
  format: Schema.Literal("paperback", "hardcover")
}).annotations({ identifier: "Book", description: "A book" })

/** A schema the JSON Schema cannot tell: the emulator's instance of it does not decode. */
const Code = Schema.Struct({ code: Schema.String.pipe(Schema.filter((text) => text.startsWith("ZZ-"))) })

const model = "mistral-small-latest"
const messages = [{ role: "user" as const, content: "Describe a book" }]

layer(TestLayer, { excludeTestServices: true })("structured output against the emulator", (it) => {
  it("the response format is strict and named, with the schema", () => {
    const format = StructuredOutput.responseFormat(Book)
    expect(format).toEqual({
      type: "json_schema",
      json_schema: {
        name: "Book",
        description: "A book",
        strict: true,
        schema: expect.objectContaining({
          type: "object",
          required: ["title", "year", "authors", "format"],
          properties: expect.objectContaining({ format: { type: "string", enum: ["paperback", "hardcover"] } })
        })
      }
    })
    expect(format.json_schema?.schema).not.toHaveProperty("$schema")
    expect(StructuredOutput.responseFormat(Schema.Struct({ a: Schema.String })).json_schema?.name).toBe("output")
  })

  it.effect("chat: a completion decoded with the schema", () =>
    Effect.gen(function* () {
      const book = yield* Chat.completeStructured({ model, messages }, Book)
      expect(book.year).toBe(1)
      expect(book.format).toBe("paperback")
      expect(book.authors.length).toBeGreaterThanOrEqual(1)
      expect(typeof book.title).toBe("string")
    })
  )

  it.effect("chat: streamed, the chunks then the decoded value last", () =>
    Effect.gen(function* () {
      const elements = Chunk.toReadonlyArray(yield* Stream.runCollect(Chat.streamStructured({ model, messages }, Book)))
      const last = elements[elements.length - 1]
      expect(elements.length).toBeGreaterThan(1)
      expect(elements.slice(0, -1).every((element) => element._tag === "Event")).toBe(true)
      expect(last?._tag).toBe("Value")
      const plain = yield* Chat.completeStructured({ model, messages }, Book)
      if (last?._tag === "Value") expect(last.value).toEqual(plain)
      expect(yield* StructuredOutput.value(Chat.streamStructured({ model, messages }, Book))).toEqual(plain)
    })
  )

  it.effect("chat: a reply that does not decode is a StructuredOutputError with the raw text", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Chat.completeStructured({ model, messages }, Code, { name: "code" }))
      expect(error._tag).toBe("StructuredOutputError")
      if (error._tag !== "StructuredOutputError") return
      expect(error.name).toBe("code")
      expect(JSON.parse(error.text)).toHaveProperty("code")
      expect(error.issue).toContain("code")
      const streamed = yield* Effect.flip(StructuredOutput.value(Chat.streamStructured({ model, messages }, Code)))
      expect(streamed._tag).toBe("StructuredOutputError")
    })
  )

  it.effect("conversations: start and append decoded, in completion_args", () =>
    Effect.gen(function* () {
      const started = yield* Conversations.startStructured({ model, inputs: "Describe a book" }, Book)
      expect(started.value.format).toBe("paperback")
      expect(started.response.conversation_id).toMatch(/./)
      const appended = yield* Conversations.appendStructured(
        started.response.conversation_id,
        { inputs: "Another one" },
        Schema.Struct({ count: Schema.Number, ok: Schema.Boolean })
      )
      expect(appended.value).toEqual({ count: 42, ok: true })
      // the conversation keeps its completion_args
      const conversation = yield* Effect.flatMap(Conversations.Conversations, (service) =>
        service.get(started.response.conversation_id)
      )
      expect(JSON.stringify(conversation)).toContain("json_schema")
    })
  )

  it.effect("conversations: streamed start and append yield the value last", () =>
    Effect.gen(function* () {
      const elements = Chunk.toReadonlyArray(
        yield* Stream.runCollect(Conversations.startStreamStructured({ model, inputs: "Describe a book" }, Book))
      )
      const last = elements[elements.length - 1]
      expect(last?._tag).toBe("Value")
      if (last?._tag === "Value") expect(last.value.format).toBe("paperback")
      const started = elements.find(
        (element) => element._tag === "Event" && element.event.type === "conversation.response.started"
      )
      const conversationId =
        started?._tag === "Event" && started.event.type === "conversation.response.started"
          ? started.event.conversation_id
          : ""
      const appended = yield* StructuredOutput.value(
        Conversations.appendStreamStructured(conversationId, { inputs: "again" }, Schema.Struct({ n: Schema.Int }))
      )
      expect(appended).toEqual({ n: 1 })
      const error = yield* Effect.flip(
        StructuredOutput.value(Conversations.startStreamStructured({ model, inputs: "x" }, Code))
      )
      expect(error._tag).toBe("StructuredOutputError")
    })
  )
})
