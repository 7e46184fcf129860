/**
 * effect-mistral, driven the way an Effect program drives it: one runtime built from the layer, each scenario a
 * single effect (`Effect.forEach` for the request loops, `Stream.runFold` for the streams).
 */
import * as Conversations from "@effect-mistral/core/Conversations"
import * as Chat from "@effect-mistral/core/generated/chat"
import * as MistralClient from "@effect-mistral/core/MistralClient"
import type * as MistralNode from "@effect-mistral/node/MistralNode"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { apiKey, type BenchClient, isExpectedChat, isExpectedReply, pool } from "../BenchClient.js"
import * as Payloads from "../payloads.js"

export const options = (baseUrl: string): MistralClient.Options => ({ apiKey: Redacted.make(apiKey), baseUrl })

interface Fold {
  events: number
  text: string
}

/**
 * How the program drives the client: `effect`, the whole loop as one effect (how an Effect program writes it), or
 * `promise`, one `runtime.runPromise` per request (how an HTTP handler or other promise code calls it).
 */
export type Drive = "effect" | "promise"

export const fromLayer = async (
  layer: Layer.Layer<MistralNode.Services, unknown>,
  drive: Drive = "effect"
): Promise<BenchClient> => {
  const runtime = ManagedRuntime.make(layer)
  const { conversations, client } = await runtime.runPromise(
    Effect.all({ conversations: Conversations.Conversations, client: MistralClient.MistralClient })
  )

  const chatChecked = Effect.map(
    client.call(Chat.chat_completion_v1_chat_completions_post, { body: Payloads.chatRequest }),
    (response) => isExpectedChat(response.id, response.choices[0]?.message?.content)
  )
  const chatStream = client.stream(Chat.chat_completion_v1_chat_completions_post, { body: Payloads.chatRequest })

  const startChecked = Effect.map(conversations.start(Payloads.conversationRequest), (response) => {
    const output = response.outputs[0]
    return isExpectedReply(response.conversation_id, output?.type === "message.output" ? output.content : undefined)
  })

  // the same shape as the other clients' `pool`: `concurrency` workers, each making requests one after another
  const loop = (checked: Effect.Effect<boolean, unknown>, count: number, concurrency: number) =>
    runtime.runPromise(
      Effect.suspend(() => {
        let started = 0
        let ok = 0
        const worker = Effect.whileLoop({
          while: () => started < count,
          body: () => {
            started++
            return checked
          },
          step: (expected) => {
            if (expected) ok++
          }
        })
        const workers = Math.max(1, Math.min(concurrency, count))
        return Effect.map(
          Effect.all(
            Array.from({ length: workers }, () => worker),
            { concurrency: "unbounded", discard: true }
          ),
          () => ok
        )
      })
    )

  // one runPromise per request, `concurrency` promise workers (the same shape as the other clients' `pool`)
  const perCall = (checked: Effect.Effect<boolean, unknown>, count: number, concurrency: number) =>
    pool(count, concurrency, () => runtime.runPromise(checked))
  const requests = (checked: Effect.Effect<boolean, unknown>, count: number, concurrency: number) =>
    drive === "promise" ? perCall(checked, count, concurrency) : loop(checked, count, concurrency)

  return {
    sequential: (count) => requests(startChecked, count, 1),
    concurrent: (count, concurrency) => requests(startChecked, count, concurrency),
    chat: (count, concurrency) => requests(chatChecked, count, concurrency),
    chatStreamTally: () =>
      runtime.runPromise(
        Stream.runFold(chatStream, { events: 0, characters: 0 }, (acc, chunk) => {
          const content = chunk.choices[0]?.delta.content
          if (typeof content === "string") {
            acc.events++
            acc.characters += content.length
          }
          return acc
        })
      ),
    history: (count, entries) =>
      requests(
        Effect.map(conversations.history(Payloads.conversationId), (history) => {
          const content = (index: number) => {
            const entry = history.entries[index]
            return entry !== undefined && "content" in entry ? entry.content : undefined
          }
          const length = history.entries.length
          return Payloads.isExpectedHistory(entries, history.conversation_id, length, content(0), content(length - 1))
        }),
        count,
        1
      ),
    conversationStream: () =>
      runtime.runPromise(
        Stream.runFold(
          conversations.startStream(Payloads.conversationRequest),
          { events: 0, text: "" } as Fold,
          (acc, event) => {
            if (event.type === "message.output.delta" && typeof event.content === "string") {
              acc.events++
              acc.text += event.content
            }
            return acc
          }
        )
      ),
    chatStream: () =>
      runtime.runPromise(
        Stream.runFold(chatStream, { events: 0, text: "" } as Fold, (acc, chunk) => {
          const content = chunk.choices[0]?.delta.content
          if (typeof content === "string") {
            acc.events++
            acc.text += content
          }
          return acc
        })
      ),
    close: () => runtime.dispose()
  }
}
