/**
 * Several runners on one Postgres database (`@effect/sql-pg`): each process is a runner of `@effect/cluster` that
 * serves its shards over a socket (`NodeClusterSocket`) and keeps messages, replies, runners and shard locks in
 * Postgres. When a runner dies its shards pass to the others, which resume its runs from storage.
 *
 * @since 0.1.0
 */
import * as ClusterWorkflowEngine from "@effect/cluster/ClusterWorkflowEngine"
import * as RunnerAddress from "@effect/cluster/RunnerAddress"
import type * as ShardingConfig from "@effect/cluster/ShardingConfig"
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
import type * as SocketServer from "@effect/platform/SocketServer"
import * as PgClient from "@effect/sql-pg/PgClient"
import type * as SqlError from "@effect/sql/SqlError"
import type * as WorkflowEngine from "@effect/workflow/WorkflowEngine"
import type * as ConfigError from "effect/ConfigError"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** `postgres://user@host:port/database`; a secret, never logged. */
  readonly url: Redacted.Redacted
  /** Where the other runners reach this one (and where it listens). */
  readonly runnerAddress: { readonly host: string; readonly port: number }
  /** Settings of the runner, over `defaultShardingConfig` (and the `@effect/cluster` defaults). */
  readonly shardingConfig?: Partial<ShardingConfig.ShardingConfig["Type"]> | undefined
}

/**
 * How fast a dead runner's shards move: the cluster's defaults wait 35 s for a lock to expire and 10 s between looks
 * for unprocessed messages. A runner that misses its heartbeats for 10 s is dropped and its shards reassigned.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultShardingConfig: Partial<ShardingConfig.ShardingConfig["Type"]> = {
  shardLockExpiration: "10 seconds",
  refreshAssignmentsInterval: "1 second",
  entityMessagePollInterval: "1 second",
  runnerHealthCheckInterval: "5 seconds"
}

/**
 * The workflow engine of one runner among several, over Postgres.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<
  WorkflowEngine.WorkflowEngine,
  ConfigError.ConfigError | SqlError.SqlError | SocketServer.SocketServerError
> =>
  ClusterWorkflowEngine.layer.pipe(
    Layer.provide(
      NodeClusterSocket.layer({
        storage: "sql",
        shardingConfig: {
          ...defaultShardingConfig,
          runnerAddress: Option.some(RunnerAddress.make(options.runnerAddress.host, options.runnerAddress.port)),
          ...options.shardingConfig
        }
      })
    ),
    Layer.provide(PgClient.layer({ url: options.url }))
  )

/**
 * The workflow engine of a process that runs nothing itself but starts runs, polls them and decides confirmations (a
 * web server, an admin tool): a client of the runners, through the same Postgres database.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerClient = (options: {
  readonly url: Redacted.Redacted
  readonly shardingConfig?: Partial<ShardingConfig.ShardingConfig["Type"]> | undefined
}): Layer.Layer<WorkflowEngine.WorkflowEngine, ConfigError.ConfigError | SqlError.SqlError> =>
  ClusterWorkflowEngine.layer.pipe(
    Layer.provide(
      NodeClusterSocket.layer({
        clientOnly: true,
        storage: "sql",
        shardingConfig: { ...defaultShardingConfig, runnerAddress: Option.none(), ...options.shardingConfig }
      })
    ),
    Layer.provide(PgClient.layer({ url: options.url }))
  )
