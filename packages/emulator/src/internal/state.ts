import type * as Fault from "../Fault.js"
import type { IdGenerator } from "./ids.js"
import { makeIdGenerator } from "./ids.js"
import type { Entry } from "./replies.js"

export interface Conversation {
  readonly id: string
  readonly created_at: string
  updated_at: string
  readonly model: string | null
  readonly agent_id: string | null
  readonly agent_version: string | number | null
  readonly instructions: string | null
  readonly tools: ReadonlyArray<unknown>
  readonly completion_args: Record<string, unknown> | null
  readonly guardrails: ReadonlyArray<unknown> | null
  readonly name: string | null
  readonly description: string | null
  readonly metadata: Record<string, unknown> | null
  readonly entries: Array<Entry>
}

export type AgentWire = Record<string, unknown> & {
  readonly id: string
  readonly version: number
  readonly versions: ReadonlyArray<number>
}

export interface AgentRecord {
  current: AgentWire
  readonly snapshots: Map<number, AgentWire>
}

export interface FaultMatch {
  readonly method?: string | undefined
  readonly path?: string | RegExp | undefined
  readonly operation?: string | undefined
}

export interface InjectedFault {
  readonly fault: Fault.Fault
  remaining: number
  readonly match: FaultMatch | undefined
}

export interface RequestRecord {
  readonly method: string
  readonly path: string
  readonly query: string
  readonly operation: string | undefined
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  readonly time: Date
  readonly fault: Fault.Fault | undefined
}

export interface State {
  readonly ids: IdGenerator
  readonly apiKey: string | undefined
  readonly conversations: Map<string, Conversation>
  readonly agents: Map<string, AgentRecord>
  faults: Array<InjectedFault>
  readonly headerFaultCounts: Map<string, number>
  requests: Array<RequestRecord>
}

export const makeState = (options: { readonly apiKey?: string | undefined }): State => ({
  ids: makeIdGenerator(),
  apiKey: options.apiKey,
  conversations: new Map(),
  agents: new Map(),
  faults: [],
  headerFaultCounts: new Map(),
  requests: []
})
