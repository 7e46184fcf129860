/**
 * The deterministic "model" of the completion APIs: chat completions (with
 * tool calls and JSON answers) and fill-in-the-middle, as plain answers and
 * as the chunks of their streams. Both are built from the same reply, so a
 * folded stream equals the plain answer.
 */
import type { IdGenerator } from "./ids.js"
import { instanceOf } from "./jsonSchema.js"
import {
  argumentsOf,
  callsOf,
  countWords,
  echoText,
  findCalledTools,
  functionToolNames,
  splitChars,
  splitWords,
  textOf
} from "./replies.js"
import type { ValidationDetail } from "./validation.js"

type Body = Record<string, unknown>
type Message = Record<string, unknown>

export interface ToolCallWire {
  readonly id: string
  readonly type: "function"
  readonly function: { readonly name: string; readonly arguments: string }
  readonly index: number
}

export interface Reply {
  readonly content: string
  readonly toolCalls: ReadonlyArray<ToolCallWire>
  readonly finishReason: "stop" | "length" | "tool_calls"
}

export interface Usage {
  readonly prompt_tokens: number
  readonly completion_tokens: number
  readonly total_tokens: number
}

export interface Completion {
  readonly id: string
  readonly object: "chat.completion"
  readonly model: string
  readonly created: number
  readonly choices: ReadonlyArray<Record<string, unknown>>
  readonly usage: Usage
}

export type Result<A> =
  | { readonly _tag: "Ok"; readonly value: A }
  | { readonly _tag: "Invalid"; readonly detail: Array<ValidationDetail> }

const ok = <A>(value: A): Result<A> => ({ _tag: "Ok", value })
const invalid = <A>(detail: Array<ValidationDetail>): Result<A> => ({ _tag: "Invalid", detail })

const messageText = (message: Message): string => {
  const calls = Array.isArray(message.tool_calls) ? (message.tool_calls as ReadonlyArray<Message>) : []
  const callText = calls.map((call) => {
    const fn = (call.function ?? {}) as Message
    return `${String(fn.name ?? "")} ${typeof fn.arguments === "string" ? fn.arguments : JSON.stringify(fn.arguments ?? {})}`
  })
  return [textOf(message.content), ...callText].join(" ")
}

/** The content a `response_format` asks for: a JSON document for `json_schema` and `json_object`, else the text. */
const formatted = (text: string, responseFormat: unknown): { readonly content: string; readonly json: boolean } => {
  if (typeof responseFormat === "object" && responseFormat !== null) {
    const format = responseFormat as { readonly type?: unknown; readonly json_schema?: { readonly schema?: unknown } }
    const schema = format.json_schema?.schema
    if (format.type === "json_schema" && typeof schema === "object" && schema !== null) {
      return { content: JSON.stringify(instanceOf(schema as Record<string, unknown>)), json: true }
    }
    if (format.type === "json_object") return { content: JSON.stringify({ reply: text }), json: true }
  }
  return { content: text, json: false }
}

/** At most `maxTokens` words of `text` (words stand for tokens here). */
const truncated = (text: string, maxTokens: unknown): { readonly text: string; readonly cut: boolean } => {
  if (typeof maxTokens !== "number" || maxTokens <= 0) return { text, cut: false }
  const words = text.match(/\S+\s*/g) ?? []
  if (words.length <= maxTokens) return { text, cut: false }
  return { text: words.slice(0, maxTokens).join("").trimEnd(), cut: true }
}

const forcedTool = (toolChoice: unknown): string | undefined => {
  if (typeof toolChoice !== "object" || toolChoice === null) return undefined
  const name = (toolChoice as { readonly function?: { readonly name?: unknown } }).function?.name
  return typeof name === "string" ? name : undefined
}

/**
 * The reply to a chat completion request:
 *
 * 1. the messages end with `tool` messages: `The result of <name> is <content>.`
 *    per tool message (`<name>` from the assistant tool call with that
 *    `tool_call_id`, else the message's `name`);
 * 2. else, when function tools are declared and `tool_choice` is not `none`:
 *    one tool call per tool the last user message names (the first only
 *    when `parallel_tool_calls` is `false`), or the tool `tool_choice`
 *    forces, or the first tool for `tool_choice` `any`/`required`;
 * 3. else `Echo: <last user message> (reply <n> from the Mistral emulator)`.
 *
 * Text replies follow `response_format` and are cut at `max_tokens` words.
 */
export const chatReply = (body: Body, ids: IdGenerator): Result<Reply> => {
  const messages = body.messages as ReadonlyArray<Message>
  let firstTrailingTool = messages.length
  while (firstTrailingTool > 0 && messages[firstTrailingTool - 1].role === "tool") firstTrailingTool--

  const textReply = (text: string): Result<Reply> => {
    const { content, json } = formatted(text, body.response_format)
    const { text: cutContent, cut } = json ? { text: content, cut: false } : truncated(content, body.max_tokens)
    return ok({ content: cutContent, toolCalls: [], finishReason: cut ? "length" : "stop" })
  }

  if (firstTrailingTool < messages.length) {
    const sentences: Array<string> = []
    const detail: Array<ValidationDetail> = []
    for (let index = firstTrailingTool; index < messages.length; index++) {
      const message = messages[index]
      const call = messages
        .slice(0, firstTrailingTool)
        .flatMap((candidate) =>
          Array.isArray(candidate.tool_calls) ? (candidate.tool_calls as ReadonlyArray<Message>) : []
        )
        .find((candidate) => candidate.id === message.tool_call_id)
      const name = (call?.function as Message | undefined)?.name ?? message.name
      if (typeof name !== "string") {
        detail.push({
          loc: ["body", "messages", index, "tool_call_id"],
          msg: `No assistant tool call with id '${String(message.tool_call_id)}' and no tool name`,
          type: "value_error"
        })
      } else {
        sentences.push(`The result of ${name} is ${textOf(message.content)}.`)
      }
    }
    return detail.length > 0 ? invalid(detail) : textReply(sentences.join(" "))
  }

  const lastUser = [...messages].reverse().find((message) => message.role === "user")
  const text = lastUser === undefined ? "" : textOf(lastUser.content)
  const tools = functionToolNames((body.tools as ReadonlyArray<unknown> | null | undefined) ?? [])
  const toolChoice = body.tool_choice
  if (tools.length > 0 && toolChoice !== "none") {
    const forced = forcedTool(toolChoice)
    const mentions = findCalledTools(text, tools)
    const calls: Array<{ readonly name: string; readonly args: string }> =
      forced !== undefined
        ? [{ name: forced, args: argumentsOf(text) }]
        : mentions.length > 0
          ? callsOf(text, mentions).slice(0, body.parallel_tool_calls === false ? 1 : mentions.length)
          : toolChoice === "any" || toolChoice === "required"
            ? [{ name: tools[0], args: argumentsOf(text) }]
            : []
    if (calls.length > 0) {
      return ok({
        content: "",
        toolCalls: calls.map((call, index) => ({
          id: ids.toolCallId(),
          type: "function",
          function: { name: call.name, arguments: call.args },
          index
        })),
        finishReason: "tool_calls"
      })
    }
  }
  const replyNumber = messages.filter((message) => message.role === "assistant").length + 1
  return textReply(echoText(text, replyNumber))
}

const usageOf = (promptText: ReadonlyArray<string>, reply: Reply): Usage => {
  const prompt = promptText.reduce((sum, text) => sum + countWords(text), 0)
  const completion = Math.max(
    1,
    countWords(reply.content) +
      reply.toolCalls.reduce((sum, call) => sum + countWords(`${call.function.name} ${call.function.arguments}`), 0)
  )
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion }
}

const choiceCount = (n: unknown) => (typeof n === "number" && Number.isInteger(n) && n > 1 ? n : 1)

const completionOf = (
  id: string,
  model: string,
  created: number,
  reply: Reply,
  n: number,
  usage: Usage
): Completion => ({
  id,
  object: "chat.completion",
  model,
  created,
  choices: Array.from({ length: n }, (_, index) => ({
    index,
    message: {
      role: "assistant",
      content: reply.content,
      tool_calls: reply.toolCalls.length > 0 ? reply.toolCalls : null,
      prefix: false
    },
    finish_reason: reply.finishReason
  })),
  usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens * n }
})

/** A `ChatCompletionResponse` for a checked request body. */
export const chatCompletion = (body: Body, ids: IdGenerator, created: number): Result<Completion> => {
  const reply = chatReply(body, ids)
  if (reply._tag === "Invalid") return reply
  const usage = usageOf((body.messages as ReadonlyArray<Message>).map(messageText), reply.value)
  return ok(completionOf(ids.hex("chatcmpl"), String(body.model), created, reply.value, choiceCount(body.n), usage))
}

/** The reply to a FIM request: it names the end of the prompt and the start of the suffix. */
export const fimText = (prompt: string, suffix: string | null | undefined): string => {
  const lastLine = (text: string) =>
    text
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "")
      .at(-1) ?? ""
  const firstLine = (text: string) =>
    text
      .split("\n")
      .map((line) => line.trim())
      .find((line) => line !== "") ?? ""
  const before = lastLine(prompt).slice(-40)
  const after = firstLine(suffix ?? "").slice(0, 40)
  return `Fill after "${before}"${after === "" ? "" : ` before "${after}"`} (from the Mistral emulator)`
}

/** A FIM answer (`FIMCompletionResponse`) for a checked request body. */
export const fimCompletion = (body: Body, ids: IdGenerator, created: number): Completion => {
  const { text, cut } = truncated(
    fimText(String(body.prompt), body.suffix as string | null | undefined),
    body.max_tokens
  )
  const reply: Reply = { content: text, toolCalls: [], finishReason: cut ? "length" : "stop" }
  const usage = usageOf([String(body.prompt), String(body.suffix ?? "")], reply)
  return completionOf(ids.hex("fimcmpl"), String(body.model), created, reply, 1, usage)
}

/**
 * The `CompletionChunk`s of a streamed completion, per choice: the role, then
 * three-word content pieces or tool call fragments (every fragment carries
 * the call's `index`, `id` and name, and a 12-character piece of the
 * arguments), then an empty delta with the `finish_reason`; the usage is on
 * the last chunk.
 */
export const completionChunks = (completion: Completion): Array<Record<string, unknown>> => {
  const base = {
    id: completion.id,
    object: "chat.completion.chunk",
    created: completion.created,
    model: completion.model
  }
  const chunks: Array<Record<string, unknown>> = []
  const chunk = (index: number, delta: Record<string, unknown>, finishReason: string | null) =>
    chunks.push({ ...base, choices: [{ index, delta, finish_reason: finishReason }] })
  for (const choice of completion.choices) {
    const index = choice.index as number
    const message = choice.message as {
      readonly content: string
      readonly tool_calls: ReadonlyArray<ToolCallWire> | null
    }
    chunk(index, { role: "assistant", content: "" }, null)
    if (message.tool_calls !== null) {
      for (const call of message.tool_calls) {
        for (const piece of splitChars(call.function.arguments)) {
          chunk(
            index,
            {
              tool_calls: [
                {
                  id: call.id,
                  type: "function",
                  function: { name: call.function.name, arguments: piece },
                  index: call.index
                }
              ]
            },
            null
          )
        }
      }
    } else {
      for (const piece of splitWords(message.content)) if (piece !== "") chunk(index, { content: piece }, null)
    }
    chunk(index, { content: "" }, choice.finish_reason as string)
  }
  chunks[chunks.length - 1] = { ...chunks[chunks.length - 1], usage: completion.usage }
  return chunks
}
