/**
 * A request deadline an `HttpClient` can enforce itself.
 *
 * A timeout around a call costs a forked fiber and a race on every request, and an idle timeout around a streamed
 * body one more on every read. A transport that marks itself with `Supported` instead reads the request's limits
 * (`get`): it fails with a `DeadlineExceeded` cause once the deadline passes before the head (or before a body read
 * whole), aborting the request, and fails a streamed body with an `IdleTimeoutExceeded` cause when its next bytes
 * are late. `MistralClient` then only sets the limits on the request it hands to the transport, and maps those
 * failures to its `RequestTimeout` and `StreamIdleTimeout` errors. Any other `HttpClient` gets the plain timeouts.
 *
 * The limits are kept beside the request object (a `WeakMap`), not in a `FiberRef`: setting a fiber ref for the
 * length of a call costs a copy of the fiber's refs and about twenty run-loop steps on every request.
 *
 * @since 0.1.0
 */
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
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
 * The limits of one request.
 *
 * @since 0.1.0
 * @category models
 */
export interface Limits {
  /** The time (epoch milliseconds) by which the head must arrive, and a body read whole (`text`, `json`, …). */
  readonly deadline: number
  /**
   * For a body read as a stream: the longest wait, in milliseconds, for its next bytes (the time the reader spends
   * between reads does not count). Without it a streamed body has no limit.
   */
  readonly idleTimeout?: number | undefined
  /**
   * The caller reads the body whole, as text (`text`, `json`), as soon as the head is there: the transport may read it
   * before answering, in the same wait (the response's `text` is then at hand, its other readers see the same text).
   */
  readonly readsText?: boolean | undefined
}

const limits = globalValue(
  "@effect-mistral/core/HttpDeadline/limits",
  () => new WeakMap<HttpClientRequest.HttpClientRequest, Limits>()
)

/**
 * Sets the limits of `request`. Set them again before each attempt: a retry sends the same request object.
 *
 * @since 0.1.0
 * @category deadlines
 */
export const set = (request: HttpClientRequest.HttpClientRequest, requestLimits: Limits): void => {
  limits.set(request, requestLimits)
}

/**
 * The limits set for `request`, if any.
 *
 * @since 0.1.0
 * @category deadlines
 */
export const get = (request: HttpClientRequest.HttpClientRequest): Limits | undefined => limits.get(request)

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

/**
 * The cause a transport fails a streamed body with when no bytes came within the idle timeout.
 *
 * @since 0.1.0
 * @category errors
 */
export class IdleTimeoutExceeded extends Error {
  constructor() {
    super("no bytes came within the idle timeout")
    this.name = "IdleTimeoutExceeded"
  }
}

/**
 * Whether a streamed body's failure is a passed idle timeout.
 *
 * @since 0.1.0
 * @category guards
 */
export const isIdleTimeoutExceeded = (cause: unknown): boolean => cause instanceof IdleTimeoutExceeded
