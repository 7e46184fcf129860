/** The API routes, kept in memory: conversations and agents here, the other groups in their own modules. */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import { batchRoutes } from "./batchRoutes.js"
import { completionRoutes } from "./completionRoutes.js"
import { type ApiError, notFound, validation } from "./errors.js"
import { fileRoutes } from "./fileRoutes.js"
import {
  integerQuery,
  matchesMetadata,
  metadataQuery,
  nowIso,
  orNull,
  page,
  pathParam,
  queryParam,
  sseResponse,
  validBody
} from "./http.js"
import { modelRoutes } from "./modelRoutes.js"
import * as RateLimits from "./rateLimits.js"
import { computeTurn, type Entry, normalizeInputs, type Turn, turnEvents } from "./replies.js"
import type { AgentRecord, AgentWire, Conversation, State } from "./state.js"
import * as Validation from "./validation.js"

/** A conversation as `ModelConversation` or `AgentConversation`. */
export const conversationWire = (conversation: Conversation): Record<string, unknown> =>
  conversation.agent_id !== null
    ? {
        object: "conversation",
        id: conversation.id,
        created_at: conversation.created_at,
        updated_at: conversation.updated_at,
        agent_id: conversation.agent_id,
        agent_version: conversation.agent_version,
        name: conversation.name,
        description: conversation.description,
        metadata: conversation.metadata
      }
    : {
        object: "conversation",
        id: conversation.id,
        created_at: conversation.created_at,
        updated_at: conversation.updated_at,
        model: conversation.model,
        instructions: conversation.instructions,
        tools: conversation.tools,
        completion_args: conversation.completion_args ?? {},
        guardrails: conversation.guardrails,
        name: conversation.name,
        description: conversation.description,
        metadata: conversation.metadata
      }

const isMessage = (entry: Entry) => entry.type === "message.input" || entry.type === "message.output"

export const makeRouter = (state: State) => {
  const findConversation = Effect.flatMap(pathParam("conversation_id"), (id) => {
    const conversation = state.conversations.get(id)
    return conversation === undefined
      ? Effect.fail(notFound(`Conversation ${id} not found`))
      : Effect.succeed(conversation)
  })

  const findAgent = (id: string, version?: unknown): Effect.Effect<AgentWire, ApiError> => {
    const record = state.agents.get(id)
    if (record === undefined) return Effect.fail(notFound(`Agent ${id} not found`))
    if (version === undefined || version === null || version === "") return Effect.succeed(record.current)
    const snapshot = record.snapshots.get(Number(version))
    return snapshot === undefined
      ? Effect.fail(notFound(`Version ${String(version)} of agent ${id} not found`))
      : Effect.succeed(snapshot)
  }

  /** What the reply depends on: the agent's settings for agent conversations. */
  const profileOf = (conversation: Conversation) => {
    if (conversation.agent_id === null) {
      return {
        tools: conversation.tools,
        instructions: conversation.instructions,
        model: conversation.model,
        agentId: null
      }
    }
    const record = state.agents.get(conversation.agent_id)
    const agent =
      record === undefined ? undefined : (record.snapshots.get(Number(conversation.agent_version)) ?? record.current)
    return {
      tools: (agent?.tools as ReadonlyArray<unknown> | undefined) ?? [],
      instructions: (agent?.instructions as string | null | undefined) ?? null,
      model: (agent?.model as string | undefined) ?? null,
      agentId: conversation.agent_id
    }
  }

  const runTurn = (
    conversation: Conversation,
    history: ReadonlyArray<Entry>,
    inputs: unknown,
    now: string,
    completionArgs?: unknown
  ) => {
    const newEntries = normalizeInputs(inputs, state.ids, now)
    // the request's `completion_args` (an append, a restart) win over the conversation's
    const args = (completionArgs ?? conversation.completion_args) as { readonly response_format?: unknown } | null
    const result = computeTurn(
      { history, inputs: newEntries, ...profileOf(conversation), responseFormat: args?.response_format },
      state.ids,
      now
    )
    return result._tag === "Invalid"
      ? Effect.fail(validation(result.detail))
      : Effect.succeed({ inputs: newEntries, turn: result.turn })
  }

  const respondTurn = (conversationId: string, turn: Turn, stream: boolean, now: string) =>
    stream
      ? sseResponse(turnEvents(conversationId, turn, now))
      : HttpServerResponse.unsafeJson({
          object: "conversation.response",
          conversation_id: conversationId,
          outputs: turn.outputs,
          usage: turn.usage
        })

  const start = Effect.gen(function* () {
    const body = yield* validBody(Validation.checkStart)
    const model = orNull(body.model as string | null | undefined)
    const agentId = orNull(body.agent_id as string | null | undefined)
    if ((model === null) === (agentId === null)) {
      return yield* Effect.fail(
        validation([{ loc: ["body"], msg: "Exactly one of model or agent_id must be provided", type: "value_error" }])
      )
    }
    const agent = agentId === null ? undefined : yield* findAgent(agentId, body.agent_version)
    const now = yield* nowIso
    const conversation: Conversation = {
      id: state.ids.next("conv"),
      created_at: now,
      updated_at: now,
      model,
      agent_id: agentId,
      agent_version: agent === undefined ? null : agent.version,
      instructions: orNull(body.instructions as string | null | undefined),
      tools: (body.tools as ReadonlyArray<unknown> | null | undefined) ?? [],
      completion_args: orNull(body.completion_args as Record<string, unknown> | null | undefined),
      guardrails: orNull(body.guardrails as ReadonlyArray<unknown> | null | undefined),
      name: orNull(body.name as string | null | undefined),
      description: orNull(body.description as string | null | undefined),
      metadata: orNull(body.metadata as Record<string, unknown> | null | undefined),
      entries: []
    }
    const { inputs, turn } = yield* runTurn(conversation, [], body.inputs, now)
    conversation.entries.push(...inputs, ...turn.outputs)
    if (body.store !== false) state.conversations.set(conversation.id, conversation)
    return respondTurn(conversation.id, turn, body.stream === true, now)
  })

  const list = Effect.gen(function* () {
    const pageIndex = yield* integerQuery("page", 0, 0)
    const pageSize = yield* integerQuery("page_size", 100, 1)
    const metadata = yield* metadataQuery
    const conversations = [...state.conversations.values()]
      .reverse()
      .filter((conversation) => matchesMetadata(conversation.metadata, metadata))
    return HttpServerResponse.unsafeJson(page(conversations, pageIndex, pageSize).map(conversationWire))
  })

  const get = Effect.map(findConversation, (conversation) =>
    HttpServerResponse.unsafeJson(conversationWire(conversation))
  )

  const remove = Effect.gen(function* () {
    const conversation = yield* findConversation
    state.conversations.delete(conversation.id)
    return HttpServerResponse.empty({ status: 204 })
  })

  const append = Effect.gen(function* () {
    const conversation = yield* findConversation
    const body = yield* validBody(Validation.checkAppend)
    const now = yield* nowIso
    const { inputs, turn } = yield* runTurn(conversation, conversation.entries, body.inputs, now, body.completion_args)
    if (body.store !== false) {
      conversation.entries.push(...inputs, ...turn.outputs)
      conversation.updated_at = now
    }
    return respondTurn(conversation.id, turn, body.stream === true, now)
  })

  const history = Effect.map(findConversation, (conversation) =>
    HttpServerResponse.unsafeJson({
      object: "conversation.history",
      conversation_id: conversation.id,
      entries: conversation.entries
    })
  )

  const messages = Effect.map(findConversation, (conversation) =>
    HttpServerResponse.unsafeJson({
      object: "conversation.messages",
      conversation_id: conversation.id,
      messages: conversation.entries.filter(isMessage)
    })
  )

  const restart = Effect.gen(function* () {
    const original = yield* findConversation
    const body = yield* validBody(Validation.checkRestart)
    const fromEntryId = body.from_entry_id as string
    const index = original.entries.findIndex((entry) => entry.id === fromEntryId)
    if (index === -1) {
      return yield* Effect.fail(notFound(`Entry ${fromEntryId} not found in conversation ${original.id}`))
    }
    if (original.agent_id !== null && body.agent_version !== undefined && body.agent_version !== null) {
      yield* findAgent(original.agent_id, body.agent_version)
    }
    const now = yield* nowIso
    const conversation: Conversation = {
      ...original,
      id: state.ids.next("conv"),
      created_at: now,
      updated_at: now,
      agent_version:
        original.agent_id !== null && body.agent_version !== undefined && body.agent_version !== null
          ? (body.agent_version as string | number)
          : original.agent_version,
      metadata: body.metadata === undefined ? original.metadata : orNull(body.metadata as Record<string, unknown>),
      entries: original.entries.slice(0, index + 1)
    }
    const { inputs, turn } = yield* runTurn(conversation, conversation.entries, body.inputs, now, body.completion_args)
    conversation.entries.push(...inputs, ...turn.outputs)
    if (body.store !== false) state.conversations.set(conversation.id, conversation)
    return respondTurn(conversation.id, turn, body.stream === true, now)
  })

  const createAgent = Effect.gen(function* () {
    const body = yield* validBody(Validation.checkCreateAgent)
    const now = yield* nowIso
    const agent: AgentWire = {
      object: "agent",
      id: state.ids.next("ag"),
      name: body.name as string,
      model: body.model as string,
      description: orNull(body.description),
      instructions: orNull(body.instructions),
      tools: body.tools ?? [],
      completion_args: body.completion_args ?? {},
      guardrails: orNull(body.guardrails),
      handoffs: orNull(body.handoffs),
      metadata: orNull(body.metadata),
      version: 0,
      versions: [0],
      created_at: now,
      updated_at: now,
      deployment_chat: false,
      source: "api",
      version_message: orNull(body.version_message)
    }
    const record: AgentRecord = { current: agent, snapshots: new Map([[0, agent]]) }
    state.agents.set(agent.id, record)
    return HttpServerResponse.unsafeJson(agent)
  })

  const listAgents = Effect.gen(function* () {
    const pageIndex = yield* integerQuery("page", 0, 0)
    const pageSize = yield* integerQuery("page_size", 20, 1)
    const metadata = yield* metadataQuery
    const name = yield* queryParam("name")
    const search = yield* queryParam("search")
    const agents = [...state.agents.values()]
      .map((record) => record.current)
      .reverse()
      .filter(
        (agent) =>
          (name === undefined || agent.name === name) &&
          (search === undefined || String(agent.name).includes(search) || agent.id.includes(search)) &&
          matchesMetadata(agent.metadata as Record<string, unknown> | null, metadata)
      )
    return HttpServerResponse.unsafeJson(page(agents, pageIndex, pageSize))
  })

  const getAgent = Effect.gen(function* () {
    const id = yield* pathParam("agent_id")
    const version = yield* queryParam("agent_version")
    return HttpServerResponse.unsafeJson(yield* findAgent(id, version))
  })

  const updateAgent = Effect.gen(function* () {
    const id = yield* pathParam("agent_id")
    const current = yield* findAgent(id)
    const body = yield* validBody(Validation.checkUpdateAgent)
    const now = yield* nowIso
    const version = Math.max(...current.versions) + 1
    const changes = Object.fromEntries(
      Object.entries(body).filter(
        ([key, value]) =>
          value !== undefined && !((key === "model" || key === "name" || key === "deployment_chat") && value === null)
      )
    )
    const agent: AgentWire = {
      ...current,
      ...changes,
      object: "agent",
      id,
      version,
      versions: [...current.versions, version],
      created_at: current.created_at,
      updated_at: now
    }
    const record = state.agents.get(id)!
    record.current = agent
    record.snapshots.set(version, agent)
    return HttpServerResponse.unsafeJson(agent)
  })

  const deleteAgent = Effect.gen(function* () {
    const id = yield* pathParam("agent_id")
    yield* findAgent(id)
    state.agents.delete(id)
    return HttpServerResponse.empty({ status: 204 })
  })

  return HttpRouter.empty.pipe(
    HttpRouter.get(
      "/v1/admin/rate-limit",
      Effect.sync(() => HttpServerResponse.unsafeJson(RateLimits.describe(state.limiter?.limits ?? {})))
    ),
    HttpRouter.post("/v1/conversations", start),
    HttpRouter.get("/v1/conversations", list),
    HttpRouter.get("/v1/conversations/:conversation_id", get),
    HttpRouter.del("/v1/conversations/:conversation_id", remove),
    HttpRouter.post("/v1/conversations/:conversation_id", append),
    HttpRouter.get("/v1/conversations/:conversation_id/history", history),
    HttpRouter.get("/v1/conversations/:conversation_id/messages", messages),
    HttpRouter.post("/v1/conversations/:conversation_id/restart", restart),
    HttpRouter.post("/v1/agents", createAgent),
    HttpRouter.get("/v1/agents", listAgents),
    HttpRouter.get("/v1/agents/:agent_id", getAgent),
    HttpRouter.patch("/v1/agents/:agent_id", updateAgent),
    HttpRouter.del("/v1/agents/:agent_id", deleteAgent),
    HttpRouter.concat(modelRoutes(state)),
    HttpRouter.concat(completionRoutes(state)),
    HttpRouter.concat(fileRoutes(state)),
    HttpRouter.concat(batchRoutes(state))
  )
}
