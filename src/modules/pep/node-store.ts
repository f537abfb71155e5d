/**
 * Where an account's nodes live: each node's configuration in a map store
 * keyed by node name, and its items in an archive store (one log per
 * account, `with` set to the node name) so items keep their publication
 * order and "the last item of node N" is one indexed query.
 *
 * References: XEP-0060 §7.1.2 (persist items with their publisher), §8.4.1
 * (items removed before the node), §8.5 (purge); XEP-0163 §4.3.3 (the last
 * published item).
 */
import type { ArchiveStore, MapStore } from '../../core/storage/stores.js';
import { parseXml } from '../../core/xml/parse-one.js';
import { defaultNodeConfig, Node, type Item, type NodeConfig } from '../pubsub/index.js';

export interface StoredNode {
  config: Partial<NodeConfig>;
  created: number;
}

interface StoredItem {
  id: string;
  publisher?: string;
  xml?: string;
}

export class NodeStore {
  constructor(
    private readonly nodes: MapStore<StoredNode>,
    private readonly items: ArchiveStore,
  ) {}

  async load(user: string, name: string): Promise<Node | undefined> {
    const stored = await this.nodes.get(user, name);
    if (!stored) return undefined;
    const page = await this.items.query(user, { with: name });
    return new Node(name, defaultNodeConfig(stored.config), page.items.map((i) => toItem(i.payload, i.when)));
  }

  async exists(user: string, name: string): Promise<boolean> {
    return (await this.nodes.get(user, name)) !== undefined;
  }

  /** Every node of the account with its configuration, by name. */
  async configs(user: string): Promise<Map<string, NodeConfig>> {
    const out = new Map<string, NodeConfig>();
    for (const [name, stored] of await this.nodes.all(user)) out.set(name, defaultNodeConfig(stored.config));
    return out;
  }

  async lastItem(user: string, name: string): Promise<Item | undefined> {
    const page = await this.items.query(user, { with: name, limit: 1, reverse: true });
    const last = page.items[0];
    return last && toItem(last.payload, last.when);
  }

  async saveConfig(user: string, node: Node): Promise<void> {
    const created = (await this.nodes.get(user, node.name))?.created ?? Date.now();
    await this.nodes.set(user, node.name, { config: { ...node.config }, created });
  }

  async addItem(user: string, node: string, item: Item): Promise<void> {
    const stored: StoredItem = { id: item.id, publisher: item.publisher, xml: item.payload?.toString() };
    await this.items.append(user, { id: archiveId(node, item.id), when: item.published, with: node, payload: JSON.stringify(stored) });
  }

  async removeItems(user: string, node: string, items: Item[]): Promise<void> {
    if (items.length === 0) return;
    await this.items.delete(user, { with: node, ids: items.map((i) => archiveId(node, i.id)) });
  }

  async removeAllItems(user: string, node: string): Promise<void> {
    await this.items.delete(user, { with: node });
  }

  async deleteNode(user: string, node: string): Promise<void> {
    await this.removeAllItems(user, node);
    await this.nodes.delete(user, node);
  }

  async deleteUser(user: string): Promise<void> {
    await this.items.deleteAll(user);
    await this.nodes.deleteAll(user);
  }
}

/** Item ids are unique per node, archive ids per account: the pair is encoded unambiguously. */
function archiveId(node: string, id: string): string {
  return JSON.stringify([node, id]);
}

function toItem(payload: string, published: number): Item {
  const stored = JSON.parse(payload) as StoredItem;
  return { id: stored.id, publisher: stored.publisher, payload: stored.xml === undefined ? undefined : parseXml(stored.xml), published };
}
