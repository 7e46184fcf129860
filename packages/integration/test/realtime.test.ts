import * as AudioRealtime from "@effect-mistral/core/AudioRealtime"
import * as MistralClient from "@effect-mistral/core/MistralClient"
import * as RetryPolicy from "@effect-mistral/core/RetryPolicy"
import * as Fault from "@effect-mistral/emulator/Fault"
import * as MistralEmulator from "@effect-mistral/emulator/MistralEmulator"
import * as MistralNode from "@effect-mistral/node/MistralNode"
import * as NodeWebSocket from "@effect-mistral/node/NodeWebSocket"
import { describe, expect, layer } from "@effect/vitest"
import { Cause, Chunk, Duration, Effect, Exit, Layer, Option, Redacted, Schedule, Stream } from "effect"

const KEY = "sk-realtime-secret"
const MODEL = "voxtral-mini-transcribe-realtime-2602"
const format = { encoding: "pcm_s16le", sample_rate: 16_000 } as const
/** Bytes of half a second of 16 kHz 16-bit mono audio: one word of the emulator's transcription. */
const halfSecond = 16_000

/** A sine tone as 16-bit little-endian PCM. */
const tone = (seconds: number, hz: number, sampleRate = 16_000): Uint8Array => {
  const samples = Math.round(seconds * sampleRate)
  const bytes = new Uint8Array(samples * 2)
  const view = new DataView(bytes.buffer)
  for (let i = 0; i < samples; i++) {
    view.setInt16(i * 2, Math.round(Math.sin((2 * Math.PI * hz * i) / sampleRate) * 12_000), true)
  }
  return bytes
}

const chunks = (bytes: Uint8Array, size: number): Stream.Stream<Uint8Array> => {
  const parts: Array<Uint8Array> = []
  for (let offset = 0; offset < bytes.length; offset += size) parts.push(bytes.subarray(offset, offset + size))
  return Stream.fromIterable(parts)
}

const TestLayer = Layer.unwrapEffect(
  Effect.map(MistralEmulator.MistralEmulator, (emulator) =>
    // no retries: each injected fault is seen as the caller sees it once the retries are spent
    MistralNode.layer({
      apiKey: Redacted.make(KEY),
      baseUrl: emulator.url,
      requestTimeout: "1 second",
      retryPolicy: false
    })
  )
).pipe(Layer.provideMerge(MistralEmulator.layer({ apiKey: KEY })))

/** The realtime service of another client of the same emulator (another key, another timeout). */
const otherClient = (options: {
  readonly apiKey: string
  readonly requestTimeout?: Duration.DurationInput
  readonly retryPolicy?: RetryPolicy.RetryPolicy
  readonly onRetry?: (attempt: RetryPolicy.RetryAttempt) => Effect.Effect<void>
}) =>
  Effect.map(MistralEmulator.MistralEmulator, (emulator) =>
    AudioRealtime.fromWebSocket(
      { open: NodeWebSocket.open },
      {
        apiKey: Redacted.make(options.apiKey),
        baseUrl: emulator.url,
        requestTimeout: options.requestTimeout,
        retryPolicy: options.retryPolicy ?? false,
        onRetry: options.onRetry
      }
    )
  )

const lastSession = Effect.flatMap(MistralEmulator.MistralEmulator, (emulator) =>
  Effect.map(emulator.realtimeSessions, (sessions) => sessions[sessions.length - 1])
)

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  return Option.getOrThrow(Cause.failureOption(exit.cause))
}

layer(TestLayer, { excludeTestServices: true })("AudioRealtime against the emulator", (it) => {
  it.effect("round trip: deltas as the audio arrives, segments with timings, done with the whole text", () =>
    Effect.gen(function* () {
      const audio = tone(2, 440)
      const events = yield* AudioRealtime.transcribe({ model: MODEL, audioFormat: format }, chunks(audio, 8_000)).pipe(
        Stream.runCollect,
        Effect.map(Chunk.toReadonlyArray)
      )
      const types = events.map((event) => event.type)
      expect(types[0]).toBe("session.created")
      expect(types[1]).toBe("session.updated")
      expect(types[types.length - 1]).toBe("transcription.done")
      const deltas = events.flatMap((event) => (event.type === "transcription.text.delta" ? [event.text] : []))
      // one word per half second of audio
      expect(deltas).toHaveLength(audio.length / halfSecond)
      const transcript = yield* AudioRealtime.collect(Stream.fromIterable(events))
      expect(transcript.text).toBe(deltas.join(""))
      expect(transcript.text.split(" ")).toHaveLength(4)
      expect(transcript.language).toBe("en")
      expect(transcript.session?.request_id).toMatch(/^[0-9a-f]{32}$/)
      expect(transcript.segments.map(({ start, end }) => [start, end])).toEqual([[0, 2]])
      expect(transcript.done?.usage.prompt_audio_seconds).toBe(2)

      const session = yield* lastSession
      expect(session.audioBytes).toBe(audio.length)
      expect(session.appends).toBe(audio.length / 8_000)
      expect(session.ended).toBe(true)
      expect(session.flushes).toBe(1)
      // the words come from the audio: the same audio gives the same text, other audio another one
      const again = yield* AudioRealtime.collect(
        AudioRealtime.transcribe({ model: MODEL, audioFormat: format }, Stream.make(audio))
      )
      expect(again.text).toBe(transcript.text)
      const other = yield* AudioRealtime.collect(
        AudioRealtime.transcribe({ model: MODEL, audioFormat: format }, Stream.make(tone(2, 1234)))
      )
      expect(other.text).not.toBe(transcript.text)
    })
  )

  it.effect("audio is split into appends of at most 262,144 bytes", () =>
    Effect.gen(function* () {
      const audio = tone(18.75, 300) // 600,000 bytes in one chunk
      const transcript = yield* AudioRealtime.collect(
        AudioRealtime.transcribe({ model: MODEL, audioFormat: format }, Stream.make(audio))
      )
      const session = yield* lastSession
      expect(session.audioBytes).toBe(600_000)
      expect(session.appends).toBe(3)
      expect(session.largestAppend).toBe(AudioRealtime.maxAppendBytes)
      expect(transcript.text.split(" ")).toHaveLength(Math.ceil(600_000 / halfSecond))
    })
  )

  it.effect("session.update sets the format and delay before the audio; the transcription follows the format", () =>
    Effect.gen(function* () {
      const f32 = { encoding: "pcm_f32le", sample_rate: 8_000 } as const
      // 8 kHz 32-bit floats: 32,000 bytes a second, a word per 16,000 bytes
      const audio = new Uint8Array(64_000).map((_, i) => (i * 7) % 251)
      const events = yield* AudioRealtime.transcribe(
        { model: MODEL, audioFormat: f32, targetStreamingDelayMs: 240 },
        Stream.make(audio)
      ).pipe(Stream.runCollect, Effect.map(Chunk.toReadonlyArray))
      const updated = events.find((event) => event.type === "session.updated")
      expect(updated?.type === "session.updated" ? updated.session : undefined).toMatchObject({
        audio_format: f32,
        target_streaming_delay_ms: 240
      })
      const session = yield* lastSession
      expect(session.updates).toBe(1)
      expect(session.audioFormat).toEqual(f32)
      expect(session.targetStreamingDelayMs).toBe(240)
      const transcript = yield* AudioRealtime.collect(Stream.fromIterable(events))
      expect(transcript.text.split(" ")).toHaveLength(4)
      expect(transcript.segments[0]).toMatchObject({ start: 0, end: 2 })
    })
  )

  it.effect("a slow consumer slows the upload: audio is read only while few events wait", () =>
    Effect.gen(function* () {
      const words = 30
      const run = (bufferedEvents: number) =>
        Effect.gen(function* () {
          let pulled = 0
          let consumed = 0
          let ahead = 0
          // a live source (a microphone): a chunk every 5 ms, eight times faster than the consumer reads (a margin
          // that holds on a loaded machine: at three times, a busy CI run saw the unpaced upload only 9 ahead)
          const audio = chunks(tone(words / 2, 523), halfSecond).pipe(
            Stream.tap(() => Effect.sleep("5 millis")),
            Stream.tap(() => Effect.sync(() => pulled++))
          )
          yield* AudioRealtime.transcribe({ model: MODEL, audioFormat: format, bufferedEvents }, audio).pipe(
            Stream.runForEach((event) =>
              Effect.gen(function* () {
                if (event.type !== "transcription.text.delta") return
                consumed++
                ahead = Math.max(ahead, pulled - consumed)
                yield* Effect.sleep("40 millis")
              })
            )
          )
          expect(consumed).toBe(words)
          return ahead
        })
      // with a small buffer the upload stays a few chunks ahead of the consumer; with a large one it runs ahead
      const paced = yield* run(2)
      const unpaced = yield* run(1_000)
      expect(paced).toBeLessThanOrEqual(6)
      expect(unpaced).toBeGreaterThanOrEqual(15)
    })
  )

  it.effect("interrupting the stream closes the socket, and the emulator sees the close", () =>
    Effect.gen(function* () {
      const endless = Stream.concat(chunks(tone(1, 660), halfSecond), Stream.never)
      const firstTwo = yield* AudioRealtime.transcribe({ model: MODEL, audioFormat: format }, endless).pipe(
        AudioRealtime.textDeltas,
        Stream.take(2),
        Stream.runCollect
      )
      expect(firstTwo).toHaveLength(2)
      const session = yield* lastSession.pipe(
        Effect.filterOrFail((s) => s.closed),
        Effect.retry(Schedule.spaced("20 millis").pipe(Schedule.upTo("2 seconds")))
      )
      expect(session.ended).toBe(false)
      expect(session.closeCode).toBe(1000)
    })
  )

  it.effect("an unknown message type is delivered as an unknown event, not the end", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      yield* emulator.inject(Fault.unknownEvent(2), { match: { path: AudioRealtime.path } })
      const events = yield* AudioRealtime.transcribe(
        { model: MODEL, audioFormat: format },
        Stream.make(tone(1, 440))
      ).pipe(Stream.runCollect, Effect.map(Chunk.toReadonlyArray))
      const unknown = events.find((event) => event.type === "$unknown")
      expect(unknown).toEqual({ type: "$unknown", raw: { type: "emulator.unknown", detail: { sent_after: 2 } } })
      expect(events[events.length - 1].type).toBe("transcription.done")
    })
  )

  describe("failures", () => {
    it.effect("a refused key is an AuthenticationError of the handshake that never shows the key", () =>
      Effect.gen(function* () {
        const realtime = yield* otherClient({ apiKey: "sk-wrong-key" })
        const exit = yield* realtime
          .transcribe({ model: MODEL, audioFormat: format }, Stream.make(tone(1, 440)))
          .pipe(Stream.runDrain, Effect.exit)
        const error = failureOf(exit)
        expect(error._tag).toBe("AuthenticationError")
        expect(error.message).toContain(`GET ${AudioRealtime.path} 401`)
        expect(error.message).toMatch(/request-id=[0-9a-f]{32}/)
        expect(JSON.stringify(error)).not.toContain("sk-wrong-key")
        expect(String(error)).not.toContain("sk-wrong-key")
        const emulator = yield* MistralEmulator.MistralEmulator
        const requests = yield* emulator.requests
        expect(requests[requests.length - 1]).toMatchObject({ path: AudioRealtime.path, status: 401 })
      })
    )

    it.effect("a handshake answered with an error status is that status's error; a reset one a TransportError", () =>
      Effect.gen(function* () {
        const emulator = yield* MistralEmulator.MistralEmulator
        const attempt = AudioRealtime.transcribe({ model: MODEL, audioFormat: format }, Stream.make(tone(1, 440))).pipe(
          Stream.runDrain,
          Effect.exit
        )
        yield* emulator.inject(Fault.status(503), { match: { path: AudioRealtime.path } })
        const unavailable = failureOf(yield* attempt)
        expect(unavailable._tag).toBe("ServerError")
        expect(unavailable._tag === "ServerError" ? unavailable.status : undefined).toBe(503)
        yield* emulator.inject(Fault.rateLimited({ retryAfter: 2 }), { match: { path: AudioRealtime.path } })
        const limited = failureOf(yield* attempt)
        expect(limited._tag).toBe("RateLimited")
        expect(limited._tag === "RateLimited" ? limited.retryAfter : undefined).toEqual(Duration.seconds(2))
        yield* emulator.inject(Fault.reset, { match: { path: AudioRealtime.path } })
        const reset = failureOf(yield* attempt)
        expect(reset._tag).toBe("TransportError")
        expect(reset.message).toContain("WebSocket handshake failed")
      })
    )

    it.effect("a refused handshake is retried by policy, honouring Retry-After; no audio is read before", () =>
      Effect.gen(function* () {
        const emulator = yield* MistralEmulator.MistralEmulator
        const retries: Array<string> = []
        const realtime = yield* otherClient({
          apiKey: KEY,
          retryPolicy: RetryPolicy.exponential({ base: "10 millis", jitter: false, maxRetries: 3 }),
          onRetry: (attempt) =>
            Effect.sync(() => retries.push(`${attempt.error._tag} ${Duration.toMillis(attempt.delay)}`))
        })
        yield* emulator.inject(Fault.status(503), { match: { path: AudioRealtime.path } })
        yield* emulator.inject(Fault.rateLimited({ retryAfter: 1 }), { match: { path: AudioRealtime.path } })
        let pulled = 0
        const audio = Stream.make(tone(1, 440)).pipe(Stream.tap(() => Effect.sync(() => pulled++)))
        const transcript = yield* AudioRealtime.collect(
          realtime.transcribe({ model: MODEL, audioFormat: format }, audio)
        )
        expect(transcript.text.split(" ")).toHaveLength(2)
        expect(retries).toEqual(["ServerError 10", "RateLimited 1000"])
        expect(pulled).toBe(1)
        const requests = yield* emulator.requests
        // the third handshake succeeded (its status is logged once its socket has closed)
        expect(requests.slice(-3).map((request) => request.fault?._tag ?? "none")).toEqual(["Status", "Status", "none"])
        expect(requests.slice(-3, -1).map((request) => request.status)).toEqual([503, 429])
      })
    )

    it.effect("a slow handshake, or no session.created, within the request timeout is a RequestTimeout", () =>
      Effect.gen(function* () {
        const emulator = yield* MistralEmulator.MistralEmulator
        const realtime = yield* otherClient({ apiKey: KEY, requestTimeout: "300 millis" })
        const attempt = realtime
          .transcribe({ model: MODEL, audioFormat: format }, Stream.make(tone(1, 440)))
          .pipe(Stream.runDrain, Effect.exit)
        yield* emulator.inject(Fault.delay("1 second"), { match: { path: AudioRealtime.path } })
        const slowHandshake = failureOf(yield* attempt)
        expect(slowHandshake._tag).toBe("RequestTimeout")
        yield* emulator.inject(Fault.eventDelay("1 second"), { match: { path: AudioRealtime.path } })
        const silent = failureOf(yield* attempt)
        expect(silent._tag).toBe("RequestTimeout")
        expect(silent.message).toContain("300ms")
      })
    )

    it.effect("a server silent after the audio has ended for longer than the idle timeout is StreamIdleTimeout", () =>
      Effect.gen(function* () {
        const emulator = yield* MistralEmulator.MistralEmulator
        // every message 300 ms late: the handshake fits the request timeout, the answers after the end do not fit
        // the idle timeout
        yield* emulator.inject(Fault.eventDelay("300 millis"), { match: { path: AudioRealtime.path } })
        const exit = yield* AudioRealtime.transcribe(
          { model: MODEL, audioFormat: format },
          Stream.make(tone(1, 440))
        ).pipe(MistralClient.withStreamIdleTimeout("100 millis"), Stream.runDrain, Effect.exit)
        const error = failureOf(exit)
        expect(error._tag).toBe("StreamIdleTimeout")
        if (error._tag !== "StreamIdleTimeout") return
        expect(error.eventsReceived).toBe(2)
        expect(Duration.toMillis(error.timeout)).toBe(100)
      })
    )

    it.effect("an error message is a StreamEventError with its code and message", () =>
      Effect.gen(function* () {
        const emulator = yield* MistralEmulator.MistralEmulator
        yield* emulator.inject(Fault.streamError(3401, { message: "audio quota exceeded", afterEvents: 3 }), {
          match: { path: AudioRealtime.path }
        })
        const exit = yield* AudioRealtime.transcribe(
          { model: MODEL, audioFormat: format },
          Stream.make(tone(2, 440))
        ).pipe(Stream.runDrain, Effect.exit)
        const error = failureOf(exit)
        expect(error._tag).toBe("StreamEventError")
        if (error._tag !== "StreamEventError") return
        expect(error.code).toBe(3401)
        expect(error.detail).toBe("audio quota exceeded")
        expect(error.eventsReceived).toBe(3)
        expect(error.requestId).toMatch(/^[0-9a-f]{32}$/)
      })
    )

    it.effect("a dropped socket is StreamBroken", () =>
      Effect.gen(function* () {
        const emulator = yield* MistralEmulator.MistralEmulator
        yield* emulator.inject(Fault.streamCut(4), { match: { path: AudioRealtime.path } })
        const exit = yield* AudioRealtime.transcribe(
          { model: MODEL, audioFormat: format },
          Stream.make(tone(3, 440))
        ).pipe(Stream.runDrain, Effect.exit)
        const error = failureOf(exit)
        expect(error._tag).toBe("StreamBroken")
        if (error._tag !== "StreamBroken") return
        expect(error.eventsReceived).toBe(4)
        expect(error.detail).toMatch(/connection|closed/)
      })
    )

    it.effect("the emulator refuses session.update after audio, with an error message", () =>
      Effect.gen(function* () {
        const emulator = yield* MistralEmulator.MistralEmulator
        const messages = yield* Effect.async<ReadonlyArray<{ readonly type: string; readonly error?: unknown }>>(
          (resume) => {
            const ws = NodeWebSocket.open(`${emulator.url.replace("http", "ws")}${AudioRealtime.path}?model=${MODEL}`, {
              headers: { authorization: `Bearer ${KEY}` }
            }).socket
            const received: Array<{ readonly type: string; readonly error?: unknown }> = []
            ws.addEventListener("message", (event) => {
              const message = JSON.parse(String(event.data))
              received.push(message)
              if (message.type === "session.created") {
                ws.send(
                  JSON.stringify({ type: "input_audio.append", audio: Buffer.from(tone(0.1, 440)).toString("base64") })
                )
                ws.send(JSON.stringify({ type: "session.update", session: { audio_format: format } }))
              }
              if (message.type === "error") {
                ws.close(1000)
                resume(Effect.succeed(received))
              }
            })
            return Effect.sync(() => ws.close(1000))
          }
        )
        expect(messages.map((message) => message.type)).toEqual(["session.created", "error"])
        expect(messages[1].error).toMatchObject({ message: "session.update is not allowed after audio has started" })
      })
    )
  })

  it.effect("per-call settings apply: withRequestTimeout shortens the wait for session.created", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      yield* emulator.inject(Fault.eventDelay("800 millis"), { match: { path: AudioRealtime.path } })
      const exit = yield* AudioRealtime.transcribe(
        { model: MODEL, audioFormat: format },
        Stream.make(tone(1, 440))
      ).pipe(MistralClient.withRequestTimeout("200 millis"), Stream.runDrain, Effect.exit)
      const error = failureOf(exit)
      expect(error._tag).toBe("RequestTimeout")
      expect(error.message).toContain("200ms")
    })
  )
})
