/**
 * The client's metrics, as Effect `Metric`s under the OpenTelemetry semantic conventions' names and units where
 * they exist (GenAI client metrics, the HTTP client's request duration) and `mistral.client.*` where they do not.
 * `@effect/opentelemetry`'s metric reader exports them as they are (each point carries a `unit` attribute, which
 * is where its exporter takes the unit from); without one they stay readable with `Metric.value`.
 *
 * Every client records them unless built with `metrics: false`. Recording does not add run-loop steps: the values
 * are written synchronously, with the label sets of an operation and model built once and reused.
 *
 * | name | type | unit | attributes |
 * | --- | --- | --- | --- |
 * | `gen_ai.client.operation.duration` | histogram | s | `gen_ai.operation.name`, `gen_ai.provider.name`, `gen_ai.request.model`, `server.address`, `error.type` (failures) |
 * | `gen_ai.client.token.usage` | histogram | {token} | the same and `gen_ai.token.type` (`input`, `output`) |
 * | `gen_ai.client.operation.time_to_first_chunk` | histogram | s | `gen_ai.operation.name`, `gen_ai.provider.name`, `gen_ai.request.model` |
 * | `http.client.request.duration` | histogram | s | `http.request.method`, `url.template`, `server.address`, `http.response.status_code`, `error.type` |
 * | `mistral.client.requests` | counter | {request} | `mistral.operation_id`, `http.response.status_class` (`2xx` … `5xx`, `none` when no answer came) |
 * | `mistral.client.retries` | counter | {retry} | `mistral.operation_id`, `mistral.retry.reason` (the error's tag) |
 * | `mistral.client.retry_after.duration` | histogram | s | `mistral.operation_id` |
 *
 * The GenAI metrics are recorded for the GenAI operations (chat and FIM completions, conversations, agents,
 * embeddings); the HTTP and `mistral.client.*` ones for every operation, per attempt.
 *
 * @since 0.2.0
 */
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"

const doubling = (first: number, count: number): MetricBoundaries.MetricBoundaries =>
  MetricBoundaries.exponential({ start: first, factor: 2, count })

/**
 * The duration of a GenAI operation, from the request to the answer (for a stream: to its end), retries included.
 *
 * @since 0.2.0
 * @category metrics
 */
export const operationDuration = Metric.histogram(
  "gen_ai.client.operation.duration",
  doubling(0.01, 14),
  "GenAI operation duration"
)

/**
 * The tokens an answer reports it used, by `gen_ai.token.type`.
 *
 * @since 0.2.0
 * @category metrics
 */
export const tokenUsage = Metric.histogram(
  "gen_ai.client.token.usage",
  MetricBoundaries.exponential({ start: 1, factor: 4, count: 14 }),
  "Number of input and output tokens used"
)

/**
 * A stream's time from the request to its first event.
 *
 * @since 0.2.0
 * @category metrics
 */
export const timeToFirstChunk = Metric.histogram(
  "gen_ai.client.operation.time_to_first_chunk",
  doubling(0.01, 14),
  "Time to receive the first chunk of a streamed GenAI answer"
)

/**
 * The duration of each HTTP attempt, to the answer's head.
 *
 * @since 0.2.0
 * @category metrics
 */
export const requestDuration = Metric.histogram(
  "http.client.request.duration",
  MetricBoundaries.fromIterable([0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]),
  "Duration of HTTP client requests"
)

/**
 * Attempts, by operation and the class of their status.
 *
 * @since 0.2.0
 * @category metrics
 */
export const requests = Metric.counter("mistral.client.requests", {
  description: "Requests sent, by operation and status class",
  incremental: true
})

/**
 * Retries, by operation and the error that caused them.
 *
 * @since 0.2.0
 * @category metrics
 */
export const retries = Metric.counter("mistral.client.retries", {
  description: "Retries, by operation and reason",
  incremental: true
})

/**
 * The time spent waiting because a server asked for it (`Retry-After`), per retry.
 *
 * @since 0.2.0
 * @category metrics
 */
export const retryAfterDuration = Metric.histogram(
  "mistral.client.retry_after.duration",
  doubling(0.05, 12),
  "Time waited on Retry-After before a retry"
)
