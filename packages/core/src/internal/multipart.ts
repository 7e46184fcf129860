/**
 * A `multipart/form-data` body written as a `Stream` of bytes, for a form with a `StreamedFile` part: the parts are
 * produced as the transport pulls them, so the file is never held whole. Its length is known when every part's is
 * (then the request carries a `content-length`), and unknown otherwise (chunked transfer encoding). The text between
 * the contents is `Multipart`'s, as the Node transport writes it.
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Multipart from "../Multipart.js"
import * as StreamedFile from "../StreamedFile.js"

/** A form body as a stream. */
export interface StreamedForm {
  readonly contentType: string
  /** Unknown when a part's size is. */
  readonly contentLength: number | undefined
  readonly stream: Stream.Stream<Uint8Array, unknown>
}

/** A stream that gave another number of bytes than its declared `size`. */
export class SizeMismatch extends Error {
  constructor(
    readonly expected: number,
    readonly actual: number
  ) {
    super(`the file stream gave ${actual} bytes where its size says ${expected}`)
  }
}

const encoder = new TextEncoder()

type Part =
  | { readonly _tag: "Text"; readonly name: string; readonly value: string }
  | {
      readonly _tag: "File"
      readonly name: string
      readonly fileName: string | undefined
      readonly type: string
      readonly size: number | undefined
      readonly bytes: () => Stream.Stream<Uint8Array, unknown>
    }

/** Whether a form value (or an item of an array value) is a streamed file. */
export const hasStreamedFile = (value: Readonly<Record<string, unknown>>): boolean =>
  Object.values(value).some((item) =>
    Array.isArray(item) ? item.some(StreamedFile.isStreamedFile) : StreamedFile.isStreamedFile(item)
  )

/** The bytes of `stream`, checked against `size` when there is one. */
const sized = (stream: Stream.Stream<Uint8Array, unknown>, size: number | undefined) => {
  if (size === undefined) return stream
  return Stream.suspend(() => {
    let seen = 0
    return Stream.concat(
      Stream.mapChunksEffect(stream, (chunk) => {
        for (const bytes of chunk) seen += bytes.length
        return seen > size ? Effect.fail(new SizeMismatch(size, seen)) : Effect.succeed(chunk)
      }),
      Stream.suspend(() => (seen === size ? Stream.empty : Stream.fail(new SizeMismatch(size, seen))))
    )
  })
}

const partsOf = (parts: Array<Part>, key: string, value: unknown): void => {
  if (value === undefined || value === null) return
  if (StreamedFile.isStreamedFile(value)) {
    parts.push({
      _tag: "File",
      name: key,
      fileName: value.name,
      type: value.type,
      size: value.size,
      bytes: () => sized(value.stream, value.size)
    })
  } else if (typeof Blob !== "undefined" && value instanceof Blob) {
    const fileName = typeof File !== "undefined" && value instanceof File ? value.name : key
    parts.push({
      _tag: "File",
      name: key,
      fileName,
      type: value.type,
      size: value.size,
      bytes: () =>
        Stream.fromReadableStream({ evaluate: () => value.stream() as ReadableStream<Uint8Array>, onError: (e) => e })
    })
  } else if (value instanceof Uint8Array) {
    parts.push({
      _tag: "File",
      name: key,
      fileName: key,
      type: "",
      size: value.length,
      bytes: () => Stream.make(value)
    })
  } else if (Array.isArray(value)) {
    for (const item of value) partsOf(parts, key, item)
  } else if (typeof value === "object") {
    parts.push({ _tag: "Text", name: key, value: JSON.stringify(value) })
  } else {
    parts.push({ _tag: "Text", name: key, value: String(value) })
  }
}

/** The form of `value` (a body record already encoded through its schema) as a stream of bytes. */
export const streamedForm = (value: Readonly<Record<string, unknown>>): StreamedForm => {
  const parts: Array<Part> = []
  for (const [key, item] of Object.entries(value)) partsOf(parts, key, item)
  const boundary = Multipart.boundary()
  // the text between the file contents, joined: one chunk before each file, one at the end
  const segments: Array<Uint8Array | Extract<Part, { _tag: "File" }>> = []
  let text = ""
  let contentLength: number | undefined = 0
  const flush = () => {
    const bytes = encoder.encode(text)
    segments.push(bytes)
    if (contentLength !== undefined) contentLength += bytes.length
    text = ""
  }
  for (const part of parts) {
    if (part._tag === "Text") {
      text += Multipart.textPart(boundary, part.name, part.value)
      continue
    }
    text += Multipart.fileHead(boundary, part.name, part.fileName, part.type)
    flush()
    segments.push(part)
    contentLength = part.size === undefined || contentLength === undefined ? undefined : contentLength + part.size
    text += Multipart.fileEnd
  }
  text += Multipart.closing(boundary)
  flush()
  const stream = Stream.flatMap(
    Stream.fromIterable(segments),
    (segment) => (segment instanceof Uint8Array ? Stream.make(segment) : segment.bytes()),
    { concurrency: 1 }
  )
  return { contentType: Multipart.contentType(boundary), contentLength, stream }
}
