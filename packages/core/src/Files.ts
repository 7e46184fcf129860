/**
 * The Files API: upload (multipart, the file body streamed from a `Blob`), list, read, delete, download as a stream
 * of bytes, and signed URLs.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Stream from "effect/Stream"
import * as Operations from "./generated/files.js"
import { accessors, type Body, DEFAULT_PAGE_SIZE, numberedPages, type Query } from "./internal/services.js"
import * as MistralClient from "./MistralClient.js"
import type * as MistralError from "./MistralError.js"

/**
 * What `upload` sends: `file` is a `Blob` or `File` (its name becomes the part's file name; a file-backed `Blob` such
 * as Node's `fs.openAsBlob` is streamed, never read whole) or a `Uint8Array`; `purpose` is `fine-tune`, `batch` or
 * `ocr`.
 *
 * @since 0.1.0
 * @category models
 */
export type UploadRequest = Body<typeof Operations.files_api_routes_upload_file>

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
  readonly upload: (request: UploadRequest) => Effect.Effect<UploadedFile, MistralError.MistralError>
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
  return {
    upload: (request) => client.call(Operations.files_api_routes_upload_file, { body: request }),
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
  effects: ["upload", "list", "get", "delete", "signedUrl"],
  streams: ["listAll", "download"]
})

/**
 * Calls `upload` on the service in context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const upload = methods.upload

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
