import * as Conversations from "@effect-mistral/core/Conversations"
import * as MistralClient from "@effect-mistral/core/MistralClient"
import { agents_api_v1_conversations_start } from "@effect-mistral/core/generated/conversations"
import * as RetryPolicy from "@effect-mistral/core/RetryPolicy"
import * as Fault from "@effect-mistral/emulator/Fault"
import * as MistralEmulator from "@effect-mistral/emulator/MistralEmulator"
import * as MistralNode from "@effect-mistral/node/MistralNode"
import { describe, expect, layer } from "@effect/vitest"
import { Chunk, Effect, Layer, Redacted, Stream } from "effect"

const KEY = "sk-integration-secret"

/** The emulator on a free loopback port, and the whole client pointed at it with a short retry policy. */
const TestLayer = Layer.unwrapEffect(
  Effect.map(MistralEmulator.MistralEmulator, (emulator) =>
    MistralNode.layer({
      apiKey: Redacted.make(KEY),
      baseUrl: emulator.url,
      retryPolicy: RetryPolicy.exponential({ base: "20 millis", jitter: false }),
      requestTimeout: "2 seconds",
      streamIdleTimeout: "1 second"
    })
  )
).pipe(Layer.provideMerge(MistralEmulator.layer({ apiKey: KEY })))

const textOf = Conversations.outputText

layer(TestLayer, { excludeTestServices: true })("Conversations against the emulator", (it) => {
  it.effect("start, get, append, history, messages", () =>
    Effect.gen(function* () {
      const conversations = yield* Conversations.Conversations
      const started = yield* conversations.start({ model: "mistral-small-latest", inputs: "Hello there" })
      expect(started.conversation_id).toMatch(/^conv_/)
      expect(textOf(started)).toContain("Hello there")

      const got = yield* conversations.get(started.conversation_id)
      expect(got.id).toBe(started.conversation_id)

      const appended = yield* conversations.append(started.conversation_id, {
        inputs: [{ role: "user", content: "And again" }]
      })
      expect(appended.conversation_id).toBe(started.conversation_id)
      expect(textOf(appended)).toContain("And again")

      const history = yield* conversations.history(started.conversation_id)
      expect(history.entries.map((entry) => entry.type)).toEqual([
        "message.input",
        "message.output",
        "message.input",
        "message.output"
      ])
      const messages = yield* conversations.messages(started.conversation_id)
      expect(messages.messages).toHaveLength(4)
    })
  )

  it.effect("streamed start, append and restart fold into what the plain calls return", () =>
    Effect.gen(function* () {
      const conversations = yield* Conversations.Conversations
      const streamed = yield* Conversations.collect(
        conversations.startStream({ model: "mistral-small-latest", inputs: "Tell me a story about streams" })
      )
      expect(streamed.conversation_id).toMatch(/^conv_/)
      expect(streamed.usage.total_tokens).toBeGreaterThan(0)
      const history = yield* conversations.history(streamed.conversation_id)
      const stored = history.entries[1]
      const folded = streamed.outputs[0]
      expect(folded.type).toBe("message.output")
      expect(stored.type === "message.output" && stored.content).toEqual(
        folded.type === "message.output" && folded.content
      )

      const texts = yield* Stream.runCollect(
        Conversations.textDeltas(conversations.appendStream(streamed.conversation_id, { inputs: "more words please" }))
      )
      expect(Chunk.size(texts)).toBeGreaterThan(1)
      expect(Chunk.join(texts, "")).toContain("more words please")

      const entryId = history.entries[1].type === "message.output" ? history.entries[1].id : undefined
      const restarted = yield* Conversations.collect(
        conversations.restartStream(streamed.conversation_id, { from_entry_id: entryId!, inputs: "other path" })
      )
      expect(restarted.conversation_id).not.toBe(streamed.conversation_id)
      expect(textOf(restarted)).toContain("other path")
    })
  )

  it.effect("restart: a new conversation with the entries up to the chosen one; the original unchanged", () =>
    Effect.gen(function* () {
      const conversations = yield* Conversations.Conversations
      const started = yield* conversations.start({ model: "mistral-small-latest", inputs: "one" })
      yield* conversations.append(started.conversation_id, { inputs: "two" })
      const before = yield* conversations.history(started.conversation_id)
      const firstReply = before.entries[1]
      const fromEntryId = firstReply.type === "message.output" ? firstReply.id : undefined
      expect(fromEntryId).toBeDefined()

      const restarted = yield* conversations.restart(started.conversation_id, {
        from_entry_id: fromEntryId!,
        inputs: "three"
      })
      expect(restarted.conversation_id).not.toBe(started.conversation_id)
      const after = yield* conversations.history(restarted.conversation_id)
      const ids = (entries: typeof before.entries) => entries.map((entry) => ("id" in entry ? entry.id : undefined))
      // the entries before (and including) the chosen one are kept, then the new input and reply
      expect(ids(after.entries).slice(0, 2)).toEqual(ids(before.entries).slice(0, 2))
      expect(after.entries).toHaveLength(4)
      expect(textOf(restarted)).toContain("three")
      const original = yield* conversations.history(started.conversation_id)
      expect(ids(original.entries)).toEqual(ids(before.entries))
    })
  )

  it.effect("list with page, page_size and metadata; listAll pages to the end", () =>
    Effect.gen(function* () {
      const conversations = yield* Conversations.Conversations
      const tag = `list-${Date.now()}`
      const created = yield* Effect.forEach([1, 2, 3, 4, 5], (n) =>
        conversations.start({ model: "mistral-small-latest", inputs: `n${n}`, metadata: { tag } })
      )
      const page = yield* conversations.list({ page: 0, page_size: 2, metadata: { tag } })
      expect(page).toHaveLength(2)
      const all = yield* Stream.runCollect(conversations.listAll({ page_size: 2, metadata: { tag } }))
      expect(
        Chunk.toArray(all)
          .map((c) => c.id)
          .sort()
      ).toEqual(created.map((c) => c.conversation_id).sort())
    })
  )

  it.effect("delete, after which get is NotFound", () =>
    Effect.gen(function* () {
      const conversations = yield* Conversations.Conversations
      const started = yield* conversations.start({ model: "mistral-small-latest", inputs: "short-lived" })
      yield* conversations.delete(started.conversation_id)
      const error = yield* Effect.flip(conversations.get(started.conversation_id))
      expect(error._tag).toBe("NotFound")
      expect(error.operationId).toBe("agents_api_v1_conversations_get")
      if (error._tag === "NotFound") expect(error.requestId).toBeDefined()
    })
  )

  it.effect("a function tool round trip", () =>
    Effect.gen(function* () {
      const conversations = yield* Conversations.Conversations
      const asked = yield* conversations.start({
        model: "mistral-small-latest",
        inputs: "Please use get_weather city=Paris",
        tools: [
          {
            type: "function",
            function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } }
          }
        ]
      })
      const call = asked.outputs[0]
      expect(call.type).toBe("function.call")
      if (call.type !== "function.call") return
      expect(call.name).toBe("get_weather")
      expect(JSON.parse(String(call.arguments))).toEqual({ city: "Paris" })
      const answered = yield* conversations.append(asked.conversation_id, {
        inputs: [{ type: "function.result", tool_call_id: call.tool_call_id, result: "sunny" }]
      })
      expect(textOf(answered)).toContain("sunny")
    })
  )

  it.effect("a 422 from the server is a ValidationError with its detail", () =>
    Effect.gen(function* () {
      const client = yield* MistralClient.MistralClient
      // a body the client's schema accepts but the server rejects: neither model nor agent_id
      const error = yield* Effect.flip(client.call(agents_api_v1_conversations_start, { body: { inputs: "no model" } }))
      expect(error._tag).toBe("ValidationError")
      if (error._tag === "ValidationError") expect(error.issues.length).toBeGreaterThan(0)
    })
  )

  it.effect("an invalid key is an AuthenticationError, never retried, without the key in it", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      const wrong = "sk-wrong-key-value"
      yield* emulator.reset
      // the layer (and its connection pool) lives as long as the effect it is provided to
      const error = yield* Effect.flip(
        Effect.flatMap(Conversations.Conversations, (client) => client.get("conv_x")).pipe(
          Effect.provide(MistralNode.layer({ apiKey: Redacted.make(wrong), baseUrl: emulator.url }))
        )
      )
      expect(error._tag).toBe("AuthenticationError")
      expect(JSON.stringify(error)).not.toContain(wrong)
      expect(String(error)).not.toContain(wrong)
      expect(yield* emulator.requests).toHaveLength(1)
    })
  )
})

describe("faults through real sockets", () => {
  layer(TestLayer, { excludeTestServices: true })("the client against injected faults", (it) => {
    const start = Effect.flatMap(Conversations.Conversations, (c) =>
      c.start({ model: "mistral-small-latest", inputs: "fault test" })
    )
    const startStream = Stream.unwrap(
      Effect.map(Conversations.Conversations, (c) =>
        c.startStream({ model: "mistral-small-latest", inputs: "one two three four five six seven eight nine ten" })
      )
    )
    const attempts = Effect.map(MistralEmulator.MistralEmulator, (emulator) => emulator.requests).pipe(
      Effect.flatten,
      Effect.map((requests) => requests.length)
    )
    const inject = (fault: Fault.Fault, times: number) =>
      Effect.flatMap(MistralEmulator.MistralEmulator, (emulator) =>
        Effect.zipRight(emulator.reset, emulator.inject(fault, { times }))
      )

    it.effect("429 with Retry-After is waited out, then succeeds", () =>
      Effect.gen(function* () {
        yield* inject(Fault.rateLimited({ retryAfter: 1 }), 1)
        const before = Date.now()
        yield* start
        expect(Date.now() - before).toBeGreaterThanOrEqual(950)
        expect(yield* attempts).toBe(2)
      })
    )

    it.effect("a 5xx burst is retried", () =>
      Effect.gen(function* () {
        yield* inject(Fault.status(503), 2)
        yield* start
        expect(yield* attempts).toBe(3)
      })
    )

    it.effect("a reset before the head is retried", () =>
      Effect.gen(function* () {
        yield* inject(Fault.reset, 1)
        yield* start
        expect(yield* attempts).toBe(2)
      })
    )

    it.effect("a stream cut after k events: the k events delivered, StreamBroken, no replay", () =>
      Effect.gen(function* () {
        yield* inject(Fault.streamCut(2), 1)
        const results = Chunk.toArray(yield* Stream.runCollect(Stream.either(startStream)))
        expect(results).toHaveLength(3)
        const last = results[2]
        expect(last._tag === "Left" && last.left._tag).toBe("StreamBroken")
        expect(yield* attempts).toBe(1)
      })
    )

    it.effect("a slow head ends in RequestTimeout after retries", () =>
      Effect.gen(function* () {
        yield* inject(Fault.delay("3 seconds"), 5)
        const error = yield* Effect.flip(MistralClient.withoutRetry(start))
        expect(error._tag).toBe("RequestTimeout")
      })
    )

    it.effect("an idle stream ends in StreamIdleTimeout", () =>
      Effect.gen(function* () {
        yield* inject(Fault.eventDelay("1500 millis"), 1)
        const results = Chunk.toArray(yield* Stream.runCollect(Stream.either(startStream)))
        const last = results[results.length - 1]
        expect(last._tag === "Left" && last.left._tag).toBe("StreamIdleTimeout")
      })
    )

    it.effect("a malformed JSON body is a ResponseDecodeError, not retried", () =>
      Effect.gen(function* () {
        yield* inject(Fault.malformedJson, 1)
        const error = yield* Effect.flip(start)
        expect(error._tag).toBe("ResponseDecodeError")
        expect(yield* attempts).toBe(1)
      })
    )

    it.effect("a wrong content type is a ResponseDecodeError keeping the body", () =>
      Effect.gen(function* () {
        yield* inject(Fault.wrongContentType("text/html"), 1)
        const error = yield* Effect.flip(start)
        expect(error._tag).toBe("ResponseDecodeError")
        if (error._tag === "ResponseDecodeError") expect(error.body.length).toBeGreaterThan(0)
      })
    )
  })
})
