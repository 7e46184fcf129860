/**
 * A file whose bytes come from a `Stream`: a value a multipart file field (`Files.upload`'s `file`, any
 * `format: binary` field) accepts besides a `Blob` or a `Uint8Array`. The body of such a request is written as the
 * transport pulls it, so the file is never held whole in memory; with no `size` its length is unknown and the
 * request goes out with chunked transfer encoding.
 *
 * Retries: an Effect `Stream` is a description, so a request that is sent again (the retry policy after a 5xx, a
 * 429 or a broken connection) runs the stream again from the start. A stream that can only be read once (one built
 * over a Node `Readable` or a web `ReadableStream` that was already read) cannot be resent: send such a request
 * without retries (`MistralConfig.withoutRetry`), or build the stream so that running it reads its source
 * anew.
 *
 * @since 0.3.0
 */
import type * as Stream from "effect/Stream"

/**
 * @since 0.3.0
 * @category symbols
 */
export const TypeId: unique symbol = Symbol.for("@effect-mistral/core/StreamedFile")

/**
 * @since 0.3.0
 * @category symbols
 */
export type TypeId = typeof TypeId

/**
 * A file part read from a stream. `E` is the stream's error: `Files.upload` fails with it as it is; sent through
 * `MistralClient.call` directly, a failing stream fails the request as a transport error whose cause is the stream's
 * failure.
 *
 * @since 0.3.0
 * @category models
 */
export interface StreamedFile<out E = never> {
  readonly [TypeId]: TypeId
  /** The part's file name. */
  readonly name: string
  /** The part's media type (`application/octet-stream` when empty). */
  readonly type: string
  /**
   * The number of bytes the stream gives, when known: then the request has a `content-length`, and a stream that
   * gives another number of bytes fails the request. Unknown: chunked transfer encoding.
   */
  readonly size: number | undefined
  readonly stream: Stream.Stream<Uint8Array, E>
}

/**
 * @since 0.3.0
 * @category models
 */
export interface Options {
  readonly name: string
  readonly type?: string | undefined
  readonly size?: number | undefined
}

/**
 * A file part that reads `stream` each time the request is sent.
 *
 * @since 0.3.0
 * @category constructors
 */
export const make = <E = never>(stream: Stream.Stream<Uint8Array, E>, options: Options): StreamedFile<E> => ({
  [TypeId]: TypeId,
  name: options.name,
  type: options.type ?? "",
  size: options.size,
  stream
})

/**
 * @since 0.3.0
 * @category guards
 */
export const isStreamedFile = (u: unknown): u is StreamedFile<unknown> =>
  typeof u === "object" && u !== null && TypeId in u
