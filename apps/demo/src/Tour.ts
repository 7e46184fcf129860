/**
 * A tour of the Conversations API, step by step.
 */
import * as AudioRealtime from "@effect-mistral/core/AudioRealtime"
import * as ConversationRunner from "@effect-mistral/core/ConversationRunner"
import * as Conversations from "@effect-mistral/core/Conversations"
import { Operations } from "@effect-mistral/core/generated/Operations"
import * as MistralClient from "@effect-mistral/core/MistralClient"
import * as MistralRateLimit from "@effect-mistral/core/MistralRateLimit"
import type * as MistralError from "@effect-mistral/core/MistralError"
import * as Tool from "@effect-mistral/core/Tool"
import * as Fault from "@effect-mistral/emulator/Fault"
import * as MistralNode from "@effect-mistral/node/MistralNode"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { CurrentTarget, type Target } from "./Setup.js"

const heading = (step: number, title: string) => Console.log(`\n${step}. ${title}`)
const line = (text: string) => Console.log(`   ${text}`)
const write = (text: string) => Effect.sync(() => process.stdout.write(text))

type Entry = Conversations.ConversationResponse["outputs"][number]

const describeEntry = (entry: { readonly type?: string | undefined; readonly id?: string | undefined } & object) => {
  const record = entry as Record<string, unknown>
  const content = record.content
  const text =
    typeof content === "string"
      ? content
      : Array.isArray(content)
        ? content.map((chunk) => (typeof chunk?.text === "string" ? chunk.text : `[${chunk?.type}]`)).join("")
        : record.type === "function.call"
          ? `${String(record.name)}(${typeof record.arguments === "string" ? record.arguments : JSON.stringify(record.arguments)})`
          : record.type === "function.result"
            ? `→ ${String(record.result)}`
            : ""
  const role = typeof record.role === "string" ? `${record.role} ` : ""
  return `${entry.type ?? "entry"} ${role}${entry.id ?? ""}: ${text}`
}

/** Streams a reply to the terminal as it arrives, then returns the folded response. */
const streamToTerminal = <E, R>(events: Stream.Stream<Conversations.ConversationEvent, E, R>) =>
  Effect.gen(function* () {
    // the indent goes out with the first text, so that a retry line before it starts at the margin like the others
    let started = false
    const indentOnce = () => {
      if (started) return ""
      started = true
      return "   "
    }
    const response = yield* Conversations.collect(
      events.pipe(
        Stream.tap((event) =>
          event.type === "message.output.delta" && typeof event.content === "string"
            ? Effect.suspend(() => write(indentOnce() + event.content))
            : Effect.void
        )
      )
    )
    yield* write(`${indentOnce()}\n`)
    return response
  })

/** A function tool, declared once: its parameters schema is sent as JSON Schema, its handler runs locally. */
const getWeather = Tool.make("get_weather", {
  description: "Current weather for a city",
  parameters: Schema.Struct({ city: Schema.String }),
  handler: ({ city }) => Effect.succeed({ city, forecast: "sunny", celsius: 21 })
})

/**
 * Ten concurrent calls through a client whose budget allows 4 requests a second: the budget spaces them out before
 * they are sent, so none is refused. Over Redis (`MistralRateLimit.layer` with its Redis store) the same budget is
 * shared by every process on the key.
 */
const sharedBudget = (target: Target) =>
  Effect.gen(function* () {
    const budget = MistralRateLimit.layerMemory({ requestsPerSecond: 4, key: "demo" })
    const client = Context.get(
      yield* Layer.build(MistralNode.layer(target.options).pipe(Layer.provide(budget))),
      MistralClient.MistralClient
    )
    const started = Date.now()
    const sentAt = yield* Effect.forEach(
      Array.from({ length: 10 }, (_, i) => i),
      (i) =>
        Effect.map(client.call(Operations.list_models_v1_models_get), () => ({
          i,
          at: Date.now() - started
        })),
      { concurrency: "unbounded" }
    )
    for (const { i, at } of sentAt) yield* line(`call ${i + 1} answered after ${at} ms`)
    yield* line(`10 calls in ${Date.now() - started} ms at 4 requests/s, no 429`)
  }).pipe(Effect.scoped)

/**
 * A tone as 16 kHz 16-bit PCM that rises a step every half second from `hz`, in 100 ms chunks, as a microphone would
 * deliver it.
 */
const toneChunks = (seconds: number, hz: number): Stream.Stream<Uint8Array> => {
  const sampleRate = 16_000
  const chunkSamples = sampleRate / 10
  return Stream.range(0, Math.round((seconds * sampleRate) / chunkSamples) - 1).pipe(
    Stream.map((index) => {
      const bytes = new Uint8Array(chunkSamples * 2)
      const view = new DataView(bytes.buffer)
      for (let i = 0; i < chunkSamples; i++) {
        const t = (index * chunkSamples + i) / sampleRate
        const frequency = hz * (1 + Math.floor(t * 2) / 4)
        view.setInt16(i * 2, Math.round(Math.sin(2 * Math.PI * frequency * t) * 8_000), true)
      }
      return bytes
    })
  )
}

/** Streams a generated tone to realtime transcription and prints the text deltas as they arrive. */
const realtimeTranscription = Effect.gen(function* () {
  yield* write("   ")
  const transcript = yield* AudioRealtime.collect(
    AudioRealtime.transcribe(
      {
        model: "voxtral-mini-transcribe-realtime-2602",
        audioFormat: { encoding: "pcm_s16le", sample_rate: 16_000 }
      },
      toneChunks(2, 440)
    ).pipe(Stream.tap((event) => (event.type === "transcription.text.delta" ? write(`[${event.text}]`) : Effect.void)))
  )
  yield* write("\n")
  yield* line(
    `done: "${transcript.text}" (language ${transcript.language ?? "unknown"}, ${transcript.segments.length} segment(s), session ${transcript.session?.request_id ?? "?"})`
  )
})

/** The whole tour. */
export const tour = Effect.gen(function* () {
  const conversations = yield* Conversations.Conversations
  const target = yield* CurrentTarget
  const started = Date.now()
  yield* Console.log(
    target.kind === "emulator"
      ? `effect-mistral tour against the local emulator at ${target.url} (no MISTRAL_API_KEY set)`
      : `effect-mistral tour against ${target.url} with model ${target.model}`
  )

  yield* heading(1, "Start a conversation")
  const first = yield* conversations.start({
    model: target.model,
    inputs: "Say hello to effect-mistral in one short sentence.",
    metadata: { demo: "effect-mistral" }
  })
  const conversationId = first.conversation_id
  yield* line(`conversation ${conversationId}`)
  yield* line(`reply: ${Conversations.outputText(first)}`)

  yield* heading(2, "Stream a reply as it arrives (append, streamed)")
  // the emulator answers at once; asking it to pause between events lets a person see the reply arrive
  const paced =
    target.kind === "emulator"
      ? MistralClient.withHeaders({ "x-emulator-fault": "event-delay=80" })
      : <Self>(self: Self) => self
  const streamed = yield* streamToTerminal(
    conversations.appendStream(conversationId, { inputs: "Now name three things Effect is good at." }).pipe(paced)
  )
  yield* line(`(${streamed.outputs.length} entry, ${streamed.usage.total_tokens ?? 0} tokens in total)`)

  yield* heading(3, "Append")
  const appended = yield* conversations.append(conversationId, { inputs: "Thanks! One more sentence, please." })
  yield* line(`reply: ${Conversations.outputText(appended)}`)

  yield* heading(4, "History and messages")
  const history = yield* conversations.history(conversationId)
  for (const entry of history.entries) yield* line(describeEntry(entry as Entry & object))
  const messages = yield* conversations.messages(conversationId)
  yield* line(`${messages.messages.length} messages, ${history.entries.length} entries`)

  yield* heading(5, "Restart from the first reply")
  const firstReply = first.outputs[0]
  const fromEntryId = firstReply !== undefined && "id" in firstReply ? firstReply.id : undefined
  if (typeof fromEntryId === "string") {
    const restarted = yield* conversations.restart(conversationId, {
      from_entry_id: fromEntryId,
      inputs: "Let's take another direction: say goodbye instead."
    })
    const restartedHistory = yield* conversations.history(restarted.conversation_id)
    yield* line(`new conversation ${restarted.conversation_id} (the original ${conversationId} is unchanged)`)
    yield* line(`it holds ${restartedHistory.entries.length} entries; reply: ${Conversations.outputText(restarted)}`)
  } else {
    yield* line("the first reply has no entry id; skipped")
  }

  yield* heading(6, "A function tool round trip (ConversationRunner)")
  const run = yield* ConversationRunner.run(
    { model: target.model, inputs: "What is the weather in Paris? Use get_weather city=Paris" },
    { tools: [getWeather], maxSteps: 4 }
  )
  for (const step of run.steps) {
    for (const call of step.calls) {
      yield* line(`the model calls ${call.name}(${call.arguments}) → ${call.outcome}: ${call.result ?? ""}`)
    }
  }
  yield* line(`reply after ${run.steps.length} step(s): ${run.text}`)
  const asked = { conversation_id: run.conversationId }

  yield* heading(7, "List and delete")
  const listed = yield* conversations
    .listAll({ page_size: 2, metadata: { demo: "effect-mistral" } })
    .pipe(Stream.take(10), Stream.runCollect)
  yield* line(`conversations tagged demo=effect-mistral: ${listed.length}`)
  yield* conversations.delete(asked.conversation_id)
  const gone = yield* Effect.either(conversations.get(asked.conversation_id))
  yield* line(
    `deleted ${asked.conversation_id}; get now answers ${gone._tag === "Left" ? gone.left._tag : "the conversation (still there)"}`
  )

  yield* heading(8, "Riding out rate limits and outages")
  if (Option.isSome(target.emulator)) {
    const emulator = target.emulator.value
    yield* emulator.inject(Fault.rateLimited({ retryAfter: 1 }), { times: 1, match: { method: "GET" } })
    yield* emulator.inject(Fault.status(503), { times: 1, match: { method: "GET" } })
    yield* line("the emulator will answer the next requests with 429 (Retry-After: 1) and then 503")
    const survived = yield* conversations.get(conversationId)
    yield* line(`then the call succeeds: conversation ${survived.id} is still there`)
  } else {
    yield* line("skipped against the real API (faults are injected by the emulator only)")
  }

  yield* heading(9, "A shared budget: a burst stays inside the key's rate limit (MistralRateLimit)")
  yield* sharedBudget(target)

  yield* heading(10, "Realtime transcription: a PCM tone over a WebSocket, deltas as they arrive (AudioRealtime)")
  yield* realtimeTranscription

  yield* Console.log(`\nTour complete in ${((Date.now() - started) / 1000).toFixed(1)} s.`)
})

/** `chat "<prompt>"`: one streamed reply. */
export const chat = (prompt: string) =>
  Effect.gen(function* () {
    const conversations = yield* Conversations.Conversations
    const target = yield* CurrentTarget
    const response = yield* streamToTerminal(conversations.startStream({ model: target.model, inputs: prompt }))
    yield* line(`(conversation ${response.conversation_id})`)
  })

/** `conversations list`. */
export const listConversations = Effect.gen(function* () {
  const conversations = yield* Conversations.Conversations
  const all = yield* conversations.list({ page_size: 20 })
  if (all.length === 0) yield* line("no conversations")
  for (const conversation of all) {
    yield* line(`${conversation.id} ${conversation.created_at ?? ""} ${conversation.name ?? ""}`)
  }
})

/** A short, readable line for an error that ends the program. */
export const describeError = (error: MistralError.MistralError | unknown): string =>
  typeof error === "object" && error !== null && "message" in error ? String(error.message) : String(error)
