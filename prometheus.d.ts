import type { Registry } from 'prom-client';
import { Dropper, Keyspace } from './index';
/** What {@link registerMetrics} reads: each record key becomes the `dropper` or `keyspace` label. */
export interface MetricSources {
    droppers?: Record<string, Dropper>;
    keyspaces?: Record<string, Keyspace>;
}
/**
 * Registers lazyfree's metrics on a prom-client `registry`: the dropper
 * metrics when `sources.droppers` names any, the keyspace metrics when
 * `sources.keyspaces` does. The record keys become the `dropper` /
 * `keyspace` label. Values are read on each scrape; a keyspace closed since
 * is left out of the scrape.
 *
 * @throws TypeError for a registry that is not a prom-client `Registry`,
 *   or a source that is not a `Dropper` / `Keyspace` (named in the message).
 * @throws Error when lazyfree's metrics are already registered on `registry`
 *   (register every source in one call). Nothing is registered then.
 */
export declare function registerMetrics(registry: Registry, sources: MetricSources): void;
