await import("effect"); await import("@effect-mistral/core"); await import("@effect-mistral/node")
const { Effect, Layer, ManagedRuntime, Redacted } = await import("effect")
const { MistralClient, MistralServices, AudioRealtime, Conversations } = await import("@effect-mistral/core")
const { UndiciTransport, NodeWebSocket, MistralNode } = await import("@effect-mistral/node")
const opts = { apiKey: Redacted.make("k"), baseUrl: process.argv[2] }
const time = async (label, layer, tag) => {
  const t = performance.now()
  const rt = ManagedRuntime.make(layer)
  await rt.runPromise(tag)
  return `${label}=${(performance.now() - t).toFixed(1)}`
}
const which = process.argv[3]
const out = []
if (which === "a") {
  out.push(await time("transport", UndiciTransport.layer(), Effect.void))
  out.push(await time("client", MistralClient.layerTransport(opts).pipe(Layer.provide(UndiciTransport.layer())), MistralClient.MistralClient))
  out.push(await time("services", MistralServices.layerTransport(opts).pipe(Layer.provide(UndiciTransport.layer())), Conversations.Conversations))
  out.push(await time("realtime", AudioRealtime.layer(opts).pipe(Layer.provide(NodeWebSocket.layer)), AudioRealtime.AudioRealtime))
  out.push(await time("full", MistralNode.layer(opts), Conversations.Conversations))
} else {
  out.push(await time("full", MistralNode.layer(opts), Conversations.Conversations))
  out.push(await time("full2", MistralNode.layer(opts), Conversations.Conversations))
}
console.log(out.join(" "))
process.exit(0)
