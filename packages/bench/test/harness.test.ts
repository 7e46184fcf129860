import * as Chat from "@effect-mistral/core/generated/chat"
import * as Components from "@effect-mistral/core/generated/components"
import * as Conversations from "@effect-mistral/core/generated/conversations"
import * as Schema from "effect/Schema"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type ClientName, clientNames, type MakeClient } from "../src/BenchClient.js"
import * as EffectLayerUndici from "../src/clients/effectLayerUndici.js"
import * as EffectLean from "../src/clients/effectLean.js"
import * as EffectNoMetrics from "../src/clients/effectNoMetrics.js"
import * as EffectOtel from "../src/clients/effectOtel.js"
import * as EffectPerCall from "../src/clients/effectPerCall.js"
import * as Official from "../src/clients/official.js"
import * as RawUndici from "../src/clients/rawUndici.js"
import * as Payloads from "../src/payloads.js"
import { baseUrlFor, runScenario, type Scenario } from "../src/scenarios.js"
import { type BenchServer, startServer } from "../src/server.js"

const makers: Record<ClientName, MakeClient> = {
  "effect-mistral": EffectLean.make,
  "effect-mistral+layerUndici": EffectLayerUndici.make,
  "effect-mistral (runPromise per call)": EffectPerCall.make,
  "@mistralai/mistralai": Official.make,
  "raw undici": RawUndici.make,
  "effect-mistral+OpenTelemetry SDK": EffectOtel.make,
  "effect-mistral (metrics off)": EffectNoMetrics.make
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
    for (const scenario of tiny) {
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
