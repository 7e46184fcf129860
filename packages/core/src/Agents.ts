/**
 * The Agents API: create, read, update and delete agents, their versions and version aliases, and the agents
 * completion (plain or streamed).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Stream from "effect/Stream"
import * as Operations from "./generated/agents.js"
import * as Completion from "./generated/agentsCompletion.js"
import * as Components from "./generated/components.js"
import { accessors, type Body, DEFAULT_PAGE_SIZE, numberedPages, type Query, tokenPages } from "./internal/services.js"
import * as MistralClient from "./MistralClient.js"
import type * as MistralError from "./MistralError.js"
import * as Operation from "./Operation.js"

/**
 * @since 0.1.0
 * @category models
 */
export type Agent = Operations.Agent

/**
 * @since 0.1.0
 * @category models
 */
export type AgentAlias = Operations.AgentAliasResponse

/**
 * @since 0.1.0
 * @category models
 */
export type CreateRequest = Body<typeof Operations.agents_api_v1_agents_create>

/**
 * @since 0.1.0
 * @category models
 */
export type UpdateRequest = Body<typeof Operations.agents_api_v1_agents_update>

/**
 * Filters and paging of `list` (`page` is zero-based).
 *
 * @since 0.1.0
 * @category models
 */
export type ListOptions = Query<typeof Operations.agents_api_v1_agents_list>

/**
 * Filters and the page token of `listPage`.
 *
 * @since 0.1.0
 * @category models
 */
export type ListPageOptions = Query<typeof Operations.agents_api_v1_agents_list_pages>

/**
 * @since 0.1.0
 * @category models
 */
export type AgentListPage = Operations.AgentListPage

/**
 * @since 0.1.0
 * @category models
 */
export type CompletionRequest = Body<typeof Completion.agents_completion_v1_agents_completions_post>

/**
 * The request of a streamed agents completion; the runtime sets `stream: true` itself.
 *
 * @since 0.1.0
 * @category models
 */
export type StreamRequest = Omit<CompletionRequest, "stream">

/**
 * The agents completion streamed. The document declares only its JSON answer; with `"stream": true` the API answers
 * the same `CompletionChunk` events as the chat completion, ending at `data: [DONE]`.
 *
 * @since 0.1.0
 * @category operations
 */
export const completionStreamOperation = Operation.make({
  ...Completion.agents_completion_v1_agents_completions_post,
  response: "json-or-sse",
  event: Components.CompletionChunk,
  streamTerminator: "[DONE]"
})

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly create: (request: CreateRequest) => Effect.Effect<Agent, MistralError.MistralError>
  readonly list: (options?: ListOptions) => Effect.Effect<ReadonlyArray<Agent>, MistralError.MistralError>
  /** Every agent, page after page, until a page comes back short. */
  readonly listAll: (options?: Omit<ListOptions, "page">) => Stream.Stream<Agent, MistralError.MistralError>
  /** One page of agents with the token of the next (`page_token`). */
  readonly listPage: (options?: ListPageOptions) => Effect.Effect<AgentListPage, MistralError.MistralError>
  /** Every agent, following page tokens. */
  readonly listAllPages: (
    options?: Omit<ListPageOptions, "page_token">
  ) => Stream.Stream<Agent, MistralError.MistralError>
  /** The agent, at its active version unless `agent_version` (a number or an alias) says otherwise. */
  readonly get: (
    agentId: string,
    options?: Query<typeof Operations.agents_api_v1_agents_get>
  ) => Effect.Effect<Agent, MistralError.MistralError>
  /** Updates the agent; the update creates a new version. */
  readonly update: (agentId: string, request: UpdateRequest) => Effect.Effect<Agent, MistralError.MistralError>
  readonly delete: (agentId: string) => Effect.Effect<void, MistralError.MistralError>
  /** Makes `version` the agent's active version. */
  readonly updateVersion: (agentId: string, version: number) => Effect.Effect<Agent, MistralError.MistralError>
  readonly listVersions: (
    agentId: string,
    options?: Query<typeof Operations.agents_api_v1_agents_list_versions>
  ) => Effect.Effect<ReadonlyArray<Agent>, MistralError.MistralError>
  readonly getVersion: (agentId: string, version: string | number) => Effect.Effect<Agent, MistralError.MistralError>
  readonly listAliases: (agentId: string) => Effect.Effect<ReadonlyArray<AgentAlias>, MistralError.MistralError>
  /** Points `alias` at `version`, creating the alias when it does not exist. */
  readonly setAlias: (
    agentId: string,
    alias: string,
    version: number
  ) => Effect.Effect<AgentAlias, MistralError.MistralError>
  readonly deleteAlias: (agentId: string, alias: string) => Effect.Effect<void, MistralError.MistralError>
  /** The agents completion (superseded by the Conversations API). */
  readonly complete: (
    request: CompletionRequest
  ) => Effect.Effect<Components.ChatCompletionResponse, MistralError.MistralError>
  /** The agents completion, streamed; fold it with `Chat.collect`, read it with `Chat.textDeltas`. */
  readonly stream: (request: StreamRequest) => Stream.Stream<Components.CompletionChunk, MistralError.MistralError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Agents extends Context.Tag("@effect-mistral/core/Agents")<Agents, Service>() {}

/**
 * Builds the service on a client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromClient = (client: MistralClient.Service): Service => {
  const list = (options: ListOptions = {}) => client.call(Operations.agents_api_v1_agents_list, { query: options })
  const listPage = (options: ListPageOptions = {}) =>
    client.call(Operations.agents_api_v1_agents_list_pages, { query: options })
  return {
    create: (request) => client.call(Operations.agents_api_v1_agents_create, { body: request }),
    list,
    listAll: (options = {}) => {
      const pageSize = options.page_size ?? DEFAULT_PAGE_SIZE
      return numberedPages(pageSize, (page) =>
        Effect.map(list({ ...options, page, page_size: pageSize }), (items) => ({ items }))
      )
    },
    listPage,
    listAllPages: (options = {}) =>
      tokenPages((token) =>
        Effect.map(listPage(token === undefined ? options : { ...options, page_token: token }), (page) => ({
          items: page.data,
          next: page.next_page_token
        }))
      ),
    get: (agentId, options = {}) =>
      client.call(Operations.agents_api_v1_agents_get, { path: { agent_id: agentId }, query: options }),
    update: (agentId, request) =>
      client.call(Operations.agents_api_v1_agents_update, { path: { agent_id: agentId }, body: request }),
    delete: (agentId) => client.call(Operations.agents_api_v1_agents_delete, { path: { agent_id: agentId } }),
    updateVersion: (agentId, version) =>
      client.call(Operations.agents_api_v1_agents_update_version, {
        path: { agent_id: agentId },
        query: { version }
      }),
    listVersions: (agentId, options = {}) =>
      client.call(Operations.agents_api_v1_agents_list_versions, { path: { agent_id: agentId }, query: options }),
    getVersion: (agentId, version) =>
      client.call(Operations.agents_api_v1_agents_get_version, {
        path: { agent_id: agentId, version: String(version) }
      }),
    listAliases: (agentId) =>
      client.call(Operations.agents_api_v1_agents_list_version_aliases, { path: { agent_id: agentId } }),
    setAlias: (agentId, alias, version) =>
      client.call(Operations.agents_api_v1_agents_create_or_update_alias, {
        path: { agent_id: agentId },
        query: { alias, version }
      }),
    deleteAlias: (agentId, alias) =>
      client.call(Operations.agents_api_v1_agents_delete_alias, { path: { agent_id: agentId }, query: { alias } }),
    complete: (request) => client.call(Completion.agents_completion_v1_agents_completions_post, { body: request }),
    stream: (request) => client.stream(completionStreamOperation, { body: request })
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
export const layer: Layer.Layer<Agents, never, MistralClient.MistralClient> = Layer.effect(Agents, make)

// =============================================================================
// Accessors
// =============================================================================

const methods = accessors(Agents, {
  effects: [
    "create",
    "list",
    "listPage",
    "get",
    "update",
    "delete",
    "updateVersion",
    "listVersions",
    "getVersion",
    "listAliases",
    "setAlias",
    "deleteAlias",
    "complete"
  ],
  streams: ["listAll", "listAllPages", "stream"]
})

/**
 * Calls `create` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const create = methods.create

/**
 * Calls `list` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const list = methods.list

/**
 * Calls `listPage` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const listPage = methods.listPage

/**
 * Calls `get` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const get = methods.get

/**
 * Calls `update` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const update = methods.update

/**
 * Calls `delete` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
const delete_ = methods.delete

/**
 * Calls `updateVersion` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const updateVersion = methods.updateVersion

/**
 * Calls `listVersions` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const listVersions = methods.listVersions

/**
 * Calls `getVersion` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const getVersion = methods.getVersion

/**
 * Calls `listAliases` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const listAliases = methods.listAliases

/**
 * Calls `setAlias` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const setAlias = methods.setAlias

/**
 * Calls `deleteAlias` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const deleteAlias = methods.deleteAlias

/**
 * Calls `complete` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const complete = methods.complete

/**
 * Calls `listAll` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const listAll = methods.listAll

/**
 * Calls `listAllPages` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const listAllPages = methods.listAllPages

/**
 * Calls `stream` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const stream = methods.stream

export {
  /**
   * Calls `delete` on the service in context.
   *
   * @since 0.2.0
   * @category accessors
   */
  delete_ as delete
}
