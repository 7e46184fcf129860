/**
 * A conversation run that survives a crash: the function-calling loop of `ConversationRunner` (the same rules:
 * arguments decoded with the tool's schema and sent back as an error result when they do not decode, unknown tools
 * answered with an error result, calls that need confirmation decided first) written as a `Workflow`, where every
 * model call (the conversation's start, each append) and every tool call is an `Activity`. The core loop is not
 * reused as it is because its steps are plain effects with no names to store them under. The workflow engine
 * stores each finished activity; when the process dies and the run resumes (on this machine or on another runner),
 * finished activities are read back and never executed again. Only the activity that was running at the time of the
 * crash runs again, which is why model calls carry a stable `Idempotency-Key` (the execution id and the step) and why
 * tool handlers should be idempotent.
 *
 * Calls of tools that require confirmation wait on a `DurableDeferred` that a person resolves with `decide`, possibly
 * hours and restarts later; `allow` runs the call, `deny` ends the run with a `Denied` outcome. A model call refused
 * with a `Retry-After` longer than the client's `maxRetryAfter` waits on a `DurableClock` (durably when longer than
 * `durableWaitThreshold`) and is tried again under the same key.
 *
 * @since 0.1.0
 */
import * as Content from "@effect-mistral/core/Content"
import * as Conversations from "@effect-mistral/core/Conversations"
import type * as Components from "@effect-mistral/core/generated/components"
import { ConversationResponse } from "@effect-mistral/core/generated/conversations"
import * as MistralClient from "@effect-mistral/core/MistralClient"
import * as MistralError from "@effect-mistral/core/MistralError"
import * as Tool from "@effect-mistral/core/Tool"
import * as Activity from "@effect/workflow/Activity"
import * as DurableClock from "@effect/workflow/DurableClock"
import * as DurableDeferred from "@effect/workflow/DurableDeferred"
import * as Workflow from "@effect/workflow/Workflow"
import type * as WorkflowEngine from "@effect/workflow/WorkflowEngine"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type * as DurableTool from "./DurableTool.js"

/**
 * The header that carries each model call's idempotency key.
 *
 * @since 0.1.0
 * @category constants
 */
export const idempotencyHeader = "idempotency-key"

/**
 * The input of a run. `inputs` are the user's turns: the first starts the conversation, each next one is appended once
 * the model has answered the previous one with a message (its tool calls all run).
 *
 * @since 0.1.0
 * @category models
 */
export const Payload = Schema.Struct({
  /** Names the run: the same id is the same run (its execution id is derived from it). */
  id: Schema.String,
  model: Schema.String,
  inputs: Schema.NonEmptyArray(Schema.String),
  instructions: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export type Payload = typeof Payload.Type

/**
 * What happened to one function call (the shape of `ConversationRunner.ToolCall`, as a schema so it persists).
 *
 * @since 0.1.0
 * @category models
 */
export const ToolCall = Schema.Struct({
  toolCallId: Schema.String,
  name: Schema.String,
  arguments: Schema.String,
  outcome: Schema.Literal("ok", "invalid_arguments", "unknown_tool", "denied", "allowed_on_server"),
  result: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export type ToolCall = typeof ToolCall.Type

/**
 * One model call and the calls run after it.
 *
 * @since 0.1.0
 * @category models
 */
export const Step = Schema.Struct({
  step: Schema.Number,
  response: ConversationResponse,
  calls: Schema.Array(ToolCall)
})

/**
 * @since 0.1.0
 * @category models
 */
export type Step = typeof Step.Type

/**
 * The model answered the last input with a message.
 *
 * @since 0.1.0
 * @category models
 */
export class Completed extends Schema.TaggedClass<Completed>()("Completed", {
  conversationId: Schema.String,
  text: Schema.String,
  steps: Schema.Array(Step)
}) {}

/**
 * A person denied a call: the run stopped there, nothing more was sent.
 *
 * @since 0.1.0
 * @category models
 */
export class Denied extends Schema.TaggedClass<Denied>()("Denied", {
  conversationId: Schema.String,
  denied: Schema.Array(ToolCall),
  steps: Schema.Array(Step)
}) {}

/**
 * @since 0.1.0
 * @category models
 */
export const Outcome = Schema.Union(Completed, Denied)

/**
 * @since 0.1.0
 * @category models
 */
export type Outcome = typeof Outcome.Type

/**
 * A model call failed after the client's retries (the error as it persists: its tag, status and message).
 *
 * @since 0.1.0
 * @category errors
 */
export class ModelCallFailed extends Schema.TaggedError<ModelCallFailed>()("ModelCallFailed", {
  step: Schema.Number,
  /** The `_tag` of the `MistralError`. */
  reason: Schema.String,
  operationId: Schema.String,
  status: Schema.optional(Schema.Number),
  retryAfterMillis: Schema.optional(Schema.Number),
  detail: Schema.String
}) {
  override get message(): string {
    return `Model call ${this.step} failed (${this.reason}): ${this.detail}`
  }
}

/**
 * A tool's handler failed; the run stops. `error` is the failure encoded with the tool's `error` schema.
 *
 * @since 0.1.0
 * @category errors
 */
export class ToolFailed extends Schema.TaggedError<ToolFailed>()("ToolFailed", {
  tool: Schema.String,
  toolCallId: Schema.String,
  error: Schema.Unknown
}) {
  override get message(): string {
    return `The handler of ${this.tool} failed (tool call ${this.toolCallId})`
  }
}

/**
 * The model was still calling tools after the last allowed step of a turn.
 *
 * @since 0.1.0
 * @category errors
 */
export class StepLimitReached extends Schema.TaggedError<StepLimitReached>()("StepLimitReached", {
  steps: Schema.Number,
  conversationId: Schema.String
}) {
  override get message(): string {
    return `Conversation ${this.conversationId} still calls tools after ${this.steps} steps`
  }
}

/**
 * @since 0.1.0
 * @category errors
 */
export const RunError = Schema.Union(ModelCallFailed, ToolFailed, StepLimitReached)

/**
 * @since 0.1.0
 * @category errors
 */
export type RunError = typeof RunError.Type

/**
 * A person's answer to a call that needs confirmation.
 *
 * @since 0.1.0
 * @category models
 */
export const Decision = Schema.Literal("allow", "deny")

/**
 * @since 0.1.0
 * @category models
 */
export type Decision = typeof Decision.Type

/**
 * A call waiting for a decision, as told to `onConfirmationRequest`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConfirmationRequest {
  readonly executionId: string
  readonly toolCallId: string
  readonly name: string
  readonly arguments: string
  /** `local`: one of the run's tools that requires confirmation; `server`: a call the server holds as pending. */
  readonly origin: "local" | "server"
}

/**
 * What a run reports as it goes: `replayed` is true when the step's stored result was read back instead of run.
 *
 * @since 0.1.0
 * @category models
 */
export type Progress =
  | {
      readonly _tag: "ModelCall"
      readonly executionId: string
      readonly step: number
      readonly replayed: boolean
      readonly response: Conversations.ConversationResponse
    }
  | {
      readonly _tag: "ToolCall"
      readonly executionId: string
      readonly step: number
      readonly call: ToolCall
      readonly replayed: boolean
    }
  | { readonly _tag: "Waiting"; readonly executionId: string; readonly reason: "confirmation" | "retry-after" }

/**
 * @since 0.1.0
 * @category models
 */
export interface Options<T extends DurableTool.Any, R = never> {
  /** The workflow's name; every process that runs or resumes these runs must use the same one. */
  readonly name: string
  readonly tools: ReadonlyArray<T>
  /** The most model calls for one input. Default 8. */
  readonly maxSteps?: number | undefined
  /** How many tool calls of one turn run at once. Default 4. */
  readonly concurrency?: number | undefined
  /** How many times a model call refused with a long `Retry-After` is tried again. Default 5. */
  readonly maxRateLimitPauses?: number | undefined
  /** Waits up to this long stay in memory; longer ones are a `DurableClock`. Default 60 seconds. */
  readonly durableWaitThreshold?: Duration.DurationInput | undefined
  /** Told once per call that needs a decision (an activity: not told again after a restart). */
  readonly onConfirmationRequest?: ((request: ConfirmationRequest) => Effect.Effect<void, never, R>) | undefined
  /** Told of every step as it finishes or is read back. Not durable: told again on every replay. */
  readonly onProgress?: ((progress: Progress) => Effect.Effect<void, never, R>) | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface DurableConversation<T extends DurableTool.Any, R> {
  readonly workflow: Workflow.Workflow<string, typeof Payload, typeof Outcome, typeof RunError>
  /** Registers the workflow with the engine: every process that may run or resume these runs provides it. */
  readonly layer: Layer.Layer<
    never,
    never,
    WorkflowEngine.WorkflowEngine | Conversations.Conversations | DurableTool.Context<T> | R
  >
  /** Runs (or joins, or resumes) the run for this payload and waits for its outcome. */
  readonly run: (payload: Payload) => Effect.Effect<Outcome, RunError, WorkflowEngine.WorkflowEngine>
  /** Starts the run without waiting; the execution id. */
  readonly start: (payload: Payload) => Effect.Effect<string, never, WorkflowEngine.WorkflowEngine>
  readonly executionId: (payload: Payload) => Effect.Effect<string>
  /** The outcome if the run has ended, `undefined` while it runs or waits. */
  readonly poll: (
    executionId: string
  ) => Effect.Effect<Workflow.Result<Outcome, RunError> | undefined, never, WorkflowEngine.WorkflowEngine>
  /** Decides a call that waits for confirmation; the run continues (on whichever runner holds it). */
  readonly decide: (options: {
    readonly executionId: string
    readonly toolCallId: string
    readonly decision: Decision
  }) => Effect.Effect<void, never, WorkflowEngine.WorkflowEngine>
}

/**
 * The call a tool handler runs for, read with `yield* CurrentToolCall` inside the handler (undefined outside a durable
 * run). `idempotencyKey` is the same every time this call runs, also when it runs again after a crash: a handler with
 * side effects can pass it on (to a payment API, as a unique key in a database) to make them happen once.
 *
 * @since 0.1.0
 * @category context
 */
export class CurrentToolCall extends Context.Reference<CurrentToolCall>()(
  "@effect-mistral/durable/DurableConversation/CurrentToolCall",
  {
    defaultValue: (): ToolCallKey | undefined => undefined
  }
) {}

/**
 * @since 0.1.0
 * @category models
 */
export interface ToolCallKey {
  readonly executionId: string
  readonly toolCallId: string
  readonly idempotencyKey: string
}

type FunctionCallEntry = Components.FunctionCallEntry

const modelCallFailed = (step: number, error: MistralError.MistralError): ModelCallFailed => {
  const retryAfter = MistralError.retryAfter(error)
  const status = "status" in error && typeof error.status === "number" ? error.status : undefined
  return new ModelCallFailed({
    step,
    reason: error._tag,
    operationId: error.operationId,
    ...(status === undefined ? {} : { status }),
    ...(retryAfter === undefined ? {} : { retryAfterMillis: Duration.toMillis(retryAfter) }),
    detail: error.message
  })
}

const confirmation = (toolCallId: string) => DurableDeferred.make(`confirm/${toolCallId}`, { success: Decision })

/**
 * Declares a durable conversation run over the given tools.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <T extends DurableTool.Any, R = never>(options: Options<T, R>): DurableConversation<T, R> => {
  const workflow = Workflow.make({
    name: options.name,
    payload: Payload,
    success: Outcome,
    error: RunError,
    idempotencyKey: (payload) => payload.id
  })
  const tools = new Map<string, DurableTool.Any>(options.tools.map((tool) => [tool.name, tool]))
  const decoders = new Map(
    options.tools.map((tool) => [tool.name, Schema.decodeUnknownEither(tool.parameters)] as const)
  )
  const maxSteps = options.maxSteps ?? 8
  const concurrency = options.concurrency ?? 4
  const maxPauses = options.maxRateLimitPauses ?? 5
  const threshold = Duration.decode(options.durableWaitThreshold ?? "60 seconds")
  const report = (progress: Progress) => (options.onProgress === undefined ? Effect.void : options.onProgress(progress))

  type Requirements =
    | Conversations.Conversations
    | WorkflowEngine.WorkflowEngine
    | WorkflowEngine.WorkflowInstance
    | R
    | DurableTool.Context<T>

  const execute = (payload: Payload, executionId: string) => {
    let stepCount = 0

    // One model call: an activity per attempt, all attempts of a step under the same idempotency key.
    const modelCall = (
      send: (
        conversations: Conversations.Service
      ) => Effect.Effect<Conversations.ConversationResponse, MistralError.MistralError>
    ) =>
      Effect.suspend(() => {
        const step = ++stepCount
        const key = `${executionId}-model-${step}`
        const attempt = (
          n: number
        ): Effect.Effect<
          Conversations.ConversationResponse,
          ModelCallFailed,
          Conversations.Conversations | WorkflowEngine.WorkflowEngine | WorkflowEngine.WorkflowInstance | R
        > => {
          let executed = false
          const activity = Activity.make({
            name: `model/${step}/${n}`,
            success: ConversationResponse,
            error: ModelCallFailed,
            execute: Effect.flatMap(Conversations.Conversations, (conversations) => {
              executed = true
              return send(conversations).pipe(
                MistralClient.withHeaders({ [idempotencyHeader]: key }),
                Effect.mapError((error) => modelCallFailed(step, error))
              )
            })
          })
          return activity.pipe(
            Effect.tap((response) => report({ _tag: "ModelCall", executionId, step, replayed: !executed, response })),
            Effect.catchIf(
              (error) => error.retryAfterMillis !== undefined && error.reason === "RateLimited" && n <= maxPauses,
              (error) =>
                report({ _tag: "Waiting", executionId, reason: "retry-after" }).pipe(
                  Effect.zipRight(
                    DurableClock.sleep({
                      name: `model/${step}/${n}/retry-after`,
                      duration: Duration.millis(error.retryAfterMillis ?? 0),
                      inMemoryThreshold: threshold
                    })
                  ),
                  Effect.zipRight(attempt(n + 1))
                )
            )
          )
        }
        return Effect.map(attempt(1), (response) => ({ step, response }))
      })

    const runTool = (step: number, tool: DurableTool.Any, call: FunctionCallEntry, args: unknown) => {
      let executed = false
      const base = { toolCallId: call.tool_call_id, name: call.name, arguments: Content.argumentsText(call.arguments) }
      const activity = Activity.make({
        name: `tool/${call.tool_call_id}`,
        // tools are declared with schemas of no requirements (`DurableTool.make`)
        success: tool.success as Schema.Schema<unknown, unknown>,
        error: tool.error as Schema.Schema<unknown, unknown>,
        execute: Effect.suspend(() => {
          executed = true
          return Effect.provideService(
            (tool.handler as (args: unknown) => Effect.Effect<unknown, unknown, DurableTool.Context<T>>)(args),
            CurrentToolCall,
            {
              executionId,
              toolCallId: call.tool_call_id,
              idempotencyKey: `${executionId}-tool-${call.tool_call_id}`
            }
          )
        })
      })
      return activity.pipe(
        Effect.catchAll((error) =>
          Effect.flatMap(
            Effect.orDie(Schema.encodeUnknown(tool.error as Schema.Schema<unknown, unknown>)(error)),
            (encoded) => Effect.fail(new ToolFailed({ tool: call.name, toolCallId: call.tool_call_id, error: encoded }))
          )
        ),
        Effect.map((value): ToolCall => ({ ...base, outcome: "ok", result: Tool.resultText(value) })),
        Effect.tap((done) => report({ _tag: "ToolCall", executionId, step, call: done, replayed: !executed }))
      )
    }

    const decide = (call: FunctionCallEntry, origin: "local" | "server") =>
      Effect.gen(function* () {
        const deferred = confirmation(call.tool_call_id)
        const request: ConfirmationRequest = {
          executionId,
          toolCallId: call.tool_call_id,
          name: call.name,
          arguments: Content.argumentsText(call.arguments),
          origin
        }
        if (options.onConfirmationRequest !== undefined) {
          yield* Activity.make({ name: `ask/${call.tool_call_id}`, execute: options.onConfirmationRequest(request) })
        }
        yield* report({ _tag: "Waiting", executionId, reason: "confirmation" })
        return yield* DurableDeferred.await(deferred)
      })

    type Planned =
      | { readonly _tag: "Done"; readonly call: ToolCall; readonly confirmation?: Decision }
      | {
          readonly _tag: "Run"
          readonly tool: DurableTool.Any
          readonly entry: FunctionCallEntry
          readonly args: unknown
        }

    // Decides what each call of an answer becomes; confirmations are awaited one after the other, in order.
    const plan = (call: FunctionCallEntry) =>
      Effect.gen(function* () {
        const base = {
          toolCallId: call.tool_call_id,
          name: call.name,
          arguments: Content.argumentsText(call.arguments)
        }
        const tool = tools.get(call.name)
        if (tool === undefined) {
          if (call.confirmation_status === "pending") {
            const decision = yield* decide(call, "server")
            return {
              _tag: "Done",
              call: { ...base, outcome: decision === "allow" ? "allowed_on_server" : "denied" },
              confirmation: decision
            } satisfies Planned as Planned
          }
          return {
            _tag: "Done",
            call: { ...base, outcome: "unknown_tool", result: `Error: there is no tool named ${call.name}.` }
          } satisfies Planned as Planned
        }
        const parsed = Content.parseArguments(call.arguments)
        const decoded = Either.flatMap(parsed, decoders.get(call.name)!)
        if (Either.isLeft(decoded)) {
          const issue = Either.isLeft(parsed)
            ? parsed.left.message
            : ParseResult.TreeFormatter.formatErrorSync(decoded.left as ParseResult.ParseError)
          return {
            _tag: "Done",
            call: {
              ...base,
              outcome: "invalid_arguments",
              result: `Error: invalid arguments for ${call.name}: ${issue}`
            }
          } satisfies Planned as Planned
        }
        if (tool.requiresConfirmation && (yield* decide(call, "local")) === "deny") {
          return {
            _tag: "Done",
            call: { ...base, outcome: "denied", result: `The call of ${call.name} was denied by the user.` }
          } satisfies Planned as Planned
        }
        return { _tag: "Run", tool, entry: call, args: decoded.right } satisfies Planned as Planned
      })

    const turn = (
      first: { readonly step: number; readonly response: Conversations.ConversationResponse },
      conversationId: string,
      previous: ReadonlyArray<Step>
    ): Effect.Effect<
      {
        readonly _tag: "Answered" | "Denied"
        readonly steps: ReadonlyArray<Step>
        readonly denied: ReadonlyArray<ToolCall>
      },
      RunError,
      Requirements
    > =>
      Effect.gen(function* () {
        let current = first
        let steps = previous
        let inTurn = 1
        while (true) {
          const calls = current.response.outputs.filter(
            (output): output is FunctionCallEntry => output.type === "function.call"
          )
          if (calls.length === 0) {
            return { _tag: "Answered" as const, steps: [...steps, { ...current, calls: [] }], denied: [] }
          }
          const planned = yield* Effect.forEach(calls, plan)
          const done = yield* Effect.forEach(
            planned,
            (item) =>
              item._tag === "Done"
                ? Effect.succeed({ call: item.call, confirmation: item.confirmation })
                : Effect.map(runTool(current.step, item.tool, item.entry, item.args), (call) => ({
                    call,
                    confirmation: undefined
                  })),
            { concurrency }
          )
          steps = [...steps, { ...current, calls: done.map((item) => item.call) }]
          const denied = done.filter((item) => item.call.outcome === "denied").map((item) => item.call)
          if (denied.length > 0) return { _tag: "Denied" as const, steps, denied }
          if (inTurn >= maxSteps) {
            return yield* Effect.fail(new StepLimitReached({ steps: inTurn, conversationId }))
          }
          const inputs = done.flatMap((item) =>
            item.call.result === undefined
              ? []
              : [{ type: "function.result" as const, tool_call_id: item.call.toolCallId, result: item.call.result }]
          )
          const confirmations = done.flatMap((item) =>
            item.confirmation === undefined
              ? []
              : [{ tool_call_id: item.call.toolCallId, confirmation: item.confirmation }]
          )
          const request: Conversations.AppendRequest = {
            ...(inputs.length === 0 ? {} : { inputs }),
            ...(confirmations.length === 0 ? {} : { tool_confirmations: confirmations })
          }
          current = yield* modelCall((conversations) => conversations.append(conversationId, request))
          inTurn++
        }
      })

    return Effect.gen(function* () {
      // every evaluation replays from the first step, whether the engine calls `execute` again or reruns this effect
      stepCount = 0
      const [firstInput, ...followUps] = payload.inputs
      const started = yield* modelCall((conversations) =>
        conversations.start({
          model: payload.model,
          inputs: firstInput,
          ...(payload.instructions === undefined ? {} : { instructions: payload.instructions }),
          tools: options.tools.map(Tool.toFunctionTool)
        })
      )
      const conversationId = started.response.conversation_id
      let ended = yield* turn(started, conversationId, [])
      for (const input of followUps) {
        if (ended._tag === "Denied") break
        const next = yield* modelCall((conversations) => conversations.append(conversationId, { inputs: input }))
        ended = yield* turn(next, conversationId, ended.steps)
      }
      if (ended._tag === "Denied") {
        return new Denied({ conversationId, denied: ended.denied, steps: ended.steps })
      }
      const last = ended.steps[ended.steps.length - 1]!
      return new Completed({ conversationId, text: Conversations.outputText(last.response), steps: ended.steps })
    })
  }

  return {
    workflow,
    layer: workflow.toLayer((payload, executionId) => execute(payload, executionId)) as DurableConversation<
      T,
      R
    >["layer"],
    run: (payload) => workflow.execute(payload),
    start: (payload) => workflow.execute(payload, { discard: true }),
    executionId: (payload) => workflow.executionId(payload),
    poll: (executionId) => workflow.poll(executionId),
    decide: ({ executionId, toolCallId, decision }) => {
      const deferred = confirmation(toolCallId)
      return DurableDeferred.done(deferred, {
        token: DurableDeferred.tokenFromExecutionId(deferred, { workflow, executionId }),
        exit: Exit.succeed(decision)
      })
    }
  }
}

/**
 * Whether a run has ended, and how, from a `poll`.
 *
 * @since 0.1.0
 * @category utils
 */
export const outcomeOf = (
  result: Workflow.Result<Outcome, RunError> | undefined
): Option.Option<Exit.Exit<Outcome, RunError>> =>
  result === undefined || result._tag === "Suspended" ? Option.none() : Option.some(result.exit)
