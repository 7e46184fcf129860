/**
 * Sending a streamed file part and keeping its typed failure: the part's stream runs inside the transport (which
 * only sees "the body broke off"), so its failure is kept aside here and is what the upload fails with; the upload is
 * stopped at once, before any retry sends the body again. A stream that gives another number of bytes than its
 * declared size is a `RequestEncodeError`. Each run of the stream (the first send, then each retry) is an attempt,
 * and every chunk handed to the transport is reported with the bytes of the attempt so far.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type * as MistralError from "../MistralError.js"
import * as StreamedFile from "../StreamedFile.js"
import * as Errors from "./errors.js"

/** A chunk handed to the transport: the attempt (1 for the first send) and the file bytes of this attempt so far. */
export type OnChunk = (attempt: number, bytesSent: number, chunk: Uint8Array) => Effect.Effect<void>

/** A streamed part ready to send, and how to send the request that carries it. */
export interface Watched<E> {
  readonly file: StreamedFile.StreamedFile<never>
  readonly send: <A>(
    upload: Effect.Effect<A, MistralError.MistralError>
  ) => Effect.Effect<A, MistralError.MistralError | E>
}

export const watch = <E>(
  file: StreamedFile.StreamedFile<E>,
  context: MistralError.RequestContext,
  field: string,
  onChunk: OnChunk | undefined
): Effect.Effect<Watched<E>> =>
  Effect.map(Deferred.make<never, E | MistralError.RequestEncodeError>(), (failed) => {
    let attempts = 0
    const mismatch = (size: number, seen: number) =>
      Errors.requestEncode(context, field, `the stream gave ${seen} bytes where its size says ${size}`)
    const stream = Stream.suspend(() => {
      const attempt = ++attempts
      let sent = 0
      const size = file.size
      const counted = Stream.mapEffect(file.stream, (chunk) => {
        sent += chunk.length
        if (size !== undefined && sent > size) return Effect.fail(mismatch(size, sent))
        return onChunk === undefined ? Effect.succeed(chunk) : Effect.as(onChunk(attempt, sent, chunk), chunk)
      })
      const checked =
        size === undefined
          ? counted
          : Stream.concat(
              counted,
              Stream.suspend(() => (sent === size ? Stream.empty : Stream.fail(mismatch(size, sent))))
            )
      return Stream.tapError(checked, (error) => Deferred.fail(failed, error))
    })
    const send = <A>(upload: Effect.Effect<A, MistralError.MistralError>) =>
      Effect.raceFirst(
        // the transport may report the broken body first (a transport may even die of it): the stream's failure says why
        Effect.catchAllCause(
          upload,
          (cause): Effect.Effect<never, MistralError.MistralError | E> =>
            Effect.flatMap(
              Deferred.poll(failed),
              Option.match({
                onNone: (): Effect.Effect<never, MistralError.MistralError | E> => Effect.failCause(cause),
                onSome: (why) => why
              })
            )
        ),
        Deferred.await(failed)
      )
    return {
      file: StreamedFile.make(stream as Stream.Stream<Uint8Array>, {
        name: file.name,
        type: file.type,
        size: file.size
      }),
      send
    }
  })
