/**
 * Server-sent events: bytes in, decoded events out, incrementally.
 *
 * `SseFramer` does the framing (linear in the input, no copy of a read's text; comments and keep-alives never reach
 * us). Each event's `data` is parsed as JSON and decoded with a decoder compiled once per schema. `[DONE]` ends the stream. An event
 * whose decoded value reports an error (`conversation.response.error`, or an `error` event) fails the stream with a
 * typed error.
 */
import * as Channel from "effect/Channel"
import * as Chunk from "effect/Chunk"
import type * as Either from "effect/Either"
import type * as ParseResult from "effect/ParseResult"
import * as Stream from "effect/Stream"
import type * as MistralError from "../MistralError.js"
import * as Errors from "./errors.js"

export interface SseContext extends MistralError.RequestContext {
  readonly status: number
  readonly maxEventSize: number
  readonly scrub: (text: string) => string
  /** The protocol ends with `data: [DONE]` (chat and FIM completions): a body that ends before it broke off. */
  readonly endsWithDone: boolean
}

export interface SseState {
  /** Events handed on so far (used by the retry rule and by errors). */
  received: number
  /** Told of the events as they are handed on (the observe stage). */
  readonly onEvents?: ((events: ReadonlyArray<unknown>) => void) | undefined
}

const streamErrorOf = (value: unknown): { readonly detail: string; readonly code?: string | number } | undefined => {
  if (typeof value !== "object" || value === null) return undefined
  const record = value as Record<string, unknown>
  if (record.type !== "conversation.response.error" && record.type !== "error") return undefined
  const nested =
    typeof record.error === "object" && record.error !== null ? (record.error as Record<string, unknown>) : record
  const detail = typeof nested.message === "string" ? nested.message : JSON.stringify(value)
  const code = nested.code
  return typeof code === "string" || typeof code === "number" ? { detail, code } : { detail }
}

const LF = 10
const CR = 13
const COLON = 58
const SPACE = 32

/** Where the value of field `name` starts when the line at `start` is that field (a colon after it, or the line's end). */
const fieldValueStart = (text: string, start: number, end: number, name: string): number => {
  const after = start + name.length
  if (after > end || !text.startsWith(name, start)) return -1
  if (after === end) return end
  if (text.charCodeAt(after) !== COLON) return -1
  return text.charCodeAt(after + 1) === SPACE ? after + 2 : after + 1
}

/**
 * The framing of server-sent events (the WHATWG event stream format) for the fields the client reads: `data` (lines
 * joined with LF) and `event`; comments, `id`, `retry` and unknown fields are skipped. Lines end with LF, CRLF or CR
 * (a CRLF split across two reads is one line end). An event is dispatched by a blank line when it has a `data` line.
 * Text is fed as it is decoded; the lines of a read are cut out of it where they lie, and only the unterminated end
 * of a read is kept for the next one. Past `maxSize` characters of unterminated text and data, `onOversized` is told
 * once and the rest of the input is ignored.
 *
 * @internal
 */
export class SseFramer {
  private tail = ""
  private data = ""
  private dataLines = 0
  private eventType: string | undefined = undefined
  /** The last text ended with CR: a LF that starts the next one belongs to that line end. */
  private afterCr = false
  private stopped = false

  constructor(
    private readonly onEvent: (data: string, event: string | undefined) => void,
    private readonly maxSize: number,
    private readonly onOversized: () => void
  ) {}

  feed(text: string): void {
    if (this.stopped || text.length === 0) return
    let position = 0
    if (this.afterCr) {
      this.afterCr = false
      if (text.charCodeAt(0) === LF) position = 1
    }
    const length = text.length
    let nextLf = text.indexOf("\n", position)
    let nextCr = text.indexOf("\r", position)
    while (!this.stopped) {
      if (nextLf !== -1 && nextLf < position) nextLf = text.indexOf("\n", position)
      if (nextCr !== -1 && nextCr < position) nextCr = text.indexOf("\r", position)
      const end = nextCr === -1 ? nextLf : nextLf === -1 ? nextCr : Math.min(nextLf, nextCr)
      if (end === -1) break
      if (this.tail.length > 0) {
        const line = this.tail + text.slice(position, end)
        this.tail = ""
        this.line(line, 0, line.length)
      } else {
        this.line(text, position, end)
      }
      if (text.charCodeAt(end) !== CR) {
        position = end + 1
      } else if (end + 1 === length) {
        // a CR that ends the text: a LF that starts the next one is part of this line end
        this.afterCr = true
        position = length
      } else {
        position = text.charCodeAt(end + 1) === LF ? end + 2 : end + 1
      }
    }
    if (this.stopped) return
    if (position < length) this.tail = this.tail.length === 0 ? text.slice(position) : this.tail + text.slice(position)
    if (this.tail.length + this.data.length > this.maxSize) {
      this.stopped = true
      this.tail = ""
      this.data = ""
      this.onOversized()
    }
  }

  private line(text: string, start: number, end: number): void {
    if (start === end) {
      if (this.dataLines > 0) this.onEvent(this.data, this.eventType)
      this.data = ""
      this.dataLines = 0
      this.eventType = undefined
      return
    }
    const first = text.charCodeAt(start)
    // "d" (data) and "e" (event); anything else — a comment, id, retry, another field — is skipped
    if (first === 100) {
      const valueStart = fieldValueStart(text, start, end, "data")
      if (valueStart === -1) return
      const value = text.slice(valueStart, end)
      this.data = this.dataLines === 0 ? value : `${this.data}\n${value}`
      this.dataLines++
    } else if (first === 101) {
      const valueStart = fieldValueStart(text, start, end, "event")
      if (valueStart !== -1) this.eventType = valueStart === end ? undefined : text.slice(valueStart, end)
    }
  }
}

type Decode<A> = (u: unknown) => Either.Either<A, ParseResult.ParseError>

/**
 * The framing and decoding of one stream's events: bytes go in, decoded events (and at most one failure) come out.
 * After a failure, or `[DONE]`, the rest of the input is ignored.
 */
class EventDecoder<A> {
  private readonly text = new TextDecoder()
  private readonly framer: SseFramer
  private readonly base: Errors.StatusContext
  private pending: Array<A> = []
  failure: MistralError.MistralError | undefined
  done = false
  private ending = false

  constructor(
    private readonly decode: Decode<A>,
    private readonly context: SseContext,
    private readonly state: SseState
  ) {
    this.base = {
      operationId: context.operationId,
      method: context.method,
      path: context.path,
      requestId: context.requestId,
      status: context.status
    }
    this.framer = new SseFramer(
      (data, event) => this.onEvent(data, event),
      context.maxEventSize,
      () => {
        this.failure ??= this.oversized()
      }
    )
  }

  /** Whether more input can change anything. */
  get open(): boolean {
    return this.failure === undefined && !this.done
  }

  /** Feeds the bytes of one read. */
  input(bytes: Uint8Array): void {
    this.feed(this.text.decode(bytes, { stream: true }))
  }

  /** The body ended: an event cut off, or a stream that needed `[DONE]` and did not get it, is a failure. */
  end(): void {
    this.feed(this.text.decode())
    this.ending = true
    this.feed("\n\n")
    if (this.context.endsWithDone && this.open) {
      this.failure = Errors.streamBroken(this.base, "the stream ended before [DONE]", this.received())
    }
  }

  /** The events decoded since the last call, counted as handed on. */
  take(): Chunk.Chunk<A> {
    const out = Chunk.unsafeFromArray(this.pending)
    this.state.received += this.pending.length
    this.state.onEvents?.(this.pending)
    this.pending = []
    return out
  }

  private received(): number {
    return this.state.received + this.pending.length
  }

  private oversized(): MistralError.MistralError {
    const issue = `a server-sent event exceeds ${this.context.maxEventSize} characters`
    return Errors.responseDecode(this.base, "", issue, this.context.scrub)
  }

  private feed(text: string): void {
    this.framer.feed(text)
  }

  private onEvent(data: string, event: string | undefined): void {
    if (!this.open) return
    if (data === "[DONE]") {
      this.done = true
    } else if (this.ending) {
      // dispatched only by the blank line fed at the end: the body stopped inside this event
      this.failure = Errors.streamBroken(this.base, "the body ended inside an event", this.received())
    } else if (data.length > this.context.maxEventSize) {
      this.failure = this.oversized()
    } else if (data.length > 0) {
      this.decodeData(data, event ?? "message")
    }
  }

  private decodeData(data: string, event: string): void {
    const { base, context } = this
    let json: unknown
    try {
      json = JSON.parse(data)
    } catch (cause) {
      this.failure = Errors.responseDecode(base, data, `event ${event} is not JSON: ${String(cause)}`, context.scrub)
      return
    }
    const reported = streamErrorOf(json)
    if (reported !== undefined) {
      const detail = context.scrub(reported.detail)
      this.failure = Errors.streamEvent(base, detail, reported.code, this.received())
      return
    }
    const result = this.decode(json)
    if (result._tag === "Left") {
      this.failure = Errors.responseDecodeParse(base, data, result.left, "event", context.scrub)
    } else {
      this.pending.push(result.right)
    }
  }
}

type EventChannel<A> = Channel.Channel<
  Chunk.Chunk<A>,
  Chunk.Chunk<Uint8Array>,
  MistralError.MistralError,
  MistralError.MistralError,
  void,
  unknown
>

/**
 * A stream of decoded events from response bytes: the events of each read are handed on together, then the
 * failure, if any; the stream ends at `[DONE]` or with the body.
 */
export const decodeEvents = <A>(
  bytes: Stream.Stream<Uint8Array, MistralError.MistralError>,
  decode: Decode<A>,
  context: SseContext,
  state: SseState
): Stream.Stream<A, MistralError.MistralError> =>
  Stream.suspend(() => {
    const events = new EventDecoder(decode, context, state)
    const emit = (next: EventChannel<A>): EventChannel<A> => {
      const out = events.take()
      const failure = events.failure
      if (failure !== undefined) {
        return Chunk.isEmpty(out) ? Channel.fail(failure) : Channel.zipRight(Channel.write(out), Channel.fail(failure))
      }
      if (events.done) return Chunk.isEmpty(out) ? Channel.void : Channel.write(out)
      return Chunk.isEmpty(out) ? next : Channel.zipRight(Channel.write(out), next)
    }
    const loop: EventChannel<A> = Channel.readWithCause({
      onInput: (input: Chunk.Chunk<Uint8Array>) => {
        for (const chunk of input) {
          events.input(chunk)
          if (!events.open) break
        }
        return emit(Channel.suspend(() => loop))
      },
      onFailure: (cause) => Channel.failCause(cause),
      onDone: () => {
        events.end()
        return emit(Channel.void)
      }
    })
    return Stream.pipeThroughChannel(bytes, loop)
  })
