// A reply decoded with an Effect Schema: the schema goes out as a strict json_schema response format, the reply
// comes back as a typed value (or a StructuredOutputError carrying the raw text).
import { Chat, Conversations, StructuredOutput } from "@effect-mistral/core"
import { MistralNode } from "@effect-mistral/node"
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Schema, Stream } from "effect"

const Book = Schema.Struct({
  title: Schema.String,
  year: Schema.Int,
  authors: Schema.Array(Schema.String)
}).annotations({ identifier: "Book" })

const program = Effect.gen(function* () {
  const book = yield* Chat.completeStructured(
    { model: "mistral-small-latest", messages: [{ role: "user", content: "Name a classic novel" }] },
    Book
  )
  yield* Console.log(`chat: ${book.title} (${book.year}) by ${book.authors.join(", ")}`)

  // a conversation turn: the format goes in completion_args, the response continues the conversation
  const turn = yield* Conversations.startStructured({ model: "mistral-small-latest", inputs: "Another one" }, Book)
  yield* Console.log(`conversation ${turn.response.conversation_id}: ${turn.value.title}`)

  // streamed: the events as they arrive, then the decoded value last
  const streamed = yield* StructuredOutput.value(
    Chat.streamStructured(
      { model: "mistral-small-latest", messages: [{ role: "user", content: "And one more" }] },
      Book
    ).pipe(Stream.tap((element) => (element._tag === "Event" ? Console.log("  …chunk") : Effect.void)))
  )
  yield* Console.log(`streamed: ${streamed.title}`)
}).pipe(Effect.catchTag("StructuredOutputError", (error) => Console.error(`not a Book: ${error.issue}\n${error.text}`)))

program.pipe(Effect.provide(MistralNode.layerConfig()), NodeRuntime.runMain)
