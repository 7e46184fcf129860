/**
 * `--trace`: the run under the OpenTelemetry SDK (`@effect/opentelemetry`'s NodeSdk, spans kept in memory), and
 * when it ends its spans printed as a tree with their durations and the attributes a person reads first.
 */
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import type { ReadableSpan, SpanProcessor } from "@opentelemetry/sdk-trace-base"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"

const millis = (span: ReadableSpan) => span.duration[0] * 1_000 + span.duration[1] / 1_000_000
const startOf = (span: ReadableSpan) => span.startTime[0] * 1_000 + span.startTime[1] / 1_000_000

/** The few attributes that say what a span did. */
const details = (span: ReadableSpan): string => {
  const attributes = span.attributes
  const parts: Array<string> = []
  const status = attributes["http.response.status_code"]
  if (status !== undefined) parts.push(String(status))
  const error = attributes["error.type"]
  if (error !== undefined) parts.push(`error ${String(error)}`)
  const input = attributes["gen_ai.usage.input_tokens"]
  const output = attributes["gen_ai.usage.output_tokens"]
  if (input !== undefined || output !== undefined) parts.push(`${input ?? 0} → ${output ?? 0} tokens`)
  const events = attributes["mistral.stream.events"]
  if (events !== undefined) parts.push(`${events} events`)
  const retries = attributes["mistral.retry_count"]
  if (typeof retries === "number" && retries > 0) parts.push(`${retries} ${retries === 1 ? "retry" : "retries"}`)
  return parts.length === 0 ? "" : `  (${parts.join(", ")})`
}

/** The spans as a tree, children in the order they started. */
export const render = (spans: ReadonlyArray<ReadableSpan>): string => {
  const ids = new Set(spans.map((span) => span.spanContext().spanId))
  const children = new Map<string | undefined, Array<ReadableSpan>>()
  for (const span of spans) {
    const parent = span.parentSpanContext?.spanId
    const key = parent !== undefined && ids.has(parent) ? parent : undefined
    const siblings = children.get(key) ?? []
    siblings.push(span)
    children.set(key, siblings)
  }
  for (const siblings of children.values()) siblings.sort((a, b) => startOf(a) - startOf(b))
  const rows: Array<{ readonly label: string; readonly duration: string }> = []
  const walk = (span: ReadableSpan, prefix: string, last: boolean, root: boolean) => {
    const branch = root ? "" : last ? "└─ " : "├─ "
    rows.push({ label: `${prefix}${branch}${span.name}${details(span)}`, duration: `${millis(span).toFixed(1)} ms` })
    const below = children.get(span.spanContext().spanId) ?? []
    const next = root ? "" : `${prefix}${last ? "   " : "│  "}`
    for (const [index, child] of below.entries()) walk(child, next, index === below.length - 1, false)
  }
  for (const root of children.get(undefined) ?? []) walk(root, "", true, true)
  const width = Math.max(...rows.map((row) => row.label.length), 20)
  const durations = Math.max(...rows.map((row) => row.duration.length), 8)
  return rows.map((row) => `   ${row.label.padEnd(width)}  ${row.duration.padStart(durations)}`).join("\n")
}

/** Runs `self` in a root span named `name` under the SDK when `enabled`, then prints its spans. */
export const traced = <A, E, R>(
  enabled: boolean,
  name: string,
  self: Effect.Effect<A, E, R>,
  print: (text: string) => Effect.Effect<void> = Console.log
) => {
  if (!enabled) return self
  // every span as it ends (an in-memory exporter forgets its spans when the SDK shuts down)
  const spans: Array<ReadableSpan> = []
  const keep: SpanProcessor = {
    onStart: () => {},
    onEnd: (span) => {
      spans.push(span)
    },
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve()
  }
  const sdk = NodeSdk.layer(() => ({ resource: { serviceName: "effect-mistral-demo" }, spanProcessor: keep }))
  // the SDK's layer is closed when the run ends (its spans are flushed), then the tree is printed
  return Effect.ensuring(
    Effect.provide(Effect.withSpan(self, name), sdk),
    Effect.suspend(() => print(`\nTrace: ${spans.length} spans (--trace)\n${render(spans)}`))
  )
}
