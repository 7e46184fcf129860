/**
 * What every measured client implements: the scenarios, written the way a user of that client would write them,
 * each checking every decoded answer so that nothing can be skipped.
 */
import * as Payloads from "./payloads.js"

export interface StreamResult {
  /** `message.output.delta` events (conversations) or content chunks (chat) received. */
  readonly events: number
  /** Their contents, concatenated. */
  readonly text: string
}

/** A stream read without keeping its text (the curves' long streams): how many deltas, how many characters. */
export interface StreamTally {
  readonly events: number
  readonly characters: number
}

export interface BenchClient {
  /** `count` conversation starts, one after the other; answers how many came back as expected. */
  readonly sequential: (count: number) => Promise<number>
  /** `count` conversation starts, `concurrency` at a time; answers how many came back as expected. */
  readonly concurrent: (count: number, concurrency: number) => Promise<number>
  /** One streamed conversation start, fully decoded. */
  readonly conversationStream: () => Promise<StreamResult>
  /** One streamed chat completion, fully decoded. */
  readonly chatStream: () => Promise<StreamResult>
  /** `count` plain chat completions, `concurrency` at a time; answers how many came back as expected. */
  readonly chat: (count: number, concurrency: number) => Promise<number>
  /** One streamed chat completion read to its end, counted, its text not kept (so memory stays flat). */
  readonly chatStreamTally: () => Promise<StreamTally>
  /**
   * `count` conversation history fetches, one after the other, each of `entries` entries (the client is made on a
   * `/n/<entries>` base URL); answers how many came back as expected. Absent where the client has no such call.
   */
  readonly history?: ((count: number, entries: number) => Promise<number>) | undefined
  readonly close: () => Promise<void>
}

/** A client module's export: a client whose requests go to `baseUrl` (which may carry a `/n/<events>` prefix). */
export type MakeClient = (baseUrl: string) => Promise<BenchClient>

export const apiKey = "bench-api-key"

/** The check every client applies to a conversation start, on the fields as that client names them. */
export const isExpectedReply = (conversationId: unknown, content: unknown): boolean =>
  conversationId === Payloads.conversationId && content === Payloads.replyText

/** The check every client applies to a plain chat completion. */
export const isExpectedChat = (id: unknown, content: unknown): boolean =>
  id === Payloads.chatCompletionResponse.id && content === Payloads.replyText

/** What a client that has no such call answers when a scenario asks for it; the harness shows it as n/a. */
export const unsupported = (what: string) => (): Promise<never> =>
  Promise.reject(new Error(`not supported by this client: ${what}`))

/** A chat stream read through `deltas` (which calls back with each content delta), its text kept. */
export const collectDeltas = async (deltas: (onDelta: (content: string) => void) => Promise<void>) => {
  let events = 0
  let text = ""
  await deltas((content) => {
    events++
    text += content
  })
  return { events, text }
}

/** A chat stream read through `deltas`, counted but not kept. */
export const tallyDeltas = async (deltas: (onDelta: (content: string) => void) => Promise<void>) => {
  let events = 0
  let characters = 0
  await deltas((content) => {
    events++
    characters += content.length
  })
  return { events, characters }
}

/** Runs `task` `count` times, `concurrency` at a time, counting the `true` answers. */
export const pool = async (count: number, concurrency: number, task: () => Promise<boolean>): Promise<number> => {
  let started = 0
  let ok = 0
  const worker = async () => {
    while (started < count) {
      started++
      if (await task()) ok++
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker))
  return ok
}

/** The clients, by the name the harness knows them by; each lives in its own module so it is imported alone. */
export const clientNames = [
  "effect-mistral",
  "effect-mistral+layerUndici",
  "effect-mistral (runPromise per call)",
  "@mistralai/mistralai",
  "raw undici",
  "effect-mistral+OpenTelemetry SDK",
  "effect-mistral (metrics off)",
  "@ai-sdk/mistral"
] as const
export type ClientName = (typeof clientNames)[number]

export const clientModules: Record<ClientName, string> = {
  "effect-mistral": "./clients/effectLean.js",
  "effect-mistral+layerUndici": "./clients/effectLayerUndici.js",
  "effect-mistral (runPromise per call)": "./clients/effectPerCall.js",
  "@mistralai/mistralai": "./clients/official.js",
  "raw undici": "./clients/rawUndici.js",
  "effect-mistral+OpenTelemetry SDK": "./clients/effectOtel.js",
  "effect-mistral (metrics off)": "./clients/effectNoMetrics.js",
  "@ai-sdk/mistral": "./clients/aiSdk.js"
}

/** The Vercel AI SDK's Mistral provider: chat completions only. */
export const aiSdk: ClientName = "@ai-sdk/mistral"

/** Scenarios a client cannot run (it has no conversations API): their rows say n/a. */
export const unsupportedScenarios: Partial<Record<ClientName, ReadonlyArray<string>>> = {
  "@ai-sdk/mistral": ["S1", "S2", "S3", "S5"]
}

/** Whether `client` can run scenario `id`. */
export const supports = (client: ClientName, id: string): boolean => !unsupportedScenarios[client]?.includes(id)

/** The variants of effect-mistral that measure its observability: in a table of their own, against `effect-mistral`. */
export const observabilityClients: ReadonlyArray<ClientName> = [
  "effect-mistral (metrics off)",
  "effect-mistral+OpenTelemetry SDK"
]
