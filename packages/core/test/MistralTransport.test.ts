import * as Headers from "@effect/platform/Headers"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Duration, Effect, Either, Fiber, Redacted, Schema, Stream, TestClock } from "effect"
import * as MistralClient from "../src/MistralClient.js"
import * as MistralTransport from "../src/MistralTransport.js"
import * as Operation from "../src/Operation.js"
import { fakeHttp } from "./fixtures/fakeHttp.js"

const plain = Operation.make({
  operationId: "test_plain",
  method: "GET",
  path: "/v1/plain",
  tags: ["test"],
  deprecated: false,
  response: "json",
  successStatus: 200,
  successMediaType: "application/json",
  success: Schema.Struct({ ok: Schema.Boolean }),
  errors: {}
})

const events = Operation.make({
  operationId: "test_events",
  method: "POST",
  path: "/v1/events",
  tags: ["test"],
  deprecated: false,
  body: {
    mediaType: "application/json",
    required: true,
    schema: Schema.Struct({ stream: Schema.optional(Schema.Boolean) })
  },
  response: "sse",
  successStatus: 200,
  successMediaType: "text/event-stream",
  event: Schema.Struct({ type: Schema.String }),
  errors: {}
})

/** A transport that records the limits it was given and answers what `answer` says. */
const recording = (
  answer: (
    limits: MistralTransport.Limits
  ) => Effect.Effect<MistralTransport.Response, MistralTransport.TransportFailure>
) => {
  const seen: Array<MistralTransport.Limits> = []
  const transport: MistralTransport.Transport = {
    send: (_request, limits) => {
      seen.push(limits)
      return answer(limits)
    }
  }
  return { transport, seen }
}

const clientOver = (transport: MistralTransport.Transport, options: MistralClient.Options = {}) =>
  MistralClient.fromTransport(transport, {
    apiKey: Redacted.make("sk-transport-test"),
    baseUrl: "http://mistral.test",
    retryPolicy: false,
    ...options
  })

const okText = (text: string) => MistralTransport.textResponse(200, Headers.fromInput({ "x-request-id": "r-1" }), text)

describe("MistralTransport", () => {
  it.effect("a plain call hands the transport its timeout and asks for the body as text", () =>
    Effect.gen(function* () {
      const { transport, seen } = recording(() => Effect.succeed(okText('{"ok":true}')))
      const client = clientOver(transport, { requestTimeout: "7 seconds" })
      expect(yield* client.call(plain)).toEqual({ ok: true })
      expect(seen).toEqual([{ timeout: Duration.seconds(7), read: "text" }])
    })
  )

  it.effect("a stream hands the transport its timeout and idle timeout, and reads the body as a stream", () =>
    Effect.gen(function* () {
      const body = 'data: {"type":"a"}\n\n'
      const { transport, seen } = recording(() =>
        Effect.succeed({
          ...okText(body),
          headers: Headers.fromInput({ "content-type": "text/event-stream" })
        })
      )
      const client = clientOver(transport, { requestTimeout: "3 seconds", streamIdleTimeout: "2 seconds" })
      const out = yield* Stream.runCollect(client.stream(events, { body: {} }))
      expect(Chunk.toReadonlyArray(out)).toEqual([{ type: "a" }])
      expect(seen).toEqual([{ timeout: Duration.seconds(3), idleTimeout: Duration.seconds(2), read: "stream" }])
    })
  )

  it.effect("failures are told apart by their tag and reason, not by class: a copy's failure maps the same", () =>
    Effect.gen(function* () {
      // what another copy of this package would fail with: the same tag and fields, another class
      const foreign = {
        _tag: "TransportFailure",
        reason: "Timeout",
        detail: "late"
      } as MistralTransport.TransportFailure
      const timedOut = clientOver(recording(() => Effect.fail(foreign)).transport, { requestTimeout: "5 seconds" })
      const timeout = yield* Effect.flip(timedOut.call(plain))
      expect(timeout._tag).toBe("RequestTimeout")
      const refused = clientOver(
        recording(() => Effect.fail(MistralTransport.failure("Connection", new Error("connect ECONNREFUSED"))))
          .transport
      )
      const transport = yield* Effect.flip(refused.call(plain))
      expect(transport._tag).toBe("TransportError")
      expect(transport._tag === "TransportError" && transport.detail).toContain("ECONNREFUSED")
    })
  )

  it.effect("a stream whose body reports an idle timeout fails with StreamIdleTimeout after the events before it", () =>
    Effect.gen(function* () {
      const bytes = new TextEncoder().encode('data: {"type":"a"}\n\n')
      const { transport } = recording(() =>
        Effect.succeed({
          ...okText(""),
          headers: Headers.fromInput({ "content-type": "text/event-stream" }),
          stream: Stream.concat(Stream.succeed(bytes), Stream.fail(MistralTransport.failure("IdleTimeout")))
        })
      )
      const client = clientOver(transport, { streamIdleTimeout: "4 seconds" })
      const results = yield* Stream.runCollect(Stream.either(client.stream(events, { body: {} })))
      const [first, second] = Chunk.toReadonlyArray(results)
      expect(first).toEqual(Either.right({ type: "a" }))
      expect(Either.isLeft(second) && second.left._tag).toBe("StreamIdleTimeout")
      if (Either.isLeft(second) && second.left._tag === "StreamIdleTimeout") {
        expect(second.left.eventsReceived).toBe(1)
        expect(Duration.toSeconds(second.left.timeout)).toBe(4)
      }
    })
  )

  it.effect("make: under TestClock the native send gets no deadline and Effect timeouts keep the limits", () =>
    Effect.gen(function* () {
      const given: Array<MistralTransport.Limits> = []
      const transport = MistralTransport.make((_request, limits) => {
        given.push(limits)
        return Effect.never
      })
      const fiber = yield* Effect.fork(
        transport.send(HttpClientRequest.get("http://mistral.test/v1/plain"), {
          timeout: Duration.seconds(2),
          read: "text"
        })
      )
      yield* TestClock.adjust("1999 millis")
      expect(fiber.unsafePoll()).toBe(null)
      yield* TestClock.adjust("1 millis")
      const failure = yield* Effect.flip(Fiber.join(fiber))
      expect(failure.reason).toBe("Timeout")
      expect(Duration.isFinite(given[0].timeout)).toBe(false)
    })
  )

  it.effect("fromHttpClient: a stream's reads are bounded by the idle timeout with Effect timeouts", () =>
    Effect.gen(function* () {
      const stalled = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('data: {"type":"a"}\n\n'))
        }
      })
      const fake = fakeHttp([{ headers: { "content-type": "text/event-stream" }, body: stalled }])
      const transport = MistralTransport.fromHttpClient(fake.client)
      const response = yield* transport.send(HttpClientRequest.post("http://mistral.test/v1/events"), {
        timeout: Duration.seconds(10),
        idleTimeout: Duration.seconds(1),
        read: "stream"
      })
      const fiber = yield* Effect.fork(Stream.runCollect(response.stream))
      yield* TestClock.adjust("1 second")
      const failure = yield* Effect.flip(Fiber.join(fiber))
      expect(failure.reason).toBe("IdleTimeout")
    })
  )
})
