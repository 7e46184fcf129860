/**
 * The observe stage: what a call shows of itself to the program around it.
 *
 * - Trace context on the wire: the current span's `traceparent` (and `tracestate`, `b3`) on every attempt.
 * - One client span per call (for a stream: to its end) with the OpenTelemetry HTTP client and GenAI attributes,
 *   when a tracer is installed; with only the built-in tracer there is no span (it would cost about 15 µs a call
 *   and go nowhere), but a current span of the program is still propagated.
 * - The metrics of `MistralMetrics`, written synchronously (no run-loop steps) with label sets built once.
 * - A log line per attempt when the client's `log` is `debug` or `trace`.
 *
 * A call begins its `Observation` in the step that reads its settings; the other stages report to it through
 * plain method calls, so none of this adds effects to a call that nothing observes.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpTraceContext from "@effect/platform/HttpTraceContext"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import type * as Metric from "effect/Metric"
import * as MetricLabel from "effect/MetricLabel"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import type * as MistralConfig from "../MistralConfig.js"
import type * as MistralError from "../MistralError.js"
import * as MistralMetrics from "../MistralMetrics.js"
import type * as MistralTransport from "../MistralTransport.js"
import type * as Operation from "../Operation.js"
import type * as RetryPolicy from "../RetryPolicy.js"
import * as Errors from "./errors.js"

// The tracer of a default runtime: an installed tracer is another instance.
const nativeTracer: Tracer.Tracer = Effect.runSync(Effect.tracer)

/** What a client observes, fixed when it is built. */
export interface Settings {
  readonly propagation: boolean
  readonly metrics: boolean
  readonly log: MistralConfig.LogMode
  readonly captureContent: boolean
  readonly serverAddress: string
  readonly serverPort: number | undefined
  /** Takes the key out of any text that is logged. */
  readonly scrub: (text: string) => string
}

export const settings = (config: MistralConfig.Resolved, scrub: (text: string) => string): Settings => {
  let serverAddress = config.baseUrl
  let serverPort: number | undefined
  try {
    const url = new URL(config.baseUrl)
    serverAddress = url.hostname
    serverPort = url.port === "" ? (url.protocol === "http:" ? 80 : 443) : Number(url.port)
  } catch {
    // a base URL that does not parse fails the request itself; the span names it as given
  }
  return {
    propagation: config.tracerPropagation,
    metrics: config.metrics,
    log: config.log,
    captureContent: config.captureContent,
    serverAddress,
    serverPort,
    scrub
  }
}

/** The GenAI operation (`gen_ai.operation.name`) of the operations the conventions name. */
const genAiOperations: Readonly<Record<string, string>> = {
  chat_completion_v1_chat_completions_post: "chat",
  agents_completion_v1_agents_completions_post: "invoke_agent",
  fim_completion_v1_fim_completions_post: "text_completion",
  embeddings_v1_embeddings_post: "embeddings",
  agents_api_v1_agents_create: "create_agent",
  agents_api_v1_conversations_start: "chat",
  agents_api_v1_conversations_start_stream: "chat",
  agents_api_v1_conversations_append: "chat",
  agents_api_v1_conversations_append_stream: "chat",
  agents_api_v1_conversations_restart: "chat",
  agents_api_v1_conversations_restart_stream: "chat"
}

const PROVIDER = "mistral_ai"

type Record_ = Readonly<Record<string, unknown>>

const recordOf = (value: unknown): Record_ | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record_) : undefined

const stringOf = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined)

const numberOf = (value: unknown): number | undefined => (typeof value === "number" ? value : undefined)

/** The label sets of one operation and model, built on first use and reused (the metric hooks are cached by them). */
interface Labels {
  readonly duration: ReadonlyArray<MetricLabel.MetricLabel>
  readonly failed: Map<string, ReadonlyArray<MetricLabel.MetricLabel>>
  readonly input: ReadonlyArray<MetricLabel.MetricLabel>
  readonly output: ReadonlyArray<MetricLabel.MetricLabel>
  readonly firstChunk: ReadonlyArray<MetricLabel.MetricLabel>
  readonly attempts: Map<
    string,
    { readonly http: ReadonlyArray<MetricLabel.MetricLabel>; readonly requests: ReadonlyArray<MetricLabel.MetricLabel> }
  >
  readonly retries: Map<string, ReadonlyArray<MetricLabel.MetricLabel>>
  readonly retryAfter: ReadonlyArray<MetricLabel.MetricLabel>
}

const label = MetricLabel.make
const labelCache = new Map<string, Labels>()
const LABEL_CACHE_LIMIT = 2_048

const labelsOf = (
  settings: Settings,
  operation: Operation.Operation,
  genAi: string | undefined,
  model: string | undefined
): Labels => {
  const key = `${settings.serverAddress}\u0000${operation.operationId}\u0000${model ?? ""}`
  let labels = labelCache.get(key)
  if (labels !== undefined) return labels
  if (labelCache.size >= LABEL_CACHE_LIMIT) labelCache.clear()
  const genAiLabels = [
    label("gen_ai.operation.name", genAi ?? operation.operationId),
    label("gen_ai.provider.name", PROVIDER),
    ...(model === undefined ? [] : [label("gen_ai.request.model", model)])
  ]
  const seconds = label("unit", "s")
  const operationId = label("mistral.operation_id", operation.operationId)
  labels = {
    duration: [seconds, ...genAiLabels, label("server.address", settings.serverAddress)],
    failed: new Map(),
    input: [label("unit", "{token}"), ...genAiLabels, label("gen_ai.token.type", "input")],
    output: [label("unit", "{token}"), ...genAiLabels, label("gen_ai.token.type", "output")],
    firstChunk: [seconds, ...genAiLabels],
    attempts: new Map(),
    retries: new Map(),
    retryAfter: [seconds, operationId]
  }
  labelCache.set(key, labels)
  return labels
}

const failedLabels = (labels: Labels, errorType: string) => {
  let found = labels.failed.get(errorType)
  if (found === undefined) {
    found = [...labels.duration, label("error.type", errorType)]
    labels.failed.set(errorType, found)
  }
  return found
}

const attemptLabels = (
  settings: Settings,
  labels: Labels,
  operation: Operation.Operation,
  status: number | undefined,
  errorType: string | undefined
) => {
  const key = `${status ?? ""}\u0000${errorType ?? ""}`
  let found = labels.attempts.get(key)
  if (found === undefined) {
    const statusClass = status === undefined ? "none" : `${Math.floor(status / 100)}xx`
    found = {
      http: [
        label("unit", "s"),
        label("http.request.method", operation.method),
        label("url.template", operation.path),
        label("server.address", settings.serverAddress),
        ...(status === undefined ? [] : [label("http.response.status_code", String(status))]),
        ...(errorType === undefined ? [] : [label("error.type", errorType)])
      ],
      requests: [
        label("unit", "{request}"),
        label("mistral.operation_id", operation.operationId),
        label("http.response.status_class", statusClass)
      ]
    }
    labels.attempts.set(key, found)
  }
  return found
}

const retryLabels = (labels: Labels, operation: Operation.Operation, reason: string) => {
  let found = labels.retries.get(reason)
  if (found === undefined) {
    found = [
      label("unit", "{retry}"),
      label("mistral.operation_id", operation.operationId),
      label("mistral.retry.reason", reason)
    ]
    labels.retries.set(reason, found)
  }
  return found
}

const update = <Type, In, Out>(
  metric: Metric.Metric<Type, In, Out>,
  value: In,
  labels: ReadonlyArray<MetricLabel.MetricLabel>
) => metric.unsafeUpdate(value, labels)

const MAX_CONTENT = 64 * 1024
const MAX_LOGGED_BODY = 2 * 1024

const truncate = (text: string, max: number) =>
  text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`

const json = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? ""
  } catch {
    return String(value)
  }
}

/** The trace state of an OpenTelemetry span behind an Effect span, when it has one. */
const traceStateOf = (span: Tracer.AnySpan): string | undefined => {
  const inner = (
    span as { readonly span?: { readonly spanContext?: () => { readonly traceState?: { serialize(): string } } } }
  ).span
  const state = typeof inner?.spanContext === "function" ? inner.spanContext().traceState : undefined
  const serialized = state?.serialize()
  return serialized === undefined || serialized === "" ? undefined : serialized
}

/**
 * An array attribute. `@effect/opentelemetry` passes a span's non-primitive attributes on as text, so the array is
 * also set on the OpenTelemetry span behind the Effect span, when there is one, as the conventions type it.
 */
const arrayAttribute = (span: Tracer.Span, key: string, values: ReadonlyArray<string>): void => {
  span.attribute(key, values)
  const inner = (span as { readonly span?: { readonly setAttribute?: (key: string, value: Array<string>) => void } })
    .span
  if (typeof inner?.setAttribute === "function") inner.setAttribute(key, [...values])
}

/** The trace context headers that name `span`. */
export const traceHeaders = (span: Tracer.AnySpan): Record<string, string> => {
  const headers: Record<string, string> =
    span._tag === "Span"
      ? { ...HttpTraceContext.toHeaders(span) }
      : {
          traceparent: `00-${span.traceId}-${span.spanId}-${span.sampled ? "01" : "00"}`,
          b3: `${span.traceId}-${span.spanId}-${span.sampled ? "1" : "0"}`
        }
  const state = traceStateOf(span)
  if (state !== undefined) headers.tracestate = state
  return headers
}

/**
 * One call's observation: the stages report the attempts, answers, events and retries; at the end it sets the
 * span's attributes and writes the metrics.
 */
export class Observation {
  attempts = 0
  status: number | undefined
  requestId: string | undefined
  attemptStart = 0
  events = 0
  firstEventAt: number | undefined
  responseId: string | undefined
  responseModel: string | undefined
  conversationId: string | undefined
  finishReasons: Array<string> | undefined
  inputTokens: number | undefined
  outputTokens: number | undefined
  /** The output recorded for content capture (the answer; for a stream, its events). */
  output: Array<unknown> | undefined
  readonly started = performance.now()
  readonly labels: Labels | undefined

  constructor(
    readonly settings: Settings,
    readonly operation: Operation.Operation,
    readonly body: Record_ | undefined,
    readonly path: string,
    readonly genAi: string | undefined,
    readonly model: string | undefined,
    /** A span to make for the call (an installed tracer). */
    readonly tracing: boolean,
    /** The span whose context goes on the wire when the call makes none. */
    readonly parent: Tracer.AnySpan | undefined,
    readonly propagation: boolean
  ) {
    this.labels = settings.metrics ? labelsOf(settings, operation, genAi, model) : undefined
  }

  get spanName(): string {
    if (this.genAi === undefined) return `Mistral.${this.operation.operationId}`
    const agent = stringOf(this.body?.agent_id)
    const target = this.genAi === "invoke_agent" ? agent : (this.model ?? agent)
    return target === undefined ? this.genAi : `${this.genAi} ${target}`
  }

  /** The attributes known before the request. */
  startAttributes(): Record<string, unknown> {
    const attributes: Record<string, unknown> = {
      "mistral.operation_id": this.operation.operationId,
      "http.request.method": this.operation.method,
      "url.template": this.operation.path,
      "url.path": this.path,
      "server.address": this.settings.serverAddress
    }
    if (this.settings.serverPort !== undefined) attributes["server.port"] = this.settings.serverPort
    if (this.genAi !== undefined) {
      attributes["gen_ai.operation.name"] = this.genAi
      attributes["gen_ai.provider.name"] = PROVIDER
      if (this.model !== undefined) attributes["gen_ai.request.model"] = this.model
      const body = this.body
      const args = recordOf(body?.completion_args)
      const maxTokens = numberOf(body?.max_tokens) ?? numberOf(args?.max_tokens)
      const temperature = numberOf(body?.temperature) ?? numberOf(args?.temperature)
      const topP = numberOf(body?.top_p) ?? numberOf(args?.top_p)
      if (maxTokens !== undefined) attributes["gen_ai.request.max_tokens"] = maxTokens
      if (temperature !== undefined) attributes["gen_ai.request.temperature"] = temperature
      if (topP !== undefined) attributes["gen_ai.request.top_p"] = topP
      const agent = stringOf(body?.agent_id)
      if (agent !== undefined) attributes["gen_ai.agent.id"] = agent
      if (this.conversationId !== undefined) attributes["gen_ai.conversation.id"] = this.conversationId
      if (this.settings.captureContent) {
        const input = body?.messages ?? body?.inputs ?? body?.input ?? body?.prompt
        if (input !== undefined)
          attributes["gen_ai.input.messages"] = this.settings.scrub(truncate(json(input), MAX_CONTENT))
      }
    }
    return attributes
  }

  /** The request, with the trace context of `span` (the call's) or of the program's current span. */
  request(
    request: HttpClientRequest.HttpClientRequest,
    span: Tracer.AnySpan | undefined
  ): HttpClientRequest.HttpClientRequest {
    const current = span ?? this.parent
    return this.propagation && current !== undefined
      ? HttpClientRequest.setHeaders(request, traceHeaders(current))
      : request
  }

  /** An attempt is being sent. */
  attempt(): void {
    this.attempts++
    this.attemptStart = performance.now()
  }

  /** An attempt was answered (its head) or failed without an answer. */
  answered(response: MistralTransport.Response | undefined, error: MistralError.MistralError | undefined): void {
    if (response !== undefined) {
      this.status = response.status
      this.requestId = Errors.requestIdOf(response.headers) ?? this.requestId
    }
    const labels = this.labels
    if (labels === undefined) return
    const status = response?.status
    const errorType = error?._tag ?? (status !== undefined && status >= 400 ? String(status) : undefined)
    const attempt = attemptLabels(this.settings, labels, this.operation, status, errorType)
    update(MistralMetrics.requestDuration, (performance.now() - this.attemptStart) / 1000, attempt.http)
    update(MistralMetrics.requests, 1, attempt.requests)
  }

  /** A retry is about to wait. */
  retried(attempt: RetryPolicy.RetryAttempt): void {
    const labels = this.labels
    if (labels === undefined) return
    update(MistralMetrics.retries, 1, retryLabels(labels, this.operation, attempt.error._tag))
    // the wait was the server's when the error carried a Retry-After
    if ((attempt.error as { readonly retryAfter?: unknown }).retryAfter !== undefined) {
      update(MistralMetrics.retryAfterDuration, Duration.toMillis(attempt.delay) / 1000, labels.retryAfter)
    }
  }

  /** What an answer or an event says of itself. */
  inspect(value: unknown): void {
    const record = recordOf(value)
    if (record === undefined) return
    this.responseId ??= stringOf(record.id)
    this.responseModel ??= stringOf(record.model)
    this.conversationId ??= stringOf(record.conversation_id)
    const choices = record.choices
    if (Array.isArray(choices)) {
      for (const choice of choices) {
        const reason = stringOf(recordOf(choice)?.finish_reason)
        if (reason === undefined) continue
        this.finishReasons ??= []
        if (!this.finishReasons.includes(reason)) this.finishReasons.push(reason)
      }
    }
    const usage = recordOf(record.usage)
    if (usage !== undefined) {
      this.inputTokens = numberOf(usage.prompt_tokens) ?? this.inputTokens
      this.outputTokens = numberOf(usage.completion_tokens) ?? this.outputTokens
    }
    if (this.settings.captureContent) {
      this.output ??= []
      this.output.push(record.choices ?? record.outputs ?? record.data ?? record)
    }
  }

  /** A stream's events, as they are handed on. */
  readonly onEvents = (events: ReadonlyArray<unknown>): void => {
    if (events.length === 0) return
    if (this.firstEventAt === undefined) this.firstEventAt = performance.now()
    this.events += events.length
    for (const event of events) this.inspect(event)
  }

  /** The call ended: the span's attributes and the metrics. */
  end(exit: Exit.Exit<unknown, MistralError.MistralError>, span: Tracer.Span | undefined, streamed: boolean): void {
    if (exit._tag === "Success" && !streamed) this.inspect(exit.value)
    const error = exit._tag === "Failure" ? Cause.failureOption(exit.cause) : undefined
    const errorType =
      exit._tag === "Success"
        ? undefined
        : error !== undefined && error._tag === "Some"
          ? error.value._tag
          : Cause.isInterruptedOnly(exit.cause)
            ? undefined
            : "Defect"
    if (span !== undefined) this.annotate(span, errorType, streamed)
    const labels = this.labels
    if (labels === undefined || this.genAi === undefined) return
    const seconds = (performance.now() - this.started) / 1000
    update(
      MistralMetrics.operationDuration,
      seconds,
      errorType === undefined ? labels.duration : failedLabels(labels, errorType)
    )
    if (this.inputTokens !== undefined) update(MistralMetrics.tokenUsage, this.inputTokens, labels.input)
    if (this.outputTokens !== undefined) update(MistralMetrics.tokenUsage, this.outputTokens, labels.output)
    if (streamed && this.firstEventAt !== undefined) {
      update(MistralMetrics.timeToFirstChunk, (this.firstEventAt - this.started) / 1000, labels.firstChunk)
    }
  }

  private annotate(span: Tracer.Span, errorType: string | undefined, streamed: boolean): void {
    if (this.status !== undefined) span.attribute("http.response.status_code", this.status)
    if (this.requestId !== undefined) span.attribute("mistral.request_id", this.requestId)
    span.attribute("mistral.retry_count", Math.max(0, this.attempts - 1))
    if (errorType !== undefined) span.attribute("error.type", errorType)
    if (streamed) span.attribute("mistral.stream.events", this.events)
    if (this.genAi === undefined) return
    if (this.responseId !== undefined) span.attribute("gen_ai.response.id", this.responseId)
    if (this.responseModel !== undefined) span.attribute("gen_ai.response.model", this.responseModel)
    if (this.conversationId !== undefined) span.attribute("gen_ai.conversation.id", this.conversationId)
    if (this.finishReasons !== undefined) arrayAttribute(span, "gen_ai.response.finish_reasons", this.finishReasons)
    if (this.inputTokens !== undefined) span.attribute("gen_ai.usage.input_tokens", this.inputTokens)
    if (this.outputTokens !== undefined) span.attribute("gen_ai.usage.output_tokens", this.outputTokens)
    if (this.output !== undefined)
      span.attribute("gen_ai.output.messages", this.settings.scrub(truncate(json(this.output), MAX_CONTENT)))
  }

  /** The log line of an attempt (debug), and its bodies (trace). */
  logAttempt(
    exit: Exit.Exit<unknown, MistralError.MistralError>,
    request: HttpClientRequest.HttpClientRequest
  ): Effect.Effect<void> {
    const duration = performance.now() - this.attemptStart
    const failure = exit._tag === "Failure" ? Cause.failureOption(exit.cause) : undefined
    const outcome =
      exit._tag === "Success" || this.status !== undefined
        ? String(this.status ?? "")
        : failure !== undefined && failure._tag === "Some"
          ? failure.value._tag
          : "interrupted"
    const annotations = {
      "mistral.operation_id": this.operation.operationId,
      "http.request.method": this.operation.method,
      "url.path": this.path,
      "http.response.status_code": this.status,
      "mistral.request_id": this.requestId,
      "mistral.attempt": this.attempts,
      duration_ms: Math.round(duration * 10) / 10
    }
    const line = Effect.annotateLogs(
      Effect.logDebug(
        `Mistral ${this.operation.operationId}: ${this.operation.method} ${this.path} ${outcome} in ${duration.toFixed(1)} ms (attempt ${this.attempts}${this.requestId === undefined ? "" : `, request ${this.requestId}`})`
      ),
      annotations
    )
    if (this.settings.log !== "trace") return Logger.withMinimumLogLevel(line, LogLevel.Debug)
    const sent = request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : undefined
    const answer = exit._tag === "Success" && exit.value !== undefined ? json(exit.value) : undefined
    const bodies = Effect.annotateLogs(
      Effect.logTrace(
        this.settings.scrub(
          `Mistral ${this.operation.operationId} bodies: request ${sent === undefined ? "(none)" : truncate(sent, MAX_LOGGED_BODY)}${
            answer === undefined ? "" : `; answer ${truncate(answer, MAX_LOGGED_BODY)}`
          }`
        )
      ),
      annotations
    )
    return Logger.withMinimumLogLevel(Effect.zipRight(line, bodies), LogLevel.Trace)
  }
}

/**
 * A call's observation, or nothing when nothing observes it (no tracer, no current span to propagate, metrics and
 * log off). Read from the fiber in the step that begins the call.
 */
export const begin = (
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  settings: Settings,
  operation: Operation.Operation,
  input: { readonly body?: unknown; readonly path?: unknown } | undefined,
  path: string
): Observation | undefined => {
  const tracing = fiber.currentTracer !== nativeTracer
  const parent = fiber.currentSpan
  const propagation = settings.propagation && fiber.getFiberRef(HttpClient.currentTracerPropagation)
  if (!tracing && !settings.metrics && settings.log === "off" && !(propagation && parent !== undefined)) {
    return undefined
  }
  const record = recordOf(input?.body)
  const genAi = genAiOperations[operation.operationId]
  const model = stringOf(record?.model)
  const observation = new Observation(settings, operation, record, path, genAi, model, tracing, parent, propagation)
  // an append or a restart names its conversation in the path
  observation.conversationId = stringOf(recordOf(input?.path)?.conversation_id)
  return observation
}

/**
 * A client span around a stream that is not a request of the pipeline (a realtime session over a WebSocket), when a
 * tracer is installed.
 */
export const withStreamSpan = <A, E, R>(
  self: Stream.Stream<A, E, R>,
  name: string,
  attributes: () => Record<string, unknown>
): Stream.Stream<A, E, R> =>
  Stream.unwrap(
    Effect.tracerWith((tracer) =>
      Effect.succeed(
        tracer === nativeTracer
          ? self
          : Stream.withSpan(self, name, { kind: "client", captureStackTrace: false, attributes: attributes() })
      )
    )
  )

/**
 * A tool's execution as a GenAI `execute_tool` span, when a tracer is installed (with the built-in tracer it would
 * go nowhere).
 */
export const toolSpan = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  tool: string,
  toolCallId: string
): Effect.Effect<A, E, R> =>
  Effect.tracerWith((tracer) =>
    tracer === nativeTracer
      ? self
      : Effect.withSpan(self, `execute_tool ${tool}`, {
          kind: "internal",
          captureStackTrace: false,
          attributes: {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.provider.name": PROVIDER,
            "gen_ai.tool.name": tool,
            "gen_ai.tool.call.id": toolCallId,
            "gen_ai.tool.type": "function"
          }
        })
  )

const spanOptions = (observation: Observation): Tracer.SpanOptions => ({
  kind: "client",
  captureStackTrace: false,
  attributes: observation.startAttributes()
})

/** A plain call observed: its span (when tracing) around `run`, which gets the span to propagate. */
export const call = <A>(
  observation: Observation,
  run: (span: Tracer.Span | undefined) => Effect.Effect<A, MistralError.MistralError>
): Effect.Effect<A, MistralError.MistralError> => {
  if (!observation.tracing) {
    // without a span only the metrics need the end: an interrupted call records none (and costs no finalizer)
    return Effect.matchCauseEffect(run(undefined), {
      onFailure: (cause) => {
        observation.end(Exit.failCause(cause), undefined, false)
        return Effect.failCause(cause)
      },
      onSuccess: (value) => {
        observation.end(Exit.succeed(value), undefined, false)
        return Effect.succeed(value)
      }
    })
  }
  return Effect.useSpan(observation.spanName, spanOptions(observation), (span) =>
    Effect.withParentSpan(
      Effect.onExit(run(span), (exit) => Effect.sync(() => observation.end(exit, span, false))),
      span
    )
  )
}

/** A stream observed: its span (when tracing) from the request to the stream's end. */
export const stream = <A>(
  observation: Observation,
  run: (span: Tracer.Span | undefined) => Stream.Stream<A, MistralError.MistralError>
): Stream.Stream<A, MistralError.MistralError> => {
  const observed = (span: Tracer.Span | undefined) =>
    Stream.ensuringWith(
      span === undefined ? run(undefined) : Stream.provideService(run(span), Tracer.ParentSpan, span),
      (exit) => Effect.sync(() => observation.end(exit, span, true))
    )
  if (!observation.tracing) return Stream.suspend(() => observed(undefined))
  return Stream.unwrapScoped(
    Effect.map(Effect.makeSpanScoped(observation.spanName, spanOptions(observation)), observed)
  )
}
