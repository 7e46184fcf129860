/**
 * `multipart/form-data` request bodies for the undici client, encoded here instead of by undici so that a file part
 * read from disk costs a few reused buffers instead of a fresh one per chunk.
 *
 * Why: every fresh chunk (undici reading a `Blob`'s stream copies each 64 KiB chunk once more) is external memory
 * that V8 frees only when external-memory pressure triggers a collection, about 30 MB later: a 50 MB upload raised
 * the peak RSS by ~32 MB. Reading through the `Blob` API cannot avoid it (Node allocates a new buffer for every chunk
 * of `stream()`, `arrayBuffer()` and BYOB reads alike), so a file that `NodeFiles.uploadFromPath` opened is read by path
 * into the buffers of a `ChunkPool`. Everything else (strings, in-memory Blobs, Blobs from elsewhere) is encoded
 * the same way but streamed from the `Blob` as before.
 *
 * @internal
 */
import * as DiagnosticsChannel from "node:diagnostics_channel"
import * as fs from "node:fs"
import * as Multipart from "@effect-mistral/core/Multipart"
import { globalValue } from "effect/GlobalValue"

/** A file on disk behind a `File`, as `NodeFiles.uploadFromPath` opened it. */
export interface FileSource {
  readonly path: string
  readonly size: number
  /** The modification time when the file was opened as a `Blob`: a changed file is read through its `Blob`. */
  readonly mtimeMs: number
}

/**
 * The files on disk behind the `File`s `NodeFiles.uploadFromPath` made. The `File` reaches the `FormData` as it is
 * (`MistralClient` appends a `File` without a new name, which would wrap it in another `File`), so the part is
 * found by identity.
 */
const fileSources = globalValue(
  Symbol.for("@effect-mistral/node/internal/multipart/fileSources"),
  () => new WeakMap<Blob, FileSource>()
)

/** Records that `file` holds the bytes of `source`, so that sending it reads the path into reused buffers. */
export const registerFileSource = (file: Blob, source: FileSource): void => {
  fileSources.set(file, source)
}

/** The size of a chunk read from a file. */
export const CHUNK_SIZE = 128 * 1024

/** Buffers per body; a buffer is refilled at the earliest for the chunk `POOL_SIZE` chunks after its last one. */
const POOL_SIZE = 4

/** What the pool reads of the socket a body is written to. */
interface SocketState {
  readonly writableLength: number
  readonly destroyed: boolean
  readonly alpnProtocol?: string | false | null | undefined
}

/** Bodies waiting for undici to say which socket they go to, by body. */
const awaitingSocket = new WeakMap<object, (socket: SocketState) => void>()
let bodiesAwaitingSocket = 0

// undici publishes `{ request, headers, socket }` just before it writes a request's head, and so before it asks for
// the first chunk of the body (client-h1.js `writeH1`); `request.body` is the iterable it was given
const onSendHeaders = (message: unknown): void => {
  const { request, socket } = message as { request?: { body?: unknown }; socket?: SocketState }
  const body = request?.body
  if (typeof body !== "object" || body === null) return
  const learn = awaitingSocket.get(body)
  if (learn === undefined) return
  awaitingSocket.delete(body)
  // over HTTP/2 the body goes through a stream that queues apart from the session's socket: its length proves nothing
  if (socket !== undefined && socket.alpnProtocol !== "h2") learn(socket)
}

/** Learns the socket `body` is written to; the returned function stops listening (idempotent). */
const learnSocket = (body: object, learn: (socket: SocketState) => void): (() => void) => {
  awaitingSocket.set(body, learn)
  if (bodiesAwaitingSocket++ === 0) DiagnosticsChannel.subscribe("undici:client:sendHeaders", onSendHeaders)
  let done = false
  return () => {
    if (done) return
    done = true
    awaitingSocket.delete(body)
    if (--bodiesAwaitingSocket === 0) DiagnosticsChannel.unsubscribe("undici:client:sendHeaders", onSendHeaders)
  }
}

/**
 * The buffers one body reads its file chunks into.
 *
 * When may a buffer handed to undici be refilled? Undici (7.x, `writeIterable` in lib/dispatcher/client-h1.js) takes
 * each chunk of an iterable body as it is yielded and passes it straight to `socket.write` (`AsyncWriter.write`),
 * keeping no reference; it asks for the next chunk after that write returned true, or after `drain` or `close` when
 * it returned false. A Node `Writable` counts a written chunk in `writableLength` from `write()` until the write
 * completes, that is until libuv handed the bytes to the kernel (TLS: until they were encrypted and sent), after
 * which the stream never reads the chunk again. So when undici asks for a chunk and its socket's `writableLength` is
 * 0, every chunk yielded before has been written and released: that is the release condition, read from the socket
 * itself (learnt from undici's `undici:client:sendHeaders` diagnostics message), not inferred from undici's flow
 * control or a high-water mark. Undici waits for `drain` (length 0) after every write of at least the socket's
 * high-water mark (64 KiB TCP, 16 KiB TLS), so in steady state the condition holds at every pull.
 *
 * Conservatively, a buffer is refilled only when the condition held at a pull after its chunk was yielded AND at
 * least `POOL_SIZE` chunks separate the two uses (slack should undici ever hold a chunk before writing it). Whenever
 * either is not known (no socket learnt, HTTP/2, a destroyed socket, bytes still queued) the slot gets a fresh buffer
 * and the old one is left to the garbage collector, untouched: memory is spent, never correctness. One caveat: a
 * `diagnostics_channel` subscriber to undici's `bodyChunkSent` sees pooled chunks and must copy what it keeps.
 */
class ChunkPool {
  private readonly slots: Array<{ readonly buffer: Uint8Array; index: number } | undefined> = []
  private cursor = 0
  /** How many chunks were handed to undici. */
  private handedOut = 0
  /** Chunks with a smaller index are released. */
  private releasedBefore = 0

  constructor(private readonly socket: () => SocketState | undefined) {}

  /** A buffer of `CHUNK_SIZE` bytes for the next chunk. */
  take(): Uint8Array {
    const index = this.handedOut
    const slot = this.cursor++ % POOL_SIZE
    const held = this.slots[slot]
    if (held !== undefined && held.index < this.releasedBefore && index - held.index >= POOL_SIZE) {
      held.index = index
      return held.buffer
    }
    const buffer = new Uint8Array(CHUNK_SIZE)
    this.slots[slot] = { buffer, index }
    return buffer
  }

  /** Called just before a chunk is yielded. */
  handOut(): void {
    this.handedOut++
  }

  /** Called when undici asks for the next chunk (the generator resumed after a yield). */
  pulled(): void {
    const socket = this.socket()
    if (socket !== undefined && !socket.destroyed && socket.writableLength === 0) this.releasedBefore = this.handedOut
  }
}

/** A file part's bytes: its `Blob`, and the file on disk it was opened from when known. */
interface FilePart {
  readonly blob: Blob
  readonly source: FileSource | undefined
}

type Segment = Uint8Array | FilePart

/** Opens a source for reading, or undefined when it is gone or changed (its `Blob` then reads or fails as it would). */
const openUnchanged = async (source: FileSource): Promise<fs.promises.FileHandle | undefined> => {
  let handle: fs.promises.FileHandle
  try {
    handle = await fs.promises.open(source.path, "r")
  } catch {
    return undefined
  }
  try {
    const stat = await handle.stat()
    if (stat.isFile() && stat.size === source.size && stat.mtimeMs === source.mtimeMs) return handle
  } catch {
    // read through the Blob
  }
  await handle.close()
  return undefined
}

const readFully = async (
  handle: fs.promises.FileHandle,
  source: FileSource,
  buffer: Uint8Array,
  length: number,
  position: number
): Promise<void> => {
  let filled = 0
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled)
    if (bytesRead === 0) throw new Error(`${source.path} ended before its ${source.size} bytes were read`)
    filled += bytesRead
  }
}

async function* chunksOf(
  segments: ReadonlyArray<Segment>,
  pool: ChunkPool,
  stopLearning: () => void
): AsyncGenerator<Uint8Array> {
  // undici announced the socket (if it does) before asking for the first chunk
  stopLearning()
  for (const segment of segments) {
    if (segment instanceof Uint8Array) {
      pool.handOut()
      yield segment
      pool.pulled()
      continue
    }
    const handle = segment.source === undefined ? undefined : await openUnchanged(segment.source)
    if (handle === undefined) {
      // the Blob's own chunks: fresh buffers nobody writes to again (Node's web streams are async iterables)
      for await (const chunk of segment.blob.stream() as unknown as AsyncIterable<Uint8Array>) {
        if (chunk.length === 0) continue
        pool.handOut()
        yield chunk
        pool.pulled()
      }
      continue
    }
    const source = segment.source as FileSource
    try {
      for (let position = 0; position < source.size; ) {
        const buffer = pool.take()
        const length = Math.min(CHUNK_SIZE, source.size - position)
        await readFully(handle, source, buffer, length, position)
        position += length
        pool.handOut()
        yield length === CHUNK_SIZE ? buffer : buffer.subarray(0, length)
        pool.pulled()
      }
    } finally {
      // also when undici stops early (an error, an aborted request): it returns the iterator
      await handle.close()
    }
  }
}

/**
 * @internal
 */
export interface EncodedForm {
  readonly contentType: string
  readonly contentLength: number
  /** Single use: undici iterates it once. */
  readonly body: AsyncIterable<Uint8Array>
  /**
   * Starts listening for the socket undici writes the body to (which lets file chunks reuse their buffers); call it
   * right before handing the body to undici, and the function it returns once the request settled.
   */
  readonly listen: () => () => void
}

const encoder = new TextEncoder()

const noop = () => {}

/**
 * Encodes a `FormData` body with a known length, for `undici.request`.
 *
 * @internal
 */
export const encode = (form: FormData): EncodedForm => {
  const boundary = Multipart.boundary()
  const segments: Array<Segment> = []
  let contentLength = 0
  let text = ""
  const flush = () => {
    if (text === "") return
    const bytes = encoder.encode(text)
    segments.push(bytes)
    contentLength += bytes.length
    text = ""
  }
  for (const [name, value] of form) {
    if (typeof value === "string") {
      text += Multipart.textPart(boundary, name, value)
      continue
    }
    text += Multipart.fileHead(boundary, name, value.name, value.type)
    if (value.size > 0) {
      flush()
      segments.push({ blob: value, source: fileSources.get(value) })
      contentLength += value.size
    }
    text += Multipart.fileEnd
  }
  text += Multipart.closing(boundary)
  flush()
  let socket: SocketState | undefined
  let stopListening = noop
  const body: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => chunksOf(segments, new ChunkPool(() => socket), () => stopListening())
  }
  const readsFiles = segments.some((segment) => !(segment instanceof Uint8Array) && segment.source !== undefined)
  const listen = () => {
    if (!readsFiles) return noop
    stopListening = learnSocket(body, (learnt) => {
      socket = learnt
    })
    return stopListening
  }
  return { contentType: Multipart.contentType(boundary), contentLength, body, listen }
}
