/**
 * The physical limit: `undici.request` with its keep-alive global dispatcher and `JSON.parse`, no validation; for
 * streams, the bytes cut into events by a minimal SSE parser.
 */
import { request } from "undici"
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

const headers = {
  authorization: `Bearer ${apiKey}`,
  "content-type": "application/json",
  accept: "application/json"
}
const streamHeaders = { ...headers, accept: "text/event-stream" }
const getHeaders = { authorization: headers.authorization, accept: "application/json" }

interface ChatResponse {
  readonly id: string
  readonly choices: ReadonlyArray<{ readonly message: { readonly content?: unknown } }>
}

interface ConversationHistory {
  readonly conversation_id: string
  readonly entries: ReadonlyArray<{ readonly content?: unknown }>
}

interface ConversationResponse {
  readonly conversation_id: string
  readonly outputs: ReadonlyArray<{ readonly content?: unknown }>
}

/** Calls `onData` with the `data` of every event of an SSE body (lines other than `data:` are skipped). */
const readEvents = async (body: AsyncIterable<Uint8Array>, onData: (data: string) => boolean): Promise<void> => {
  const decoder = new TextDecoder()
  let buffer = ""
  for await (const bytes of body) {
    buffer += decoder.decode(bytes, { stream: true })
    let start = 0
    let end = buffer.indexOf("\n\n", start)
    while (end !== -1) {
      let data = ""
      let line = start
      while (line < end) {
        let lineEnd = buffer.indexOf("\n", line)
        if (lineEnd === -1 || lineEnd > end) lineEnd = end
        if (buffer.startsWith("data:", line)) {
          const value = buffer.slice(buffer.charCodeAt(line + 5) === 32 ? line + 6 : line + 5, lineEnd)
          data = data.length === 0 ? value : `${data}\n${value}`
        }
        line = lineEnd + 1
      }
      if (data.length > 0 && !onData(data)) return
      start = end + 2
      end = buffer.indexOf("\n\n", start)
    }
    buffer = buffer.slice(start)
  }
}

export const make: MakeClient = async (baseUrl) => {
  const conversationsUrl = `${baseUrl}/v1/conversations`
  const chatUrl = `${baseUrl}/v1/chat/completions`
  const startBody = JSON.stringify(Payloads.conversationRequest)
  const start = async () => {
    const response = await request(conversationsUrl, { method: "POST", headers, body: startBody })
    if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`)
    const json = JSON.parse(await response.body.text()) as ConversationResponse
    return isExpectedReply(json.conversation_id, json.outputs[0]?.content)
  }
  const chatBody = JSON.stringify(Payloads.chatRequest)
  const complete = async () => {
    const response = await request(chatUrl, { method: "POST", headers, body: chatBody })
    if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`)
    const json = JSON.parse(await response.body.text()) as ChatResponse
    return isExpectedChat(json.id, json.choices[0]?.message.content)
  }
  const historyUrl = `${conversationsUrl}/${Payloads.conversationId}/history`
  const history = async (entries: number) => {
    const response = await request(historyUrl, { method: "GET", headers: getHeaders })
    if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`)
    const json = JSON.parse(await response.body.text()) as ConversationHistory
    const length = json.entries.length
    return Payloads.isExpectedHistory(
      entries,
      json.conversation_id,
      length,
      json.entries[0]?.content,
      json.entries[length - 1]?.content
    )
  }
  const chatDeltas = (onDelta: (content: string) => void) =>
    stream(chatUrl, Payloads.chatRequest, (json) => {
      const content = (json as { readonly choices: ReadonlyArray<{ readonly delta: { readonly content?: unknown } }> })
        .choices[0]?.delta.content
      if (typeof content === "string") onDelta(content)
    })
  const stream = async (url: string, body: unknown, onEvent: (json: unknown) => void) => {
    const response = await request(url, {
      method: "POST",
      headers: streamHeaders,
      body: JSON.stringify({ ...(body as object), stream: true })
    })
    if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`)
    response.body.on("error", () => {})
    let done = false
    await readEvents(response.body, (data) => {
      if (data === "[DONE]") {
        done = true
        return false
      }
      onEvent(JSON.parse(data))
      return true
    })
    if (done) response.body.destroy()
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
      await stream(conversationsUrl, Payloads.conversationRequest, (json) => {
        const event = json as { readonly type?: string; readonly content?: unknown }
        if (event.type === "message.output.delta" && typeof event.content === "string") {
          events++
          text += event.content
        }
      })
      return { events, text }
    },
    chatStream: () => collectDeltas(chatDeltas),
    chat: (count, concurrency) => pool(count, concurrency, complete),
    chatStreamTally: () => tallyDeltas(chatDeltas),
    history: async (count, entries) => {
      let ok = 0
      for (let i = 0; i < count; i++) if (await history(entries)) ok++
      return ok
    },
    close: async () => {}
  }
  return client
}
