/**
 * The publish-subscribe core: nodes, items, configuration, access and the
 * error registry, as plain logic with no I/O. PEP (and later a standalone
 * pubsub component) build their stanza handling and storage on it.
 *
 * References: XEP-0060 (the parts PEP uses); XEP-0163; XEP-0223.
 */
export * from './namespaces.js';
export * from './errors.js';
export * from './data-form.js';
export * from './config.js';
export * from './node.js';
export * from './access.js';
export * from './item-xml.js';
export * from './publish.js';
