/**
 * S5: `node cold.js <client> <origin> [barrel]` imports one client and makes one conversation start, then exits.
 * The parent times the process from spawn to exit. With `barrel`, the effect packages are imported through their
 * index modules first, as a user writing `import { MistralNode } from "@effect-mistral/node"` would.
 *
 * `node cold.js baseline` only imports `effect` and `@effect/platform/HttpClient` and exits: the floor an Effect
 * program that makes HTTP calls pays anyway, which the barrel variant is compared with.
 */
import { clientModules, type ClientName, type MakeClient } from "./BenchClient.js"

if (process.argv[2] === "baseline") {
  await import("effect")
  await import("@effect/platform/HttpClient")
  process.exit(0)
}

const [name, origin, barrel] = process.argv.slice(2) as [ClientName, string, string | undefined]
if (barrel === "barrel") {
  await import("effect")
  await import("@effect-mistral/core")
  await import("@effect-mistral/node")
}
const { make } = (await import(clientModules[name])) as { make: MakeClient }
const client = await make(origin)
const ok = await client.sequential(1)
if (ok !== 1) {
  process.stderr.write(`${name}: the first answer is not as expected\n`)
  process.exit(1)
}
process.exit(0)
