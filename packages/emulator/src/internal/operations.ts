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
  ["GET", /^\/v1\/models\/[^/]+$/, "retrieve_model_v1_models__model_id__get", false]
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
