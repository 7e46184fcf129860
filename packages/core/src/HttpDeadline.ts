/**
 * A request deadline an `HttpClient` can enforce itself.
 *
 * A timeout around a call costs a forked fiber and a race on every request. A transport that marks itself with
 * `Supported` instead reads the request's deadline (`get`) when it sends the request and when it reads the answer's
 * body, and fails with a `DeadlineExceeded` cause once the deadline passes (aborting the request). `MistralClient`
 * then only sets the deadline on the request it hands to the transport, and maps that failure to its
 * `RequestTimeout` error. Any other `HttpClient` gets the plain timeout.
 *
 * The deadline is kept beside the request object (a `WeakMap`), not in a `FiberRef`: setting a fiber ref for the
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

const deadlines = globalValue(
  "@effect-mistral/core/HttpDeadline/deadlines",
  () => new WeakMap<HttpClientRequest.HttpClientRequest, number>()
)

/**
 * Sets the time (epoch milliseconds) by which `request` must be answered, head and body. Set it again before each
 * attempt: a retry sends the same request object.
 *
 * @since 0.1.0
 * @category deadlines
 */
export const set = (request: HttpClientRequest.HttpClientRequest, deadline: number): void => {
  deadlines.set(request, deadline)
}

/**
 * The deadline set for `request`, if any.
 *
 * @since 0.1.0
 * @category deadlines
 */
export const get = (request: HttpClientRequest.HttpClientRequest): number | undefined => deadlines.get(request)

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
