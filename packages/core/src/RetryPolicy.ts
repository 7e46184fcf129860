/**
 * When and how long the client waits before trying a request again.
 *
 * A policy is a `Schedule` over `MistralError`s: it decides the delays and how many attempts. Whatever the policy, the
 * client only retries errors that `MistralError.isRetryable` accepts (429, 500, 502, 503, 504, transport failures,
 * timeouts, streams that broke before their first event), and never waits less than the server's `Retry-After`.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as MistralError from "./MistralError.js"

/**
 * @since 0.1.0
 * @category models
 */
export type RetryPolicy = Schedule.Schedule<unknown, MistralError.MistralError>

/**
 * @since 0.1.0
 * @category models
 */
export interface ExponentialOptions {
  /** The first delay. Default 500 ms. */
  readonly base?: Duration.DurationInput | undefined
  /** Growth per attempt. Default 2. */
  readonly factor?: number | undefined
  /** The longest delay between two attempts (before `Retry-After`, which may ask for more). Default 8 s. */
  readonly cap?: Duration.DurationInput | undefined
  /** Retries after the first attempt. Default 4. */
  readonly maxRetries?: number | undefined
  /** Spread each delay randomly between 80% and 120%. Default true. */
  readonly jitter?: boolean | undefined
}

/**
 * Exponential backoff with jitter, capped, with a bounded number of retries.
 *
 * @since 0.1.0
 * @category constructors
 */
export const exponential = (options: ExponentialOptions = {}): RetryPolicy => {
  const cap = Duration.decode(options.cap ?? "8 seconds")
  const delays = Schedule.exponential(options.base ?? "500 millis", options.factor ?? 2)
  const jittered = options.jitter === false ? delays : Schedule.jittered(delays)
  return jittered.pipe(
    Schedule.modifyDelay((_, delay) => Duration.min(delay, cap)),
    Schedule.intersect(Schedule.recurs(options.maxRetries ?? 4))
  )
}

/**
 * The default policy: 500 ms base, doubling, jittered, capped at 8 s, at most 4 retries.
 *
 * @since 0.1.0
 * @category constructors
 */
export const defaultPolicy: RetryPolicy = exponential()

/**
 * A policy that never retries.
 *
 * @since 0.1.0
 * @category constructors
 */
export const none: RetryPolicy = Schedule.stop

/**
 * What the client reports before each retry (logged at debug level, and given to the observer if there is one).
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryAttempt {
  readonly operationId: string
  /** 1 for the first retry. */
  readonly attempt: number
  readonly delay: Duration.Duration
  readonly error: MistralError.MistralError
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ScheduleOptions {
  readonly operationId: string
  /** Which failures may be retried. Default `MistralError.isRetryable`. */
  readonly isRetryable?: ((error: MistralError.MistralError) => boolean) | undefined
  /** Told of every wait, after the debug log line. */
  readonly onRetry?: ((attempt: RetryAttempt) => Effect.Effect<void>) | undefined
  /**
   * The longest `Retry-After` worth waiting for: a server asking for more gets no retry, and the caller the error
   * (with its `retryAfter`) at once, instead of a job silently asleep for an hour. Default 1 minute.
   */
  readonly maxRetryAfter?: Duration.DurationInput | undefined
}

/**
 * Turns a policy into the schedule the client runs: only retryable errors, never sooner than `Retry-After` (and not
 * at all when it asks for more than `maxRetryAfter`), and a debug log line (plus the optional observer) for every
 * wait.
 *
 * @since 0.1.0
 * @category combinators
 */
export const toSchedule = (
  policy: RetryPolicy,
  options: ScheduleOptions
): Schedule.Schedule<unknown, MistralError.MistralError> => {
  const { operationId, onRetry: observer } = options
  const isRetryable = options.isRetryable ?? MistralError.isRetryable
  const maxRetryAfter = Duration.decode(options.maxRetryAfter ?? "1 minute")
  const worthWaiting = (error: MistralError.MistralError) => {
    const asked = MistralError.retryAfter(error)
    return asked === undefined || Duration.lessThanOrEqualTo(asked, maxRetryAfter)
  }
  return Schedule.intersect(policy, Schedule.identity<MistralError.MistralError>()).pipe(
    Schedule.intersect(Schedule.count),
    Schedule.whileInput((error: MistralError.MistralError) => isRetryable(error) && worthWaiting(error)),
    Schedule.modifyDelayEffect(([[, error], count], delay) => {
      const floor = MistralError.retryAfter(error)
      // whole milliseconds: jitter makes fractions nobody needs to read
      const wait = Duration.millis(
        Math.ceil(Duration.toMillis(floor !== undefined && Duration.greaterThan(floor, delay) ? floor : delay))
      )
      const attempt: RetryAttempt = { operationId, attempt: count + 1, delay: wait, error }
      const log = Effect.logDebug(`Retrying ${operationId} in ${Duration.format(wait)}`).pipe(
        Effect.annotateLogs({
          "mistral.operation": operationId,
          "mistral.attempt": attempt.attempt,
          "mistral.error": error._tag,
          ...("status" in error ? { "mistral.status": error.status } : {})
        })
      )
      return (observer === undefined ? log : Effect.zipRight(log, observer(attempt))).pipe(Effect.as(wait))
    })
  )
}
