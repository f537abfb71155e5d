/**
 * Parses one serialised element (a stored stanza) back into the element
 * model, with the same restricted-XML rules as streams.
 */
import type { Element } from './element.js';
import { StreamParser } from './parser.js';

export function parseXml(text: string, maxSize = 16 * 1024 * 1024): Element | undefined {
  let result: Element | undefined;
  let failed = false;
  const parser = new StreamParser(
    {
      onStreamStart: () => {},
      onStanza: (el) => {
        result ??= el;
      },
      onStreamEnd: () => {},
      onError: () => {
        failed = true;
      },
    },
    { maxStanzaSize: maxSize, framing: 'fragments' },
  );
  parser.write(text);
  return failed ? undefined : result;
}
