import type * as Fault from "../Fault.js"
import type { RecordedRequest } from "../MistralEmulator.js"
import { type Limiter, makeLimiter, type RateLimits } from "./rateLimits.js"
import type { IdGenerator } from "./ids.js"
import { makeIdGenerator } from "./ids.js"
import { fineTunedModels } from "./models.js"
import type { RealtimeSession } from "./realtime.js"
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

/** An uploaded or produced file: its `FileSchema` fields and its bytes. */
export interface StoredFile {
  readonly id: string
  readonly object: "file"
  readonly bytes: number
  readonly created_at: number
  readonly filename: string
  readonly purpose: string
  readonly sample_type: string
  readonly num_lines: number | null
  readonly mimetype: string | null
  readonly source: string
  readonly signature: string
  readonly expires_at: number | null
  readonly visibility: string
  readonly content: Uint8Array
}

/** A batch job as the API shows it (`BatchJob`), plus what it runs. */
export interface BatchJobRecord {
  readonly id: string
  readonly object: "batch"
  readonly input_files: ReadonlyArray<string>
  readonly metadata: Record<string, unknown> | null
  readonly endpoint: string
  readonly model: string | null
  readonly agent_id: string | null
  output_file: string | null
  error_file: string | null
  errors: Array<{ readonly message: string; readonly count: number }>
  /** The results, kept for inline jobs only (a file job's are in its files). */
  outputs: Array<Record<string, unknown>> | null
  status: string
  readonly created_at: number
  total_requests: number
  completed_requests: number
  succeeded_requests: number
  failed_requests: number
  started_at: number | null
  completed_at: number | null
  /** The requests, indexed when the job is created and read one by one as they run. */
  readonly requests: BatchRequests
  /** Whether the requests came inline (`requests`) rather than from files: then the outputs are shown inline. */
  readonly inline: boolean
  /** What the steps run so far produced. */
  readonly progress: BatchRunProgress
}

/** The requests of a job, read when they run (a file's lines are parsed then, not when the job is created). */
export interface BatchRequests {
  readonly length: number
  readonly at: (index: number) => BatchLine
}

/** The output of a running job so far: JSONL chunks of its output and error files, and the error counts. */
export interface BatchRunProgress {
  readonly outputChunks: Array<Uint8Array>
  readonly errorChunks: Array<Uint8Array>
  readonly errorCounts: Map<string, number>
  readonly inlineOutputs: Array<Record<string, unknown>>
  readonly inlineFailures: Array<Record<string, unknown>>
}

/** One request of a batch: its body, or why its line could not be read. */
export type BatchLine =
  | { readonly custom_id: string | null; readonly body: Record<string, unknown> }
  | { readonly custom_id: string | null; readonly error: string }

/** A fine-tuned model (`FTModelCard`); update, archive and delete act on these. */
export type FineTunedModel = Record<string, unknown> & {
  readonly id: string
  name: string | null
  description: string | null
  archived: boolean
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

export interface State {
  readonly ids: IdGenerator
  readonly apiKey: string | undefined
  readonly conversations: Map<string, Conversation>
  readonly agents: Map<string, AgentRecord>
  readonly files: Map<string, StoredFile>
  readonly batchJobs: Map<string, BatchJobRecord>
  readonly fineTunedModels: Map<string, FineTunedModel>
  faults: Array<InjectedFault>
  readonly headerFaultCounts: Map<string, number>
  requests: Array<RecordedRequest>
  /** The emulator's own rate limits, when it was given some. */
  readonly limiter: Limiter | undefined
  /** Realtime transcription sessions since the start or the last reset. */
  realtimeSessions: Array<RealtimeSession>
  /** The connections of open realtime sessions: the server no longer tracks a connection once it is upgraded. */
  readonly upgradedConnections: Set<{ readonly destroy: () => void }>
  /** How many requests of a running batch job run each time the job is retrieved. */
  readonly batchStep: number
}

export const makeState = (options: {
  readonly apiKey?: string | undefined
  readonly rateLimits?: RateLimits | undefined
  readonly batchStep?: number | undefined
}): State => ({
  batchStep: Math.max(1, Math.floor(options.batchStep ?? 10_000)),
  ids: makeIdGenerator(),
  apiKey: options.apiKey,
  limiter: options.rateLimits === undefined ? undefined : makeLimiter(options.rateLimits),
  conversations: new Map(),
  agents: new Map(),
  files: new Map(),
  batchJobs: new Map(),
  fineTunedModels: new Map(fineTunedModels().map((model) => [model.id, model])),
  faults: [],
  headerFaultCounts: new Map(),
  requests: [],
  realtimeSessions: [],
  upgradedConnections: new Set()
})
