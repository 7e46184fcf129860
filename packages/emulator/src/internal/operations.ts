/** Which operation of the API document a request is, for fault matching and the request log. */
const table: ReadonlyArray<readonly [method: string, path: RegExp, operationId: string, streams: boolean]> = [
  ["POST", /^\/v1\/conversations$/, "agents_api_v1_conversations_start", true],
  ["GET", /^\/v1\/conversations$/, "agents_api_v1_conversations_list", false],
  ["GET", /^\/v1\/conversations\/[^/]+$/, "agents_api_v1_conversations_get", false],
  ["DELETE", /^\/v1\/conversations\/[^/]+$/, "agents_api_v1_conversations_delete", false],
  ["POST", /^\/v1\/conversations\/[^/]+$/, "agents_api_v1_conversations_append", true],
  ["GET", /^\/v1\/conversations\/[^/]+\/history$/, "agents_api_v1_conversations_history", false],
  ["GET", /^\/v1\/conversations\/[^/]+\/messages$/, "agents_api_v1_conversations_messages", false],
  ["POST", /^\/v1\/conversations\/[^/]+\/restart$/, "agents_api_v1_conversations_restart", true],
  ["POST", /^\/v1\/agents$/, "agents_api_v1_agents_create", false],
  ["GET", /^\/v1\/agents$/, "agents_api_v1_agents_list", false],
  ["GET", /^\/v1\/agents\/[^/]+$/, "agents_api_v1_agents_get", false],
  ["PATCH", /^\/v1\/agents\/[^/]+$/, "agents_api_v1_agents_update", false],
  ["DELETE", /^\/v1\/agents\/[^/]+$/, "agents_api_v1_agents_delete", false],
  ["GET", /^\/v1\/models$/, "list_models_v1_models_get", false],
  ["GET", /^\/v1\/models\/[^/]+$/, "retrieve_model_v1_models__model_id__get", false],
  ["DELETE", /^\/v1\/models\/[^/]+$/, "delete_model_v1_models__model_id__delete", false],
  ["PATCH", /^\/v1\/fine_tuning\/models\/[^/]+$/, "jobs_api_routes_fine_tuning_update_fine_tuned_model", false],
  [
    "POST",
    /^\/v1\/fine_tuning\/models\/[^/]+\/archive$/,
    "jobs_api_routes_fine_tuning_archive_fine_tuned_model",
    false
  ],
  [
    "DELETE",
    /^\/v1\/fine_tuning\/models\/[^/]+\/archive$/,
    "jobs_api_routes_fine_tuning_unarchive_fine_tuned_model",
    false
  ],
  // chat and FIM completions declare their streamed answer on the same operation
  ["POST", /^\/v1\/chat\/completions$/, "chat_completion_v1_chat_completions_post", false],
  ["POST", /^\/v1\/fim\/completions$/, "fim_completion_v1_fim_completions_post", false],
  ["POST", /^\/v1\/embeddings$/, "embeddings_v1_embeddings_post", false],
  ["POST", /^\/v1\/moderations$/, "moderations_v1_moderations_post", false],
  ["POST", /^\/v1\/chat\/moderations$/, "chat_moderations_v1_chat_moderations_post", false],
  ["POST", /^\/v1\/classifications$/, "classifications_v1_classifications_post", false],
  ["POST", /^\/v1\/chat\/classifications$/, "chat_classifications_v1_chat_classifications_post", false],
  ["POST", /^\/v1\/ocr$/, "ocr_v1_ocr_post", false],
  ["GET", /^\/v1\/admin\/rate-limit$/, "users_api_admin_rate_limits_get_rate_limits", false],
  ["POST", /^\/v1\/files$/, "files_api_routes_upload_file", false],
  ["GET", /^\/v1\/files$/, "files_api_routes_list_files", false],
  ["GET", /^\/v1\/files\/[^/]+$/, "files_api_routes_retrieve_file", false],
  ["DELETE", /^\/v1\/files\/[^/]+$/, "files_api_routes_delete_file", false],
  ["GET", /^\/v1\/files\/[^/]+\/content$/, "files_api_routes_download_file", false],
  ["GET", /^\/v1\/files\/[^/]+\/url$/, "files_api_routes_get_signed_url", false],
  ["POST", /^\/v1\/batch\/jobs$/, "jobs_api_routes_batch_create_batch_job", false],
  ["GET", /^\/v1\/batch\/jobs$/, "jobs_api_routes_batch_get_batch_jobs", false],
  ["GET", /^\/v1\/batch\/jobs\/[^/]+$/, "jobs_api_routes_batch_get_batch_job", false],
  ["DELETE", /^\/v1\/batch\/jobs\/[^/]+$/, "jobs_api_routes_batch_delete_batch_job", false],
  ["POST", /^\/v1\/batch\/jobs\/[^/]+\/cancel$/, "jobs_api_routes_batch_cancel_batch_job", false]
]

const wantsStream = (body: string): boolean => {
  if (!body.includes("stream")) return false
  try {
    const parsed: unknown = JSON.parse(body)
    return typeof parsed === "object" && parsed !== null && (parsed as { stream?: unknown }).stream === true
  } catch {
    return false
  }
}

/** The operation id, with the `_stream` suffix of the document for streamed calls. */
export const operationOf = (method: string, path: string, body: string): string | undefined => {
  for (const [m, pattern, operationId, streams] of table) {
    if (m === method && pattern.test(path)) {
      return streams && wantsStream(body) ? `${operationId}_stream` : operationId
    }
  }
  return undefined
}
