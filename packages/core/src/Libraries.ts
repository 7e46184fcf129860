/**
 * The Libraries API: document libraries (create, list, read, update, delete), their documents (upload, list, read,
 * update, delete, status, text, signed URLs, reprocess) and who they are shared with.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Stream from "effect/Stream"
import * as Operations from "./generated/libraries.js"
import * as Accesses from "./generated/librariesAccesses.js"
import * as Documents from "./generated/librariesDocuments.js"
import { accessors, type Body, DEFAULT_PAGE_SIZE, numberedPages, type Query, tokenPages } from "./internal/services.js"
import * as MistralClient from "./MistralClient.js"
import type * as MistralError from "./MistralError.js"

/**
 * @since 0.1.0
 * @category models
 */
export type Library = Operations.Library

/**
 * @since 0.1.0
 * @category models
 */
export type Document = Documents.Document

/**
 * @since 0.1.0
 * @category models
 */
export type CreateRequest = Body<typeof Operations.libraries_create_v1>

/**
 * @since 0.1.0
 * @category models
 */
export type UpdateRequest = Body<typeof Operations.libraries_update_v1>

/**
 * @since 0.1.0
 * @category models
 */
export type ListOptions = Query<typeof Operations.libraries_list_v1>

/**
 * @since 0.1.0
 * @category models
 */
export type DocumentListOptions = Query<typeof Documents.libraries_documents_list_v1>

/**
 * What `documents.upload` sends: `file` is a `Blob`/`File` (streamed) or a `Uint8Array`.
 *
 * @since 0.1.0
 * @category models
 */
export type DocumentUploadRequest = Body<typeof Documents.libraries_documents_upload_v1>

/**
 * @since 0.1.0
 * @category models
 */
export type DocumentUpdateRequest = Body<typeof Documents.libraries_documents_update_v1>

/**
 * @since 0.1.0
 * @category models
 */
export type ShareRequest = Body<typeof Accesses.libraries_share_create_v1>

/**
 * @since 0.1.0
 * @category models
 */
export type UnshareRequest = Body<typeof Accesses.libraries_share_delete_v1>

type Effected<A> = Effect.Effect<A, MistralError.MistralError>

/**
 * The documents of a library.
 *
 * @since 0.1.0
 * @category models
 */
export interface DocumentsService {
  readonly upload: (libraryId: string, request: DocumentUploadRequest) => Effected<Document>
  readonly list: (libraryId: string, options?: DocumentListOptions) => Effected<Documents.ListDocumentsResponse>
  /** Every document, page after page, while the answer says there is more. */
  readonly listAll: (
    libraryId: string,
    options?: Omit<DocumentListOptions, "page">
  ) => Stream.Stream<Document, MistralError.MistralError>
  readonly get: (libraryId: string, documentId: string) => Effected<Document>
  /** Replaces the document's name and attributes (`PUT`). */
  readonly update: (libraryId: string, documentId: string, request: DocumentUpdateRequest) => Effected<Document>
  /** Changes the given fields of the document (`PATCH`). */
  readonly patch: (libraryId: string, documentId: string, request: DocumentUpdateRequest) => Effected<Document>
  readonly delete: (libraryId: string, documentId: string) => Effected<void>
  readonly status: (libraryId: string, documentId: string) => Effected<Documents.ProcessingStatus>
  readonly textContent: (
    libraryId: string,
    documentId: string,
    options?: Query<typeof Documents.libraries_documents_get_text_content_v1>
  ) => Effected<Documents.DocumentTextContent>
  readonly signedUrl: (libraryId: string, documentId: string) => Effected<string>
  readonly extractedTextSignedUrl: (libraryId: string, documentId: string) => Effected<string>
  readonly reprocess: (libraryId: string, documentId: string) => Effected<void>
}

/**
 * Who a library is shared with.
 *
 * @since 0.1.0
 * @category models
 */
export interface AccessesService {
  readonly list: (libraryId: string) => Effected<Accesses.ListSharingResponse>
  /** Shares the library, or changes the level of an existing share. */
  readonly share: (libraryId: string, request: ShareRequest) => Effected<Accesses.Sharing>
  readonly delete: (libraryId: string, request: UnshareRequest) => Effected<Accesses.Sharing>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly create: (request: CreateRequest) => Effected<Library>
  readonly list: (options?: ListOptions) => Effected<Operations.ListLibrariesResponse>
  /** Every library, following page tokens. */
  readonly listAll: (
    options?: Omit<ListOptions, "page" | "page_token">
  ) => Stream.Stream<Library, MistralError.MistralError>
  readonly get: (libraryId: string) => Effected<Library>
  /** Replaces the library's name and description (`PUT`). */
  readonly update: (libraryId: string, request: UpdateRequest) => Effected<Library>
  /** Changes the given fields of the library (`PATCH`). */
  readonly patch: (libraryId: string, request: UpdateRequest) => Effected<Library>
  readonly delete: (libraryId: string) => Effected<Library>
  readonly documents: DocumentsService
  readonly accesses: AccessesService
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Libraries extends Context.Tag("@effect-mistral/core/Libraries")<Libraries, Service>() {}

/**
 * Builds the service on a client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromClient = (client: MistralClient.Service): Service => {
  const list = (options: ListOptions = {}) => client.call(Operations.libraries_list_v1, { query: options })
  const listDocuments = (libraryId: string, options: DocumentListOptions = {}) =>
    client.call(Documents.libraries_documents_list_v1, { path: { library_id: libraryId }, query: options })
  const document = (libraryId: string, documentId: string) => ({ library_id: libraryId, document_id: documentId })
  return {
    create: (request) => client.call(Operations.libraries_create_v1, { body: request }),
    list,
    listAll: (options = {}) =>
      tokenPages((token) =>
        Effect.map(list(token === undefined ? options : { ...options, page_token: token }), (answer) => ({
          items: answer.data,
          next: answer.next_page_token
        }))
      ),
    get: (libraryId) => client.call(Operations.libraries_get_v1, { path: { library_id: libraryId } }),
    update: (libraryId, request) =>
      client.call(Operations.libraries_update_v1, { path: { library_id: libraryId }, body: request }),
    patch: (libraryId, request) =>
      client.call(Operations.libraries_patch_v1, { path: { library_id: libraryId }, body: request }),
    delete: (libraryId) => client.call(Operations.libraries_delete_v1, { path: { library_id: libraryId } }),
    documents: {
      upload: (libraryId, request) =>
        client.call(Documents.libraries_documents_upload_v1, { path: { library_id: libraryId }, body: request }),
      list: listDocuments,
      listAll: (libraryId, options = {}) => {
        const pageSize = options.page_size ?? DEFAULT_PAGE_SIZE
        return numberedPages(pageSize, (page) =>
          Effect.map(listDocuments(libraryId, { ...options, page, page_size: pageSize }), (answer) => ({
            items: answer.data,
            hasMore: answer.pagination.has_more
          }))
        )
      },
      get: (libraryId, documentId) =>
        client.call(Documents.libraries_documents_get_v1, { path: document(libraryId, documentId) }),
      update: (libraryId, documentId, request) =>
        client.call(Documents.libraries_documents_update_v1, { path: document(libraryId, documentId), body: request }),
      patch: (libraryId, documentId, request) =>
        client.call(Documents.libraries_documents_patch_v1, { path: document(libraryId, documentId), body: request }),
      delete: (libraryId, documentId) =>
        client.call(Documents.libraries_documents_delete_v1, { path: document(libraryId, documentId) }),
      status: (libraryId, documentId) =>
        client.call(Documents.libraries_documents_get_status_v1, { path: document(libraryId, documentId) }),
      textContent: (libraryId, documentId, options = {}) =>
        client.call(Documents.libraries_documents_get_text_content_v1, {
          path: document(libraryId, documentId),
          query: options
        }),
      signedUrl: (libraryId, documentId) =>
        client.call(Documents.libraries_documents_get_signed_url_v1, { path: document(libraryId, documentId) }),
      extractedTextSignedUrl: (libraryId, documentId) =>
        client.call(Documents.libraries_documents_get_extracted_text_signed_url_v1, {
          path: document(libraryId, documentId)
        }),
      reprocess: (libraryId, documentId) =>
        client.call(Documents.libraries_documents_reprocess_v1, { path: document(libraryId, documentId) })
    },
    accesses: {
      list: (libraryId) => client.call(Accesses.libraries_share_list_v1, { path: { library_id: libraryId } }),
      share: (libraryId, request) =>
        client.call(Accesses.libraries_share_create_v1, { path: { library_id: libraryId }, body: request }),
      delete: (libraryId, request) =>
        client.call(Accesses.libraries_share_delete_v1, { path: { library_id: libraryId }, body: request })
    }
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
export const layer: Layer.Layer<Libraries, never, MistralClient.MistralClient> = Layer.effect(Libraries, make)

// =============================================================================
// Accessors
// =============================================================================

const methods = accessors(Libraries, {
  effects: ["create", "list", "get", "update", "patch", "delete"],
  streams: ["listAll"]
})

/**
 * Calls `create` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const create = methods.create

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
 * Calls `update` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const update = methods.update

/**
 * Calls `patch` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const patch = methods.patch

/**
 * Calls `delete` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
const delete_ = methods.delete

/**
 * Calls `listAll` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const listAll = methods.listAll

const documentsMethods = accessors(
  Libraries,
  {
    effects: [
      "upload",
      "list",
      "get",
      "update",
      "patch",
      "delete",
      "status",
      "textContent",
      "signedUrl",
      "extractedTextSignedUrl",
      "reprocess"
    ],
    streams: ["listAll"]
  },
  (service: Service) => service.documents
)

/**
 * The methods of `documents` on the service in context (`Libraries.documents.list(…)`).
 *
 * @since 0.2.0
 * @category accessors
 */
export const documents = documentsMethods

const accessesMethods = accessors(
  Libraries,
  { effects: ["list", "share", "delete"], streams: [] },
  (service: Service) => service.accesses
)

/**
 * The methods of `accesses` on the service in context (`Libraries.accesses.list(…)`).
 *
 * @since 0.2.0
 * @category accessors
 */
export const accesses = accessesMethods

export {
  /**
   * Calls `delete` on the service in context.
   *
   * @since 0.2.0
   * @category accessors
   */
  delete_ as delete
}
