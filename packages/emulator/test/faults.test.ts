import * as Components from "@effect-mistral/core/generated/components"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Either } from "effect"
import { Fault, MistralEmulator } from "../src/index.js"
import { attempt, call, decodes, parseEvents, readStream } from "./support.js"

const model = "mistral-small-latest"
const start = { model, inputs: "Tell me something long enough to be cut into several events" }
const startStream = { ...start, stream: true }

const fresh = Effect.gen(function* () {
  const emulator = yield* MistralEmulator.MistralEmulator
  yield* emulator.reset
  return emulator
})

const elapsed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const begin = performance.now()
    const result = yield* effect
    return [result, performance.now() - begin] as const
  })

it.layer(MistralEmulator.layer())("faults", (it) => {
  it.effect("429 with Retry-After for the next n requests, then success", () =>
    Effect.gen(function* () {
      const emulator = yield* fresh
      yield* emulator.inject(Fault.rateLimited({ retryAfter: 2 }), { times: 2 })
      for (let i = 0; i < 2; i++) {
        const limited = yield* call(emulator, "POST", "/v1/conversations", { body: start })
        assert.strictEqual(limited.status, 429)
        assert.strictEqual(limited.headers.get("retry-after"), "2")
        assert.deepStrictEqual(
          { object: limited.json.object, type: limited.json.type, code: limited.json.code },
          { object: "error", type: "rate_limited", code: "1300" }
        )
        assert.isString(limited.json.message)
      }
      const ok = yield* call(emulator, "POST", "/v1/conversations", { body: start })
      assert.strictEqual(ok.status, 200)
      const log = yield* emulator.requests
      assert.strictEqual(log.length, 3)
      assert.deepStrictEqual(
        log.map((request) => request.operation),
        Array(3).fill("agents_api_v1_conversations_start")
      )
      assert.deepStrictEqual(
        log.map((request) => request.fault?._tag),
        ["Status", "Status", undefined]
      )
      assert.deepStrictEqual(JSON.parse(log[0].body), start)
      assert.strictEqual(log[0].method, "POST")
      assert.strictEqual(log[0].path, "/v1/conversations")
      assert.isUndefined(log[0].headers.authorization)
      assert.instanceOf(log[0].time, Date)
    })
  )

  it.effect("5xx with the API's error body; the request is not executed", () =>
    Effect.gen(function* () {
      const emulator = yield* fresh
      const before = yield* call(emulator, "GET", "/v1/conversations?page_size=1000")
      const unavailable = yield* call(emulator, "POST", "/v1/conversations", {
        body: start,
        headers: { "x-emulator-fault": "status=503" }
      })
      assert.strictEqual(unavailable.status, 503)
      assert.strictEqual(unavailable.json.object, "error")
      assert.strictEqual(unavailable.json.type, "service_unavailable")
      const after = yield* call(emulator, "GET", "/v1/conversations?page_size=1000")
      assert.strictEqual(after.json.length, before.json.length)
      yield* emulator.inject(Fault.status(500))
      const internal = yield* call(emulator, "GET", "/v1/models")
      assert.strictEqual(internal.status, 500)
      assert.strictEqual(internal.json.type, "internal_server_error")
    })
  )

  it.effect("header faults with times apply to that many requests carrying the header", () =>
    Effect.gen(function* () {
      const emulator = yield* fresh
      const headers = { "x-emulator-fault": "status=429;retry-after=0;times=2" }
      const statuses: Array<number> = []
      for (let i = 0; i < 3; i++) {
        statuses.push((yield* call(emulator, "GET", "/v1/models", { headers })).status)
      }
      assert.deepStrictEqual(statuses, [429, 429, 200])
      yield* emulator.reset
      const again = yield* call(emulator, "GET", "/v1/models", { headers })
      assert.strictEqual(again.status, 429)
      assert.strictEqual(again.headers.get("retry-after"), "0")
    })
  )

  it.effect("connection reset before the response head", () =>
    Effect.gen(function* () {
      const emulator = yield* fresh
      yield* emulator.inject(Fault.reset)
      const reset = yield* attempt(emulator, "POST", "/v1/conversations", { body: start })
      assert.isTrue(Either.isLeft(reset))
      const byHeader = yield* attempt(emulator, "GET", "/v1/models", { headers: { "x-emulator-fault": "reset" } })
      assert.isTrue(Either.isLeft(byHeader))
      const ok = yield* call(emulator, "GET", "/v1/models")
      assert.strictEqual(ok.status, 200)
      const log = yield* emulator.requests
      assert.deepStrictEqual(
        log.map((request) => request.fault?._tag),
        ["Reset", "Reset", undefined]
      )
    })
  )

  it.effect("a stream cut after k events", () =>
    Effect.gen(function* () {
      const emulator = yield* fresh
      yield* emulator.inject(Fault.streamCut(2))
      const cut = yield* readStream(emulator, "/v1/conversations", { body: startStream })
      assert.strictEqual(cut.status, 200)
      assert.isDefined(cut.error)
      const events = parseEvents(cut.text)
      assert.deepStrictEqual(
        events.map((event) => event.event),
        ["conversation.response.started", "message.output.delta"]
      )
      const whole = yield* readStream(emulator, "/v1/conversations", { body: startStream })
      assert.isUndefined(whole.error)
      assert.isAbove(parseEvents(whole.text).length, 3)

      const cutJson = yield* attempt(emulator, "POST", "/v1/conversations", {
        body: start,
        headers: { "x-emulator-fault": "cut-after=0" }
      })
      assert.isTrue(Either.isLeft(cutJson))
    })
  )

  it.effect("a delay before the response head", () =>
    Effect.gen(function* () {
      const emulator = yield* fresh
      yield* emulator.inject(Fault.delay(Duration.millis(300)))
      const [slow, slowMillis] = yield* elapsed(call(emulator, "GET", "/v1/models"))
      assert.strictEqual(slow.status, 200)
      assert.isAtLeast(slowMillis, 280)
      const [, headerMillis] = yield* elapsed(
        call(emulator, "GET", "/v1/models", { headers: { "x-emulator-fault": "delay=200" } })
      )
      assert.isAtLeast(headerMillis, 180)
    })
  )

  it.effect("a delay between events", () =>
    Effect.gen(function* () {
      const emulator = yield* fresh
      const streamed = yield* readStream(emulator, "/v1/conversations", {
        body: startStream,
        headers: { "x-emulator-fault": "event-delay=60" }
      })
      const events = parseEvents(streamed.text)
      assert.isUndefined(streamed.error)
      assert.isAbove(events.length, 3)
      const spread = streamed.arrivals[streamed.arrivals.length - 1] - streamed.arrivals[0]
      assert.isAtLeast(spread, (events.length - 1) * 60 * 0.8)
    })
  )

  it.effect("a malformed JSON body", () =>
    Effect.gen(function* () {
      const emulator = yield* fresh
      yield* emulator.inject(Fault.malformedJson)
      const malformed = yield* call(emulator, "POST", "/v1/conversations", { body: start })
      assert.strictEqual(malformed.status, 200)
      assert.strictEqual(malformed.headers.get("content-type"), "application/json")
      assert.isUndefined(malformed.json)
      assert.isTrue(malformed.text.startsWith('{"object":"conversation.response"'))

      const streamed = yield* readStream(emulator, "/v1/conversations", {
        body: startStream,
        headers: { "x-emulator-fault": "malformed" }
      })
      const frames = streamed.text.split("\n\n").filter((frame) => frame !== "")
      assert.throws(() => JSON.parse(frames[0].split("data: ")[1]))
      assert.doesNotThrow(() => JSON.parse(frames[1].split("data: ")[1]))
    })
  )

  it.effect("a wrong content type", () =>
    Effect.gen(function* () {
      const emulator = yield* fresh
      yield* emulator.inject(Fault.wrongContentType())
      const html = yield* call(emulator, "POST", "/v1/conversations", { body: start })
      assert.strictEqual(html.status, 200)
      assert.match(html.headers.get("content-type") ?? "", /^text\/html/)
      assert.isTrue(html.text.startsWith("<!DOCTYPE html>"))
      const plain = yield* call(emulator, "GET", "/v1/models", {
        headers: { "x-emulator-fault": "content-type=text/plain" }
      })
      assert.match(plain.headers.get("content-type") ?? "", /^text\/plain/)
    })
  )

  it.effect("faults only hit the requests they match", () =>
    Effect.gen(function* () {
      const emulator = yield* fresh
      yield* emulator.inject(Fault.status(502), {
        times: Number.POSITIVE_INFINITY,
        match: { operation: "agents_api_v1_conversations_start" }
      })
      const models = yield* call(emulator, "GET", "/v1/models")
      assert.strictEqual(models.status, 200)
      for (let i = 0; i < 3; i++) {
        const failed = yield* call(emulator, "POST", "/v1/conversations", { body: start })
        assert.strictEqual(failed.status, 502)
      }
      const streamed = yield* call(emulator, "POST", "/v1/conversations", { body: startStream })
      assert.strictEqual(streamed.status, 502)
      yield* emulator.inject(Fault.status(504), { match: { method: "GET", path: /^\/v1\/models\// } })
      assert.strictEqual((yield* call(emulator, "GET", "/v1/models")).status, 200)
      assert.strictEqual((yield* call(emulator, "GET", "/v1/models/mistral-embed")).status, 504)
      yield* emulator.reset
      assert.strictEqual((yield* call(emulator, "POST", "/v1/conversations", { body: start })).status, 200)
      assert.strictEqual((yield* emulator.requests).length, 1)
    })
  )

  it.effect("an invalid fault header is a 400", () =>
    Effect.gen(function* () {
      const emulator = yield* fresh
      const invalid = yield* call(emulator, "GET", "/v1/models", { headers: { "x-emulator-fault": "explode" } })
      assert.strictEqual(invalid.status, 400)
      assert.match(invalid.json.message, /x-emulator-fault/)
    })
  )

  it.effect("faulty streams still decode event by event until they break", () =>
    Effect.gen(function* () {
      const emulator = yield* fresh
      const cut = yield* readStream(emulator, "/v1/conversations", {
        body: startStream,
        headers: { "x-emulator-fault": "cut-after=3" }
      })
      const events = parseEvents(cut.text)
      assert.strictEqual(events.length, 3)
      for (const { data } of events) decodes(Components.ConversationEventsData, data)
    })
  )
})

describe("Fault header", () => {
  it("parses every kind", () => {
    const parse = (value: string) => Either.getOrThrow(Fault.parseHeader(value))
    assert.deepStrictEqual(parse("status=429;retry-after=2;times=2"), {
      fault: Fault.status(429, { retryAfter: 2 }),
      times: 2
    })
    assert.deepStrictEqual(parse("status=429").fault, Fault.rateLimited())
    assert.deepStrictEqual(parse("status=503").fault, Fault.status(503))
    assert.deepStrictEqual(parse(" reset ").fault, Fault.reset)
    assert.deepStrictEqual(parse("delay=150").fault, Fault.delay(Duration.millis(150)))
    assert.deepStrictEqual(parse("event-delay=20").fault, Fault.eventDelay(Duration.millis(20)))
    assert.deepStrictEqual(parse("cut-after=3").fault, Fault.streamCut(3))
    assert.deepStrictEqual(parse("malformed").fault, Fault.malformedJson)
    assert.deepStrictEqual(parse("html").fault, Fault.wrongContentType())
    assert.deepStrictEqual(parse("content-type=text/plain").fault, Fault.wrongContentType("text/plain"))
    assert.deepStrictEqual(parse("stream-error=3401").fault, Fault.streamError(3401))
    assert.deepStrictEqual(parse("unknown-event").fault, Fault.unknownEvent(1))
    assert.isUndefined(parse("reset").times)
  })

  it("refuses what it does not know", () => {
    for (const value of [
      "",
      "status",
      "status=42",
      "reset;malformed",
      "times=2",
      "delay=-1",
      "teleport",
      "stream-error=x",
      "status=503;times=x"
    ]) {
      assert.isTrue(Either.isLeft(Fault.parseHeader(value)), value)
    }
  })

  it("toHeader writes what parseHeader reads", () => {
    const faults: Array<Fault.Fault> = [
      Fault.status(429, { retryAfter: 3 }),
      Fault.status(500),
      Fault.reset,
      Fault.delay("250 millis"),
      Fault.eventDelay("10 millis"),
      Fault.streamCut(4),
      Fault.malformedJson,
      Fault.wrongContentType("text/plain"),
      Fault.streamError(4001),
      Fault.unknownEvent()
    ]
    for (const fault of faults) {
      assert.deepStrictEqual(Either.getOrThrow(Fault.parseHeader(Fault.toHeader(fault, { times: 2 }))), {
        fault,
        times: 2
      })
    }
  })
})
