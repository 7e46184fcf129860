/**
 * The observe stage: a client span per operation, skipped when only the built-in tracer is there to receive it (an
 * unused span costs about 15 µs per request).
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type * as Tracer from "effect/Tracer"

// The tracer of a default runtime: an installed tracer is another instance.
const nativeTracer: Tracer.Tracer = Effect.runSync(Effect.tracer)

/** A span around `self`, skipped when only the built-in tracer is there to receive it. */
export const withSpan = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  name: string,
  attributes: () => Record<string, unknown>
): Effect.Effect<A, E, R> =>
  Effect.tracerWith((tracer) =>
    tracer === nativeTracer
      ? self
      : Effect.withSpan(self, name, { kind: "client", captureStackTrace: false, attributes: attributes() })
  )

/** `withSpan` for streams. */
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
