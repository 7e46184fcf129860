import * as ChatSchemas from "@effect-mistral/core/generated/chat"
import * as ClassifierSchemas from "@effect-mistral/core/generated/classifiers"
import * as Components from "@effect-mistral/core/generated/components"
import * as EmbeddingSchemas from "@effect-mistral/core/generated/embeddings"
import * as FimSchemas from "@effect-mistral/core/generated/fim"
import * as OcrSchemas from "@effect-mistral/core/generated/ocr"
import { assert, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { Fault, MistralEmulator } from "../src/index.js"
import { call, decodes, type Json, readStream, weather } from "./support.js"

const clock = {
  type: "function",
  function: {
    name: "get_time",
    description: "Current time in a zone",
    parameters: { type: "object", properties: { zone: { type: "string" } } }
  }
}

/** The `data:` payloads of a completion stream, `[DONE]` included. */
const dataFrames = (text: string): Array<string> =>
  text
    .split("\n\n")
    .filter((frame) => frame.trim() !== "")
    .map((frame) => {
      assert.isTrue(frame.startsWith("data: "), frame)
      return frame.slice(6)
    })

/** Decodes every chunk and folds the deltas of choice 0 into a message. */
const foldChunks = (frames: ReadonlyArray<string>) => {
  assert.strictEqual(frames.at(-1), "[DONE]")
  const chunks = frames.slice(0, -1).map((frame) => decodes(Components.CompletionChunk, JSON.parse(frame)))
  let content = ""
  const calls = new Map<number, { id: string; name: string; arguments: string }>()
  let finishReason: string | null = null
  for (const chunk of chunks) {
    for (const choice of chunk.choices) {
      const delta = choice.delta
      if (typeof delta.content === "string") content += delta.content
      for (const call of delta.tool_calls ?? []) {
        const index = call.index ?? 0
        const current = calls.get(index)
        calls.set(index, {
          id: call.id ?? current?.id ?? "",
          name: call.function.name,
          arguments: `${current?.arguments ?? ""}${call.function.arguments as string}`
        })
      }
      if (choice.finish_reason !== null) finishReason = choice.finish_reason
    }
  }
  return { chunks, content, calls: [...calls.values()], finishReason, usage: chunks.at(-1)?.usage }
}

const user = (content: string) => ({ role: "user", content })

it.layer(MistralEmulator.layer())("completions", (it) => {
  it.effect("chat: a plain answer echoes the last user message", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      const answer = yield* call(emulator, "POST", "/v1/chat/completions", {
        body: {
          model: "mistral-small-latest",
          messages: [{ role: "system", content: "Be brief" }, user("Hello there")]
        }
      })
      assert.strictEqual(answer.status, 200)
      const response = decodes(Components.ChatCompletionResponse, answer.json)
      assert.match(response.id, /^[0-9a-f]{32}$/)
      assert.strictEqual(response.object, "chat.completion")
      assert.strictEqual(response.model, "mistral-small-latest")
      assert.strictEqual(response.choices[0].finish_reason, "stop")
      assert.strictEqual(response.choices[0].message?.role, "assistant")
      assert.strictEqual(response.choices[0].message?.content, "Echo: Hello there (reply 1 from the Mistral emulator)")
      assert.deepStrictEqual(
        { prompt: response.usage.prompt_tokens, completion: response.usage.completion_tokens },
        { prompt: 4, completion: 9 }
      )

      const second = yield* call(emulator, "POST", "/v1/chat/completions", {
        body: {
          model: "mistral-small-latest",
          messages: [user("Hello"), { role: "assistant", content: "Hi" }, user("Again")],
          n: 2,
          max_tokens: 3
        }
      })
      const cut = decodes(Components.ChatCompletionResponse, second.json)
      assert.strictEqual(cut.choices.length, 2)
      assert.strictEqual(cut.choices[1].message?.content, "Echo: Again (reply")
      assert.strictEqual(cut.choices[1].finish_reason, "length")
    })
  )

  it.effect("chat: bad requests are 422 with the field", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      const noMessages = yield* call(emulator, "POST", "/v1/chat/completions", {
        body: { model: "mistral-small-latest" }
      })
      assert.strictEqual(noMessages.status, 422)
      decodes(Components.HTTPValidationError, noMessages.json)
      assert.deepStrictEqual(noMessages.json.detail[0].loc, ["body", "messages"])
      const badRole = yield* call(emulator, "POST", "/v1/chat/completions", {
        body: { model: "m", messages: [{ role: "robot", content: "beep" }] }
      })
      assert.strictEqual(badRole.status, 422)
      assert.deepStrictEqual(badRole.json.detail[0].loc, ["body", "messages", 0, "role"])
      const empty = yield* call(emulator, "POST", "/v1/chat/completions", { body: { model: "m", messages: [] } })
      assert.strictEqual(empty.status, 422)
      const unknownCall = yield* call(emulator, "POST", "/v1/chat/completions", {
        body: { model: "m", messages: [user("hi"), { role: "tool", tool_call_id: "nope", content: "x" }] }
      })
      assert.strictEqual(unknownCall.status, 422)
      assert.deepStrictEqual(unknownCall.json.detail[0].loc, ["body", "messages", 1, "tool_call_id"])
    })
  )

  it.effect("chat: SSE chunks fold into the plain answer and end with [DONE]", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      const body = { model: "mistral-small-latest", messages: [user("Tell me a long story about a cat")] }
      const plain = yield* call(emulator, "POST", "/v1/chat/completions", { body })
      const streamed = yield* readStream(emulator, "/v1/chat/completions", { body: { ...body, stream: true } })
      assert.strictEqual(streamed.status, 200)
      assert.strictEqual(streamed.contentType, "text/event-stream")
      const folded = foldChunks(dataFrames(streamed.text))
      assert.strictEqual(folded.content, plain.json.choices[0].message.content)
      assert.strictEqual(folded.finishReason, "stop")
      assert.isAbove(folded.chunks.length, 3)
      assert.strictEqual(folded.chunks[0].choices[0].delta.role, "assistant")
      assert.deepStrictEqual(folded.usage, plain.json.usage)
      for (const chunk of folded.chunks.slice(0, -1)) assert.isUndefined(chunk.usage)
    })
  )

  it.effect("chat: tool calls, parallel and streamed, then an answer that uses the results", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      const request = {
        model: "mistral-large-latest",
        tools: [weather, clock],
        messages: [user("Please get_weather city=Paris days=3 and get_time zone=CET")]
      }
      const answer = yield* call(emulator, "POST", "/v1/chat/completions", { body: request })
      const response = decodes(Components.ChatCompletionResponse, answer.json)
      assert.strictEqual(response.choices[0].finish_reason, "tool_calls")
      const calls: Json = answer.json.choices[0].message.tool_calls
      assert.strictEqual(calls.length, 2)
      assert.deepStrictEqual(
        calls.map((c: Json) => [c.type, c.function.name, JSON.parse(c.function.arguments), c.index]),
        [
          ["function", "get_weather", { city: "Paris", days: 3 }, 0],
          ["function", "get_time", { zone: "CET" }, 1]
        ]
      )
      for (const c of calls) assert.match(c.id, /^[A-Za-z0-9]{9}$/)

      const single = yield* call(emulator, "POST", "/v1/chat/completions", {
        body: { ...request, parallel_tool_calls: false }
      })
      assert.strictEqual(single.json.choices[0].message.tool_calls.length, 1)
      const none = yield* call(emulator, "POST", "/v1/chat/completions", { body: { ...request, tool_choice: "none" } })
      assert.strictEqual(none.json.choices[0].finish_reason, "stop")
      const forced = yield* call(emulator, "POST", "/v1/chat/completions", {
        body: { ...request, messages: [user("hello")], tool_choice: "any" }
      })
      assert.strictEqual(forced.json.choices[0].message.tool_calls[0].function.name, "get_weather")

      const streamed = yield* readStream(emulator, "/v1/chat/completions", { body: { ...request, stream: true } })
      const folded = foldChunks(dataFrames(streamed.text))
      assert.strictEqual(folded.finishReason, "tool_calls")
      assert.deepStrictEqual(
        folded.calls.map((c) => [c.name, JSON.parse(c.arguments)]),
        [
          ["get_weather", { city: "Paris", days: 3 }],
          ["get_time", { zone: "CET" }]
        ]
      )
      assert.isAbove(folded.chunks.length, 4) // the arguments arrive in pieces

      const followUp = yield* call(emulator, "POST", "/v1/chat/completions", {
        body: {
          ...request,
          messages: [
            ...request.messages,
            { role: "assistant", content: "", tool_calls: calls },
            { role: "tool", tool_call_id: calls[0].id, content: "18C and sunny" },
            { role: "tool", tool_call_id: calls[1].id, content: "10:00" }
          ]
        }
      })
      assert.strictEqual(followUp.status, 200)
      decodes(Components.ChatCompletionResponse, followUp.json)
      assert.strictEqual(
        followUp.json.choices[0].message.content,
        "The result of get_weather is 18C and sunny. The result of get_time is 10:00."
      )
      assert.isNull(followUp.json.choices[0].message.tool_calls)
    })
  )

  it.effect("chat: json_schema answers conform to the schema, json_object answers are JSON", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      const schema = {
        type: "object",
        properties: {
          title: { type: "string", minLength: 10 },
          rating: { type: "integer", minimum: 3, maximum: 5 },
          score: { type: "number" },
          published: { type: "boolean" },
          genre: { type: "string", enum: ["novel", "essay"] },
          released: { type: "string", format: "date" },
          tags: { type: "array", items: { type: "string" }, minItems: 2 },
          author: { $ref: "#/$defs/person" },
          note: { anyOf: [{ type: "null" }, { type: "string" }] }
        },
        required: ["title", "rating", "author"],
        $defs: {
          person: {
            type: "object",
            properties: { name: { type: "string" }, age: { type: "integer" } },
            required: ["name", "age"]
          }
        }
      }
      const Book = Schema.Struct({
        title: Schema.String.pipe(Schema.minLength(10)),
        rating: Schema.Int.pipe(Schema.between(3, 5)),
        score: Schema.Number,
        published: Schema.Boolean,
        genre: Schema.Literal("novel", "essay"),
        released: Schema.String.pipe(Schema.pattern(/^\d{4}-\d{2}-\d{2}$/)),
        tags: Schema.Array(Schema.String).pipe(Schema.minItems(2)),
        author: Schema.Struct({ name: Schema.String, age: Schema.Int }),
        note: Schema.NullOr(Schema.String)
      })
      const body = {
        model: "mistral-small-latest",
        messages: [user("Describe a book")],
        response_format: { type: "json_schema", json_schema: { name: "book", schema, strict: true } }
      }
      const answer = yield* call(emulator, "POST", "/v1/chat/completions", { body })
      decodes(ChatSchemas.ChatCompletionRequest, body)
      decodes(Components.ChatCompletionResponse, answer.json)
      const book = Schema.decodeUnknownSync(Book, { onExcessProperty: "error" })(
        JSON.parse(answer.json.choices[0].message.content)
      )
      assert.strictEqual(book.genre, "novel")
      assert.strictEqual(book.rating, 3)
      assert.strictEqual(book.tags.length, 2)
      const again = yield* call(emulator, "POST", "/v1/chat/completions", { body })
      assert.strictEqual(again.json.choices[0].message.content, answer.json.choices[0].message.content)

      const jsonObject = yield* call(emulator, "POST", "/v1/chat/completions", {
        body: { model: "m", messages: [user("Hi")], response_format: { type: "json_object" } }
      })
      assert.deepStrictEqual(JSON.parse(jsonObject.json.choices[0].message.content), {
        reply: "Echo: Hi (reply 1 from the Mistral emulator)"
      })
    })
  )

  it.effect("FIM: plain and streamed answers from the prompt and suffix", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      const body = { model: "codestral-latest", prompt: "def add(a, b):\n    ", suffix: "\nprint(add(1, 2))" }
      const answer = yield* call(emulator, "POST", "/v1/fim/completions", { body })
      assert.strictEqual(answer.status, 200)
      const response = decodes(FimSchemas.FIMCompletionResponse, answer.json)
      assert.strictEqual(
        response.choices[0].message?.content,
        'Fill after "def add(a, b):" before "print(add(1, 2))" (from the Mistral emulator)'
      )
      const streamed = yield* readStream(emulator, "/v1/fim/completions", { body: { ...body, stream: true } })
      const folded = foldChunks(dataFrames(streamed.text))
      assert.strictEqual(folded.content, response.choices[0].message?.content)
      const invalid = yield* call(emulator, "POST", "/v1/fim/completions", { body: { model: "codestral-latest" } })
      assert.strictEqual(invalid.status, 422)
      assert.deepStrictEqual(invalid.json.detail[0].loc, ["body", "prompt"])
    })
  )

  it.effect("embeddings: documented sizes, unit length, deterministic, closer for shared words", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      const texts = ["The cat sat on the mat", "The cat sat on a mat", "Quarterly revenue grew strongly"]
      const answer = yield* call(emulator, "POST", "/v1/embeddings", { body: { model: "mistral-embed", input: texts } })
      assert.strictEqual(answer.status, 200)
      const response = decodes(EmbeddingSchemas.EmbeddingResponse, answer.json)
      assert.strictEqual(response.data.length, 3)
      const vectors = response.data.map((item) => item.embedding ?? [])
      for (const vector of vectors) {
        assert.strictEqual(vector.length, 1024)
        assert.closeTo(Math.hypot(...vector), 1, 1e-9)
      }
      assert.deepStrictEqual(
        response.data.map((item) => item.index),
        [0, 1, 2]
      )
      const dot = (a: ReadonlyArray<number>, b: ReadonlyArray<number>) => a.reduce((sum, x, i) => sum + x * b[i], 0)
      assert.isAbove(dot(vectors[0], vectors[1]), 0.5)
      assert.isBelow(Math.abs(dot(vectors[0], vectors[2])), 0.3)
      assert.strictEqual(response.usage.prompt_tokens, 6 + 6 + 4)

      const single = yield* call(emulator, "POST", "/v1/embeddings", {
        body: { model: "mistral-embed", input: texts[0] }
      })
      assert.deepStrictEqual(single.json.data[0].embedding, vectors[0])
      const small = yield* call(emulator, "POST", "/v1/embeddings", {
        body: { model: "codestral-embed", input: "x", output_dimension: 256 }
      })
      assert.strictEqual(small.json.data[0].embedding.length, 256)
      const code = yield* call(emulator, "POST", "/v1/embeddings", { body: { model: "codestral-embed", input: "x" } })
      assert.strictEqual(code.json.data[0].embedding.length, 1536)
      const int8 = yield* call(emulator, "POST", "/v1/embeddings", {
        body: { model: "mistral-embed", input: "x", output_dtype: "int8" }
      })
      assert.isTrue(int8.json.data[0].embedding.every((v: number) => Number.isInteger(v) && v >= -127 && v <= 127))

      const empty = yield* call(emulator, "POST", "/v1/embeddings", { body: { model: "mistral-embed", input: [] } })
      assert.strictEqual(empty.status, 422)
      const missing = yield* call(emulator, "POST", "/v1/embeddings", { body: { model: "mistral-embed" } })
      assert.deepStrictEqual(missing.json.detail[0].loc, ["body", "input"])
    })
  )

  it.effect("classifiers and moderation answers decode", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      const moderation = yield* call(emulator, "POST", "/v1/moderations", {
        body: { model: "mistral-moderation-latest", input: ["I will attack you", "Nice weather today"] }
      })
      const moderated = decodes(ClassifierSchemas.ModerationResponse, moderation.json)
      assert.strictEqual(moderated.results.length, 2)
      assert.isTrue(moderated.results[0].categories?.violence_and_threats)
      assert.isFalse(moderated.results[1].categories?.violence_and_threats)
      assert.isAtLeast(moderated.results[0].category_scores?.violence_and_threats ?? 0, 0.9)

      const chatModeration = yield* call(emulator, "POST", "/v1/chat/moderations", {
        body: { model: "mistral-moderation-latest", input: [user("my password is hunter2")] }
      })
      const chatModerated = decodes(ClassifierSchemas.ModerationResponse, chatModeration.json)
      assert.strictEqual(chatModerated.results.length, 1)
      assert.isTrue(chatModerated.results[0].categories?.pii)
      const nested = yield* call(emulator, "POST", "/v1/chat/moderations", {
        body: { model: "mistral-moderation-latest", input: [[user("a")], [user("b")]] }
      })
      assert.strictEqual(decodes(ClassifierSchemas.ModerationResponse, nested.json).results.length, 2)

      const classification = yield* call(emulator, "POST", "/v1/classifications", {
        body: { model: "ft:classifier", input: "I love this, it is great" }
      })
      const classified = decodes(ClassifierSchemas.ClassificationResponse, classification.json)
      const scores = classified.results[0].sentiment.scores
      assert.isAbove(scores.positive, scores.negative)
      const chatClassification = yield* call(emulator, "POST", "/v1/chat/classifications", {
        body: {
          model: "ft:classifier",
          input: [{ messages: [user("terrible and awful")] }, { messages: [user("ok")] }]
        }
      })
      const chatClassified = decodes(ClassifierSchemas.ClassificationResponse, chatClassification.json)
      assert.strictEqual(chatClassified.results.length, 2)
      assert.isAbove(
        chatClassified.results[0].sentiment.scores.negative,
        chatClassified.results[0].sentiment.scores.positive
      )
      const invalid = yield* call(emulator, "POST", "/v1/moderations", { body: { input: "x" } })
      assert.strictEqual(invalid.status, 422)
    })
  )

  it.effect("OCR answers decode; a document annotation follows its schema", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      const answer = yield* call(emulator, "POST", "/v1/ocr", {
        body: {
          model: "mistral-ocr-latest",
          document: { type: "document_url", document_url: "https://example.com/papers/report.pdf" },
          document_annotation_format: {
            type: "json_schema",
            json_schema: {
              name: "summary",
              schema: { type: "object", properties: { language: { type: "string" } }, required: ["language"] }
            }
          }
        }
      })
      assert.strictEqual(answer.status, 200)
      const response = decodes(OcrSchemas.OCRResponse, answer.json)
      assert.strictEqual(response.pages.length, 1)
      assert.include(response.pages[0].markdown, "report.pdf")
      assert.deepStrictEqual(JSON.parse(response.document_annotation ?? ""), { language: "language" })
      assert.strictEqual(response.usage_info.pages_processed, 1)
      const missingFile = yield* call(emulator, "POST", "/v1/ocr", {
        body: {
          model: "mistral-ocr-latest",
          document: { type: "file", file_id: "00000000-0000-4000-8000-000000000000" }
        }
      })
      assert.strictEqual(missingFile.status, 404)
      const invalid = yield* call(emulator, "POST", "/v1/ocr", { body: { model: "mistral-ocr-latest" } })
      assert.strictEqual(invalid.status, 422)
    })
  )

  it.effect("faults and the request log apply to the new routes", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      yield* emulator.reset
      yield* emulator.inject(Fault.rateLimited({ retryAfter: 2 }), {
        match: { operation: "chat_completion_v1_chat_completions_post" }
      })
      const body = { model: "m", messages: [user("hi")] }
      const limited = yield* call(emulator, "POST", "/v1/chat/completions", { body })
      assert.strictEqual(limited.status, 429)
      assert.strictEqual(limited.headers.get("retry-after"), "2")
      const fine = yield* call(emulator, "POST", "/v1/chat/completions", { body })
      assert.strictEqual(fine.status, 200)
      const cut = yield* readStream(emulator, "/v1/chat/completions", {
        body: { ...body, stream: true },
        headers: { [Fault.headerName]: "cut-after=2" }
      })
      assert.isDefined(cut.error)
      assert.strictEqual(dataFrames(cut.text).length, 2)
      const log = yield* emulator.requests
      assert.deepStrictEqual(
        log.map((request) => request.operation),
        [
          "chat_completion_v1_chat_completions_post",
          "chat_completion_v1_chat_completions_post",
          "chat_completion_v1_chat_completions_post"
        ]
      )
      assert.strictEqual(log[0].fault?._tag, "Status")
    })
  )
})
