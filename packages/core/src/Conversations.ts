/**
 * The Conversations API: start, append and restart a conversation (each plain or streamed), read it, list and delete.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as Content from "./Content.js"
import type * as Components from "./generated/components.js"
import * as Operations from "./generated/conversations.js"
import { accessors, type Body, DEFAULT_PAGE_SIZE, numberedPages } from "./internal/services.js"
import * as MistralClient from "./MistralClient.js"
import type * as MistralError from "./MistralError.js"
import * as StructuredOutput from "./StructuredOutput.js"

/**
 * @since 0.1.0
 * @category models
 */
export type StartRequest = Body<typeof Operations.agents_api_v1_conversations_start>

/**
 * The request of a streamed start; the runtime sets `stream: true` itself.
 *
 * @since 0.1.0
 * @category models
 */
export type StartStreamRequest = Omit<Body<typeof Operations.agents_api_v1_conversations_start_stream>, "stream">

/**
 * @since 0.1.0
 * @category models
 */
export type AppendRequest = Body<typeof Operations.agents_api_v1_conversations_append>

/**
 * @since 0.1.0
 * @category models
 */
export type AppendStreamRequest = Omit<Body<typeof Operations.agents_api_v1_conversations_append_stream>, "stream">

/**
 * @since 0.1.0
 * @category models
 */
export type RestartRequest = Body<typeof Operations.agents_api_v1_conversations_restart>

/**
 * @since 0.1.0
 * @category models
 */
export type RestartStreamRequest = Omit<Body<typeof Operations.agents_api_v1_conversations_restart_stream>, "stream">

/**
 * What start, append and restart answer: the conversation id, the new entries and the usage.
 *
 * @since 0.1.0
 * @category models
 */
export type ConversationResponse = Operations.ConversationResponse

/**
 * One event of a streamed reply (or an unknown event kind, kept raw).
 *
 * @since 0.1.0
 * @category models
 */
export type ConversationEvent = Components.ConversationEventsData

/**
 * A conversation as `get` and `list` return it (with a model or with an agent).
 *
 * @since 0.1.0
 * @category models
 */
export type Conversation = Operations.AgentsApiV1ConversationsGetResponse

/**
 * @since 0.1.0
 * @category models
 */
export interface ListOptions {
  /** Zero-based page number. */
  readonly page?: number | undefined
  readonly page_size?: number | undefined
  /** Only conversations whose metadata holds these keys and values. */
  readonly metadata?: { readonly [key: string]: unknown } | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly start: (request: StartRequest) => Effect.Effect<ConversationResponse, MistralError.MistralError>
  readonly startStream: (request: StartStreamRequest) => Stream.Stream<ConversationEvent, MistralError.MistralError>
  readonly append: (
    conversationId: string,
    request: AppendRequest
  ) => Effect.Effect<ConversationResponse, MistralError.MistralError>
  readonly appendStream: (
    conversationId: string,
    request: AppendStreamRequest
  ) => Stream.Stream<ConversationEvent, MistralError.MistralError>
  /** Creates a new conversation from the entries of this one up to `from_entry_id`, then runs the new inputs. */
  readonly restart: (
    conversationId: string,
    request: RestartRequest
  ) => Effect.Effect<ConversationResponse, MistralError.MistralError>
  readonly restartStream: (
    conversationId: string,
    request: RestartStreamRequest
  ) => Stream.Stream<ConversationEvent, MistralError.MistralError>
  readonly get: (conversationId: string) => Effect.Effect<Conversation, MistralError.MistralError>
  readonly list: (options?: ListOptions) => Effect.Effect<ReadonlyArray<Conversation>, MistralError.MistralError>
  /** Every conversation, page after page, until a page comes back short. */
  readonly listAll: (options?: Omit<ListOptions, "page">) => Stream.Stream<Conversation, MistralError.MistralError>
  readonly history: (conversationId: string) => Effect.Effect<Operations.ConversationHistory, MistralError.MistralError>
  readonly messages: (
    conversationId: string
  ) => Effect.Effect<Operations.ConversationMessages, MistralError.MistralError>
  readonly delete: (conversationId: string) => Effect.Effect<void, MistralError.MistralError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Conversations extends Context.Tag("@effect-mistral/core/Conversations")<Conversations, Service>() {}

/**
 * Builds the service on a client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromClient = (client: MistralClient.Service): Service => {
  const list = (options: ListOptions = {}) =>
    client.call(Operations.agents_api_v1_conversations_list, {
      query: {
        ...(options.page === undefined ? {} : { page: options.page }),
        ...(options.page_size === undefined ? {} : { page_size: options.page_size }),
        ...(options.metadata === undefined ? {} : { metadata: options.metadata })
      }
    })
  return {
    start: (request) => client.call(Operations.agents_api_v1_conversations_start, { body: request }),
    startStream: (request) => client.stream(Operations.agents_api_v1_conversations_start_stream, { body: request }),
    append: (conversationId, request) =>
      client.call(Operations.agents_api_v1_conversations_append, {
        path: { conversation_id: conversationId },
        body: request
      }),
    appendStream: (conversationId, request) =>
      client.stream(Operations.agents_api_v1_conversations_append_stream, {
        path: { conversation_id: conversationId },
        body: request
      }),
    restart: (conversationId, request) =>
      client.call(Operations.agents_api_v1_conversations_restart, {
        path: { conversation_id: conversationId },
        body: request
      }),
    restartStream: (conversationId, request) =>
      client.stream(Operations.agents_api_v1_conversations_restart_stream, {
        path: { conversation_id: conversationId },
        body: request
      }),
    get: (conversationId) =>
      client.call(Operations.agents_api_v1_conversations_get, { path: { conversation_id: conversationId } }),
    list,
    listAll: (options = {}) => {
      const pageSize = options.page_size ?? DEFAULT_PAGE_SIZE
      return numberedPages(pageSize, (page) =>
        Effect.map(list({ ...options, page, page_size: pageSize }), (items) => ({ items }))
      )
    },
    history: (conversationId) =>
      client.call(Operations.agents_api_v1_conversations_history, { path: { conversation_id: conversationId } }),
    messages: (conversationId) =>
      client.call(Operations.agents_api_v1_conversations_messages, { path: { conversation_id: conversationId } }),
    delete: (conversationId) =>
      client.call(Operations.agents_api_v1_conversations_delete, { path: { conversation_id: conversationId } })
  }
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, MistralClient.MistralClient> = Effect.map(
  MistralClient.MistralClient,
  fromClient
)

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Conversations, never, MistralClient.MistralClient> = Layer.effect(Conversations, make)

type Output = ConversationResponse["outputs"][number]
type ContentChunk = Exclude<Components.MessageOutputEntry["content"], string>[number]

interface Accumulator {
  conversationId: string
  usage: Components.ConversationUsageInfo
  readonly outputs: Array<Output>
  /** Index in `outputs` of the entry each event id builds. */
  readonly byId: Map<string, number>
  /** The function calls being streamed, each with the index in `outputs` of its entry (see `Content.findToolCall`). */
  readonly calls: Array<Content.ToolCallFragment & { readonly at: number }>
}

const textChunk = (text: string): ContentChunk => ({ type: "text", text })

const upsert = <A extends Output>(acc: Accumulator, id: string, create: () => A, update: (current: A) => A) => {
  const index = acc.byId.get(id)
  if (index === undefined) {
    acc.byId.set(id, acc.outputs.length)
    acc.outputs.push(create())
  } else {
    acc.outputs[index] = update(acc.outputs[index] as A)
  }
}

const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V }

/** A call's fragment: parallel calls may share an output index, so the call id comes first (`Content.findToolCall`). */
const foldCallDelta = (acc: Accumulator, event: Components.FunctionCallEvent): void => {
  const fragment = { id: event.tool_call_id, index: event.output_index }
  const found = Content.findToolCall(acc.calls, fragment)
  if (found === -1) {
    acc.calls.push({ ...fragment, at: acc.outputs.length })
    acc.outputs.push({
      object: "entry",
      type: "function.call",
      id: event.id,
      ...optional("created_at", event.created_at),
      ...optional("model", event.model),
      ...optional("agent_id", event.agent_id),
      tool_call_id: event.tool_call_id,
      name: event.name,
      arguments: event.arguments,
      ...optional("confirmation_status", event.confirmation_status)
    })
  } else {
    const at = acc.calls[found].at
    const current = acc.outputs[at] as Components.FunctionCallEntry
    acc.outputs[at] = {
      ...current,
      name: current.name.length > 0 ? current.name : event.name,
      arguments: Content.appendArguments(current.arguments, event.arguments)
    }
  }
}

const foldToolExecution = (
  acc: Accumulator,
  event: Components.ToolExecutionStartedEvent | Components.ToolExecutionDeltaEvent,
  delta: boolean
): void =>
  upsert<Components.ToolExecutionEntry>(
    acc,
    event.id,
    () => ({
      object: "entry",
      type: "tool.execution",
      id: event.id,
      ...optional("created_at", event.created_at),
      name: event.name,
      arguments: event.arguments
    }),
    (current) => ({ ...current, arguments: delta ? current.arguments + event.arguments : current.arguments })
  )

const foldToolDone = (acc: Accumulator, event: Components.ToolExecutionDoneEvent): void =>
  upsert<Components.ToolExecutionEntry>(
    acc,
    event.id,
    () => ({
      object: "entry",
      type: "tool.execution",
      id: event.id,
      name: event.name,
      arguments: "",
      ...optional("info", event.info)
    }),
    (current) => ({ ...current, ...optional("info", event.info) })
  )

const foldHandoffStarted = (acc: Accumulator, event: Components.AgentHandoffStartedEvent): void =>
  upsert<Components.AgentHandoffEntry>(
    acc,
    event.id,
    () => ({
      object: "entry",
      type: "agent.handoff",
      id: event.id,
      ...optional("created_at", event.created_at),
      previous_agent_id: event.previous_agent_id,
      previous_agent_name: event.previous_agent_name,
      next_agent_id: "",
      next_agent_name: ""
    }),
    (current) => current
  )

const foldHandoffDone = (acc: Accumulator, event: Components.AgentHandoffDoneEvent): void =>
  upsert<Components.AgentHandoffEntry>(
    acc,
    event.id,
    () => ({
      object: "entry",
      type: "agent.handoff",
      id: event.id,
      previous_agent_id: "",
      previous_agent_name: "",
      next_agent_id: event.next_agent_id,
      next_agent_name: event.next_agent_name
    }),
    (current) => ({ ...current, next_agent_id: event.next_agent_id, next_agent_name: event.next_agent_name })
  )

const step = (acc: Accumulator, event: ConversationEvent): Accumulator => {
  switch (event.type) {
    case "conversation.response.started":
      acc.conversationId = event.conversation_id
      break
    case "conversation.response.done":
      acc.usage = event.usage
      break
    case "message.output.delta":
      upsert<Components.MessageOutputEntry>(
        acc,
        event.id,
        () => ({
          object: "entry",
          type: "message.output",
          id: event.id,
          ...optional("created_at", event.created_at),
          ...optional("model", event.model),
          ...optional("agent_id", event.agent_id),
          role: "assistant",
          content: Content.append("", event.content, textChunk)
        }),
        (current) => ({ ...current, content: Content.append(current.content, event.content, textChunk) })
      )
      break
    case "function.call.delta":
      foldCallDelta(acc, event)
      break
    case "tool.execution.started":
      foldToolExecution(acc, event, false)
      break
    case "tool.execution.delta":
      foldToolExecution(acc, event, true)
      break
    case "tool.execution.done":
      foldToolDone(acc, event)
      break
    case "agent.handoff.started":
      foldHandoffStarted(acc, event)
      break
    case "agent.handoff.done":
      foldHandoffDone(acc, event)
      break
  }
  return acc
}

/**
 * Folds a streamed reply into the value the plain call returns: the same conversation id, entries and usage.
 * Unknown event kinds are skipped.
 *
 * @since 0.1.0
 * @category streams
 */
export const collect = <E, R>(
  events: Stream.Stream<ConversationEvent, E, R>
): Effect.Effect<ConversationResponse, E, R> =>
  Effect.suspend(() => {
    const collector = makeCollector()
    return Stream.runForEachChunk(events, (chunk) =>
      Effect.sync(() => {
        // a plain loop: folding element by element through a large chunk can overflow the stack
        for (const event of chunk) collector.add(event)
      })
    ).pipe(Effect.map(collector.result))
  })

/**
 * A mutable fold of conversation events, for callers that consume a stream themselves (see `collect`).
 *
 * @since 0.1.0
 * @category streams
 */
export interface Collector {
  readonly add: (event: ConversationEvent) => void
  readonly result: () => ConversationResponse
}

/**
 * @since 0.1.0
 * @category streams
 */
export const makeCollector = (): Collector => {
  const acc: Accumulator = { conversationId: "", usage: {}, outputs: [], byId: new Map(), calls: [] }
  return {
    add: (event) => {
      step(acc, event)
    },
    result: () => ({
      object: "conversation.response",
      conversation_id: acc.conversationId,
      outputs: [...acc.outputs],
      usage: acc.usage
    })
  }
}

/**
 * The text of a streamed reply as it arrives (text deltas only; other events are skipped).
 *
 * @since 0.1.0
 * @category streams
 */
export const textDeltas = <E, R>(events: Stream.Stream<ConversationEvent, E, R>): Stream.Stream<string, E, R> =>
  Stream.filterMap(events, (event) => {
    if (event.type !== "message.output.delta") return Option.none()
    const text = Content.text(event.content)
    return text.length === 0 ? Option.none() : Option.some(text)
  })

/**
 * The text of a reply's message entries (what a person would read), joined.
 *
 * @since 0.1.0
 * @category getters
 */
export const outputText = (response: ConversationResponse): string =>
  response.outputs.map((output) => (output.type === "message.output" ? Content.text(output.content) : "")).join("")

/**
 * A structured turn's answer: the value decoded from the reply, and the response it came in (its
 * `conversation_id` continues the conversation).
 *
 * @since 0.2.0
 * @category structured output
 */
export interface StructuredTurn<A> {
  readonly value: A
  readonly response: ConversationResponse
}

type StructuredError = MistralError.MistralError | MistralError.StructuredOutputError

const withFormat = <Request extends { readonly completion_args?: Components.CompletionArgs | null | undefined }, A, I>(
  request: Request,
  schema: Schema.Schema<A, I, never>,
  options: StructuredOutput.Options | undefined
): Request => ({
  ...request,
  completion_args: { ...request.completion_args, response_format: StructuredOutput.responseFormat(schema, options) }
})

const decodeTurn =
  <A, I>(schema: Schema.Schema<A, I, never>, options: StructuredOutput.Options | undefined) =>
  (response: ConversationResponse): Effect.Effect<StructuredTurn<A>, MistralError.StructuredOutputError> =>
    Effect.map(StructuredOutput.decodeText(schema, outputText(response), options), (value) => ({ value, response }))

const deltaText = (event: ConversationEvent): string =>
  event.type === "message.output.delta" ? Content.text(event.content) : ""

/**
 * Starts a conversation whose reply is a value of `schema`: the schema goes out as a strict `json_schema`
 * `completion_args.response_format`, the reply's text comes back decoded. A reply that does not decode is a
 * `StructuredOutputError` carrying the raw text.
 *
 * @since 0.2.0
 * @category structured output
 */
export const startStructured = <A, I>(
  request: StartRequest,
  schema: Schema.Schema<A, I, never>,
  options?: StructuredOutput.Options
): Effect.Effect<StructuredTurn<A>, StructuredError, Conversations> =>
  Effect.flatMap(start(withFormat(request, schema, options)), decodeTurn(schema, options))

/**
 * Appends to a conversation, the reply a value of `schema` (as `startStructured`).
 *
 * @since 0.2.0
 * @category structured output
 */
export const appendStructured = <A, I>(
  conversationId: string,
  request: AppendRequest,
  schema: Schema.Schema<A, I, never>,
  options?: StructuredOutput.Options
): Effect.Effect<StructuredTurn<A>, StructuredError, Conversations> =>
  Effect.flatMap(append(conversationId, withFormat(request, schema, options)), decodeTurn(schema, options))

/**
 * Restarts a conversation from an entry, the reply a value of `schema` (as `startStructured`).
 *
 * @since 0.2.0
 * @category structured output
 */
export const restartStructured = <A, I>(
  conversationId: string,
  request: RestartRequest,
  schema: Schema.Schema<A, I, never>,
  options?: StructuredOutput.Options
): Effect.Effect<StructuredTurn<A>, StructuredError, Conversations> =>
  Effect.flatMap(restart(conversationId, withFormat(request, schema, options)), decodeTurn(schema, options))

/**
 * `startStructured` streamed: every event as it arrives, then the decoded value as the last element.
 *
 * @since 0.2.0
 * @category structured output
 */
export const startStreamStructured = <A, I>(
  request: StartStreamRequest,
  schema: Schema.Schema<A, I, never>,
  options?: StructuredOutput.Options
): Stream.Stream<StructuredOutput.Streamed<A, ConversationEvent>, StructuredError, Conversations> =>
  StructuredOutput.streamed(startStream(withFormat(request, schema, options)), schema, deltaText, options)

/**
 * `appendStructured` streamed: every event as it arrives, then the decoded value as the last element.
 *
 * @since 0.2.0
 * @category structured output
 */
export const appendStreamStructured = <A, I>(
  conversationId: string,
  request: AppendStreamRequest,
  schema: Schema.Schema<A, I, never>,
  options?: StructuredOutput.Options
): Stream.Stream<StructuredOutput.Streamed<A, ConversationEvent>, StructuredError, Conversations> =>
  StructuredOutput.streamed(
    appendStream(conversationId, withFormat(request, schema, options)),
    schema,
    deltaText,
    options
  )

// =============================================================================
// Accessors
// =============================================================================

const methods = accessors(Conversations, {
  effects: ["start", "append", "restart", "get", "list", "history", "messages", "delete"],
  streams: ["startStream", "appendStream", "restartStream", "listAll"]
})

/**
 * Calls `start` on the service in context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const start = methods.start

/**
 * Calls `append` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const append = methods.append

/**
 * Calls `restart` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const restart = methods.restart

/**
 * Calls `get` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const get = methods.get

/**
 * Calls `list` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const list = methods.list

/**
 * Calls `history` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const history = methods.history

/**
 * Calls `messages` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const messages = methods.messages

/**
 * Calls `delete` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
const delete_ = methods.delete

/**
 * Calls `startStream` on the service in context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const startStream = methods.startStream

/**
 * Calls `appendStream` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const appendStream = methods.appendStream

/**
 * Calls `restartStream` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const restartStream = methods.restartStream

/**
 * Calls `listAll` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const listAll = methods.listAll

export {
  /**
   * Calls `delete` on the service in context.
   *
   * @since 0.2.0
   * @category accessors
   */
  delete_ as delete
}
