/**
 * The Files API: upload (multipart, the file body streamed from a `Blob` or from a `Stream` through a
 * `StreamedFile`, with progress), list, read, delete, download as a stream of bytes, and signed URLs.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as Operations from "./generated/files.js"
import { accessors, type Body, DEFAULT_PAGE_SIZE, numberedPages, type Query } from "./internal/services.js"
import * as Upload from "./internal/upload.js"
import * as MistralClient from "./MistralClient.js"
import type * as MistralError from "./MistralError.js"
import * as StreamedFile from "./StreamedFile.js"

/**
 * What `upload` sends: `file` is a `Blob` or `File` (its name becomes the part's file name; a file-backed `Blob` such
 * as Node's `fs.openAsBlob` is streamed, never read whole), a `Uint8Array`, or a `StreamedFile` (bytes written from a
 * `Stream` as the request goes out); `purpose` is `fine-tune`, `batch` or `ocr`.
 *
 * @since 0.1.0
 * @category models
 */
export type UploadRequest = Body<typeof Operations.files_api_routes_upload_file>

/**
 * An upload whose file part is a `StreamedFile` failing with `E`: `upload` fails with that `E` as it is.
 *
 * @since 0.3.0
 * @category models
 */
export interface StreamedUploadRequest<E> extends Omit<UploadRequest, "file"> {
  readonly file: StreamedFile.StreamedFile<E>
}

/**
 * How far an upload is: the file bytes handed to the transport so far (`bytesSent`), out of `bytesTotal` when the
 * size is known, and the time since `upload` was called. `attempt` is 1 for the first send; when the retry policy
 * sends the request again the file is read again from its start, and `bytesSent` starts again from 0 with the next
 * attempt.
 *
 * @since 0.3.0
 * @category models
 */
export const UploadProgress = Schema.TaggedStruct("UploadProgress", {
  attempt: Schema.Number,
  bytesSent: Schema.Number,
  bytesTotal: Schema.UndefinedOr(Schema.Number),
  elapsed: Schema.DurationFromSelf
})

/**
 * @since 0.3.0
 * @category models
 */
export interface UploadProgress extends Schema.Schema.Type<typeof UploadProgress> {}

/**
 * @since 0.3.0
 * @category models
 */
export interface UploadOptions {
  /**
   * Called with each chunk of the file handed to the transport (chunks are as the file's stream gives them; a `Blob`
   * is read in chunks of its own). The upload waits for it, so keep it quick. Given a `Blob` or `Uint8Array` file,
   * the part is then read as a stream (Node's reused-buffer reading of `NodeFiles.uploadFromPath` files is skipped).
   */
  readonly onProgress?: ((progress: UploadProgress) => Effect.Effect<void>) | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export type ListOptions = Query<typeof Operations.files_api_routes_list_files>

/**
 * @since 0.1.0
 * @category models
 */
export type FilePurpose = Operations.FilePurpose

/**
 * A file as `upload` returns it.
 *
 * @since 0.1.0
 * @category models
 */
export type UploadedFile = Operations.CreateFileResponse

/**
 * A file as `list` returns it.
 *
 * @since 0.1.0
 * @category models
 */
export type FileInfo = Operations.FileSchema

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /**
   * Uploads a file. A `StreamedFile` part is written as the transport pulls it (chunked when its size is unknown),
   * and its stream's failure is the upload's failure; a retry of the request runs its stream again (see
   * `StreamedFile`).
   */
  readonly upload: <E = never>(
    request: UploadRequest | StreamedUploadRequest<E>,
    options?: UploadOptions
  ) => Effect.Effect<UploadedFile, MistralError.MistralError | E>
  readonly list: (options?: ListOptions) => Effect.Effect<Operations.ListFilesResponse, MistralError.MistralError>
  /** Every file, page after page (`page` zero-based), until a page comes back short. */
  readonly listAll: (options?: Omit<ListOptions, "page">) => Stream.Stream<FileInfo, MistralError.MistralError>
  readonly get: (fileId: string) => Effect.Effect<Operations.GetFileResponse, MistralError.MistralError>
  readonly delete: (fileId: string) => Effect.Effect<Operations.DeleteFileResponse, MistralError.MistralError>
  /** The file's content as it arrives, never buffered whole. */
  readonly download: (fileId: string) => Stream.Stream<Uint8Array, MistralError.MistralError>
  /** A URL to download the file without the API key, valid for `expiry` hours (default 24). */
  readonly signedUrl: (
    fileId: string,
    options?: Query<typeof Operations.files_api_routes_get_signed_url>
  ) => Effect.Effect<Operations.GetSignedUrlResponse, MistralError.MistralError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Files extends Context.Tag("@effect-mistral/core/Files")<Files, Service>() {}

/**
 * Builds the service on a client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromClient = (client: MistralClient.Service): Service => {
  const list = (options: ListOptions = {}) => client.call(Operations.files_api_routes_list_files, { query: options })
  const send = (request: UploadRequest) => client.call(Operations.files_api_routes_upload_file, { body: request })
  const upload = <E>(
    request: UploadRequest | StreamedUploadRequest<E>,
    options: UploadOptions = {}
  ): Effect.Effect<UploadedFile, MistralError.MistralError | E> => {
    const onProgress = options.onProgress
    const file = request.file
    if (onProgress === undefined && !StreamedFile.isStreamedFile(file)) return send(request as UploadRequest)
    return Effect.gen(function* () {
      const start = yield* Clock.currentTimeMillis
      const streamed = (StreamedFile.isStreamedFile(file) ? file : asStreamedFile(file)) as StreamedFile.StreamedFile<E>
      const watched = yield* Upload.watch(
        streamed,
        uploadContext,
        "body.file",
        onProgress &&
          ((attempt, bytesSent) =>
            Effect.flatMap(Clock.currentTimeMillis, (now) =>
              onProgress(
                UploadProgress.make({
                  attempt,
                  bytesSent,
                  bytesTotal: streamed.size,
                  elapsed: Duration.millis(now - start)
                })
              )
            ))
      )
      return yield* watched.send(send({ ...request, file: watched.file }))
    })
  }
  return {
    upload,
    list,
    listAll: (options = {}) => {
      const pageSize = options.page_size ?? DEFAULT_PAGE_SIZE
      return numberedPages(pageSize, (page) =>
        Effect.map(list({ ...options, page, page_size: pageSize }), (answer) => ({ items: answer.data }))
      )
    },
    get: (fileId) => client.call(Operations.files_api_routes_retrieve_file, { path: { file_id: fileId } }),
    delete: (fileId) => client.call(Operations.files_api_routes_delete_file, { path: { file_id: fileId } }),
    download: (fileId) => client.bytes(Operations.files_api_routes_download_file, { path: { file_id: fileId } }),
    signedUrl: (fileId, options = {}) =>
      client.call(Operations.files_api_routes_get_signed_url, { path: { file_id: fileId }, query: options })
  }
}

const uploadContext: MistralError.RequestContext = {
  operationId: Operations.files_api_routes_upload_file.operationId,
  method: "POST",
  path: Operations.files_api_routes_upload_file.path
}

/** A `Blob` or bytes as a stream of known size, so that its reading can be reported. */
const asStreamedFile = (file: Blob | Uint8Array): StreamedFile.StreamedFile<never> =>
  file instanceof Uint8Array
    ? StreamedFile.make(Stream.make(file), { name: "file", size: file.length })
    : StreamedFile.make(
        Stream.orDie(
          Stream.fromReadableStream({ evaluate: () => file.stream() as ReadableStream<Uint8Array>, onError: (e) => e })
        ),
        {
          name: typeof File !== "undefined" && file instanceof File ? file.name : "file",
          type: file.type,
          size: file.size
        }
      )

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
export const layer: Layer.Layer<Files, never, MistralClient.MistralClient> = Layer.effect(Files, make)

// =============================================================================
// Accessors
// =============================================================================

const methods = accessors(Files, {
  effects: ["list", "get", "delete", "signedUrl"],
  streams: ["listAll", "download"]
})

/**
 * Calls `upload` on the service in context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const upload = <E = never>(
  request: UploadRequest | StreamedUploadRequest<E>,
  options?: UploadOptions
): Effect.Effect<UploadedFile, MistralError.MistralError | E, Files> =>
  Effect.flatMap(Files, (service) => service.upload(request, options))

/**
 * Calls `list` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const list = methods.list

/**
 * Calls `get` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const get = methods.get

/**
 * Calls `delete` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
const delete_ = methods.delete

/**
 * Calls `signedUrl` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const signedUrl = methods.signedUrl

/**
 * Calls `listAll` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const listAll = methods.listAll

/**
 * Calls `download` on the service in context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const download = methods.download

export {
  /**
   * Calls `delete` on the service in context.
   *
   * @since 0.2.0
   * @category accessors
   */
  delete_ as delete
}
