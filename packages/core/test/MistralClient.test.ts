import { describe, expect, it } from "@effect/vitest"
import { Chunk, Duration, Effect, Either, Fiber, Redacted, Schedule, Stream, TestClock } from "effect"
import { Operations } from "../src/generated/Operations.js"
import * as MistralClient from "../src/MistralClient.js"
import * as MistralError from "../src/MistralError.js"
import * as RetryPolicy from "../src/RetryPolicy.js"
import {
  brokenStream,
  createItem,
  deleteItem,
  fakeHttp,
  getItem,
  type Answer,
  sse,
  streamItems
} from "./fixtures/fakeHttp.js"
import { recordingTracer } from "./fixtures/tracing.js"

const KEY = "sk-test-secret-key-0123456789"

const clientOf = (script: ReadonlyArray<Answer>, options: MistralClient.Options = {}) => {
  const fake = fakeHttp(script)
  const client = MistralClient.makeWith(fake.client, {
    apiKey: Redacted.make(KEY),
    baseUrl: "http://mistral.test/",
    ...options
  })
  return { client, recorded: fake.recorded }
}

const json = (value: unknown, status = 200, headers: Record<string, string> = {}): Answer => ({
  status,
  headers,
  body: JSON.stringify(value)
})

describe("MistralClient request building", () => {
  it.effect("builds URL, query, headers and decodes the answer", () =>
    Effect.gen(function* () {
      const { client, recorded } = clientOf([json({ id: "a/b", name: "x", extra: 1 }, 200, { "x-request-id": "r1" })])
      const item = yield* client.call(getItem, {
        path: { item_id: "a/b ?#" },
        query: { page: 2, tags: ["t1", "t2"], metadata: { k: "v" } },
        headers: { "x-trace": "abc" }
      })
      expect(item).toEqual({ id: "a/b", name: "x" })
      expect(recorded).toHaveLength(1)
      const request = recorded[0]
      expect(request.method).toBe("GET")
      expect(request.url.pathname).toBe("/v1/items/a%2Fb%20%3F%23")
      expect(request.url.searchParams.get("page")).toBe("2")
      expect(request.url.searchParams.getAll("tags")).toEqual(["t1", "t2"])
      expect(request.url.searchParams.get("metadata")).toBe('{"k":"v"}')
      expect(request.headers.authorization).toBe(`Bearer ${KEY}`)
      expect(request.headers["user-agent"]).toMatch(/^effect-mistral\/\d+\.\d+\.\d+/)
      expect(request.headers.accept).toBe("application/json")
      expect(request.headers["x-trace"]).toBe("abc")
    })
  )

  it.effect("encodes the JSON body and forces stream=false on a plain call of a json-or-sse operation", () =>
    Effect.gen(function* () {
      const { client, recorded } = clientOf([json({ id: "1" })])
      yield* client.call(createItem, { body: { name: "n", size: 3, stream: true } })
      expect(JSON.parse(recorded[0].body as string)).toEqual({ name: "n", size: 3, stream: false })
      expect(recorded[0].headers["content-type"]).toBe("application/json")
    })
  )

  it.effect("an input that does not encode is a typed error naming the field, and nothing is sent", () =>
    Effect.gen(function* () {
      const { client, recorded } = clientOf([json({ id: "1" })])
      const error = yield* Effect.flip(client.call(createItem, { body: { name: 42 as unknown as string } }))
      expect(error._tag).toBe("RequestEncodeError")
      if (error._tag === "RequestEncodeError") expect(error.field).toBe("body.name")
      const empty = yield* Effect.flip(client.call(getItem, { path: { item_id: "" } }))
      expect(empty._tag).toBe("RequestEncodeError")
      if (empty._tag === "RequestEncodeError") expect(empty.field).toBe("path.item_id")
      expect(recorded).toHaveLength(0)
    })
  )

  it.effect("maps statuses to tagged errors with their context", () =>
    Effect.gen(function* () {
      const cases: Array<[number, unknown, string]> = [
        [401, { object: "error", message: "Unauthorized", type: "auth", code: "1001" }, "AuthenticationError"],
        [403, { message: "nope" }, "PermissionDenied"],
        [404, { message: "no such item" }, "NotFound"],
        [422, { detail: [{ loc: ["body", "name"], msg: "field required", type: "missing" }] }, "ValidationError"],
        [400, { message: "bad" }, "HttpStatusError"],
        [501, { message: "nope" }, "ServerError"]
      ]
      for (const [status, body, tag] of cases) {
        const { client } = clientOf([json(body, status, { "mistral-correlation-id": "corr-1" })], {
          retryPolicy: false
        })
        const error = yield* Effect.flip(client.call(getItem, { path: { item_id: "x" } }))
        expect(error._tag).toBe(tag)
        expect(error.operationId).toBe("items_get")
        expect(error.method).toBe("GET")
        expect(error.path).toBe("/v1/items/x")
        expect(error.requestId).toBe("corr-1")
        expect("status" in error && error.status).toBe(status)
      }
    })
  )

  it.effect("decodes 422 details whose msg is an array", () =>
    Effect.gen(function* () {
      const { client } = clientOf([json({ detail: [{ loc: ["body", 0], msg: ["a", "b"], type: "x" }] }, 422)])
      const error = yield* Effect.flip(client.call(getItem, { path: { item_id: "x" } }))
      expect(error._tag).toBe("ValidationError")
      if (error._tag === "ValidationError") {
        expect(error.issues).toEqual([{ loc: ["body", 0], msg: "a; b", type: "x" }])
        expect(error.message).toContain("body.0: a; b")
      }
    })
  )

  it.effect("a body that does not decode is a ResponseDecodeError keeping the raw body", () =>
    Effect.gen(function* () {
      const { client } = clientOf([{ status: 200, body: "<html>oops</html>" }, json({ name: 1 })])
      const notJson = yield* Effect.flip(client.call(getItem, { path: { item_id: "x" } }))
      expect(notJson._tag).toBe("ResponseDecodeError")
      if (notJson._tag === "ResponseDecodeError") expect(notJson.body).toBe("<html>oops</html>")
      const wrong = yield* Effect.flip(client.call(getItem, { path: { item_id: "x" } }))
      expect(wrong._tag).toBe("ResponseDecodeError")
      if (wrong._tag === "ResponseDecodeError") expect(wrong.issue).toContain("body.id")
    })
  )

  it.effect("empty answers decode to void", () =>
    Effect.gen(function* () {
      const { client, recorded } = clientOf([{ status: 204 }])
      const result = yield* client.call(deleteItem, { path: { item_id: "x" } })
      expect(result).toBeUndefined()
      expect(recorded[0].method).toBe("DELETE")
    })
  )
})

describe("MistralClient retries", () => {
  it.effect("429 with Retry-After: 3 waits at least 3 seconds", () =>
    Effect.gen(function* () {
      const { client, recorded } = clientOf([
        json({ message: "slow down" }, 429, { "retry-after": "3" }),
        json({ id: "ok" })
      ])
      const fiber = yield* Effect.fork(client.call(getItem, { path: { item_id: "x" } }))
      yield* TestClock.adjust("2999 millis")
      expect(recorded).toHaveLength(1)
      yield* TestClock.adjust("1 millis")
      const result = yield* Fiber.join(fiber)
      expect(result).toEqual({ id: "ok" })
      expect(recorded).toHaveLength(2)
      expect(recorded[1].at - recorded[0].at).toBeGreaterThanOrEqual(3000)
    })
  )

  it.effect("Retry-After as an HTTP date", () =>
    Effect.gen(function* () {
      const date = new Date(10_000).toUTCString()
      const { client, recorded } = clientOf([json({}, 503, { "retry-after": date }), json({ id: "ok" })])
      const fiber = yield* Effect.fork(client.call(getItem, { path: { item_id: "x" } }))
      yield* TestClock.adjust("9 seconds")
      expect(recorded).toHaveLength(1)
      yield* TestClock.adjust("1 seconds")
      yield* Fiber.join(fiber)
      expect(recorded).toHaveLength(2)
    })
  )

  it.effect("503, 503, 200 succeeds on the third attempt", () =>
    Effect.gen(function* () {
      const { client, recorded } = clientOf([json({}, 503), json({}, 503), json({ id: "ok" })])
      const fiber = yield* Effect.fork(client.call(getItem, { path: { item_id: "x" } }))
      yield* TestClock.adjust("1 minute")
      expect(yield* Fiber.join(fiber)).toEqual({ id: "ok" })
      expect(recorded).toHaveLength(3)
    })
  )

  it.effect("a 429 storm ends with RateLimited after 4 retries", () =>
    Effect.gen(function* () {
      const { client, recorded } = clientOf([json({ message: "no" }, 429, { "retry-after": "1" })])
      const fiber = yield* Effect.fork(Effect.flip(client.call(getItem, { path: { item_id: "x" } })))
      yield* TestClock.adjust("5 minutes")
      const error = yield* Fiber.join(fiber)
      expect(error._tag).toBe("RateLimited")
      if (error._tag === "RateLimited") expect(Duration.toMillis(error.retryAfter!)).toBe(1000)
      expect(recorded).toHaveLength(5)
    })
  )

  it.effect("400 is never retried", () =>
    Effect.gen(function* () {
      const { client, recorded } = clientOf([json({}, 400), json({ id: "ok" })])
      const error = yield* Effect.flip(client.call(getItem, { path: { item_id: "x" } }))
      expect(error._tag).toBe("HttpStatusError")
      expect(recorded).toHaveLength(1)
    })
  )

  it.effect("transport failures are retried", () =>
    Effect.gen(function* () {
      const { client, recorded } = clientOf([{ transportFailure: true }, json({ id: "ok" })])
      const fiber = yield* Effect.fork(client.call(getItem, { path: { item_id: "x" } }))
      yield* TestClock.adjust("1 minute")
      expect(yield* Fiber.join(fiber)).toEqual({ id: "ok" })
      expect(recorded).toHaveLength(2)
    })
  )

  it.effect("withoutRetry and withRetry override the policy per call", () =>
    Effect.gen(function* () {
      const { client, recorded } = clientOf([json({}, 503)])
      const error = yield* Effect.flip(MistralClient.withoutRetry(client.call(getItem, { path: { item_id: "x" } })))
      expect(error._tag).toBe("ServerError")
      expect(recorded).toHaveLength(1)
      const fiber = yield* Effect.fork(
        Effect.flip(client.call(getItem, { path: { item_id: "x" } })).pipe(
          MistralClient.withRetry(Schedule.spaced("1 second").pipe(Schedule.intersect(Schedule.recurs(1))))
        )
      )
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      expect(recorded).toHaveLength(3)
    })
  )

  it.effect("the layer's retry policy can be replaced, and onRetry sees each wait", () =>
    Effect.gen(function* () {
      const seen: Array<RetryPolicy.RetryAttempt> = []
      const { client } = clientOf([json({}, 502), json({}, 504), json({ id: "ok" })], {
        retryPolicy: RetryPolicy.exponential({ base: "100 millis", jitter: false }),
        onRetry: (attempt) => Effect.sync(() => seen.push(attempt))
      })
      const fiber = yield* Effect.fork(client.call(getItem, { path: { item_id: "x" } }))
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      expect(seen.map((s) => [s.attempt, Duration.toMillis(s.delay), s.error._tag])).toEqual([
        [1, 100, "ServerError"],
        [2, 200, "ServerError"]
      ])
    })
  )
})

describe("MistralClient timeouts", () => {
  it.effect("a request with no answer fails with RequestTimeout", () =>
    Effect.gen(function* () {
      const { client } = clientOf([{ hang: true }], { requestTimeout: "2 seconds", retryPolicy: false })
      const fiber = yield* Effect.fork(Effect.flip(client.call(getItem, { path: { item_id: "x" } })))
      yield* TestClock.adjust("2 seconds")
      const error = yield* Fiber.join(fiber)
      expect(error._tag).toBe("RequestTimeout")
    })
  )

  it.effect("a stream silent for longer than the idle timeout fails with StreamIdleTimeout", () =>
    Effect.gen(function* () {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(sse([{ data: { type: "a" } }])))
        }
      })
      const { client } = clientOf([{ headers: { "content-type": "text/event-stream" }, body }], {
        streamIdleTimeout: "5 seconds",
        retryPolicy: false
      })
      const fiber = yield* Effect.fork(
        Stream.runCollect(Stream.either(client.stream(streamItems, { body: { name: "x" } })))
      )
      yield* TestClock.adjust("5 seconds")
      const results = Chunk.toArray(yield* Fiber.join(fiber))
      expect(results[0]).toEqual(Either.right({ type: "a" }))
      const last = results[1]
      expect(Either.isLeft(last) && last.left._tag).toBe("StreamIdleTimeout")
    })
  )
})

describe("MistralClient streams", () => {
  const sseHeaders = { "content-type": "text/event-stream" }

  it.effect("decodes events, skips comments, ends at [DONE], sets stream: true and Accept", () =>
    Effect.gen(function* () {
      const body = `: keep-alive\n\n${sse([{ data: { type: "a", text: "x" } }, { data: { type: "b" } }], true)}data: {"type":"after"}\n\n`
      const { client, recorded } = clientOf([{ headers: sseHeaders, body }])
      const events = yield* Stream.runCollect(client.stream(createItem, { body: { name: "n" } }))
      expect(Chunk.toArray(events)).toEqual([{ type: "a", text: "x" }, { type: "b" }])
      expect(JSON.parse(recorded[0].body as string)).toEqual({ name: "n", stream: true })
      expect(recorded[0].headers.accept).toBe("text/event-stream")
    })
  )

  it.effect("an error event fails the stream with StreamEventError after the events before it", () =>
    Effect.gen(function* () {
      const body = sse([
        { event: "message.output.delta", data: { type: "a" } },
        {
          event: "conversation.response.error",
          data: { type: "conversation.response.error", message: "boom", code: 3000 }
        }
      ])
      const { client } = clientOf([{ headers: sseHeaders, body }])
      const results = Chunk.toArray(
        yield* Stream.runCollect(Stream.either(client.stream(streamItems, { body: { name: "x" } })))
      )
      expect(results[0]).toEqual(Either.right({ type: "a" }))
      const error = results[1]
      expect(Either.isLeft(error) && error.left._tag).toBe("StreamEventError")
      if (Either.isLeft(error) && error.left._tag === "StreamEventError") {
        expect(error.left.detail).toBe("boom")
        expect(error.left.code).toBe(3000)
        expect(error.left.eventsReceived).toBe(1)
      }
    })
  )

  it.effect("a stream that fails before its first event is retried", () =>
    Effect.gen(function* () {
      const { client, recorded } = clientOf([
        json({}, 503),
        { headers: sseHeaders, body: brokenStream("") },
        { headers: sseHeaders, body: sse([{ data: { type: "a" } }]) }
      ])
      const fiber = yield* Effect.fork(Stream.runCollect(client.stream(streamItems, { body: { name: "x" } })))
      yield* TestClock.adjust("1 minute")
      expect(Chunk.toArray(yield* Fiber.join(fiber))).toEqual([{ type: "a" }])
      expect(recorded).toHaveLength(3)
    })
  )

  it.effect("a stream that breaks after its first event is a typed error and is not replayed", () =>
    Effect.gen(function* () {
      const { client, recorded } = clientOf([
        { headers: sseHeaders, body: brokenStream(sse([{ data: { type: "a" } }])) },
        { headers: sseHeaders, body: sse([{ data: { type: "replayed" } }]) }
      ])
      const fiber = yield* Effect.fork(
        Stream.runCollect(Stream.either(client.stream(streamItems, { body: { name: "x" } })))
      )
      yield* TestClock.adjust("1 minute")
      const results = Chunk.toArray(yield* Fiber.join(fiber))
      expect(results).toHaveLength(2)
      expect(results[0]).toEqual(Either.right({ type: "a" }))
      const error = results[1]
      expect(Either.isLeft(error) && error.left._tag).toBe("StreamBroken")
      if (Either.isLeft(error) && error.left._tag === "StreamBroken") expect(error.left.eventsReceived).toBe(1)
      expect(recorded).toHaveLength(1)
    })
  )

  it.effect("a stream answered with JSON is a ResponseDecodeError", () =>
    Effect.gen(function* () {
      const { client } = clientOf([json({ id: "1" })])
      const error = yield* Effect.flip(Stream.runDrain(client.stream(streamItems, { body: { name: "x" } })))
      expect(error._tag).toBe("ResponseDecodeError")
    })
  )

  it.effect("an event that does not decode is a ResponseDecodeError keeping the raw data", () =>
    Effect.gen(function* () {
      const { client } = clientOf([{ headers: sseHeaders, body: sse([{ data: { type: 1 } }]) }])
      const error = yield* Effect.flip(Stream.runDrain(client.stream(streamItems, { body: { name: "x" } })))
      expect(error._tag).toBe("ResponseDecodeError")
      if (error._tag === "ResponseDecodeError") expect(error.body).toBe('{"type":1}')
    })
  )

  it.effect("an event over the size limit is a typed error, not a defect", () =>
    Effect.gen(function* () {
      const big = `data: {"type":"${"x".repeat(2000)}"}\n\n`
      const { client } = clientOf([{ headers: sseHeaders, body: big }], { maxEventSize: 1000 })
      const error = yield* Effect.flip(Stream.runDrain(client.stream(streamItems, { body: { name: "x" } })))
      expect(error._tag).toBe("ResponseDecodeError")
    })
  )
})

describe("secrets", () => {
  it.effect("the API key appears in no error, message, String() or JSON", () =>
    Effect.gen(function* () {
      const answers: Array<Answer> = [
        json({ message: `key ${KEY} is invalid` }, 401),
        json({ detail: [{ loc: ["header"], msg: KEY, type: "x" }] }, 422),
        { transportFailure: true },
        { status: 200, body: `not json ${KEY}` }
      ]
      for (const answer of answers) {
        const { client } = clientOf([answer], { retryPolicy: false })
        const error = yield* Effect.flip(client.call(getItem, { path: { item_id: "x" } }))
        expect(MistralError.isMistralError(error)).toBe(true)
        for (const text of [error.message, String(error), JSON.stringify(error), JSON.stringify(error.toJSON())]) {
          expect(text).not.toContain(KEY)
        }
      }
    })
  )
})

describe("tracing", () => {
  it.effect("a call opens one client span named after the operation when a tracer is installed", () =>
    Effect.gen(function* () {
      const { tracer, spans } = recordingTracer()
      const { client } = clientOf([json({ id: "1" })])
      yield* client.call(getItem, { path: { item_id: "x" } }).pipe(Effect.withTracer(tracer))
      // ours, then the one the (stock) fake HttpClient opens beneath it
      expect(spans.map((span) => span.name)).toEqual(["Mistral.items_get", "http.client GET"])
      expect(spans[0].attributes.get("url.path")).toBe("/v1/items/x")
      expect(spans[0].attributes.get("mistral.operation_id")).toBe("items_get")
    })
  )

  it.effect("no span is built when only the built-in tracer is there", () =>
    Effect.gen(function* () {
      const { client } = clientOf([json({ id: "1" })])
      const parent = yield* client
        .call(getItem, { path: { item_id: "x" } })
        .pipe(Effect.zipRight(Effect.currentSpan), Effect.option)
      expect(parent._tag).toBe("None")
    })
  )
})

describe("completion streams", () => {
  const chatLike = { ...createItem, streamTerminator: "[DONE]" } as const

  it.effect("a completion stream that ends before [DONE] broke off", () =>
    Effect.gen(function* () {
      const { client } = clientOf([
        { headers: { "content-type": "text/event-stream" }, body: sse([{ data: { type: "a" } }]) }
      ])
      const results = Chunk.toArray(
        yield* Stream.runCollect(Stream.either(client.stream(chatLike, { body: { name: "n" } })))
      )
      expect(results[0]).toEqual(Either.right({ type: "a" }))
      const last = results[1]
      expect(Either.isLeft(last) && last.left._tag).toBe("StreamBroken")
    })
  )

  it.effect("and one that reaches [DONE] completes", () =>
    Effect.gen(function* () {
      const { client } = clientOf([
        { headers: { "content-type": "text/event-stream" }, body: sse([{ data: { type: "a" } }], true) }
      ])
      const events = yield* Stream.runCollect(client.stream(chatLike, { body: { name: "n" } }))
      expect(Chunk.toArray(events)).toEqual([{ type: "a" }])
    })
  )
})

describe("Retry-After ceiling", () => {
  it.effect("a Retry-After longer than maxRetryAfter is not waited for: the error comes at once", () =>
    Effect.gen(function* () {
      const { client, recorded } = clientOf([
        json({ message: "later" }, 429, { "retry-after": "3600" }),
        json({ id: "ok" })
      ])
      const error = yield* Effect.flip(client.call(getItem, { path: { item_id: "x" } }))
      expect(error._tag).toBe("RateLimited")
      if (error._tag === "RateLimited") expect(Duration.toSeconds(error.retryAfter!)).toBe(3600)
      expect(recorded).toHaveLength(1)
    })
  )

  it.effect("the ceiling is an option", () =>
    Effect.gen(function* () {
      const { client, recorded } = clientOf([json({}, 503, { "retry-after": "120" }), json({ id: "ok" })], {
        maxRetryAfter: "5 minutes"
      })
      const fiber = yield* Effect.fork(client.call(getItem, { path: { item_id: "x" } }))
      yield* TestClock.adjust("119 seconds")
      expect(recorded).toHaveLength(1)
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.join(fiber)).toEqual({ id: "ok" })
      expect(recorded).toHaveLength(2)
    })
  )
})

describe("the stream flag, set in one place", () => {
  const conversationEvents = sse([
    { event: "conversation.response.started", data: { type: "conversation.response.started", conversation_id: "c1" } },
    { event: "conversation.response.done", data: { type: "conversation.response.done", usage: {} } }
  ])

  it.effect("MistralClient.stream on an SSE-only operation sends stream: true without the caller asking", () =>
    Effect.gen(function* () {
      const fake = fakeHttp([{ headers: { "content-type": "text/event-stream" }, body: conversationEvents }])
      const events = yield* MistralClient.stream(Operations.agents_api_v1_conversations_start_stream, {
        body: { model: "mistral-small-latest", inputs: "Hi" }
      }).pipe(
        Stream.runCollect,
        Effect.provideService(
          MistralClient.MistralClient,
          MistralClient.makeWith(fake.client, { apiKey: Redacted.make(KEY), baseUrl: "http://mistral.test" })
        )
      )
      expect(Chunk.toReadonlyArray(events).map((event) => event.type)).toEqual([
        "conversation.response.started",
        "conversation.response.done"
      ])
      expect(JSON.parse(fake.recorded[0].body as string)).toEqual({
        model: "mistral-small-latest",
        inputs: "Hi",
        stream: true
      })
      expect(fake.recorded[0].headers.accept).toBe("text/event-stream")
    })
  )

  it.effect("call sends stream: false on an operation whose body has a stream field, and adds none otherwise", () =>
    Effect.gen(function* () {
      const usage = { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }
      const chat = { id: "c", object: "chat.completion", model: "m", created: 1, choices: [], usage }
      const { client, recorded } = clientOf([json(chat)])
      const request = { model: "m", messages: [{ role: "user" as const, content: "x" }] }
      yield* client.call(Operations.chat_completion_v1_chat_completions_post, { body: { ...request, stream: true } })
      yield* client.call(Operations.chat_completion_v1_chat_completions_post, { body: request })
      expect(JSON.parse(recorded[0].body as string).stream).toBe(false)
      expect("stream" in JSON.parse(recorded[1].body as string)).toBe(false)
    })
  )

  it.effect("a multipart body gets the flag as a form field", () =>
    Effect.gen(function* () {
      const fake = fakeHttp([{ headers: { "content-type": "text/event-stream" }, body: sse([]) }])
      const client = MistralClient.makeWith(fake.client, { apiKey: Redacted.make(KEY), baseUrl: "http://mistral.test" })
      yield* Stream.runDrain(
        client.stream(Operations.audio_api_v1_transcriptions_post_stream, {
          body: { model: "voxtral-mini-latest", file: new File([new Uint8Array([1, 2, 3])], "a.wav") }
        })
      )
      expect((fake.recorded[0].body as FormData).get("stream")).toBe("true")
    })
  )
})
