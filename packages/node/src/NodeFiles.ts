/**
 * Files from and to the local disk: an upload request whose file part streams from a path (`fs.openAsBlob`, never
 * read whole into memory; over `UndiciHttpClient` it is read into a few reused buffers), and a download piped to a
 * path.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import * as PlatformError from "@effect/platform/Error"
import * as Files from "@effect-mistral/core/Files"
import type * as MistralError from "@effect-mistral/core/MistralError"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Multipart from "./internal/multipart.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface UploadOptions extends Omit<Files.UploadRequest, "file"> {
  /** The file name sent with the part. Default: the path's base name. */
  readonly fileName?: string | undefined
  /** The part's media type. Default: none (`application/octet-stream` on the wire). */
  readonly type?: string | undefined
}

const systemError = (method: string, pathOrDescriptor: string, cause: unknown) => {
  const code = typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : ""
  return new PlatformError.SystemError({
    reason: code === "ENOENT" ? "NotFound" : code === "EACCES" || code === "EPERM" ? "PermissionDenied" : "Unknown",
    module: "FileSystem",
    method,
    pathOrDescriptor,
    ...(code === "" ? {} : { syscall: code }),
    description: cause instanceof Error ? cause.message : String(cause),
    cause
  })
}

/**
 * The upload request for a file on disk: its part is a file-backed `Blob`, never read whole into memory. Sent through
 * `UndiciHttpClient` (the default of `MistralNode.layer`), the file is read from disk into a few reused buffers as the
 * body goes out, so the upload's memory does not grow with the file's size; any other `HttpClient` streams the
 * `Blob`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const uploadFromPath = (
  filePath: string,
  options: UploadOptions = {}
): Effect.Effect<Files.UploadRequest, PlatformError.SystemError> =>
  Effect.map(
    Effect.tryPromise({
      try: async () => {
        // openAsBlob says only "Unable to open file as blob": stat first for an error that tells why
        const stat = await fs.promises.stat(filePath)
        const blob = await fs.openAsBlob(filePath, options.type === undefined ? {} : { type: options.type })
        return { stat, blob }
      },
      catch: (cause) => systemError("openAsBlob", filePath, cause)
    }),
    ({ stat, blob }) => {
      const { fileName, type: _type, ...fields } = options
      // File over a file-backed Blob keeps it file-backed: nothing is read until the body is sent
      const file = new File([blob], fileName ?? path.basename(filePath), { type: blob.type })
      Multipart.registerFileSource(file, { path: path.resolve(filePath), size: file.size, mtimeMs: stat.mtimeMs })
      return { ...fields, file }
    }
  )

/**
 * Uploads a file on disk through the `Files` service in context (see {@link uploadFromPath} for how it is read).
 *
 * @since 0.1.0
 * @category uploads
 */
export const upload = (
  filePath: string,
  options: UploadOptions = {}
): Effect.Effect<Files.UploadedFile, MistralError.MistralError | PlatformError.SystemError, Files.Files> =>
  Effect.flatMap(uploadFromPath(filePath, options), Files.upload)

// the Node sink (and the platform-node stream modules under it) loads with the first download, not with the package
const loadNodeSink = Effect.promise(() => import("@effect/platform-node/NodeSink"))

/**
 * Pipes a file's download to a path as it arrives (the file is created or truncated). An interrupted or failed
 * download leaves what was written.
 *
 * @since 0.1.0
 * @category downloads
 */
export const saveDownload = (
  fileId: string,
  filePath: string
): Effect.Effect<void, MistralError.MistralError | PlatformError.SystemError, Files.Files> =>
  Effect.flatMap(loadNodeSink, (NodeSink) =>
    Stream.run(
      Files.download(fileId),
      NodeSink.fromWritable(
        () => fs.createWriteStream(filePath),
        (cause) => systemError("createWriteStream", filePath, cause)
      )
    )
  )
