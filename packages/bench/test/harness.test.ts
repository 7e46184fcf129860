import * as Chat from "@effect-mistral/core/generated/chat"
import * as Components from "@effect-mistral/core/generated/components"
import * as Conversations from "@effect-mistral/core/generated/conversations"
import { mkdtempSync, readdirSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Schema from "effect/Schema"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type ClientName, clientNames, type MakeClient, supports } from "../src/BenchClient.js"
import * as AiSdk from "../src/clients/aiSdk.js"
import * as EffectLayerUndici from "../src/clients/effectLayerUndici.js"
import * as EffectLean from "../src/clients/effectLean.js"
import * as EffectNoMetrics from "../src/clients/effectNoMetrics.js"
import * as EffectOtel from "../src/clients/effectOtel.js"
import * as EffectPerCall from "../src/clients/effectPerCall.js"
import * as Official from "../src/clients/official.js"
import * as RawUndici from "../src/clients/rawUndici.js"
import * as Payloads from "../src/payloads.js"
import { parseChart } from "../src/charts.js"
import { runCurvePoint } from "../src/curveRunner.js"
import { type Curve, curves, runCurves, selectedCurves } from "../src/curves.js"
import { baseUrlFor, runScenario, type Scenario } from "../src/scenarios.js"
import { type BenchServer, startServer } from "../src/server.js"

const makers: Record<ClientName, MakeClient> = {
  "effect-mistral": EffectLean.make,
  "effect-mistral+layerUndici": EffectLayerUndici.make,
  "effect-mistral (runPromise per call)": EffectPerCall.make,
  "@mistralai/mistralai": Official.make,
  "raw undici": RawUndici.make,
  "effect-mistral+OpenTelemetry SDK": EffectOtel.make,
  "effect-mistral (metrics off)": EffectNoMetrics.make,
  "@ai-sdk/mistral": AiSdk.make
}

const tiny: ReadonlyArray<Scenario> = [
  { id: "S1", title: "sequential", unit: "request", count: 3, warmup: 1, concurrency: 1 },
  { id: "S2", title: "concurrent", unit: "request", count: 20, warmup: 4, concurrency: 4 },
  { id: "S3", title: "conversation stream", unit: "event", count: 50, warmup: 1, concurrency: 1 },
  { id: "S4", title: "chat stream", unit: "event", count: 50, warmup: 1, concurrency: 1 }
]

describe("payloads", () => {
  const decodes = <A, I>(schema: Schema.Schema<A, I>, value: unknown) =>
    expect(Schema.decodeUnknownEither(schema)(value)._tag).toBe("Right")

  it("decode with the generated schemas, with no unknown member", () => {
    decodes(Conversations.ConversationResponse, Payloads.conversationResponse)
    decodes(Components.ChatCompletionResponse, Payloads.chatCompletionResponse)
    decodes(Conversations.ConversationHistory, Payloads.conversationHistory(4))
    for (const { event, data } of Payloads.conversationEvents(3)) {
      const decoded = Schema.decodeUnknownSync(Components.ConversationEventsData)(data)
      expect(decoded.type).toBe(event)
    }
    for (const chunk of Payloads.chatChunks(3)) decodes(Components.CompletionChunk, chunk)
    expect(Chat.chat_completion_v1_chat_completions_post.event).toBe(Components.CompletionChunk)
  })

  it("frame the streams as the API does", () => {
    expect(Payloads.chatStreamBody(2).endsWith("data: [DONE]\n\n")).toBe(true)
    const body = Payloads.conversationStreamBody(2)
    expect(body.startsWith("event: conversation.response.started\ndata: {")).toBe(true)
    expect(body.match(/event: message\.output\.delta\n/g)).toHaveLength(2)
  })
})

describe("every client reads every scenario back", () => {
  let server: BenchServer
  beforeAll(async () => {
    server = await startServer()
  })
  afterAll(() => server.close())

  for (const name of clientNames) {
    for (const scenario of tiny.filter((s) => supports(name, s.id))) {
      it(`${name} ${scenario.id}`, async () => {
        const client = await makers[name](baseUrlFor(server.origin, scenario))
        try {
          await runScenario(client, scenario, scenario.warmup)
          await runScenario(client, scenario, scenario.unit === "event" ? 1 : scenario.count)
        } finally {
          await client.close()
        }
      })
    }
  }

  it("the AI SDK has no conversations: its conversation scenarios reject, and are marked n/a", async () => {
    const client = await AiSdk.make(server.origin)
    await expect(runScenario(client, tiny[0], 1)).rejects.toThrow(/not supported/)
    await client.close()
    expect(["S1", "S2", "S3", "S5"].filter((id) => supports("@ai-sdk/mistral", id))).toEqual([])
    expect(supports("@ai-sdk/mistral", "S4")).toBe(true)
  })

  // the curves' calls, with every client that has them (the curve processes run exactly these)
  const curveClients: ReadonlyArray<ClientName> = [
    "effect-mistral",
    "raw undici",
    "@mistralai/mistralai",
    "@ai-sdk/mistral"
  ]
  for (const name of curveClients) {
    it(`${name} plain chat completions, concurrently, and a long stream counted without its text`, async () => {
      const plain = await makers[name](server.origin)
      expect(await plain.chat(12, 4)).toBe(12)
      await plain.close()
      const client = await makers[name](`${server.origin}/n/3000`)
      expect(await client.chatStreamTally()).toEqual({ events: 3000, characters: Payloads.streamTextLength(3000) })
      await client.close()
    })
  }
  for (const name of ["effect-mistral", "raw undici", "@mistralai/mistralai"] as const) {
    it(`${name} reads a conversation history back`, async () => {
      const client = await makers[name](`${server.origin}/n/250`)
      expect(await client.history?.(2, 250)).toBe(2)
      // the same body, expected longer: the check fails
      expect(await client.history?.(1, 251)).toBe(0)
      await client.close()
    })
  }

  it("a curve point measures each curve, in this process", async () => {
    const concurrency = await runCurvePoint({
      curve: "concurrency",
      client: "effect-mistral",
      origin: server.origin,
      x: 8,
      count: 16,
      warmup: 8
    })
    expect(concurrency.ops).toBe(16)
    expect(concurrency.cpuMicros).toBeGreaterThan(0)
    const stream = await runCurvePoint({
      curve: "stream-length",
      client: "raw undici",
      origin: server.origin,
      x: 500,
      count: 1,
      warmup: 1
    })
    expect(stream.ops).toBe(500)
    const history = await runCurvePoint({
      curve: "history",
      client: "@mistralai/mistralai",
      origin: server.origin,
      x: 10,
      count: 2,
      warmup: 1
    })
    expect(history.ops).toBe(2)
    await expect(
      runCurvePoint({ curve: "history", client: "@ai-sdk/mistral", origin: server.origin, x: 10, count: 1, warmup: 1 })
    ).rejects.toThrow(/no history call/)
  })

  it("the OpenTelemetry row really traces: its spans reach the exporter", async () => {
    const before = EffectOtel.exportedSpans()
    const client = await EffectOtel.make(baseUrlFor(server.origin, tiny[0]))
    await runScenario(client, tiny[0], tiny[0].count)
    await client.close()
    expect(EffectOtel.exportedSpans() - before).toBe(tiny[0].count)
  })

  it("fails a client whose answers do not check out", async () => {
    const client = await RawUndici.make(`${server.origin}/n/49`)
    await expect(runScenario(client, tiny[2], 1)).rejects.toThrow(/49 of 50 events/)
    await client.close()
  })
})

describe("a tiny curve run", () => {
  let server: BenchServer
  beforeAll(async () => {
    server = await startServer()
  })
  afterAll(() => server.close())

  it("measures every point of every client, and writes each chart as JSON and SVG", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bench-curves-"))
    const tinyCurves: ReadonlyArray<Curve> = [
      {
        id: "concurrency",
        clients: ["raw undici", "effect-mistral", "@ai-sdk/mistral"],
        points: [
          { x: 1, count: 4, warmup: 2 },
          { x: 8, count: 16, warmup: 8 }
        ]
      },
      { id: "history", clients: ["raw undici"], points: [{ x: 20, count: 2, warmup: 1 }] }
    ]
    const run = await runCurves(tinyCurves, {
      origin: server.origin,
      quick: true,
      rounds: 1,
      clients: [...clientNames],
      dir,
      log: () => {},
      measure: runCurvePoint
    })
    expect(run.failures).toEqual([])
    expect(run.charts.map((chart) => chart.id)).toEqual(["concurrency-throughput", "concurrency-cpu", "history-decode"])
    const throughput = parseChart(JSON.parse(readFileSync(join(dir, "concurrency-throughput.json"), "utf8")))
    expect(throughput.x).toEqual({ label: "requests in flight", log: true })
    expect(throughput.series.map((s) => s.name)).toEqual(["raw undici", "effect-mistral", "@ai-sdk/mistral"])
    for (const series of throughput.series) {
      expect(series.points.map(([x]) => x)).toEqual([1, 8])
      for (const [, y] of series.points) expect(y).toBeGreaterThan(0)
    }
    expect(readFileSync(join(dir, "history-decode.svg"), "utf8")).toContain("<svg")
    expect(readdirSync(dir).sort()).toEqual([
      "concurrency-cpu.json",
      "concurrency-cpu.svg",
      "concurrency-throughput.json",
      "concurrency-throughput.svg",
      "history-decode.json",
      "history-decode.svg"
    ])
  })

  it("selects the curves by `curves` or by id, and keeps the full run's largest points", () => {
    expect(selectedCurves(new Set(["curves"]), false).map((curve) => curve.id)).toEqual([
      "concurrency",
      "stream-length",
      "history"
    ])
    expect(selectedCurves(new Set(["S1", "history"]), true).map((curve) => curve.id)).toEqual(["history"])
    const full = curves(false)
    expect(full[0]?.points.map((p) => p.x)).toEqual([1, 4, 16, 64, 256, 1024])
    expect(full[1]?.points.map((p) => p.x)).toEqual([1_000, 10_000, 100_000, 1_000_000])
    expect(full[2]?.points.map((p) => p.x)).toEqual([100, 1_000, 10_000])
  })
})
