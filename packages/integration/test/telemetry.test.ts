/**
 * The real telemetry pipeline: `@effect/opentelemetry`'s NodeSdk with the OTLP/HTTP trace and metric exporters,
 * sending to an OTLP receiver on loopback written here, while calls and a stream go through `MistralNode.layer` to
 * the emulator. What arrives is checked: the client spans beneath the application's span, the trace context the
 * emulator received, the HTTP and GenAI attributes, the metric points.
 */
import { createServer, type IncomingMessage, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import * as Chat from "@effect-mistral/core/Chat"
import * as ConversationRunner from "@effect-mistral/core/ConversationRunner"
import * as Conversations from "@effect-mistral/core/Conversations"
import * as Tool from "@effect-mistral/core/Tool"
import * as MistralEmulator from "@effect-mistral/emulator/MistralEmulator"
import * as MistralNode from "@effect-mistral/node/MistralNode"
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics"
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Effect, Layer, ManagedRuntime, Redacted, Schema, Stream } from "effect"

const KEY = "sk-telemetry-secret-42"

const weather = Tool.make("get_weather", {
  description: "Current weather for a city",
  parameters: Schema.Struct({ city: Schema.String }),
  handler: ({ city }) => Effect.succeed({ city, forecast: "sunny" })
})

interface OtlpValue {
  readonly stringValue?: string
  readonly intValue?: string | number
  readonly doubleValue?: number
  readonly boolValue?: boolean
  readonly arrayValue?: { readonly values?: ReadonlyArray<OtlpValue> }
}

interface OtlpAttribute {
  readonly key: string
  readonly value: OtlpValue
}

interface OtlpSpan {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId?: string
  readonly name: string
  readonly kind: number
  readonly attributes?: ReadonlyArray<OtlpAttribute>
}

interface OtlpPoint {
  readonly attributes?: ReadonlyArray<OtlpAttribute>
  readonly count?: string | number
  readonly sum?: number
  readonly asInt?: string | number
  readonly asDouble?: number
}

interface OtlpMetric {
  readonly name: string
  readonly unit?: string
  readonly histogram?: { readonly dataPoints: ReadonlyArray<OtlpPoint> }
  readonly sum?: { readonly dataPoints: ReadonlyArray<OtlpPoint> }
}

const valueOf = (value: OtlpValue): unknown => {
  if (value.stringValue !== undefined) return value.stringValue
  if (value.intValue !== undefined) return Number(value.intValue)
  if (value.doubleValue !== undefined) return value.doubleValue
  if (value.boolValue !== undefined) return value.boolValue
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(valueOf)
  return undefined
}

const attributesOf = (attributes: ReadonlyArray<OtlpAttribute> | undefined): Record<string, unknown> =>
  Object.fromEntries((attributes ?? []).map((attribute) => [attribute.key, valueOf(attribute.value)]))

/** A minimal OTLP/HTTP (JSON) receiver: it keeps every span and metric it is sent. */
class Receiver {
  readonly spans: Array<OtlpSpan> = []
  readonly metrics: Array<OtlpMetric> = []
  readonly bodies: Array<string> = []
  private server: Server | undefined
  url = ""

  start(): Promise<void> {
    const server = createServer((request, response) => {
      void this.read(request).then((body) => {
        this.bodies.push(body)
        const parsed = JSON.parse(body)
        if (request.url === "/v1/traces") {
          for (const resource of parsed.resourceSpans ?? [])
            for (const scope of resource.scopeSpans ?? []) this.spans.push(...(scope.spans ?? []))
        } else if (request.url === "/v1/metrics") {
          for (const resource of parsed.resourceMetrics ?? [])
            for (const scope of resource.scopeMetrics ?? []) this.metrics.push(...(scope.metrics ?? []))
        }
        response.writeHead(200, { "content-type": "application/json" })
        response.end("{}")
      })
    })
    this.server = server
    return new Promise((resolve) =>
      server.listen(0, "127.0.0.1", () => {
        this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
        resolve()
      })
    )
  }

  private read(request: IncomingMessage): Promise<string> {
    return new Promise((resolve) => {
      const chunks: Array<Buffer> = []
      request.on("data", (chunk: Buffer) => chunks.push(chunk))
      request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    })
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())))
  }
}

const receiver = new Receiver()
const emulatorRuntime = ManagedRuntime.make(MistralEmulator.layer({ apiKey: KEY }))
let emulator: MistralEmulator.Service

beforeAll(async () => {
  await receiver.start()
  emulator = await emulatorRuntime.runPromise(MistralEmulator.MistralEmulator)
})

afterAll(async () => {
  await emulatorRuntime.dispose()
  await receiver.stop()
})

/** The OpenTelemetry SDK as a user sets it up: OTLP over HTTP for traces and metrics, to the receiver. */
const telemetry = () =>
  NodeSdk.layer(() => ({
    resource: { serviceName: "telemetry-test" },
    spanProcessor: new BatchSpanProcessor(new OTLPTraceExporter({ url: `${receiver.url}/v1/traces` })),
    metricReader: new PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter({ url: `${receiver.url}/v1/metrics` }),
      exportIntervalMillis: 60_000
    })
  }))

describe("telemetry through the OpenTelemetry SDK and OTLP/HTTP", () => {
  it.live(
    "calls and a stream: client spans beneath the application's, trace context at the emulator, attributes, metrics",
    () =>
      Effect.gen(function* () {
        const client = MistralNode.layer({ apiKey: Redacted.make(KEY), baseUrl: emulator.url })
        const program = Effect.gen(function* () {
          const chat = yield* Chat.Chat
          const conversations = yield* Conversations.Conversations
          yield* chat.complete({
            model: "mistral-small-latest",
            max_tokens: 50,
            temperature: 0.3,
            messages: [{ role: "user", content: "Hello telemetry" }]
          })
          const events = yield* Stream.runCount(
            conversations.startStream({ model: "mistral-medium-latest", inputs: "Stream to the trace" })
          )
          // a function-calling run: its tool's execution is a span too
          const ran = yield* ConversationRunner.run(
            { model: "mistral-large-latest", inputs: "What is the weather? Use get_weather city=Paris" },
            { tools: [weather], maxSteps: 3 }
          )
          expect(ran.steps.flatMap((step) => step.calls.map((call) => call.outcome))).toEqual(["ok"])
          return { events, run: ran }
        }).pipe(Effect.withSpan("application"))
        // the SDK's layer is closed when the program ends: that flushes the spans and the last metric export
        const { events, run } = yield* program.pipe(Effect.provide(Layer.merge(client, telemetry())))
        expect(events).toBeGreaterThan(2)

        const application = receiver.spans.find((span) => span.name === "application")
        const completion = receiver.spans.find((span) => span.name === "chat mistral-small-latest")
        const stream = receiver.spans.find((span) => span.name === "chat mistral-medium-latest")
        expect(application).toBeDefined()
        expect(completion).toBeDefined()
        expect(stream).toBeDefined()
        if (application === undefined || completion === undefined || stream === undefined) return
        // children of the application span, of kind CLIENT (3)
        for (const span of [completion, stream]) {
          expect(span.traceId).toBe(application.traceId)
          expect(span.parentSpanId).toBe(application.spanId)
          expect(span.kind).toBe(3)
        }

        // the emulator received each call with the trace context naming its client span
        const log = yield* emulator.requests
        const chatRequest = log.find((entry) => entry.path === "/v1/chat/completions")
        const streamRequest = log.find((entry) => entry.operation === "agents_api_v1_conversations_start_stream")
        expect(chatRequest?.trace).toMatchObject({ traceId: application.traceId, parentSpanId: completion.spanId })
        expect(streamRequest?.trace).toMatchObject({ traceId: application.traceId, parentSpanId: stream.spanId })
        expect(chatRequest?.headers.b3).toContain(completion.spanId)

        const chatAttributes = attributesOf(completion.attributes)
        expect(chatAttributes).toMatchObject({
          "http.request.method": "POST",
          "http.response.status_code": 200,
          "server.address": "127.0.0.1",
          "url.template": "/v1/chat/completions",
          "gen_ai.operation.name": "chat",
          "gen_ai.provider.name": "mistral_ai",
          "gen_ai.request.model": "mistral-small-latest",
          "gen_ai.request.max_tokens": 50,
          "gen_ai.request.temperature": 0.3,
          "mistral.request_id": chatRequest?.requestId,
          "mistral.retry_count": 0
        })
        expect(chatAttributes["server.port"]).toBe(Number(new URL(emulator.url).port))
        expect(chatAttributes["gen_ai.response.id"]).toEqual(expect.any(String))
        expect(chatAttributes["gen_ai.response.model"]).toEqual(expect.any(String))
        expect(chatAttributes["gen_ai.response.finish_reasons"]).toEqual(["stop"])
        expect(chatAttributes["gen_ai.usage.input_tokens"]).toBeGreaterThan(0)
        expect(chatAttributes["gen_ai.usage.output_tokens"]).toBeGreaterThan(0)

        const streamAttributes = attributesOf(stream.attributes)
        expect(streamAttributes["mistral.stream.events"]).toBe(events)
        expect(streamAttributes["gen_ai.conversation.id"]).toMatch(/^conv_/)
        expect(streamAttributes["gen_ai.usage.output_tokens"]).toBeGreaterThan(0)

        const tool = receiver.spans.find((span) => span.name === "execute_tool get_weather")
        expect(tool?.parentSpanId).toBe(application.spanId)
        expect(attributesOf(tool?.attributes)).toMatchObject({
          "gen_ai.operation.name": "execute_tool",
          "gen_ai.tool.name": "get_weather",
          "gen_ai.tool.type": "function"
        })
        // the run's model calls: the start and the append with the function result, the append naming its conversation
        const runSpans = receiver.spans.filter(
          (span) => attributesOf(span.attributes)["gen_ai.conversation.id"] === run.conversationId
        )
        expect(runSpans.length).toBeGreaterThanOrEqual(2)

        // the metric points, with their units
        const metric = (name: string) => receiver.metrics.filter((entry) => entry.name === name)
        const duration = metric("gen_ai.client.operation.duration")
        expect(duration.length).toBeGreaterThan(0)
        expect(duration[0].unit).toBe("s")
        const durationModels = duration.flatMap((entry) =>
          (entry.histogram?.dataPoints ?? []).map((point) => attributesOf(point.attributes)["gen_ai.request.model"])
        )
        expect(durationModels).toEqual(expect.arrayContaining(["mistral-small-latest", "mistral-medium-latest"]))
        const usage = metric("gen_ai.client.token.usage").flatMap((entry) => entry.histogram?.dataPoints ?? [])
        const types = usage.map((point) => attributesOf(point.attributes)["gen_ai.token.type"])
        expect(types).toEqual(expect.arrayContaining(["input", "output"]))
        expect(metric("gen_ai.client.operation.time_to_first_chunk").length).toBeGreaterThan(0)
        expect(metric("http.client.request.duration").length).toBeGreaterThan(0)
        expect(metric("mistral.client.requests").length).toBeGreaterThan(0)

        // the key went nowhere
        for (const body of receiver.bodies) expect(body).not.toContain(KEY)
      }),
    30_000
  )
})
