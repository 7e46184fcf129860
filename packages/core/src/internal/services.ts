/**
 * What the services share: request types derived from descriptors, and pagination as a `Stream`.
 */
import * as Chunk from "effect/Chunk"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type * as Operation from "../Operation.js"

/** The body of an operation, as callers write it. */
export type Body<O extends Operation.Operation> =
  Operation.Input<O> extends { readonly body?: infer B } ? NonNullable<B> : never

/** The query of an operation, as callers write it. */
export type Query<O extends Operation.Operation> =
  Operation.Input<O> extends { readonly query?: infer Q } ? NonNullable<Q> : never

export const DEFAULT_PAGE_SIZE = 100

/** Pages numbered from 0, until a page comes back shorter than asked (or `hasMore` says no). */
export const numberedPages = <A, E>(
  pageSize: number,
  fetch: (page: number) => Effect.Effect<{ readonly items: ReadonlyArray<A>; readonly hasMore?: boolean }, E>
): Stream.Stream<A, E> =>
  Stream.paginateChunkEffect(0, (page: number) =>
    Effect.map(fetch(page), ({ items, hasMore }) => [
      Chunk.unsafeFromArray(items as Array<A>),
      (hasMore ?? items.length >= pageSize) && items.length > 0 ? Option.some(page + 1) : Option.none()
    ])
  )

/** Pages chained by a token, until the answer carries no next token. */
export const tokenPages = <A, E>(
  fetch: (
    token: string | undefined
  ) => Effect.Effect<{ readonly items: ReadonlyArray<A>; readonly next: string | null | undefined }, E>
): Stream.Stream<A, E> =>
  Stream.paginateChunkEffect(undefined as string | undefined, (token) =>
    Effect.map(fetch(token), ({ items, next }) => [
      Chunk.unsafeFromArray(items as Array<A>),
      next === undefined || next === null || next.length === 0 || items.length === 0
        ? Option.none()
        : Option.some<string | undefined>(next)
    ])
  )

// =============================================================================
// Accessors
// =============================================================================

/** The methods of a service that answer an `Effect`. */
export type EffectMethods<S> = {
  [K in keyof S]: S[K] extends (...args: never) => Effect.Effect<unknown, unknown, unknown> ? K : never
}[keyof S]

/** The methods of a service that answer a `Stream`. */
export type StreamMethods<S> = {
  [K in keyof S]: S[K] extends (...args: never) => Stream.Stream<unknown, unknown, unknown> ? K : never
}[keyof S]

/** Module-level functions for methods of a service: the same arguments, the service taken from the context. */
export type Accessors<I, S, EK extends keyof S, SK extends keyof S> = {
  readonly [K in EK]: S[K] extends (...args: infer Args) => Effect.Effect<infer A, infer E, infer R>
    ? (...args: Args) => Effect.Effect<A, E, R | I>
    : never
} & {
  readonly [K in SK]: S[K] extends (...args: infer Args) => Stream.Stream<infer A, infer E, infer R>
    ? (...args: Args) => Stream.Stream<A, E, R | I>
    : never
}

/**
 * The accessors of a service (or of a part of it, `select`): one rule for every service, so that each method `m` of
 * `Service` is also `Module.m(...)`, needing the service in context. The lists are checked by type (an effect method
 * among `streams` does not compile); a test checks that they name every method.
 */
export function accessors<I, S, EK extends EffectMethods<S>, SK extends StreamMethods<S>>(
  tag: Context.Tag<I, S>,
  methods: { readonly effects: ReadonlyArray<EK>; readonly streams: ReadonlyArray<SK> }
): Accessors<I, S, EK, SK>
export function accessors<I, S, P, EK extends EffectMethods<P>, SK extends StreamMethods<P>>(
  tag: Context.Tag<I, S>,
  methods: { readonly effects: ReadonlyArray<EK>; readonly streams: ReadonlyArray<SK> },
  select: (service: S) => P
): Accessors<I, P, EK, SK>
export function accessors(
  tag: Context.Tag<unknown, unknown>,
  methods: { readonly effects: ReadonlyArray<PropertyKey>; readonly streams: ReadonlyArray<PropertyKey> },
  select: (service: unknown) => unknown = (service) => service
): Record<PropertyKey, unknown> {
  type Method = (...args: ReadonlyArray<unknown>) => Effect.Effect<unknown, unknown, unknown>
  const method = (service: unknown, key: PropertyKey) => (select(service) as Record<PropertyKey, Method>)[key] as Method
  const result: Record<PropertyKey, unknown> = {}
  for (const key of methods.effects) {
    result[key] = (...args: ReadonlyArray<unknown>) => Effect.flatMap(tag, (service) => method(service, key)(...args))
  }
  for (const key of methods.streams) {
    result[key] = (...args: ReadonlyArray<unknown>) =>
      Stream.unwrap(
        Effect.map(
          tag,
          (service) => method(service, key)(...args) as unknown as Stream.Stream<unknown, unknown, unknown>
        )
      )
  }
  return result
}
