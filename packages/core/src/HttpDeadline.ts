/**
 * A request deadline an `HttpClient` can enforce itself.
 *
 * A timeout around a call costs a forked fiber and a race on every request. A transport that marks itself with
 * `Supported` instead reads `currentDeadline` when it sends a request and when it reads the answer's body, and fails
 * with a `DeadlineExceeded` cause once the deadline passes (aborting the request). `MistralClient` then only sets
 * the deadline, and maps that failure to its `RequestTimeout` error. Any other `HttpClient` gets the plain timeout.
 *
 * @since 0.1.0
 */
import * as FiberRef from "effect/FiberRef"
import { globalValue } from "effect/GlobalValue"
import * as Predicate from "effect/Predicate"

/**
 * The mark of an `HttpClient` that enforces `currentDeadline`.
 *
 * @since 0.1.0
 * @category type ids
 */
export const Supported: unique symbol = Symbol.for("@effect-mistral/core/HttpDeadline/Supported")

/**
 * The time (epoch milliseconds) by which the request in progress must be answered, head and body.
 *
 * @since 0.1.0
 * @category fiber refs
 */
export const currentDeadline: FiberRef.FiberRef<number | undefined> = globalValue(
  "@effect-mistral/core/HttpDeadline/currentDeadline",
  () => FiberRef.unsafeMake<number | undefined>(undefined)
)

/**
 * The cause a transport fails with when the deadline passes.
 *
 * @since 0.1.0
 * @category errors
 */
export class DeadlineExceeded extends Error {
  constructor() {
    super("the request deadline passed")
    this.name = "DeadlineExceeded"
  }
}

/**
 * Whether an `HttpClient` enforces deadlines itself.
 *
 * @since 0.1.0
 * @category guards
 */
export const isSupported = (client: unknown): boolean => Predicate.hasProperty(client, Supported)

/**
 * Whether a transport failure's cause is a passed deadline.
 *
 * @since 0.1.0
 * @category guards
 */
export const isDeadlineExceeded = (cause: unknown): boolean => cause instanceof DeadlineExceeded
