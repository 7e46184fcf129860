/**
 * The observe stage through a recording transport: the trace context on the wire, the client span's HTTP and GenAI
 * attributes, the metrics, the per-attempt log, and what is never recorded (the key, content unless asked for).
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Logger, LogLevel, Metric, Redacted, Stream } from "effect"
import { Operations } from "../src/generated/Operations.js"
import * as MistralClient from "../src/MistralClient.js"
import * as MistralConfig from "../src/MistralConfig.js"
import * as MistralTransport from "../src/MistralTransport.js"
import * as RetryPolicy from "../src/RetryPolicy.js"
import { hex, type RecordingSpan, recordingTracer } from "./fixtures/tracing.js"

const KEY = "sk-observe-secret-1234"
const chat = Operations.chat_completion_v1_chat_completions_post
const models = Operations.list_models_v1_models_get

interface Scripted {
  readonly status: number
  readonly body: string
  readonly headers?: Record<string, string>
}

/** A client over a transport that records each request and answers from the script. */
const clientOf = (script: ReadonlyArray<Scripted>, options: MistralConfig.Options = {}) => {
  const sent: Array<HttpClientRequest.HttpClientRequest> = []
  const transport = MistralTransport.make((request) =>
    Effect.sync(() => {
      const answer = script[Math.min(sent.length, script.length - 1)]
      sent.push(request)
      return MistralTransport.textResponse(
        answer.status,
        Headers.fromInput({
          "content-type": "application/json",
          "x-request-id": `req-${sent.length}`,
          ...answer.headers
        }),
        answer.body
      )
    })
  )
  const client = MistralClient.fromTransport(transport, {
    apiKey: Redacted.make(KEY),
    baseUrl: "https://mistral.test",
    retryPolicy: RetryPolicy.exponential({ base: "1 millis", jitter: false }),
    ...options
  })
  return { client, sent }
}

const completion = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    id: "cmpl-1",
    object: "chat.completion",
    model: "mistral-small-2506",
    created: 1,
    choices: [{ index: 0, message: { role: "assistant", content: "Bonjour" }, finish_reason: "stop" }],
    usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
    ...extra
  })

const request = {
  body: {
    model: "mistral-small-latest",
    max_tokens: 64,
    temperature: 0.2,
    top_p: 0.9,
    messages: [{ role: "user" as const, content: "Say hello in French" }]
  }
}

const sse = (events: ReadonlyArray<unknown>) =>
  `${events.map((event) => `data: ${JSON.stringify(event)}\n\n`).join("")}data: [DONE]\n\n`

const chunk = (content: string, extra: Record<string, unknown> = {}) => ({
  id: "cmpl-s",
  object: "chat.completion.chunk",
  model: "mistral-small-2506",
  created: 1,
  choices: [{ index: 0, delta: { content }, finish_reason: null }],
  ...extra
})

/** The metric points of `name` whose labels include `labels`. */
const points = (name: string, labels: Record<string, string>) =>
  Effect.map(Metric.snapshot, (pairs) =>
    pairs.filter(
      (pair) =>
        pair.metricKey.name === name &&
        Object.entries(labels).every(([key, value]) =>
          pair.metricKey.tags.some((tag) => tag.key === key && tag.value === value)
        )
    )
  )

const countOf = (state: unknown): number => {
  const record = state as { readonly count?: number | bigint }
  return Number(record.count ?? 0)
}

const everything = (span: RecordingSpan) => JSON.stringify([...span.attributes.entries()])

describe("observe: spans and the trace context", () => {
  it.effect(
    "a call inside the program's span: one client span beneath it, its context on the wire, the GenAI attributes",
    () =>
      Effect.gen(function* () {
        const { tracer, spans } = recordingTracer()
        const { client, sent } = clientOf([{ status: 200, body: completion() }])
        yield* client.call(chat, request).pipe(Effect.withSpan("application"), Effect.withTracer(tracer))
        expect(spans.map((span) => span.name)).toEqual(["application", "chat mistral-small-latest"])
        const [application, span] = spans
        expect(span.kind).toBe("client")
        expect(span.parent._tag === "Some" && span.parent.value.spanId).toBe(application.spanId)
        expect(span.status._tag).toBe("Ended")
        // the request names the client span
        expect(sent[0].headers.traceparent).toBe(`00-${span.traceId}-${span.spanId}-01`)
        // b3 also names the client span's parent
        expect(sent[0].headers.b3).toBe(`${span.traceId}-${span.spanId}-1-${application.spanId}`)
        expect(Object.fromEntries(span.attributes)).toMatchObject({
          "http.request.method": "POST",
          "http.response.status_code": 200,
          "server.address": "mistral.test",
          "server.port": 443,
          "url.template": "/v1/chat/completions",
          "mistral.operation_id": "chat_completion_v1_chat_completions_post",
          "mistral.request_id": "req-1",
          "mistral.retry_count": 0,
          "gen_ai.operation.name": "chat",
          "gen_ai.provider.name": "mistral_ai",
          "gen_ai.request.model": "mistral-small-latest",
          "gen_ai.request.max_tokens": 64,
          "gen_ai.request.temperature": 0.2,
          "gen_ai.request.top_p": 0.9,
          "gen_ai.response.id": "cmpl-1",
          "gen_ai.response.model": "mistral-small-2506",
          "gen_ai.response.finish_reasons": ["stop"],
          "gen_ai.usage.input_tokens": 7,
          "gen_ai.usage.output_tokens": 3
        })
        // no content unless asked for, never the key
        expect(span.attributes.has("gen_ai.input.messages")).toBe(false)
        expect(span.attributes.has("gen_ai.output.messages")).toBe(false)
        expect(everything(span)).not.toContain(KEY)
        expect(everything(span)).not.toContain("Say hello")
      })
  )

  it.live("retries stay in the one span: its retry count, the last status and error.type on failure", () =>
    Effect.gen(function* () {
      const { tracer, spans } = recordingTracer()
      const unavailable = { status: 503, body: JSON.stringify({ message: "busy" }), headers: { "retry-after": "0" } }
      const { client, sent } = clientOf([unavailable, { status: 200, body: completion() }])
      yield* client.call(chat, request).pipe(Effect.withTracer(tracer))
      expect(spans).toHaveLength(1)
      expect(sent).toHaveLength(2)
      expect(spans[0].attributes.get("mistral.retry_count")).toBe(1)
      expect(spans[0].attributes.get("http.response.status_code")).toBe(200)
      expect(spans[0].attributes.get("mistral.request_id")).toBe("req-2")
      // both attempts carry the same client span
      expect(sent[0].headers.traceparent).toBe(sent[1].headers.traceparent)

      const failing = recordingTracer()
      const refused = clientOf([{ status: 401, body: JSON.stringify({ message: "no" }) }])
      const error = yield* Effect.flip(refused.client.call(chat, request).pipe(Effect.withTracer(failing.tracer)))
      expect(error._tag).toBe("AuthenticationError")
      expect(failing.spans[0].attributes.get("error.type")).toBe("AuthenticationError")
      expect(failing.spans[0].attributes.get("http.response.status_code")).toBe(401)
      expect(failing.spans[0].status._tag === "Ended" && failing.spans[0].status.exit._tag).toBe("Failure")
    })
  )

  it.effect("a stream's span lasts to its end and counts its events", () =>
    Effect.gen(function* () {
      const { tracer, spans } = recordingTracer()
      const body = sse([
        chunk("Bon"),
        chunk("jour"),
        {
          ...chunk(""),
          choices: [{ index: 0, delta: { content: "" }, finish_reason: "stop" }],
          usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 }
        }
      ])
      const { client, sent } = clientOf([{ status: 200, body, headers: { "content-type": "text/event-stream" } }])
      const events = yield* Stream.runCollect(client.stream(chat, request)).pipe(Effect.withTracer(tracer))
      expect(Chunk.size(events)).toBe(3)
      const span = spans[0]
      expect(span.name).toBe("chat mistral-small-latest")
      expect(span.status._tag).toBe("Ended")
      expect(sent[0].headers.traceparent).toBe(`00-${span.traceId}-${span.spanId}-01`)
      expect(Object.fromEntries(span.attributes)).toMatchObject({
        "mistral.stream.events": 3,
        "gen_ai.response.id": "cmpl-s",
        "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.usage.input_tokens": 5,
        "gen_ai.usage.output_tokens": 2,
        "http.response.status_code": 200
      })
    })
  )

  it.effect("propagation is switched off by the option or by HttpClient.currentTracerPropagation", () =>
    Effect.gen(function* () {
      const { tracer, spans } = recordingTracer()
      const off = clientOf([{ status: 200, body: completion() }], { tracerPropagation: false })
      yield* off.client.call(chat, request).pipe(Effect.withTracer(tracer))
      expect(off.sent[0].headers.traceparent).toBeUndefined()
      expect(off.sent[0].headers.b3).toBeUndefined()
      // the span is still made
      expect(spans).toHaveLength(1)

      const local = clientOf([{ status: 200, body: completion() }])
      yield* local.client
        .call(chat, request)
        .pipe(Effect.locally(HttpClient.currentTracerPropagation, false), Effect.withTracer(tracer))
      expect(local.sent[0].headers.traceparent).toBeUndefined()
    })
  )

  it.effect("with the built-in tracer: no client span, but the program's current span is propagated", () =>
    Effect.gen(function* () {
      const { client, sent } = clientOf([{ status: 200, body: completion() }])
      yield* client.call(chat, request)
      expect(sent[0].headers.traceparent).toBeUndefined()
      const parent = yield* Effect.withSpan(
        Effect.zipLeft(Effect.currentSpan, client.call(chat, request)),
        "application"
      )
      expect(sent[1].headers.traceparent).toBe(`00-${parent.traceId}-${parent.spanId}-01`)
      // and the client made no span of its own beneath it
      const inner = yield* client.call(models).pipe(Effect.zipRight(Effect.currentSpan), Effect.option)
      expect(inner._tag).toBe("None")
    })
  )

  it.effect("content is recorded only when captureContent is on", () =>
    Effect.gen(function* () {
      const { tracer, spans } = recordingTracer()
      const { client } = clientOf([{ status: 200, body: completion() }], { captureContent: true })
      yield* client.call(chat, request).pipe(Effect.withTracer(tracer))
      expect(String(spans[0].attributes.get("gen_ai.input.messages"))).toContain("Say hello in French")
      expect(String(spans[0].attributes.get("gen_ai.output.messages"))).toContain("Bonjour")
      expect(everything(spans[0])).not.toContain(KEY)
    })
  )

  it.effect("an operation outside the GenAI conventions keeps its operation name and the HTTP attributes", () =>
    Effect.gen(function* () {
      const { tracer, spans } = recordingTracer()
      const { client } = clientOf([{ status: 200, body: JSON.stringify({ object: "list", data: [] }) }])
      yield* client.call(models).pipe(Effect.withTracer(tracer))
      expect(spans[0].name).toBe("Mistral.list_models_v1_models_get")
      expect(spans[0].attributes.get("url.template")).toBe("/v1/models")
      expect(spans[0].attributes.get("http.response.status_code")).toBe(200)
      expect(spans[0].attributes.has("gen_ai.operation.name")).toBe(false)
    })
  )
})

describe("observe: metrics", () => {
  it.live("duration, token usage, requests by status class and retries are recorded", () =>
    Effect.gen(function* () {
      // a model of its own, so that other tests' points do not count here
      const model = `metrics-model-${hex(6)}`
      const body = { ...request.body, model }
      const unavailable = { status: 503, body: JSON.stringify({ message: "busy" }), headers: { "retry-after": "0" } }
      const { client } = clientOf([unavailable, { status: 200, body: completion() }])
      yield* client.call(chat, { body })
      const duration = yield* points("gen_ai.client.operation.duration", { "gen_ai.request.model": model })
      expect(duration).toHaveLength(1)
      expect(countOf(duration[0].metricState)).toBe(1)
      expect(duration[0].metricKey.tags).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ key: "unit", value: "s" }),
          expect.objectContaining({ key: "gen_ai.operation.name", value: "chat" }),
          expect.objectContaining({ key: "gen_ai.provider.name", value: "mistral_ai" }),
          expect.objectContaining({ key: "server.address", value: "mistral.test" })
        ])
      )
      const input = yield* points("gen_ai.client.token.usage", {
        "gen_ai.request.model": model,
        "gen_ai.token.type": "input"
      })
      const output = yield* points("gen_ai.client.token.usage", {
        "gen_ai.request.model": model,
        "gen_ai.token.type": "output"
      })
      expect((input[0].metricState as unknown as { sum: number }).sum).toBe(7)
      expect((output[0].metricState as unknown as { sum: number }).sum).toBe(3)

      const byClass = (statusClass: string) =>
        Effect.map(
          points("mistral.client.requests", {
            "mistral.operation_id": chat.operationId,
            "http.response.status_class": statusClass
          }),
          (found) => found.reduce((n, pair) => n + countOf(pair.metricState), 0)
        )
      const retriesOf = Effect.map(
        points("mistral.client.retries", {
          "mistral.operation_id": chat.operationId,
          "mistral.retry.reason": "ServerError"
        }),
        (found) => found.reduce((n, pair) => n + countOf(pair.metricState), 0)
      )
      const before = { ok: yield* byClass("2xx"), failed: yield* byClass("5xx"), retries: yield* retriesOf }
      const again = clientOf([unavailable, { status: 200, body: completion() }])
      yield* again.client.call(chat, { body })
      expect(yield* byClass("2xx")).toBe(before.ok + 1)
      expect(yield* byClass("5xx")).toBe(before.failed + 1)
      expect(yield* retriesOf).toBe(before.retries + 1)
      const waited = yield* points("mistral.client.retry_after.duration", { "mistral.operation_id": chat.operationId })
      expect(waited.reduce((n, pair) => n + countOf(pair.metricState), 0)).toBeGreaterThanOrEqual(2)
    })
  )

  it.effect("a stream records its time to first chunk; metrics: false records nothing", () =>
    Effect.gen(function* () {
      const model = `stream-model-${hex(6)}`
      const body = sse([chunk("a"), chunk("b", { usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } })])
      const { client } = clientOf([{ status: 200, body, headers: { "content-type": "text/event-stream" } }])
      yield* Stream.runDrain(client.stream(chat, { body: { ...request.body, model } }))
      const first = yield* points("gen_ai.client.operation.time_to_first_chunk", { "gen_ai.request.model": model })
      expect(countOf(first[0].metricState)).toBe(1)

      const silent = `silent-model-${hex(6)}`
      const off = clientOf([{ status: 200, body: completion() }], { metrics: false })
      yield* off.client.call(chat, { body: { ...request.body, model: silent } })
      expect(yield* points("gen_ai.client.operation.duration", { "gen_ai.request.model": silent })).toHaveLength(0)
    })
  )
})

describe("observe: the debug log", () => {
  const capture = () => {
    const lines: Array<{ level: string; message: string; annotations: Record<string, unknown> }> = []
    const logger = Logger.make(({ logLevel, message, annotations }) => {
      lines.push({
        level: logLevel.label,
        message: Array.isArray(message) ? message.join(" ") : String(message),
        annotations: Object.fromEntries(annotations)
      })
    })
    return { lines, layer: Logger.replace(Logger.defaultLogger, logger) }
  }

  it.live("log: debug writes one line per attempt with its status, duration, request id and attempt", () =>
    Effect.gen(function* () {
      const { lines, layer } = capture()
      const unavailable = { status: 503, body: JSON.stringify({ message: "busy" }), headers: { "retry-after": "0" } }
      const { client } = clientOf([unavailable, { status: 200, body: completion() }], { log: "debug" })
      yield* client.call(chat, request).pipe(Effect.provide(layer))
      const ours = lines.filter((line) => line.message.startsWith("Mistral chat_completion"))
      expect(ours).toHaveLength(2)
      expect(ours.map((line) => line.level)).toEqual(["DEBUG", "DEBUG"])
      expect(ours[0].message).toContain("POST /v1/chat/completions 503")
      expect(ours[1].message).toContain("POST /v1/chat/completions 200")
      expect(ours[1].annotations).toMatchObject({
        "mistral.operation_id": chat.operationId,
        "http.request.method": "POST",
        "url.path": "/v1/chat/completions",
        "http.response.status_code": 200,
        "mistral.request_id": "req-2",
        "mistral.attempt": 2
      })
      expect(typeof ours[1].annotations.duration_ms).toBe("number")
      // no bodies at debug level, and never the key
      expect(JSON.stringify(lines)).not.toContain("Say hello")
      expect(JSON.stringify(lines)).not.toContain(KEY)
    })
  )

  it.effect("log: trace adds the bodies, truncated, with the key taken out; off writes nothing", () =>
    Effect.gen(function* () {
      const { lines, layer } = capture()
      // a server that echoes the key back in its answer
      const echoed = completion({ id: `cmpl-${KEY}`, padding: "x".repeat(10_000) })
      const { client } = clientOf([{ status: 200, body: echoed }], { log: "trace" })
      yield* client.call(chat, request).pipe(Effect.provide(layer))
      const bodies = lines.filter((line) => line.level === "TRACE")
      expect(bodies).toHaveLength(1)
      expect(bodies[0].message).toContain("Say hello in French")
      expect(bodies[0].message.length).toBeLessThan(6_000)
      expect(JSON.stringify(lines)).not.toContain(KEY)

      const quiet = capture()
      const off = clientOf([{ status: 200, body: completion() }], { log: "off" })
      yield* off.client.call(chat, request).pipe(Effect.provide(quiet.layer), Logger.withMinimumLogLevel(LogLevel.All))
      expect(quiet.lines.filter((line) => line.message.startsWith("Mistral "))).toHaveLength(0)
    })
  )
})

describe("observe: settings from the environment", () => {
  it("MISTRAL_LOG and OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT are read when the options say nothing", () => {
    const saved = {
      log: process.env.MISTRAL_LOG,
      capture: process.env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT
    }
    try {
      process.env.MISTRAL_LOG = "debug"
      process.env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT = "true"
      expect(MistralConfig.resolve({})).toMatchObject({ log: "debug", captureContent: true })
      // an option wins; a value that is not a mode is ignored
      expect(MistralConfig.resolve({ log: "off", captureContent: false })).toMatchObject({
        log: "off",
        captureContent: false
      })
      process.env.MISTRAL_LOG = "loud"
      expect(MistralConfig.resolve({}).log).toBe("off")
    } finally {
      for (const [name, value] of [
        ["MISTRAL_LOG", saved.log],
        ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", saved.capture]
      ] as const) {
        if (value === undefined) delete process.env[name]
        else process.env[name] = value
      }
    }
  })
})
