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

/**
 * A channel from response bytes to decoded events.
 */
export const decodeEvents = <A>(
  bytes: Stream.Stream<Uint8Array, MistralError.MistralError>,
  decode: (u: unknown) => Either.Either<A, ParseResult.ParseError>,
  context: SseContext,
  state: SseState
): Stream.Stream<A, MistralError.MistralError> =>
  Stream.suspend(() => {
    const decoder = new TextDecoder()
    let pending: Array<A> = []
    let failure: MistralError.MistralError | undefined
    let done = false
    let ending = false
    let endsWithCr = false
    const base = {
      operationId: context.operationId,
      method: context.method,
      path: context.path,
      requestId: context.requestId,
      status: context.status
    }
    const oversized = () =>
      Errors.responseDecode(base, "", `a server-sent event exceeds ${context.maxEventSize} characters`, context.scrub)
    const onEvent = (message: EventSourceMessage): void => {
      if (failure !== undefined || done) return
      const data = message.data
      if (data === "[DONE]") {
        done = true
        return
      }
      if (ending) {
        // dispatched only by the blank line fed at the end: the body stopped inside this event
        failure = Errors.streamBroken(base, "the body ended inside an event", state.received + pending.length)
        return
      }
      if (data.length === 0) return
      if (data.length > context.maxEventSize) {
        failure = oversized()
        return
      }
      let json: unknown
      try {
        json = JSON.parse(data)
      } catch (cause) {
        failure = Errors.responseDecode(
          base,
          data,
          `event ${message.event ?? "message"} is not JSON: ${String(cause)}`,
          context.scrub
        )
        return
      }
      const reported = streamErrorOf(json)
      if (reported !== undefined) {
        failure = Errors.streamEvent(
          base,
          context.scrub(reported.detail),
          reported.code,
          state.received + pending.length
        )
        return
      }
      const result = decode(json)
      if (result._tag === "Left") {
        failure = Errors.responseDecodeParse(base, data, result.left, "event", context.scrub)
        return
      }
      pending.push(result.right)
    }
    const parser = createParser({
      onEvent,
      maxBufferSize: context.maxEventSize,
      onError: (error) => {
        if (error.type === "max-buffer-size-exceeded" && failure === undefined) {
          failure = oversized()
        }
      }
    })
    const feed = (text: string): void => {
      if (text.length > 0) endsWithCr = text.charCodeAt(text.length - 1) === 13
      try {
        parser.feed(text)
      } catch (cause) {
        // the parser refuses input once it has reported an oversized event
        failure ??= Errors.responseDecode(base, "", String(cause), context.scrub)
      }
    }
    const flush = (): Chunk.Chunk<A> => {
      const out = Chunk.unsafeFromArray(pending)
      state.received += pending.length
      pending = []
      return out
    }
    const emit = <R>(
      next: Channel.Channel<
        Chunk.Chunk<A>,
        Chunk.Chunk<Uint8Array>,
        MistralError.MistralError,
        MistralError.MistralError,
        void,
        unknown,
        R
      >
    ) => {
      const out = flush()
      if (failure !== undefined) {
        const error = failure
        return Chunk.isEmpty(out) ? Channel.fail(error) : Channel.zipRight(Channel.write(out), Channel.fail(error))
      }
      if (done) return Chunk.isEmpty(out) ? Channel.void : Channel.write(out)
      return Chunk.isEmpty(out) ? next : Channel.zipRight(Channel.write(out), next)
    }
    const loop: Channel.Channel<
      Chunk.Chunk<A>,
      Chunk.Chunk<Uint8Array>,
      MistralError.MistralError,
      MistralError.MistralError,
      void,
      unknown
    > = Channel.readWithCause({
      onInput: (input: Chunk.Chunk<Uint8Array>) => {
        for (const bytes of input) {
          feed(decoder.decode(bytes, { stream: true }))
          if (failure !== undefined || done) break
        }
        return emit(Channel.suspend(() => loop))
      },
      onFailure: (cause) => Channel.failCause(cause),
      onDone: () => {
        feed(decoder.decode())
        // a bare CR the parser holds back (it could start a CRLF) is a whole line ending once the body is over
        if (endsWithCr) feed("\n")
        ending = true
        feed("\n\n")
        if (context.endsWithDone && !done && failure === undefined) {
          failure = Errors.streamBroken(base, "the stream ended before [DONE]", state.received + pending.length)
        }
        return emit(Channel.void)
      }
    })
    return Stream.pipeThroughChannel(bytes, loop)
  })
