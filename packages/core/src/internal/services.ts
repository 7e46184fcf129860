/**
 * What the services share: request types derived from descriptors, and pagination as a `Stream`.
 */
import * as Chunk from "effect/Chunk"
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
