/**
 * Server-sent events: bytes in, decoded events out, incrementally.
 *
 * `eventsource-parser` does the framing (linear in the input; comments and keep-alives never reach us). Each event's
 * `data` is parsed as JSON and decoded with a decoder compiled once per schema. `[DONE]` ends the stream. An event
 * whose decoded value reports an error (`conversation.response.error`, or an `error` event) fails the stream with a
 * typed error.
 */
import * as Channel from "effect/Channel"
import * as Chunk from "effect/Chunk"
import type * as Either from "effect/Either"
import type * as ParseResult from "effect/ParseResult"
import * as Stream from "effect/Stream"
import { createParser, type EventSourceMessage } from "eventsource-parser"
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

type Decode<A> = (u: unknown) => Either.Either<A, ParseResult.ParseError>

/**
 * The framing and decoding of one stream's events: bytes go in, decoded events (and at most one failure) come out.
 * After a failure, or `[DONE]`, the rest of the input is ignored.
 */
class EventDecoder<A> {
  private readonly text = new TextDecoder()
  private readonly parser: ReturnType<typeof createParser>
  private readonly base: Errors.StatusContext
  private pending: Array<A> = []
  failure: MistralError.MistralError | undefined
  done = false
  private ending = false
  private endsWithCr = false

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
    this.parser = createParser({
      onEvent: (message) => this.onEvent(message),
      maxBufferSize: context.maxEventSize,
      onError: (error) => {
        if (error.type === "max-buffer-size-exceeded") this.failure ??= this.oversized()
      }
    })
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
    // a bare CR the parser holds back (it could start a CRLF) is a whole line ending once the body is over
    if (this.endsWithCr) this.feed("\n")
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
    if (text.length > 0) this.endsWithCr = text.charCodeAt(text.length - 1) === 13
    try {
      this.parser.feed(text)
    } catch (cause) {
      // the parser refuses input once it has reported an oversized event
      this.failure ??= Errors.responseDecode(this.base, "", String(cause), this.context.scrub)
    }
  }

  private onEvent(message: EventSourceMessage): void {
    if (!this.open) return
    const data = message.data
    if (data === "[DONE]") {
      this.done = true
    } else if (this.ending) {
      // dispatched only by the blank line fed at the end: the body stopped inside this event
      this.failure = Errors.streamBroken(this.base, "the body ended inside an event", this.received())
    } else if (data.length > this.context.maxEventSize) {
      this.failure = this.oversized()
    } else if (data.length > 0) {
      this.decodeData(data, message.event ?? "message")
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
