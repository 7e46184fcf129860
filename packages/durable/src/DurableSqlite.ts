/**
 * The embedded default for one machine: the workflow engine of `@effect/cluster` on a single runner whose messages,
 * replies and shard locks live in one SQLite file (`@effect/sql-sqlite-node`).
 *
 * @since 0.1.0
 */
import * as ClusterWorkflowEngine from "@effect/cluster/ClusterWorkflowEngine"
import type * as ShardingConfig from "@effect/cluster/ShardingConfig"
import * as SingleRunner from "@effect/cluster/SingleRunner"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import type * as SqlError from "@effect/sql/SqlError"
import type * as WorkflowEngine from "@effect/workflow/WorkflowEngine"
import type * as ConfigError from "effect/ConfigError"
import * as Layer from "effect/Layer"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The database file; created when missing. */
  readonly filename: string
  /**
   * Settings of the runner. The defaults here differ from the cluster's in one place: unprocessed messages are looked
   * for every second (`entityMessagePollInterval`), so that a run resumes within a second or two of a restart.
   */
  readonly shardingConfig?: Partial<ShardingConfig.ShardingConfig["Type"]> | undefined
}

/**
 * Resume promptly after a restart: the cluster's default looks for unprocessed messages every 10 seconds.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultShardingConfig: Partial<ShardingConfig.ShardingConfig["Type"]> = {
  entityMessagePollInterval: "1 second"
}

/**
 * The workflow engine over a SQLite file.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<WorkflowEngine.WorkflowEngine, ConfigError.ConfigError | SqlError.SqlError> =>
  ClusterWorkflowEngine.layer.pipe(
    Layer.provide(
      SingleRunner.layer({
        runnerStorage: "sql",
        shardingConfig: { ...defaultShardingConfig, ...options.shardingConfig }
      })
    ),
    Layer.provide(SqliteClient.layer({ filename: options.filename }))
  )
