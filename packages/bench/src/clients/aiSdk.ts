/**
 * The Vercel AI SDK, `ai` 6 with its Mistral provider `@ai-sdk/mistral` 3, with their defaults (`maxRetries` 2,
 * global `fetch`): `generateText` for a plain chat completion, `streamText` for a streamed one. It has no
 * conversations API, so the conversation scenarios are not available (n/a in the tables).
 */
import { createMistral } from "@ai-sdk/mistral"
import { generateText, streamText } from "ai"
import {
  apiKey,
  type BenchClient,
  collectDeltas,
  isExpectedChat,
  type MakeClient,
  pool,
  tallyDeltas,
  unsupported
} from "../BenchClient.js"
import * as Payloads from "../payloads.js"

// the SDK prints a warning per call for settings a provider ignores; none apply here, and none may reach the output
;(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false

export const make: MakeClient = async (baseUrl) => {
  const mistral = createMistral({ apiKey, baseURL: `${baseUrl}/v1` })
  const model = mistral(Payloads.chatRequest.model)
  const messages = Payloads.chatRequest.messages.map((message) => ({ role: message.role, content: message.content }))
  const complete = async () => {
    const result = await generateText({ model, messages })
    return isExpectedChat(result.response.id, result.text)
  }
  const stream = () => streamText({ model, messages, onError: () => {} })
  const deltasOf = async (onDelta: (content: string) => void) => {
    for await (const delta of stream().textStream) onDelta(delta)
  }
  const client: BenchClient = {
    sequential: unsupported("conversations"),
    concurrent: unsupported("conversations"),
    conversationStream: unsupported("conversations"),
    chatStream: () => collectDeltas(deltasOf),
    chat: (count, concurrency) => pool(count, concurrency, complete),
    chatStreamTally: () => tallyDeltas(deltasOf),
    close: async () => {}
  }
  return client
}
