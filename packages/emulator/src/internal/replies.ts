/**
 * The deterministic "model": what the emulator answers to a conversation
 * turn, and how that answer is cut into server-sent events. Both the JSON and
 * the streamed answers are built from the same output entries, so they fold
 * into the same thing.
 */
import type { IdGenerator } from "./ids.js"
import { instanceOf } from "./jsonSchema.js"
import type { ValidationDetail } from "./validation.js"

export type Entry = {
  readonly id: string
  readonly type: string
  readonly [key: string]: unknown
}

export interface Usage {
  readonly prompt_tokens: number
  readonly completion_tokens: number
  readonly total_tokens: number
  readonly connector_tokens: null
  readonly connectors: null
}

export interface Turn {
  readonly outputs: ReadonlyArray<Entry>
  readonly usage: Usage
}

export interface TurnContext {
  /** Entries already in the conversation. */
  readonly history: ReadonlyArray<Entry>
  /** The entries this request adds, normalized. */
  readonly inputs: ReadonlyArray<Entry>
  readonly tools: ReadonlyArray<unknown>
  readonly instructions: string | null
  readonly model: string | null
  readonly agentId: string | null
  /** The `response_format` of the turn's `completion_args`: a `json_schema` one makes the reply an instance of it. */
  readonly responseFormat?: unknown
}

/** The text of a message content: a string, or the `text` chunks of an array. */
export const textOf = (content: unknown): string => {
  if (typeof content === "string") return content
  if (!Array.isArray(content)) return ""
  return content
    .map((chunk) =>
      typeof chunk === "object" && chunk !== null && (chunk as { type?: unknown }).type === "text"
        ? String((chunk as { text?: unknown }).text ?? "")
        : ""
    )
    .join("")
}

const entryPrefix = (type: string): string => {
  switch (type) {
    case "function.call":
      return "fc"
    case "function.result":
      return "fr"
    case "tool.execution":
      return "tool"
    case "agent.handoff":
      return "handoff"
    default:
      return "msg"
  }
}

/** Turns the `inputs` of a request into stored entries with ids and timestamps. */
export const normalizeInputs = (inputs: unknown, ids: IdGenerator, now: string): Array<Entry> => {
  if (inputs === undefined || inputs === null) return []
  if (typeof inputs === "string") {
    return [
      {
        object: "entry",
        type: "message.input",
        created_at: now,
        completed_at: now,
        id: ids.next("msg"),
        role: "user",
        content: inputs,
        prefix: false
      }
    ]
  }
  return (inputs as ReadonlyArray<Record<string, unknown>>).map((raw) => {
    const type = typeof raw.type === "string" ? raw.type : "message.input"
    return {
      ...raw,
      object: "entry",
      type,
      created_at: typeof raw.created_at === "string" ? raw.created_at : now,
      completed_at: typeof raw.completed_at === "string" ? raw.completed_at : now,
      id: typeof raw.id === "string" ? raw.id : ids.next(entryPrefix(type))
    }
  })
}

/** The names of the function tools, in declaration order. */
export const functionToolNames = (tools: ReadonlyArray<unknown>): Array<string> =>
  tools.flatMap((tool) => {
    if (typeof tool !== "object" || tool === null) return []
    const { type, function: fn } = tool as { type?: unknown; function?: { name?: unknown } }
    return (type === undefined || type === "function") && typeof fn?.name === "string" ? [fn.name] : []
  })

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** Every declared tool named in `text` as a whole word, in the order of their first mention. */
export const findCalledTools = (
  text: string,
  names: ReadonlyArray<string>
): Array<{ readonly name: string; readonly index: number }> =>
  names
    .flatMap((name) => {
      const match = new RegExp(`(^|[^A-Za-z0-9_])${escapeRegExp(name)}(?![A-Za-z0-9_])`).exec(text)
      return match === null ? [] : [{ name, index: match.index + match[1].length }]
    })
    .sort((a, b) => a.index - b.index)

/** The arguments of each mentioned tool: the `key=value` pairs up to the next mention. */
export const callsOf = (
  text: string,
  mentions: ReadonlyArray<{ readonly name: string; readonly index: number }>
): Array<{ readonly name: string; readonly args: string }> =>
  mentions.map((mention, i) => ({
    name: mention.name,
    args: argumentsOf(text.slice(i === 0 ? 0 : mention.index, mentions[i + 1]?.index ?? text.length))
  }))

/**
 * The arguments of a call: the `key=value` pairs of the text, values read as
 * numbers or booleans when they look like one, quotes allowed.
 */
export const argumentsOf = (text: string): string => {
  const args: Record<string, unknown> = {}
  const pattern = /([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|'([^']*)'|[^\s,;]+)/g
  for (const match of text.matchAll(pattern)) {
    const [, key, raw, doubleQuoted, singleQuoted] = match
    if (doubleQuoted !== undefined || singleQuoted !== undefined) {
      args[key] = doubleQuoted ?? singleQuoted
      continue
    }
    const value = raw.replace(/[.!?]+$/, "")
    if (/^-?\d+(\.\d+)?$/.test(value)) args[key] = Number(value)
    else if (value === "true" || value === "false") args[key] = value === "true"
    else if (value === "null") args[key] = null
    else args[key] = value
  }
  return JSON.stringify(args)
}

export const countWords = (text: string): number => text.split(/\s+/).filter((word) => word !== "").length

const entryText = (entry: Entry): string => {
  switch (entry.type) {
    case "message.input":
    case "message.output":
      return textOf(entry.content)
    case "function.call":
      return `${String(entry.name)} ${typeof entry.arguments === "string" ? entry.arguments : JSON.stringify(entry.arguments)}`
    case "function.result":
      return String(entry.result)
    default:
      return ""
  }
}

export const echoText = (input: string, replyNumber: number): string =>
  `Echo: ${input} (reply ${replyNumber} from the Mistral emulator)`

/**
 * Computes the answer to a turn:
 *
 * 1. the inputs hold `function.result` entries: one message
 *    `The result of <name> is <result>.` per result;
 * 2. else the last user message mentions declared function tools by name:
 *    a `function.call` of each, in the order of mention, with the `key=value`
 *    pairs up to the next mention as arguments (parallel calls);
 * 3. else `Echo: <last user message> (reply <n> from the Mistral emulator)`
 */
export const computeTurn = (
  context: TurnContext,
  ids: IdGenerator,
  now: string
):
  | { readonly _tag: "Turn"; readonly turn: Turn }
  | { readonly _tag: "Invalid"; readonly detail: Array<ValidationDetail> } => {
  const all = [...context.history, ...context.inputs]
  const common = {
    object: "entry",
    created_at: now,
    completed_at: now,
    agent_id: context.agentId,
    model: context.model
  }
  const promptTokens =
    countWords(context.instructions ?? "") + all.reduce((sum, entry) => sum + countWords(entryText(entry)), 0)
  const finish = (...outputs: Array<Entry>): { readonly _tag: "Turn"; readonly turn: Turn } => {
    const completionTokens = Math.max(
      1,
      outputs.reduce((sum, output) => sum + countWords(entryText(output)), 0)
    )
    return {
      _tag: "Turn",
      turn: {
        outputs,
        usage: {
          prompt_tokens: promptTokens,
          completion_tokens: completionTokens,
          total_tokens: promptTokens + completionTokens,
          connector_tokens: null,
          connectors: null
        }
      }
    }
  }

  const results = context.inputs.flatMap((entry, index) => (entry.type === "function.result" ? [{ entry, index }] : []))
  if (results.length > 0) {
    const sentences: Array<string> = []
    const detail: Array<ValidationDetail> = []
    for (const { entry, index } of results) {
      const call = all.find(
        (candidate) => candidate.type === "function.call" && candidate.tool_call_id === entry.tool_call_id
      )
      if (call === undefined) {
        detail.push({
          loc: ["body", "inputs", index, "tool_call_id"],
          msg: `No function call with tool_call_id '${String(entry.tool_call_id)}' in this conversation`,
          type: "value_error"
        })
      } else {
        sentences.push(`The result of ${String(call.name)} is ${String(entry.result)}.`)
      }
    }
    if (detail.length > 0) return { _tag: "Invalid", detail }
    return finish({
      ...common,
      type: "message.output",
      id: ids.next("msg"),
      role: "assistant",
      content: sentences.join(" ")
    })
  }

  const lastUser = [...all]
    .reverse()
    .find((entry) => entry.type === "message.input" && (entry.role ?? "user") === "user")
  const text = lastUser === undefined ? "" : textOf(lastUser.content)
  const calls = callsOf(text, findCalledTools(text, functionToolNames(context.tools)))
  if (calls.length > 0) {
    return finish(
      ...calls.map(
        (call): Entry => ({
          ...common,
          type: "function.call",
          id: ids.next("fc"),
          tool_call_id: ids.toolCallId(),
          name: call.name,
          arguments: call.args
        })
      )
    )
  }
  const replyNumber = all.filter((entry) => entry.type === "message.output").length + 1
  const schema = jsonSchemaOf(context.responseFormat)
  return finish({
    ...common,
    type: "message.output",
    id: ids.next("msg"),
    role: "assistant",
    content: schema === undefined ? echoText(text, replyNumber) : JSON.stringify(instanceOf(schema))
  })
}

const jsonSchemaOf = (responseFormat: unknown): Record<string, unknown> | undefined => {
  if (typeof responseFormat !== "object" || responseFormat === null) return undefined
  const format = responseFormat as { readonly type?: unknown; readonly json_schema?: { readonly schema?: unknown } }
  const schema = format.json_schema?.schema
  return format.type === "json_schema" && typeof schema === "object" && schema !== null
    ? (schema as Record<string, unknown>)
    : undefined
}

/** Cuts a text into pieces of `words` words each, keeping every character. */
export const splitWords = (text: string, words = 3): Array<string> => {
  const tokens = text.match(/\S+\s*/g) ?? []
  const leading = text.match(/^\s+/)?.[0] ?? ""
  const pieces: Array<string> = []
  for (let i = 0; i < tokens.length; i += words) pieces.push(tokens.slice(i, i + words).join(""))
  if (pieces.length === 0) return [text]
  pieces[0] = leading + pieces[0]
  return pieces
}

/** Cuts a string into pieces of at most `size` characters. */
export const splitChars = (text: string, size = 12): Array<string> => {
  if (text.length <= size) return [text]
  const pieces: Array<string> = []
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size))
  return pieces
}

export interface ServerSentEvent {
  readonly event: string
  readonly data: Record<string, unknown>
}

/** The events of a streamed turn, in the API's order. */
export const turnEvents = (conversationId: string, turn: Turn, now: string): Array<ServerSentEvent> => {
  const events: Array<ServerSentEvent> = [
    {
      event: "conversation.response.started",
      data: { type: "conversation.response.started", created_at: now, conversation_id: conversationId }
    }
  ]
  turn.outputs.forEach((output, outputIndex) => {
    if (output.type === "message.output") {
      for (const piece of splitWords(textOf(output.content))) {
        events.push({
          event: "message.output.delta",
          data: {
            type: "message.output.delta",
            created_at: now,
            output_index: outputIndex,
            id: output.id,
            content_index: 0,
            model: output.model ?? null,
            agent_id: output.agent_id ?? null,
            role: "assistant",
            content: piece
          }
        })
      }
    } else if (output.type === "function.call") {
      for (const piece of splitChars(String(output.arguments))) {
        events.push({
          event: "function.call.delta",
          data: {
            type: "function.call.delta",
            created_at: now,
            output_index: outputIndex,
            id: output.id,
            model: output.model ?? null,
            agent_id: output.agent_id ?? null,
            name: output.name,
            tool_call_id: output.tool_call_id,
            arguments: piece
          }
        })
      }
    }
  })
  events.push({
    event: "conversation.response.done",
    data: { type: "conversation.response.done", created_at: now, usage: turn.usage }
  })
  return events
}
