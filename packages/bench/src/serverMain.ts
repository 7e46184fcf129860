/**
 * The bench server as a child process: `node serverMain.js [events…]` prepares the stream bodies for those event
 * counts, listens on a free loopback port and sends `{ origin }` to its parent; it exits when the parent goes.
 */
import { prepare, startServer } from "./server.js"

prepare(process.argv.slice(2).map(Number).filter(Number.isInteger))
const server = await startServer()
process.send?.({ origin: server.origin })
process.on("disconnect", () => {
  void server.close().then(() => process.exit(0))
})
