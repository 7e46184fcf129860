/**
 * Realtime transcription: a stream of PCM audio in, a stream of transcription events out, over a WebSocket to
 * `/v1/audio/transcriptions/realtime`.
 *
 * The session: the server greets with `session.created`; the client sends `session.update` with the audio format
 * (and the target streaming delay) and waits for `session.updated`; then the audio as `input_audio.append` messages
 * (base64, at most 262,144 decoded bytes each), and `input_audio.flush` and `input_audio.end` when the audio stream
 * ends; the server answers text deltas, segments, the language and `transcription.done`, where the stream ends. An
 * `error` message fails the stream with `StreamEventError` (with its code), a socket that closes before
 * `transcription.done` with `StreamBroken`; a handshake refused with an HTTP status is that status's error
 * (`AuthenticationError` for 401, `RateLimited` for 429, …) where the platform reports the status, otherwise a
 * failed handshake is a `TransportError`; one that sends no `session.created` within the request timeout is a
 * `RequestTimeout`; once the audio has ended, a server silent for longer than the stream idle timeout is a
 * `StreamIdleTimeout`. The handshake (until `session.created`, before any audio is read) is retried by the client's
 * retry policy (`Retry-After` honoured); after that a failure ends the stream. Messages of an unknown type are delivered as
 * unknown events, never the end. Interrupting the stream closes the socket.
 *
 * Audio is read from its stream only while fewer than `bufferedEvents` events wait for the consumer and the socket's
 * send buffer is under 1 MiB: a slow consumer slows the upload instead of filling memory. (The answers to audio
 * already sent are counted when they arrive: a source much faster than real time, such as a file, can be ahead by
 * what the server has not answered yet.)
 *
 * The messages' schemas are generated from `packages/codegen/spec/realtime.yaml` (`generated/audioRealtime.ts`).
 *
 * @since 0.2.0
 */
import * as Socket from "@effect/platform/Socket"
import * as Clock from "effect/Clock"
import type * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"
import * as Exit from "effect/Exit"
import * as Cause from "effect/Cause"
import * as Layer from "effect/Layer"
import * as Mailbox from "effect/Mailbox"
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Realtime from "./generated/audioRealtime.js"
import type * as Components from "./generated/components.js"
import * as Errors from "./internal/errors.js"
import * as Observe from "./internal/observe.js"
import { lowerCaseKeys } from "./internal/prepare.js"
import * as Retry from "./internal/retry.js"
import { VERSION } from "./internal/version.js"
import * as MistralConfig from "./MistralConfig.js"
import * as MistralError from "./MistralError.js"
import * as MistralWebSocket from "./MistralWebSocket.js"
import * as RetryPolicy from "./RetryPolicy.js"

/**
 * The format of the PCM audio: an encoding (`pcm_s16le`, `pcm_s32le`, `pcm_f16le`, `pcm_f32le`, `pcm_mulaw`,
 * `pcm_alaw`) and a sample rate in Hz.
 *
 * @since 0.2.0
 * @category models
 */
export type AudioFormat = Realtime.RealtimeTranscriptionAudioFormat

/**
 * What the server says about the session (`session.created`, `session.updated`).
 *
 * @since 0.2.0
 * @category models
 */
export type Session = Realtime.RealtimeTranscriptionSession

/**
 * One event of a realtime transcription: `session.created`, `session.updated`, `transcription.language`,
 * `transcription.segment`, `transcription.text.delta`, `transcription.done`, or an unknown type kept raw. (`error`
 * messages are failures, not events.)
 *
 * @since 0.2.0
 * @category models
 */
export type Event = Exclude<Realtime.RealtimeTranscriptionServerMessage, Realtime.RealtimeTranscriptionError>

/**
 * The most audio one `input_audio.append` message may carry, in decoded bytes.
 *
 * @since 0.2.0
 * @category constants
 */
export const maxAppendBytes = 262_144

/**
 * The operation id errors of a realtime session carry (the OpenAPI document has none for it).
 *
 * @since 0.2.0
 * @category constants
 */
export const operationId = "audio_transcriptions_realtime"

/**
 * The URL path of the realtime transcription WebSocket.
 *
 * @since 0.2.0
 * @category constants
 */
export const path = "/v1/audio/transcriptions/realtime"

/**
 * @since 0.2.0
 * @category models
 */
export interface TranscribeOptions {
  readonly model: string
  /** The format of the audio stream, sent in `session.update` before any audio. */
  readonly audioFormat: AudioFormat
  /** How far behind the audio the server may transcribe, in milliseconds (the server's default otherwise). */
  readonly targetStreamingDelayMs?: number | undefined
  /** The most audio bytes per `input_audio.append`; default and upper bound `maxAppendBytes`. */
  readonly appendBytes?: number | undefined
  /** How many events may wait for the consumer before audio stops being read. Default 256. */
  readonly bufferedEvents?: number | undefined
}

/**
 * @since 0.2.0
 * @category models
 */
export interface Service {
  /** Transcribes the audio as it arrives; the stream ends at `transcription.done`. */
  readonly transcribe: <E, R>(
    options: TranscribeOptions,
    audio: Stream.Stream<Uint8Array, E, R>
  ) => Stream.Stream<Event, MistralError.MistralError | E, R>
}

/**
 * @since 0.2.0
 * @category tags
 */
export class AudioRealtime extends Context.Tag("@effect-mistral/core/AudioRealtime")<AudioRealtime, Service>() {}

// compiled on the first message, not when the module loads
let messageDecoder:
  | ((input: unknown) => Either.Either<Realtime.RealtimeTranscriptionServerMessage, ParseResult.ParseError>)
  | undefined
const decodeMessage = (json: unknown) => {
  if (messageDecoder === undefined) {
    messageDecoder = Schema.decodeUnknownEither(Realtime.RealtimeTranscriptionServerMessage)
  }
  return messageDecoder(json)
}
const textDecoder = new TextDecoder()
const maxBufferedBytes = 1024 * 1024

const webSocketUrl = (baseUrl: string, model: string): string =>
  `${baseUrl.replace(/^http(s?):/i, "ws$1:")}${path}?model=${encodeURIComponent(model)}`

/** The parts of an audio chunk, each at most `size` bytes (views, not copies). */
const slices = (bytes: Uint8Array, size: number): ReadonlyArray<Uint8Array> => {
  if (bytes.length <= size) return bytes.length === 0 ? [] : [bytes]
  const parts: Array<Uint8Array> = []
  for (let offset = 0; offset < bytes.length; offset += size) parts.push(bytes.subarray(offset, offset + size))
  return parts
}

const errorText = (message: Realtime.RealtimeTranscriptionErrorDetail["message"]): string =>
  typeof message === "string" ? message : JSON.stringify(message)

/** Why a socket stopped, from the failure of its `run`. */
const socketDetail = (exit: Exit.Exit<void, Socket.SocketError>): string => {
  if (Exit.isSuccess(exit)) return "the socket closed"
  const failure = Cause.failureOption(exit.cause)
  if (Option.isNone(failure)) return Cause.pretty(exit.cause)
  const error = failure.value
  if (error.reason === "Close") {
    return `the socket closed with code ${error.code}${error.closeReason ? ` (${error.closeReason})` : ""}`
  }
  // a WebSocket reports failures as an `ErrorEvent` whose `error` (if any) says more
  const cause: unknown = (error.cause as { readonly error?: unknown } | undefined)?.error ?? error.cause
  const described = Errors.describeCause(cause)
  return `socket ${error.reason.toLowerCase()} failed: ${described === "unknown failure" ? "the connection was lost" : described}`
}

/**
 * Builds the service from options (key, base URL, request timeout, headers) over the `MistralWebSocket` in context.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (
  options: MistralConfig.Options = {}
): Effect.Effect<Service, never, MistralWebSocket.MistralWebSocket> =>
  Effect.map(MistralWebSocket.MistralWebSocket, (webSockets) => fromWebSocket(webSockets, options))

/**
 * Builds the service over a `MistralWebSocket` service.
 *
 * @since 0.2.0
 * @category constructors
 */
export const fromWebSocket = (webSockets: MistralWebSocket.Service, options: MistralConfig.Options = {}): Service => {
  const config = MistralConfig.resolve(options)
  const secret = config.apiKey === undefined ? undefined : Redacted.value(config.apiKey)
  const scrub = Errors.scrubberOf(secret)
  const baseHeaders: Record<string, string> = {
    "user-agent": `effect-mistral/${VERSION}`,
    ...lowerCaseKeys(config.headers)
  }
  return {
    transcribe: <E, R>(transcribeOptions: TranscribeOptions, audio: Stream.Stream<Uint8Array, E, R>) =>
      Observe.withStreamSpan(
        Stream.unwrapScoped(
          Effect.flatMap(MistralConfig.CurrentCallSettings, (settings) =>
            // only the handshake is retried: no audio has been read until the session is created
            Retry.retry(
              session<E, R>({
                webSockets,
                url: webSocketUrl(config.baseUrl, transcribeOptions.model),
                headers: {
                  ...baseHeaders,
                  ...(settings.headers === undefined ? {} : lowerCaseKeys(settings.headers)),
                  ...(secret === undefined ? {} : { authorization: `Bearer ${secret}` })
                },
                timeout: settings.requestTimeout ?? config.requestTimeout,
                idleTimeout: settings.streamIdleTimeout ?? config.streamIdleTimeout,
                scrub,
                options: transcribeOptions,
                audio
              }),
              () =>
                RetryPolicy.toSchedule(settings.retryPolicy ?? config.retryPolicy, {
                  operationId,
                  onRetry: config.onRetry,
                  maxRetryAfter: config.maxRetryAfter
                }),
              MistralError.isRetryable
            )
          )
        ),
        `Mistral.${operationId}`,
        () => ({
          "mistral.operation_id": operationId,
          "http.request.method": "GET",
          "gen_ai.request.model": transcribeOptions.model
        })
      )
  }
}

interface SessionInput<E, R> {
  readonly webSockets: MistralWebSocket.Service
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly timeout: Duration.Duration
  /** The longest silence of the server once the audio has ended. */
  readonly idleTimeout: Duration.Duration
  readonly scrub: Errors.Scrub
  readonly options: TranscribeOptions
  readonly audio: Stream.Stream<Uint8Array, E, R>
}

const session = <E, R>(
  input: SessionInput<E, R>
): Effect.Effect<Stream.Stream<Event, MistralError.MistralError | E>, MistralError.MistralError, R | Scope.Scope> =>
  Effect.gen(function* () {
    const { options, scrub, timeout } = input
    const appendBytes = Math.max(1, Math.min(options.appendBytes ?? maxAppendBytes, maxAppendBytes))
    const bufferedEvents = Math.max(1, options.bufferedEvents ?? 256)
    let requestId: string | undefined
    const where = (): MistralError.RequestContext => ({
      operationId,
      method: "GET",
      path,
      ...(requestId === undefined ? {} : { requestId })
    })
    // once the socket is open the handshake's status was 101 (Switching Protocols)
    const opened = () => ({ ...where(), status: 101 })

    const events = yield* Mailbox.make<Event, MistralError.MistralError | E>()
    const created = yield* Deferred.make<void, MistralError.MistralError>()
    const updated = yield* Deferred.make<void, MistralError.MistralError>()
    let started = false
    let finished = false
    let received = 0
    let delivered = 0
    const room = yield* Effect.makeLatch(true)

    const failWith = (cause: Cause.Cause<MistralError.MistralError | E>): void => {
      if (finished) return
      finished = true
      events.unsafeDone(Exit.failCause(cause))
      const handshake = Exit.failCause(Cause.map(cause, (error) => error as MistralError.MistralError))
      Deferred.unsafeDone(created, handshake)
      Deferred.unsafeDone(updated, handshake)
    }
    const fail = (error: MistralError.MistralError): void => failWith(Cause.fail(error))

    const onMessage = (data: string | Uint8Array): void => {
      if (finished) return
      const text = typeof data === "string" ? data : textDecoder.decode(data)
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch {
        fail(Errors.responseDecode(opened(), text, "a realtime message that is not JSON", scrub))
        return
      }
      const decoded = decodeMessage(json)
      if (Either.isLeft(decoded)) {
        fail(Errors.responseDecodeParse(opened(), text, decoded.left, "message", scrub))
        return
      }
      const message = decoded.right
      switch (message.type) {
        case "error":
          fail(
            Errors.streamEvent(
              opened(),
              scrub(errorText(message.error.message)),
              message.error.code ?? undefined,
              received
            )
          )
          return
        case "session.created":
          started = true
          requestId = message.session.request_id ?? requestId
          Deferred.unsafeDone(created, Exit.void)
          break
        case "session.updated":
          Deferred.unsafeDone(updated, Exit.void)
          break
      }
      received++
      events.unsafeOffer(message)
      if (message.type === "transcription.done") {
        finished = true
        events.unsafeDone(Exit.void)
      }
    }

    let connection: MistralWebSocket.Connection | undefined
    const socket = yield* Socket.fromWebSocket(
      Effect.acquireRelease(
        Effect.try({
          try: () => {
            connection = input.webSockets.open(input.url, { headers: input.headers })
            return connection.socket
          },
          catch: (cause) => new Socket.SocketGenericError({ reason: "Open", cause })
        }),
        (ws) => Effect.sync(() => ws.close(1000))
      ),
      // every close before `transcription.done` is a break, a clean one too
      { openTimeout: timeout, closeCodeIsError: () => true }
    )

    yield* socket.runRaw(onMessage).pipe(
      Effect.exit,
      Effect.flatMap((exit) =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          if (finished || (Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause))) return
          const failure = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : Option.none()
          const refusal = connection?.refusal()
          if (started) fail(Errors.streamBroken(opened(), scrub(socketDetail(exit)), received))
          else if (refusal !== undefined) {
            // the status of a refused handshake maps like any answer's (401 → AuthenticationError, 429 → RateLimited…)
            const requestId = Errors.requestIdOf(refusal.headers)
            fail(
              Errors.fromStatus(
                { ...where(), ...(requestId === undefined ? {} : { requestId }) },
                refusal.status,
                refusal.headers,
                "",
                now
              )
            )
          } else if (Option.isSome(failure) && failure.value.reason === "OpenTimeout") {
            fail(Errors.requestTimeout(where(), timeout))
          } else fail(Errors.transport(where(), `WebSocket handshake failed: ${socketDetail(exit)}`, scrub))
        })
      ),
      Effect.forkScoped
    )

    const write = yield* socket.writer
    const send = (message: Realtime.RealtimeTranscriptionClientMessage) =>
      Effect.mapError(write(JSON.stringify(message)), (error) =>
        Errors.streamBroken(opened(), scrub(`sending ${message.type} failed: ${error.message}`), received)
      )
    const withinTimeout = <A>(effect: Effect.Effect<A, MistralError.MistralError>) =>
      Effect.timeoutFail(effect, { duration: timeout, onTimeout: () => Errors.requestTimeout(where(), timeout) })

    // pacing: audio waits while the consumer has many events to read, or while the socket has much to send
    const waitForRoom: Effect.Effect<void> = Effect.suspend(() => {
      if (received - delivered >= bufferedEvents) {
        room.unsafeClose()
        return Effect.zipRight(room.await, waitForRoom)
      }
      if ((connection?.socket.bufferedAmount ?? 0) >= maxBufferedBytes)
        return Effect.zipRight(Effect.sleep(5), waitForRoom)
      return Effect.void
    })

    const watchIdle: Effect.Effect<void> = Effect.suspend(() => {
      const seen = received
      return Effect.zipRight(
        Effect.sleep(input.idleTimeout),
        Effect.suspend(() => {
          if (finished) return Effect.void
          if (received === seen) {
            fail(Errors.streamIdleTimeout(opened(), input.idleTimeout, received))
            return Effect.void
          }
          return watchIdle
        })
      )
    })

    const upload = Effect.gen(function* () {
      yield* send({
        type: "session.update",
        session: {
          audio_format: options.audioFormat,
          ...(options.targetStreamingDelayMs === undefined
            ? {}
            : { target_streaming_delay_ms: options.targetStreamingDelayMs })
        }
      })
      yield* withinTimeout(Deferred.await(updated))
      yield* input.audio.pipe(
        Stream.mapConcat((bytes) => slices(bytes, appendBytes)),
        Stream.runForEach((bytes) =>
          Effect.zipRight(waitForRoom, send({ type: "input_audio.append", audio: Encoding.encodeBase64(bytes) }))
        )
      )
      yield* send({ type: "input_audio.flush" })
      yield* send({ type: "input_audio.end" })
      // while audio flows the server may rightly say nothing (silence); once it has ended, it owes the rest
      yield* watchIdle
    })

    yield* withinTimeout(Deferred.await(created))
    yield* upload.pipe(
      Effect.catchAllCause((cause) =>
        Effect.sync(() => {
          if (!Cause.isInterruptedOnly(cause)) failWith(cause)
        })
      ),
      Effect.forkScoped
    )

    return Mailbox.toStream(events).pipe(
      Stream.tap(() =>
        Effect.sync(() => {
          delivered++
          if (received - delivered < bufferedEvents) room.unsafeOpen()
        })
      )
    )
  })

/**
 * Builds the service with options from `Config`.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (
  options: MistralConfig.Options = {}
): Layer.Layer<AudioRealtime, never, MistralWebSocket.MistralWebSocket> => Layer.effect(AudioRealtime, make(options))

/**
 * A layer whose options come from `Config` (by default the environment, see `MistralConfig.defaultConfig`).
 *
 * @since 0.2.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config<MistralConfig.Options> | Config.Config.Wrap<MistralConfig.Options> = MistralConfig.defaultConfig
): Layer.Layer<
  AudioRealtime,
  ConfigError.ConfigError | MistralError.ConfigurationError,
  MistralWebSocket.MistralWebSocket
> =>
  // read and checked like the client's own options (the same ConfigurationError for a missing key or a bad URL)
  Layer.effect(AudioRealtime, Effect.flatMap(MistralConfig.read(config), make))

/**
 * Transcribes through the `AudioRealtime` service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const transcribe = <E, R>(
  options: TranscribeOptions,
  audio: Stream.Stream<Uint8Array, E, R>
): Stream.Stream<Event, MistralError.MistralError | E, R | AudioRealtime> =>
  Stream.unwrap(Effect.map(AudioRealtime, (service) => service.transcribe(options, audio)))

/**
 * The text deltas of a transcription, as they arrive.
 *
 * @since 0.2.0
 * @category streams
 */
export const textDeltas = <E, R>(events: Stream.Stream<Event, E, R>): Stream.Stream<string, E, R> =>
  Stream.filterMap(events, (event) =>
    event.type === "transcription.text.delta" ? Option.some(event.text) : Option.none()
  )

/**
 * A finished transcription: the final text (that of `transcription.done`, or the deltas joined if the stream ended
 * without it), the language, the segments as they were announced, the session and the `transcription.done` event.
 *
 * @since 0.2.0
 * @category models
 */
export interface Transcript {
  readonly text: string
  readonly language: string | null | undefined
  readonly segments: ReadonlyArray<Components.TranscriptionStreamSegmentDelta>
  readonly session: Session | undefined
  readonly done: Components.TranscriptionStreamDone | undefined
}

/**
 * Folds the events of a transcription into its final text, language and segments. Unknown events are skipped.
 *
 * @since 0.2.0
 * @category streams
 */
export const collect = <E, R>(events: Stream.Stream<Event, E, R>): Effect.Effect<Transcript, E, R> =>
  Effect.suspend(() => {
    const deltas: Array<string> = []
    const segments: Array<Components.TranscriptionStreamSegmentDelta> = []
    let language: string | null | undefined
    let session: Session | undefined
    let done: Components.TranscriptionStreamDone | undefined
    return Stream.runForEachChunk(events, (chunk) =>
      Effect.sync(() => {
        for (const event of chunk) {
          switch (event.type) {
            case "session.created":
            case "session.updated":
              session = { ...session, ...event.session }
              break
            case "transcription.text.delta":
              deltas.push(event.text)
              break
            case "transcription.segment":
              segments.push(event)
              break
            case "transcription.language":
              language = event.audio_language
              break
            case "transcription.done":
              done = event
              break
          }
        }
      })
    ).pipe(
      Effect.map(
        (): Transcript => ({
          text: done?.text ?? deltas.join(""),
          language: done?.language ?? language,
          segments,
          session,
          done
        })
      )
    )
  })
