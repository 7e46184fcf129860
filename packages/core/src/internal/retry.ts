/**
 * The retry stage: `Effect.retry` and `Stream.retry` without their cost on the way that needs no retry. The schedule
 * is built and started only on a failure that may be retried.
 */
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"

/**
 * Retries `self` by `schedule`, whose first input is the first failure; the schedule is only built and started on
 * a failure that `shouldRetry` accepts.
 */
export const retry = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  schedule: () => Schedule.Schedule<unknown, E>,
  shouldRetry: (error: E) => boolean
): Effect.Effect<A, E, R> =>
  Effect.catchIf(self, shouldRetry, (first) =>
    Effect.flatMap(Schedule.driver(schedule()), (driver) => {
      const loop = (error: E): Effect.Effect<A, E, R> =>
        Effect.matchEffect(driver.next(error), {
          onFailure: () => Effect.fail(error),
          onSuccess: () => Effect.catchAll(self, loop)
        })
      return loop(first)
    })
  )

/**
 * Retries the stream `self` by `schedule` on a failure `shouldRetry` accepts, like `Stream.retry` but without its
 * cost on every chunk (`Stream.retry` provides the schedule's iteration metadata to each pull and resets the schedule
 * after each chunk: about forty run-loop steps per chunk). The schedule is not reset by elements, which is what a
 * stream retried only before its first element needs.
 */
export const retryStream = <A, E, R>(
  self: Stream.Stream<A, E, R>,
  schedule: () => Schedule.Schedule<unknown, E>,
  shouldRetry: (error: E) => boolean
): Stream.Stream<A, E, R> =>
  Stream.catchAll(self, (first) =>
    shouldRetry(first)
      ? Stream.unwrap(
          Effect.map(Schedule.driver(schedule()), (driver) => {
            const loop = (error: E): Stream.Stream<A, E, R> =>
              Stream.unwrap(
                Effect.match(driver.next(error), {
                  onFailure: () => Stream.fail(error),
                  onSuccess: () => Stream.catchAll(self, loop)
                })
              )
            return loop(first)
          })
        )
      : Stream.fail(first)
  )
