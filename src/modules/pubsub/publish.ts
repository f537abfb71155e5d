/**
 * The publish use case as one pure step: check the item, satisfy or refuse
 * the publish-options, auto-create the node when it does not exist, then
 * publish into it.
 *
 * References: XEP-0060 §7.1 (publish), §7.1.4 (auto-create), §7.1.5
 * (publishing options); XEP-0163 §3 (PEP services MUST auto-create);
 * XEP-0223 §4 (private data published with options).
 */
import type { Element } from '../../core/xml/element.js';
import { capacity, checkPreconditions, configFromOptions, type NodeConfig, type ServiceLimits } from './config.js';
import { checkPayloadType, type PublishedItem } from './item-xml.js';
import { Node, type PublishResult } from './node.js';

export interface PublishRequest {
  node: string;
  item: PublishedItem;
  /** publish-options fields (FORM_TYPE removed), if any. */
  options?: Map<string, string[]>;
  publisher?: string;
  now: number;
}

export interface PublishOutcome extends PublishResult {
  node: Node;
  created: boolean;
}

export function publishToNode(
  existing: Node | undefined,
  request: PublishRequest,
  defaults: NodeConfig,
  limits: ServiceLimits,
): PublishOutcome {
  const options = request.options ?? new Map<string, string[]>();
  let node = existing;
  if (node) checkPreconditions(node.config, options, limits);
  else node = new Node(request.node, configFromOptions(defaults, options, limits));
  checkPayloadType(node.config, request.item.payload);
  const item = { id: request.item.id, payload: request.item.payload, publisher: request.publisher, published: request.now };
  const result = node.publish(item, capacity(node.config, limits));
  return { ...result, node, created: existing === undefined };
}

/** Whether an item's payload changed (a republished identical bookmark need not notify anyone). */
export function samePayload(a: Element | undefined, b: Element | undefined): boolean {
  return (a?.toString() ?? '') === (b?.toString() ?? '');
}
