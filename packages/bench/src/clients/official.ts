/**
 * The official SDK, `@mistralai/mistralai` 2.7.0, with its defaults: retries off (its default), global `fetch`.
 */
import { Mistral } from "@mistralai/mistralai"
import {
  apiKey,
  type BenchClient,
  collectDeltas,
  isExpectedChat,
  isExpectedReply,
  type MakeClient,
  pool,
  tallyDeltas
} from "../BenchClient.js"
import * as Payloads from "../payloads.js"

export const make: MakeClient = async (baseUrl) => {
  const sdk = new Mistral({ apiKey, serverURL: baseUrl })
  const start = async () => {
    const response = await sdk.beta.conversations.start(Payloads.conversationRequest)
    const output = response.outputs[0]
    return isExpectedReply(
      response.conversationId,
      output !== undefined && "content" in output ? output.content : undefined
    )
  }
  const messages = [...Payloads.chatRequest.messages]
  const complete = async () => {
    const response = await sdk.chat.complete({ model: Payloads.chatRequest.model, messages })
    return isExpectedChat(response.id, response.choices[0]?.message?.content)
  }
  const chatDeltas = async (onDelta: (content: string) => void) => {
    for await (const event of await sdk.chat.stream({ model: Payloads.chatRequest.model, messages })) {
      const content = event.data.choices[0]?.delta.content
      if (typeof content === "string") onDelta(content)
    }
  }
  const client: BenchClient = {
    sequential: async (count) => {
      let ok = 0
      for (let i = 0; i < count; i++) if (await start()) ok++
      return ok
    },
    concurrent: (count, concurrency) => pool(count, concurrency, start),
    conversationStream: async () => {
      let events = 0
      let text = ""
      for await (const event of await sdk.beta.conversations.startStream(Payloads.conversationRequest)) {
        const data = event.data
        if (data.type === "message.output.delta" && typeof data.content === "string") {
          events++
          text += data.content
        }
      }
      return { events, text }
    },
    chatStream: () => collectDeltas(chatDeltas),
    chat: (count, concurrency) => pool(count, concurrency, complete),
    chatStreamTally: () => tallyDeltas(chatDeltas),
    history: async (count, entries) => {
      let ok = 0
      for (let i = 0; i < count; i++) {
        const history = await sdk.beta.conversations.getHistory({ conversationId: Payloads.conversationId })
        const content = (index: number) => {
          const entry = history.entries[index]
          return entry !== undefined && "content" in entry ? entry.content : undefined
        }
        const length = history.entries.length
        if (Payloads.isExpectedHistory(entries, history.conversationId, length, content(0), content(length - 1))) ok++
      }
      return ok
    },
    close: async () => {}
  }
  return client
}
