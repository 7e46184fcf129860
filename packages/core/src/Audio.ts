/**
 * The Audio APIs: transcriptions (plain or streamed; the audio is a multipart file part, streamed from a `Blob`),
 * speech (a JSON answer with base64 audio, or a stream of audio deltas) and voices.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as Speech from "./generated/audioSpeech.js"
import * as Transcriptions from "./generated/audioTranscriptions.js"
import * as Voices from "./generated/audioVoices.js"
import type * as Components from "./generated/components.js"
import type { Body, Query } from "./internal/services.js"
import * as MistralClient from "./MistralClient.js"
import type * as MistralError from "./MistralError.js"

/**
 * What `transcribe` sends: the audio as `file` (a `Blob`/`File`, streamed, or a `Uint8Array`), or as `file_url` or
 * `file_id`, and the model.
 *
 * @since 0.1.0
 * @category models
 */
export type TranscriptionRequest = Body<typeof Transcriptions.audio_api_v1_transcriptions_post>

/**
 * The request of a streamed transcription; the runtime sets `stream: true` itself.
 *
 * @since 0.1.0
 * @category models
 */
export type TranscriptionStreamRequest = Omit<
  Body<typeof Transcriptions.audio_api_v1_transcriptions_post_stream>,
  "stream"
>

/**
 * @since 0.1.0
 * @category models
 */
export type TranscriptionResponse = Transcriptions.TranscriptionResponse

/**
 * One event of a streamed transcription (text deltas, language, segments, done; unknown kinds kept raw).
 *
 * @since 0.1.0
 * @category models
 */
export type TranscriptionEvent = Components.TranscriptionStreamEventsData

/**
 * @since 0.1.0
 * @category models
 */
export type SpeechRequest = Body<typeof Speech.speech_v1_audio_speech_post>

/**
 * The request of streamed speech; the runtime sets `stream: true` itself (the request is open to extra keys, so
 * `stream` is not left out of its type).
 *
 * @since 0.1.0
 * @category models
 */
export type SpeechStreamRequest = SpeechRequest

/**
 * The speech as base64 audio (see `audioBytes`).
 *
 * @since 0.1.0
 * @category models
 */
export type SpeechResponse = Speech.SpeechV1AudioSpeechPostResponse

/**
 * One event of streamed speech: an audio delta (base64), the end with usage, or an unknown kind kept raw.
 *
 * @since 0.1.0
 * @category models
 */
export type SpeechEvent = Speech.SpeechV1AudioSpeechPostEvent

/**
 * @since 0.1.0
 * @category models
 */
export type Voice = Voices.VoiceResponse

type Effected<A> = Effect.Effect<A, MistralError.MistralError>

/**
 * Preset and custom voices for speech.
 *
 * @since 0.1.0
 * @category models
 */
export interface VoicesService {
  readonly list: (options?: Query<typeof Voices.list_voices_v1_audio_voices_get>) => Effected<Voices.VoiceListResponse>
  readonly get: (voiceId: string) => Effected<Voice>
  readonly create: (request: Body<typeof Voices.create_voice_v1_audio_voices_post>) => Effected<Voice>
  readonly update: (
    voiceId: string,
    request: Body<typeof Voices.update_voice_v1_audio_voices__voice_id__patch>
  ) => Effected<Voice>
  readonly delete: (voiceId: string) => Effected<Voice>
  /** The voice's sample audio as it arrives. */
  readonly sample: (voiceId: string) => Stream.Stream<Uint8Array, MistralError.MistralError>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly transcribe: (request: TranscriptionRequest) => Effected<TranscriptionResponse>
  readonly transcribeStream: (
    request: TranscriptionStreamRequest
  ) => Stream.Stream<TranscriptionEvent, MistralError.MistralError>
  readonly speech: (request: SpeechRequest) => Effected<SpeechResponse>
  readonly speechStream: (request: SpeechStreamRequest) => Stream.Stream<SpeechEvent, MistralError.MistralError>
  readonly voices: VoicesService
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Audio extends Context.Tag("@effect-mistral/core/Audio")<Audio, Service>() {}

/**
 * Builds the service on a client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromClient = (client: MistralClient.Service): Service => ({
  transcribe: (request) => client.call(Transcriptions.audio_api_v1_transcriptions_post, { body: request }),
  transcribeStream: (request) =>
    client.stream(Transcriptions.audio_api_v1_transcriptions_post_stream, { body: request }),
  speech: (request) => client.call(Speech.speech_v1_audio_speech_post, { body: request }),
  speechStream: (request) => client.stream(Speech.speech_v1_audio_speech_post, { body: request }),
  voices: {
    list: (options = {}) => client.call(Voices.list_voices_v1_audio_voices_get, { query: options }),
    get: (voiceId) => client.call(Voices.get_voice_v1_audio_voices__voice_id__get, { path: { voice_id: voiceId } }),
    create: (request) => client.call(Voices.create_voice_v1_audio_voices_post, { body: request }),
    update: (voiceId, request) =>
      client.call(Voices.update_voice_v1_audio_voices__voice_id__patch, {
        path: { voice_id: voiceId },
        body: request
      }),
    delete: (voiceId) =>
      client.call(Voices.delete_voice_v1_audio_voices__voice_id__delete, { path: { voice_id: voiceId } }),
    sample: (voiceId) =>
      client.bytes(Voices.get_voice_sample_audio_v1_audio_voices__voice_id__sample_get, {
        path: { voice_id: voiceId }
      })
  }
})

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, MistralClient.MistralClient> = Effect.map(
  MistralClient.MistralClient,
  fromClient
)

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Audio, never, MistralClient.MistralClient> = Layer.effect(Audio, make)

/**
 * The audio bytes of a speech answer or of a streamed audio delta (both carry base64). Text that is not base64 gives
 * an empty array.
 *
 * @since 0.1.0
 * @category getters
 */
export const audioBytes = (value: SpeechResponse | { readonly audio_data: string }): Uint8Array => {
  const decoded = Encoding.decodeBase64(value.audio_data)
  return decoded._tag === "Right" ? decoded.right : new Uint8Array(0)
}

/**
 * The audio of streamed speech as bytes, delta after delta.
 *
 * @since 0.1.0
 * @category streams
 */
export const speechAudio = <E, R>(events: Stream.Stream<SpeechEvent, E, R>): Stream.Stream<Uint8Array, E, R> =>
  Stream.filterMap(events, (event) =>
    event.type === "speech.audio.delta" && "audio_data" in event ? Option.some(audioBytes(event)) : Option.none()
  )
