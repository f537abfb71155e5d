/**
 * An account's virtual pubsub service: each operation loads the node,
 * applies the pure pubsub logic, stores what changed (one operation at a
 * time per account), then fires the PEP events and sends the notifications.
 * The IQ handlers and other modules (bookmarks) both go through here.
 *
 * References: XEP-0163 §3 (publishing, auto-create), §4 (notifications);
 * XEP-0060 §7.1 (publish), §7.2 (retract), §8.1 (create), §8.2
 * (configure), §8.4 (delete), §8.5 (purge); XEP-0223 (private nodes).
 */
import type { Element } from '../../core/xml/element.js';
import type { Host } from '../../core/host.js';
import { KeyedLock } from '../roster/keyed-lock.js';
import {
  applyConfigFields,
  capacity,
  configForm,
  configurationEvent,
  defaultNodeConfig,
  deleteEvent,
  Node,
  publishEvent,
  publishToNode,
  pubsubError,
  purgeEvent,
  retractEvent,
  type Item,
  type NodeConfig,
  type PublishedItem,
  type PublishOutcome,
  type ServiceLimits,
} from '../pubsub/index.js';
import type { NodeStore } from './node-store.js';
import type { Notifier } from './notifier.js';
import { replaceNodeItems } from './replace-items.js';

/** Refuses a payload by throwing (a StanzaError for the publisher). */
export type PublishCheck = (payload: Element, itemId: string) => void;

export interface PublishOptions {
  /** publish-options fields, checked as preconditions (XEP-0060 §7.1.5). */
  options?: Map<string, string[]>;
  /** Marks a change made by another module, not by a client. */
  internal?: boolean;
}

export interface PepApi {
  /** Configuration a node gets when created without one (bookmarks makes its nodes private). */
  setNodeDefaults(node: string, config: Partial<NodeConfig>): void;
  /** A check every payload published to `node` must pass. */
  addPublishCheck(node: string, check: PublishCheck): void;
  /** The node's items, oldest first; undefined when the node does not exist. */
  items(owner: string, node: string): Promise<Item[] | undefined>;
  hasNode(owner: string, node: string): Promise<boolean>;
  publish(owner: string, node: string, item: PublishedItem, options?: PublishOptions): Promise<PublishOutcome>;
  retract(owner: string, node: string, id: string, options?: { notify?: boolean; internal?: boolean }): Promise<void>;
  /** Makes the node hold exactly these items; unchanged items are left alone and not notified. */
  replaceItems(owner: string, node: string, items: PublishedItem[], options?: { internal?: boolean }): Promise<void>;
}

declare module '../../core/module/define-module.js' {
  interface ModuleExports {
    pep: PepApi;
  }
}

export class PepService implements PepApi {
  private readonly lock = new KeyedLock();
  private readonly defaults = new Map<string, Partial<NodeConfig>>();
  private readonly checks = new Map<string, PublishCheck[]>();

  constructor(
    readonly host: Host,
    readonly store: NodeStore,
    readonly notifier: Notifier,
    readonly limits: ServiceLimits,
  ) {}

  setNodeDefaults(node: string, config: Partial<NodeConfig>): void {
    this.defaults.set(node, config);
  }

  addPublishCheck(node: string, check: PublishCheck): void {
    this.checks.set(node, [...(this.checks.get(node) ?? []), check]);
  }

  defaultsFor(node: string): NodeConfig {
    return defaultNodeConfig(this.defaults.get(node));
  }

  async items(owner: string, node: string): Promise<Item[] | undefined> {
    return (await this.store.load(owner, node))?.select();
  }

  async hasNode(owner: string, node: string): Promise<boolean> {
    return this.store.exists(owner, node);
  }

  /** The node, or item-not-found (XEP-0060 §6.5.9.11, §8.2.3.5, §8.4.3.2). */
  async node(owner: string, name: string): Promise<Node> {
    const node = await this.store.load(owner, name);
    if (!node) throw pubsubError('item-not-found', `no node ${name}`);
    return node;
  }

  async publish(owner: string, node: string, item: PublishedItem, options: PublishOptions = {}): Promise<PublishOutcome> {
    this.check(node, item);
    const outcome = await this.lock.run(owner, async () => {
      const request = { node, item, options: options.options, publisher: this.bare(owner), now: Date.now() };
      const result = publishToNode(await this.store.load(owner, node), request, this.defaultsFor(node), this.limits);
      if (result.created) await this.store.saveConfig(owner, result.node);
      await this.store.removeItems(owner, node, [...(result.replaced ? [result.replaced] : []), ...result.evicted]);
      await this.store.addItem(owner, node, result.item);
      return result;
    });
    await this.published(owner, node, outcome.node.config, [outcome.item], options.internal ?? false);
    return outcome;
  }

  async retract(owner: string, node: string, id: string, options: { notify?: boolean; internal?: boolean } = {}): Promise<void> {
    const config = await this.lock.run(owner, async () => {
      const existing = await this.node(owner, node);
      await this.store.removeItems(owner, node, [existing.retract(id)]);
      return existing.config;
    });
    await this.retracted(owner, node, config, [id], options.notify ?? config.notify_retract, options.internal ?? false);
  }

  async replaceItems(owner: string, node: string, items: PublishedItem[], options: { internal?: boolean } = {}): Promise<void> {
    for (const item of items) this.check(node, item);
    const change = await this.lock.run(owner, () =>
      replaceNodeItems(this.store, owner, node, items, { defaults: this.defaultsFor(node), limits: this.limits, publisher: this.bare(owner) }),
    );
    if (!change) return;
    const internal = options.internal ?? false;
    await this.published(owner, node, change.config, change.published, internal);
    await this.retracted(owner, node, change.config, change.retracted, change.config.notify_retract, internal);
  }

  async create(owner: string, name: string, fields?: Map<string, string[]>): Promise<void> {
    await this.lock.run(owner, async () => {
      if (await this.store.load(owner, name)) throw pubsubError('node-exists', `node ${name} exists`);
      const base = this.defaultsFor(name);
      const config = fields ? applyConfigFields(base, fields, this.limits) : base;
      await this.store.saveConfig(owner, new Node(name, config));
    });
  }

  async configure(owner: string, name: string, fields: Map<string, string[]>): Promise<void> {
    const config = await this.lock.run(owner, async () => {
      const node = await this.node(owner, name);
      const next = applyConfigFields(node.config, fields, this.limits);
      const evicted = node.reconfigure(next, capacity(next, this.limits));
      await this.store.saveConfig(owner, node);
      await this.store.removeItems(owner, name, evicted);
      return next;
    });
    if (config.notify_config) {
      this.notifier.broadcast(owner, name, config, configurationEvent(name, config.deliver_payloads ? configForm(config, 'result') : undefined));
    }
  }

  async deleteNode(owner: string, name: string, internal = false): Promise<void> {
    const config = await this.lock.run(owner, async () => {
      const node = await this.node(owner, name);
      await this.store.deleteNode(owner, name);
      return node.config;
    });
    if (config.notify_delete) this.notifier.broadcast(owner, name, config, deleteEvent(name));
    await this.host.bus.fire('pep-node-deleted', { host: this.host, username: owner, node: name, internal });
  }

  async purge(owner: string, name: string, internal = false): Promise<void> {
    const config = await this.lock.run(owner, async () => {
      const node = await this.node(owner, name);
      await this.store.removeAllItems(owner, name);
      return node.config;
    });
    if (config.notify_retract) this.notifier.broadcast(owner, name, config, purgeEvent(name));
    await this.host.bus.fire('pep-node-purged', { host: this.host, username: owner, node: name, internal });
  }

  private check(node: string, item: PublishedItem): void {
    for (const check of this.checks.get(node) ?? []) check(item.payload, item.id);
  }

  private async published(owner: string, node: string, config: NodeConfig, items: Item[], internal: boolean): Promise<void> {
    for (const item of items) {
      this.notifier.broadcast(owner, node, config, publishEvent(node, [item], config));
      await this.host.bus.fire('pep-item-published', { host: this.host, username: owner, node, item, config, internal });
    }
  }

  private async retracted(owner: string, node: string, config: NodeConfig, ids: string[], notify: boolean, internal: boolean): Promise<void> {
    if (notify && ids.length > 0) this.notifier.broadcast(owner, node, config, retractEvent(node, ids));
    for (const id of ids) await this.host.bus.fire('pep-item-retracted', { host: this.host, username: owner, node, id, internal });
  }

  private bare(owner: string): string {
    return `${owner}@${this.host.name}`;
  }
}
