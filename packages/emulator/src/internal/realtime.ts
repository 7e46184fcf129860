/**
 * Realtime transcription over a WebSocket (`GET /v1/audio/transcriptions/realtime?model=…`, upgraded).
 *
 * The session follows the protocol of the official SDK: `session.created` first, `session.update` accepted before
 * any audio (answered `session.updated`, refused with an `error` message after), `input_audio.append` (base64 PCM,
 * at most 262,144 decoded bytes), `input_audio.flush`, `input_audio.end`. The transcription is deterministic and
 * made up: every half second of audio (by the session's encoding and sample rate) becomes one word, picked by a hash
 * of its bytes, sent as a text delta as soon as the audio arrives; every four words, and at each flush, a segment
 * with its timings; the language (`en`) with the first word; `transcription.done` after `input_audio.end`, with the
 * text, the segments and usage. The socket stays open until the client closes it.
 */
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Socket from "@effect/platform/Socket"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Fault from "../Fault.js"
import { apiError, toResponse } from "./errors.js"
import type { State } from "./state.js"

export const realtimePath = "/v1/audio/transcriptions/realtime"

/** The largest audio one append may carry, in decoded bytes. */
export const maxAppendBytes = 262_144

export interface AudioFormat {
  readonly encoding: string
  readonly sample_rate: number
}

/** What the emulator saw of one realtime session. */
export interface RealtimeSession {
  readonly requestId: string
  readonly model: string
  audioFormat: AudioFormat
  targetStreamingDelayMs: number
  /** `session.update` messages accepted. */
  updates: number
  appends: number
  /** Decoded audio bytes received. */
  audioBytes: number
  largestAppend: number
  flushes: number
  ended: boolean
  /** Messages the server sent. */
  messagesSent: number
  /** Whether the socket is closed, and the close code the client sent (1006: no close frame). */
  closed: boolean
  closeCode: number | undefined
}

const bytesPerSample: Readonly<Record<string, number>> = {
  pcm_s16le: 2,
  pcm_s32le: 4,
  pcm_f16le: 2,
  pcm_f32le: 4,
  pcm_mulaw: 1,
  pcm_alaw: 1
}

const words = [
  "river",
  "amber",
  "signal",
  "orbit",
  "cedar",
  "lantern",
  "quartz",
  "meadow",
  "harbor",
  "ember",
  "falcon",
  "willow",
  "copper",
  "summit",
  "velvet",
  "prism",
  "canyon",
  "thistle",
  "beacon",
  "marble",
  "juniper",
  "nimbus",
  "pebble",
  "saffron",
  "tundra",
  "violet",
  "walnut",
  "zephyr",
  "basalt",
  "coral",
  "dune",
  "glacier"
]

/** FNV-1a of the bytes: the word a window of audio becomes. */
const wordOf = (bytes: Uint8Array): string => {
  let hash = 0x811c9dc5
  for (let i = 0; i < bytes.length; i++) {
    hash ^= bytes[i]
    hash = Math.imul(hash, 0x01000193)
  }
  return words[(hash >>> 0) % words.length]
}

const defaultFormat: AudioFormat = { encoding: "pcm_s16le", sample_rate: 16_000 }
const wordsPerSegment = 4

interface Segment {
  readonly text: string
  readonly start: number
  readonly end: number
}

/** The transcription of one session: audio bytes in, server messages out. */
const makeTranscriber = (session: RealtimeSession) => {
  let pending = new Uint8Array(0)
  let consumedBytes = 0
  let segmentStart = 0
  const all: Array<string> = []
  let segmentWords: Array<string> = []
  const segments: Array<Segment> = []
  const bytesPerSecond = () =>
    (bytesPerSample[session.audioFormat.encoding] ?? 2) * Math.max(1, session.audioFormat.sample_rate)
  const windowBytes = () => Math.max(1, Math.round(bytesPerSecond() / 2))
  const seconds = (bytes: number) => Math.round((bytes / bytesPerSecond()) * 1000) / 1000

  const word = (bytes: Uint8Array, out: Array<unknown>) => {
    const text = wordOf(bytes)
    if (all.length === 0) out.push({ type: "transcription.language", audio_language: "en" })
    out.push({ type: "transcription.text.delta", text: all.length === 0 ? text : ` ${text}` })
    all.push(text)
    segmentWords.push(text)
    consumedBytes += bytes.length
  }
  const closeSegment = (out: Array<unknown>) => {
    if (segmentWords.length === 0) return
    const segment = { text: segmentWords.join(" "), start: seconds(segmentStart), end: seconds(consumedBytes) }
    segments.push(segment)
    out.push({ type: "transcription.segment", ...segment })
    segmentWords = []
    segmentStart = consumedBytes
  }

  return {
    append: (bytes: Uint8Array): Array<unknown> => {
      const out: Array<unknown> = []
      const joined = new Uint8Array(pending.length + bytes.length)
      joined.set(pending)
      joined.set(bytes, pending.length)
      const size = windowBytes()
      let offset = 0
      while (joined.length - offset >= size) {
        word(joined.subarray(offset, offset + size), out)
        offset += size
        if (segmentWords.length >= wordsPerSegment) closeSegment(out)
      }
      pending = joined.slice(offset)
      return out
    },
    flush: (): Array<unknown> => {
      const out: Array<unknown> = []
      if (pending.length > 0) word(pending, out)
      pending = new Uint8Array(0)
      closeSegment(out)
      return out
    },
    done: (): unknown => {
      const audioSeconds = seconds(session.audioBytes)
      return {
        type: "transcription.done",
        model: session.model,
        text: all.join(" "),
        language: all.length === 0 ? null : "en",
        segments: segments.map((segment) => ({ type: "transcription_segment", ...segment })),
        usage: {
          prompt_audio_seconds: Math.ceil(audioSeconds),
          prompt_tokens: Math.ceil(audioSeconds * 12.5),
          completion_tokens: all.length,
          total_tokens: Math.ceil(audioSeconds * 12.5) + all.length
        }
      }
    }
  }
}

const errorMessage = (message: string, code: number) => ({ type: "error", error: { message, code } })

const sessionWire = (session: RealtimeSession) => ({
  request_id: session.requestId,
  model: session.model,
  audio_format: session.audioFormat,
  target_streaming_delay_ms: session.targetStreamingDelayMs
})

const isAudioFormat = (u: unknown): u is AudioFormat =>
  typeof u === "object" &&
  u !== null &&
  typeof (u as AudioFormat).encoding === "string" &&
  typeof (u as AudioFormat).sample_rate === "number" &&
  (u as AudioFormat).sample_rate > 0

/** Serves one realtime session on an upgraded request; answers once the socket has closed. */
export const serveRealtime = (
  state: State,
  request: HttpServerRequest.HttpServerRequest,
  url: URL,
  requestId: string,
  fault: Fault.Fault | undefined
): Effect.Effect<HttpServerResponse.HttpServerResponse> =>
  Effect.gen(function* () {
    const model = url.searchParams.get("model")
    if (model === null || model === "") {
      return toResponse(apiError(422, "The model query parameter is required"))
    }
    if (request.headers.upgrade?.toLowerCase() !== "websocket") {
      return toResponse(apiError(400, "Realtime transcription needs a WebSocket upgrade"))
    }
    const connection = NodeHttpServerRequest.toIncomingMessage(request).socket
    // a client that left during a delayed handshake: `ws` would never call back for a dead socket, and the
    // platform's upgrade waits for it uninterruptibly
    if (connection.destroyed || !connection.readable || !connection.writable) {
      return HttpServerResponse.empty({ status: 499 })
    }
    const session: RealtimeSession = {
      requestId,
      model,
      audioFormat: defaultFormat,
      targetStreamingDelayMs: 480,
      updates: 0,
      appends: 0,
      audioBytes: 0,
      largestAppend: 0,
      flushes: 0,
      ended: false,
      messagesSent: 0,
      closed: false,
      closeCode: undefined
    }
    state.realtimeSessions.push(session)
    const transcriber = makeTranscriber(session)
    state.upgradedConnections.add(connection)
    connection.once("close", () => state.upgradedConnections.delete(connection))

    yield* Effect.scoped(
      Effect.gen(function* () {
        const socket = yield* request.upgrade
        const write = yield* socket.writer
        let dropped = false
        const send = (messages: ReadonlyArray<unknown>): Effect.Effect<void, Socket.SocketError> =>
          Effect.forEach(
            messages,
            (message) =>
              Effect.suspend(() => {
                if (dropped) return Effect.void
                const delay = fault?._tag === "EventDelay" ? Effect.sleep(fault.delay) : Effect.void
                return Effect.zipRight(
                  delay,
                  Effect.suspend(() => {
                    if (dropped) return Effect.void
                    if (
                      (fault?._tag === "StreamError" || fault?._tag === "UnknownEvent") &&
                      session.messagesSent === fault.afterEvents
                    ) {
                      session.messagesSent += 2
                      const injected =
                        fault._tag === "StreamError"
                          ? errorMessage(fault.message, fault.code)
                          : { type: "emulator.unknown", detail: { sent_after: fault.afterEvents } }
                      return Effect.zipRight(write(JSON.stringify(injected)), write(JSON.stringify(message)))
                    }
                    session.messagesSent++
                    return Effect.zipRight(
                      write(JSON.stringify(message)),
                      Effect.sync(() => {
                        if (fault?._tag === "StreamCut" && session.messagesSent >= fault.afterEvents) {
                          dropped = true
                          connection.destroy()
                        }
                      })
                    )
                  })
                )
              }),
            { discard: true }
          )

        let watching = false
        // the handler's effects run concurrently: one at a time keeps the answers in the order of the messages
        const serial = yield* Effect.makeSemaphore(1)
        const onMessage = (data: string | Uint8Array) =>
          Effect.gen(function* () {
            if (!watching) {
              // `fromWebSocket` provides the socket to the handler's effects: watch its close code
              watching = true
              const ws = yield* Effect.serviceOption(Socket.WebSocket)
              if (Option.isSome(ws)) {
                ws.value.addEventListener("close", (event) => {
                  session.closeCode = event.code
                })
              }
            }
            let message: { readonly type?: unknown; readonly [key: string]: unknown }
            try {
              message = JSON.parse(typeof data === "string" ? data : new TextDecoder().decode(data))
            } catch {
              return yield* send([errorMessage("Invalid JSON message", 400)])
            }
            switch (message.type) {
              case "session.update": {
                if (session.appends > 0) {
                  return yield* send([errorMessage("session.update is not allowed after audio has started", 400)])
                }
                const update = (message.session ?? {}) as Record<string, unknown>
                if (update.audio_format !== undefined) {
                  if (
                    !isAudioFormat(update.audio_format) ||
                    bytesPerSample[update.audio_format.encoding] === undefined
                  ) {
                    return yield* send([errorMessage("Invalid audio_format", 422)])
                  }
                  session.audioFormat = {
                    encoding: update.audio_format.encoding,
                    sample_rate: update.audio_format.sample_rate
                  }
                }
                if (typeof update.target_streaming_delay_ms === "number") {
                  session.targetStreamingDelayMs = update.target_streaming_delay_ms
                }
                session.updates++
                return yield* send([{ type: "session.updated", session: sessionWire(session) }])
              }
              case "input_audio.append": {
                if (session.ended) return yield* send([errorMessage("The audio has ended", 400)])
                const audio = typeof message.audio === "string" ? Buffer.from(message.audio, "base64") : undefined
                if (audio === undefined) return yield* send([errorMessage("audio must be a base64 string", 422)])
                if (audio.length > maxAppendBytes) {
                  return yield* send([errorMessage(`An append carries at most ${maxAppendBytes} bytes of audio`, 422)])
                }
                session.appends++
                session.audioBytes += audio.length
                session.largestAppend = Math.max(session.largestAppend, audio.length)
                return yield* send(transcriber.append(audio))
              }
              case "input_audio.flush":
                session.flushes++
                return yield* send(transcriber.flush())
              case "input_audio.end": {
                if (session.ended) return
                session.ended = true
                return yield* send([...transcriber.flush(), transcriber.done()])
              }
              default:
                return yield* send([errorMessage(`Unknown message type ${JSON.stringify(message.type)}`, 400)])
            }
          }).pipe(serial.withPermits(1))

        yield* socket
          .runRaw(onMessage, {
            onOpen: serial.withPermits(1)(
              Effect.ignore(send([{ type: "session.created", session: sessionWire(session) }]))
            )
          })
          .pipe(Effect.ignore)
      })
    ).pipe(Effect.ignore)
    session.closed = true
    // the answer of an upgraded request is not written: its status is for the request log
    return HttpServerResponse.empty({ status: 101 })
  })
