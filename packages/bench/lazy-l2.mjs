await import("effect"); await import("@effect-mistral/core"); await import("@effect-mistral/node")
const { Effect, ManagedRuntime, Redacted } = await import("effect")
const { Conversations } = await import("@effect-mistral/core")
const { MistralNode } = await import("@effect-mistral/node")
const opts = { apiKey: Redacted.make("k"), baseUrl: process.argv[2] }
const out = []
for (let i = 0; i < 30; i++) {
  const t = performance.now()
  const rt = ManagedRuntime.make(MistralNode.layer(opts))
  await rt.runPromise(Conversations.Conversations)
  out.push((performance.now() - t).toFixed(1))
  await rt.dispose()
}
console.log(out.join(" "))
process.exit(0)
