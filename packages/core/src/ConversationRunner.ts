/**
 * The function-calling loop of a conversation: start (or continue) with the tools, run each `function.call` the model
 * makes, send the results back, and repeat until the model answers with a message or a step limit is reached.
 *
 * Arguments are decoded with the tool's parameters schema; arguments that do not decode go back to the model as an
 * error result instead of failing the run. Parallel calls run concurrently (bounded). A handler's failure fails the
 * run with a typed `ToolHandlerError`. Calls that need a confirmation (the tool says so, or the server holds a call
 * of its own tools as `pending`) are decided by a user-supplied Effect; without one they are denied.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as Content from "./Content.js"
import * as Conversations from "./Conversations.js"
import type * as Components from "./generated/components.js"
import type * as MistralError from "./MistralError.js"
import * as Observe from "./internal/observe.js"
import * as Tool from "./Tool.js"

/**
 * A tool's handler failed; the run stops.
 *
 * @since 0.1.0
 * @category errors
 */
export class ToolHandlerError<E> extends Data.TaggedError("ToolHandlerError")<{
  readonly tool: string
  readonly toolCallId: string
  readonly cause: E
}> {
  override get message(): string {
    return `The handler of ${this.tool} failed (tool call ${this.toolCallId})`
  }
}

/**
 * The model was still calling tools after the last allowed step.
 *
 * @since 0.1.0
 * @category errors
 */
export class StepLimitReached extends Data.TaggedError("StepLimitReached")<{
  readonly steps: number
  readonly conversationId: string
  readonly last: Conversations.ConversationResponse
}> {
  override get message(): string {
    return `Conversation ${this.conversationId} still calls tools after ${this.steps} steps`
  }
}

/**
 * A call that waits for a decision.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConfirmationRequest {
  readonly toolCallId: string
  readonly name: string
  /** The arguments as the model sent them. */
  readonly arguments: string
  /** `local`: one of the runner's tools that requires confirmation; `server`: a call the server holds as pending. */
  readonly origin: "local" | "server"
}

/**
 * @since 0.1.0
 * @category models
 */
export type Decision = "allow" | "deny"

/**
 * What happened to one function call.
 *
 * @since 0.1.0
 * @category models
 */
export interface ToolCall {
  readonly toolCallId: string
  readonly name: string
  readonly arguments: string
  readonly outcome: "ok" | "invalid_arguments" | "unknown_tool" | "denied" | "allowed_on_server"
  /** The `function.result` sent back (absent for calls the server runs itself). */
  readonly result?: string | undefined
}

/**
 * One model turn and the calls run after it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Step {
  readonly response: Conversations.ConversationResponse
  readonly calls: ReadonlyArray<ToolCall>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Result {
  readonly conversationId: string
  /** The last answer (a message, once the model has stopped calling tools). */
  readonly response: Conversations.ConversationResponse
  readonly steps: ReadonlyArray<Step>
  /** The text of the last answer. */
  readonly text: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options<T extends Tool.Any, R = never> {
  readonly tools: ReadonlyArray<T>
  /** The most model turns (requests) in one run. Default 8. */
  readonly maxSteps?: number | undefined
  /** How many calls of one turn run at once. Default 4. */
  readonly concurrency?: number | undefined
  /** Decides calls that need a confirmation. Without it they are denied. */
  readonly confirm?: ((request: ConfirmationRequest) => Effect.Effect<Decision, never, R>) | undefined
}

/**
 * What the streamed run emits: the events of every model turn, each call's outcome, and the end.
 *
 * @since 0.1.0
 * @category models
 */
export type RunEvent =
  | { readonly _tag: "Event"; readonly step: number; readonly event: Conversations.ConversationEvent }
  | { readonly _tag: "ToolCall"; readonly step: number; readonly call: ToolCall }
  | { readonly _tag: "Done"; readonly step: number; readonly response: Conversations.ConversationResponse }

/**
 * The errors of a run.
 *
 * @since 0.1.0
 * @category models
 */
export type RunError<T extends Tool.Any> =
  | MistralError.MistralError
  | ToolHandlerError<Tool.Error<T>>
  | StepLimitReached

type FunctionCallEntry = Components.FunctionCallEntry

interface Handled {
  readonly calls: ReadonlyArray<ToolCall>
  readonly request: Conversations.AppendRequest
}

const makeHandler = <T extends Tool.Any, R>(options: Options<T, R>) => {
  const tools = new Map<string, Tool.Any>(options.tools.map((tool) => [tool.name, tool]))
  const decoders = new Map(
    options.tools.map((tool) => [tool.name, Schema.decodeUnknownEither(tool.parameters)] as const)
  )
  const decide = (request: ConfirmationRequest): Effect.Effect<Decision, never, R> =>
    options.confirm === undefined ? Effect.succeed("deny") : options.confirm(request)

  const runCall = (
    call: FunctionCallEntry
  ): Effect.Effect<
    { readonly call: ToolCall; readonly confirmation?: Components.ToolCallConfirmation },
    ToolHandlerError<Tool.Error<T>>,
    R | Tool.Context<T>
  > => {
    const base = { toolCallId: call.tool_call_id, name: call.name, arguments: Content.argumentsText(call.arguments) }
    const tool = tools.get(call.name)
    if (tool === undefined) {
      if (call.confirmation_status === "pending") {
        return Effect.map(decide({ ...base, origin: "server" }), (decision) => ({
          call: { ...base, outcome: decision === "allow" ? "allowed_on_server" : "denied" },
          confirmation: { tool_call_id: call.tool_call_id, confirmation: decision }
        }))
      }
      return Effect.succeed({
        call: { ...base, outcome: "unknown_tool", result: `Error: there is no tool named ${call.name}.` }
      })
    }
    const parsed = Content.parseArguments(call.arguments)
    const decoded = Either.flatMap(parsed, decoders.get(call.name)!)
    if (Either.isLeft(decoded)) {
      const issue = Either.isLeft(parsed)
        ? parsed.left.message
        : ParseResult.TreeFormatter.formatErrorSync(decoded.left as ParseResult.ParseError)
      return Effect.succeed({
        call: { ...base, outcome: "invalid_arguments", result: `Error: invalid arguments for ${call.name}: ${issue}` }
      })
    }
    const execute: Effect.Effect<
      { readonly call: ToolCall },
      ToolHandlerError<Tool.Error<T>>,
      Tool.Context<T>
    > = Observe.toolSpan(
      Effect.map(
        Effect.mapError(
          (tool.handler as (args: unknown) => Effect.Effect<unknown, Tool.Error<T>, Tool.Context<T>>)(decoded.right),
          (cause) => new ToolHandlerError({ tool: call.name, toolCallId: call.tool_call_id, cause })
        ),
        (value) => ({ call: { ...base, outcome: "ok", result: Tool.resultText(value) } })
      ),
      call.name,
      call.tool_call_id
    )
    if (!tool.requiresConfirmation) return execute
    return Effect.flatMap(decide({ ...base, origin: "local" }), (decision) =>
      decision === "allow"
        ? execute
        : Effect.succeed({
            call: { ...base, outcome: "denied" as const, result: `The call of ${call.name} was denied by the user.` }
          })
    )
  }

  /** The calls of one answer, run; `undefined` when the answer has none (the run is over). */
  return (
    response: Conversations.ConversationResponse
  ): Effect.Effect<Handled | undefined, ToolHandlerError<Tool.Error<T>>, R | Tool.Context<T>> => {
    const calls = response.outputs.filter((output): output is FunctionCallEntry => output.type === "function.call")
    if (calls.length === 0) return Effect.succeed(undefined)
    return Effect.map(Effect.forEach(calls, runCall, { concurrency: options.concurrency ?? 4 }), (outcomes) => {
      const inputs: Array<Components.FunctionResultEntry> = []
      const confirmations: Array<Components.ToolCallConfirmation> = []
      for (const outcome of outcomes) {
        if (outcome.call.result !== undefined) {
          inputs.push({ type: "function.result", tool_call_id: outcome.call.toolCallId, result: outcome.call.result })
        }
        if (outcome.confirmation !== undefined) confirmations.push(outcome.confirmation)
      }
      return {
        calls: outcomes.map((outcome) => outcome.call),
        request: {
          ...(inputs.length === 0 ? {} : { inputs }),
          ...(confirmations.length === 0 ? {} : { tool_confirmations: confirmations })
        }
      }
    })
  }
}

const withTools = <T extends Tool.Any>(
  request: Conversations.StartRequest,
  tools: ReadonlyArray<T>
): Conversations.StartRequest => ({
  ...request,
  tools: [...(request.tools ?? []), ...tools.map(Tool.toFunctionTool)]
})

const loop = <T extends Tool.Any, R>(
  conversations: Conversations.Service,
  options: Options<T, R>,
  first: Conversations.ConversationResponse
) => {
  const handle = makeHandler(options)
  const maxSteps = options.maxSteps ?? 8
  const go = (
    response: Conversations.ConversationResponse,
    steps: ReadonlyArray<Step>
  ): Effect.Effect<Result, RunError<T>, R | Tool.Context<T>> =>
    Effect.flatMap(handle(response), (handled) => {
      if (handled === undefined) {
        return Effect.succeed({
          conversationId: response.conversation_id,
          response,
          steps: [...steps, { response, calls: [] }],
          text: Conversations.outputText(response)
        })
      }
      const done = [...steps, { response, calls: handled.calls }]
      if (done.length >= maxSteps) {
        return Effect.fail(
          new StepLimitReached({ steps: done.length, conversationId: response.conversation_id, last: response })
        )
      }
      return Effect.flatMap(conversations.append(response.conversation_id, handled.request), (next) =>
        go({ ...next, conversation_id: next.conversation_id || response.conversation_id }, done)
      )
    })
  return go(first, [])
}

/**
 * Starts a conversation with the tools (added to the request's own) and runs the loop to the end.
 *
 * @since 0.1.0
 * @category running
 */
export const run = <T extends Tool.Any, R = never>(
  request: Conversations.StartRequest,
  options: Options<T, R>
): Effect.Effect<Result, RunError<T>, Conversations.Conversations | R | Tool.Context<T>> =>
  Effect.flatMap(Conversations.Conversations, (conversations) =>
    Effect.flatMap(conversations.start(withTools(request, options.tools)), (first) =>
      loop(conversations, options, first)
    )
  )

/**
 * Appends to an existing conversation (whose tools were declared when it started) and runs the loop to the end.
 *
 * @since 0.1.0
 * @category running
 */
export const runAppend = <T extends Tool.Any, R = never>(
  conversationId: string,
  request: Conversations.AppendRequest,
  options: Options<T, R>
): Effect.Effect<Result, RunError<T>, Conversations.Conversations | R | Tool.Context<T>> =>
  Effect.flatMap(Conversations.Conversations, (conversations) =>
    Effect.flatMap(conversations.append(conversationId, request), (first) =>
      loop(conversations, options, { ...first, conversation_id: first.conversation_id || conversationId })
    )
  )

/**
 * The streamed loop: every model turn is streamed, its events emitted as they arrive, then its calls run and
 * reported, until the model answers (`Done`).
 *
 * @since 0.1.0
 * @category running
 */
export const stream = <T extends Tool.Any, R = never>(
  request: Conversations.StartRequest,
  options: Options<T, R>
): Stream.Stream<RunEvent, RunError<T>, Conversations.Conversations | R | Tool.Context<T>> =>
  Stream.unwrap(
    Effect.map(Conversations.Conversations, (conversations) => {
      const handle = makeHandler(options)
      const maxSteps = options.maxSteps ?? 8
      const turn = (
        step: number,
        events: Stream.Stream<Conversations.ConversationEvent, MistralError.MistralError>,
        conversationId: string
      ): Stream.Stream<RunEvent, RunError<T>, R | Tool.Context<T>> =>
        Stream.suspend(() => {
          const collector = Conversations.makeCollector()
          const emitted = Stream.map(events, (event): RunEvent => {
            collector.add(event)
            return { _tag: "Event", step, event }
          })
          const after = Stream.unwrap(
            Effect.map(
              Effect.suspend(() => {
                const collected = collector.result()
                const response = { ...collected, conversation_id: collected.conversation_id || conversationId }
                return Effect.map(handle(response), (handled) => ({ response, handled }))
              }),
              ({ response, handled }): Stream.Stream<RunEvent, RunError<T>, R | Tool.Context<T>> => {
                if (handled === undefined) return Stream.make<[RunEvent]>({ _tag: "Done", step, response })
                const calls = Stream.fromIterable(
                  handled.calls.map((call): RunEvent => ({ _tag: "ToolCall", step, call }))
                )
                if (step >= maxSteps) {
                  return Stream.concat(
                    calls,
                    Stream.fail(
                      new StepLimitReached({ steps: step, conversationId: response.conversation_id, last: response })
                    )
                  )
                }
                return Stream.concat(
                  calls,
                  turn(
                    step + 1,
                    conversations.appendStream(response.conversation_id, handled.request),
                    response.conversation_id
                  )
                )
              }
            )
          )
          return Stream.concat(emitted, after)
        })
      return turn(1, conversations.startStream(withTools(request, options.tools)), "")
    })
  )
