/**
 * The fixed answers of the bench server, shaped as the OpenAPI document says (they decode with the generated
 * schemas and with the official SDK's), and the values every client must read back from them.
 */

export const conversationId = "conv_0196a1b2c3d4e5f6a7b8c9d0e1f2a3b4"
export const model = "mistral-medium-latest"
const createdAt = "2025-06-01T12:00:00.000000Z"
const createdSeconds = 1748779200

/** The assistant's reply in the plain conversation answer. */
export const replyText =
  "Effect gives a program typed errors, structured concurrency and resource safety; " +
  "retries, timeouts and streams compose as values. Ask me about layers, schedules or schemas."

/** The request every client sends to start a conversation. */
export const conversationRequest = { model, inputs: "Tell me about Effect in two sentences." } as const

/** The request every client sends for a chat completion. */
export const chatRequest = {
  model,
  messages: [{ role: "user", content: "Tell me about Effect in two sentences." }]
} as const

const usage = { prompt_tokens: 12, completion_tokens: 37, total_tokens: 49, connector_tokens: null, connectors: null }

/** POST /v1/conversations — a `ConversationResponse`. */
export const conversationResponse = {
  object: "conversation.response",
  conversation_id: conversationId,
  outputs: [
    {
      object: "entry",
      type: "message.output",
      created_at: createdAt,
      completed_at: createdAt,
      agent_id: null,
      model,
      id: "msg_0196a1b2c3d4e5f6a7b8c9d0e1f2a3b5",
      role: "assistant",
      content: replyText
    }
  ],
  usage,
  guardrails: null
}

/** POST /v1/chat/completions — a `ChatCompletionResponse`. */
export const chatCompletionResponse = {
  id: "cmpl-0196a1b2c3d4e5f6a7b8c9d0e1f2a3b6",
  object: "chat.completion",
  model,
  usage: { prompt_tokens: 12, completion_tokens: 37, total_tokens: 49 },
  created: createdSeconds,
  choices: [
    {
      index: 0,
      message: { role: "assistant", content: replyText, tool_calls: null, prefix: false },
      finish_reason: "stop"
    }
  ]
}

/** The text of the `i`-th delta of a stream (each a few characters, as a model emits them). */
export const deltaText = (i: number): string => `tok${i % 1000} `

/** What the deltas of an `n`-event stream add up to. */
export const streamText = (n: number): string => {
  let text = ""
  for (let i = 0; i < n; i++) text += deltaText(i)
  return text
}

const deltaEvent = (i: number) => ({
  type: "message.output.delta",
  created_at: createdAt,
  output_index: 0,
  id: "msg_0196a1b2c3d4e5f6a7b8c9d0e1f2a3b5",
  content_index: 0,
  model,
  agent_id: null,
  role: "assistant",
  content: deltaText(i)
})

/** The events of a streamed conversation start, framed by started/done, as the API sends them. */
export const conversationEvents = (n: number): Array<{ readonly event: string; readonly data: unknown }> => {
  const events: Array<{ readonly event: string; readonly data: unknown }> = [
    {
      event: "conversation.response.started",
      data: { type: "conversation.response.started", created_at: createdAt, conversation_id: conversationId }
    }
  ]
  for (let i = 0; i < n; i++) events.push({ event: "message.output.delta", data: deltaEvent(i) })
  events.push({
    event: "conversation.response.done",
    data: { type: "conversation.response.done", created_at: createdAt, usage }
  })
  return events
}

const chatChunk = (i: number, n: number): unknown => {
  const last = i === n - 1
  return {
    id: "cmpl-0196a1b2c3d4e5f6a7b8c9d0e1f2a3b7",
    object: "chat.completion.chunk",
    created: createdSeconds,
    model,
    ...(last ? { usage: { prompt_tokens: 12, completion_tokens: n, total_tokens: 12 + n } } : {}),
    choices: [
      {
        index: 0,
        delta: i === 0 ? { role: "assistant", content: deltaText(i) } : { content: deltaText(i) },
        finish_reason: last ? "stop" : null
      }
    ]
  }
}

/** The chunks of a streamed chat completion: `n` content deltas, the last one with a finish reason and usage. */
export const chatChunks = (n: number): Array<unknown> => Array.from({ length: n }, (_, i) => chatChunk(i, n))

/** The SSE body of a streamed conversation start. */
export const conversationStreamBody = (n: number): string =>
  conversationEvents(n)
    .map(({ event, data }) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
    .join("")

/** The SSE body of a streamed chat completion, ending in `data: [DONE]`. */
export const chatStreamBody = (n: number): string => {
  // built chunk by chunk (not from `chatChunks`) so a million-event body needs no million-object array first
  const parts: Array<string> = []
  for (let i = 0; i < n; i++) parts.push(`data: ${JSON.stringify(chatChunk(i, n))}\n\n`)
  parts.push("data: [DONE]\n\n")
  return parts.join("")
}

/** The text of the `i`-th entry of a conversation history: user questions and assistant answers, alternating. */
export const historyText = (i: number): string =>
  i % 2 === 0 ? `Question ${i}: how do layers compose?` : `Answer ${i}: ${replyText}`

/** GET /v1/conversations/{id}/history — a `ConversationHistory` of `n` entries, inputs and outputs alternating. */
export const conversationHistory = (n: number) => {
  const entries: Array<unknown> = []
  for (let i = 0; i < n; i++) {
    const id = `msg_0196a1b2c3d4e5f6a7b8${String(i).padStart(12, "0")}`
    entries.push(
      i % 2 === 0
        ? {
            object: "entry",
            type: "message.input",
            created_at: createdAt,
            completed_at: null,
            id,
            role: "user",
            content: historyText(i),
            prefix: false
          }
        : {
            object: "entry",
            type: "message.output",
            created_at: createdAt,
            completed_at: createdAt,
            agent_id: null,
            model,
            id,
            role: "assistant",
            content: historyText(i)
          }
    )
  }
  return { object: "conversation.history", conversation_id: conversationId, entries }
}

/** The check every client applies to a history of `n` entries, on the fields as that client names them. */
export const isExpectedHistory = (
  n: number,
  conversation: unknown,
  entries: number,
  firstContent: unknown,
  lastContent: unknown
): boolean =>
  conversation === conversationId &&
  entries === n &&
  (n === 0 || (firstContent === historyText(0) && lastContent === historyText(n - 1)))

/** The length of the text of an `n`-event stream, without building it. */
export const streamTextLength = (n: number): number => {
  let length = 0
  for (let i = 0; i < n; i++) length += deltaText(i).length
  return length
}
