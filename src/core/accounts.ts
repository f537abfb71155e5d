/**
 * Accounts and their credentials. Passwords are never stored: only SCRAM
 * secrets (salt, iterations, StoredKey, ServerKey) for SHA-1 and SHA-256,
 * from which both SCRAM mechanisms and PLAIN can be verified.
 *
 * References: RFC 5802 §3 (SCRAM), RFC 7677.
 */
import { deriveScramCredentials, verifyScramPassword, type ScramCredentials, type ScramHash } from '../modules/sasl/scram.js';
import { parseJid } from './jid/jid.js';
import type { KeyValStore, StorageDriver } from './storage/stores.js';
import type { PerchConfig } from './config/config.js';
import { openStorage } from '../storage/open.js';

export interface AccountRecord {
  created: number;
  scram: { 'SHA-1': ScramCredentials; 'SHA-256': ScramCredentials };
}

export class AccountError extends Error {
  constructor(
    readonly code: 'exists' | 'not-found' | 'invalid',
    message: string,
  ) {
    super(message);
  }
}

export class Accounts {
  constructor(private readonly storage: StorageDriver) {}

  private store(domain: string): KeyValStore<AccountRecord> {
    return this.storage.keyval<AccountRecord>(domain, 'accounts');
  }

  async create(jid: string, password: string): Promise<void> {
    const { local, domain } = accountJid(jid);
    const store = this.store(domain);
    if (await store.get(local)) throw new AccountError('exists', `${local}@${domain} already exists`);
    await store.set(local, { created: Date.now(), scram: await deriveAll(password) });
  }

  /** False when there is no such account. */
  async setPassword(jid: string, password: string): Promise<boolean> {
    const { local, domain } = accountJid(jid);
    const store = this.store(domain);
    const record = await store.get(local);
    if (!record) return false;
    await store.set(local, { ...record, scram: await deriveAll(password) });
    return true;
  }

  /** Deletes the account and all of its data on that host. */
  async delete(jid: string): Promise<boolean> {
    const { local, domain } = accountJid(jid);
    if (!(await this.store(domain).get(local))) return false;
    await this.storage.deleteUser(domain, local);
    return true;
  }

  async exists(local: string, domain: string): Promise<boolean> {
    return (await this.store(domain).get(local)) !== undefined;
  }

  async list(domain: string): Promise<string[]> {
    return (await this.store(domain).users()).map((local) => `${local}@${domain}`);
  }

  async credentials(local: string, domain: string, hash: ScramHash): Promise<ScramCredentials | undefined> {
    return (await this.store(domain).get(local))?.scram[hash];
  }

  /** For PLAIN: checks a password against the stored SCRAM secrets. */
  async checkPassword(local: string, domain: string, password: string): Promise<boolean> {
    const creds = await this.credentials(local, domain, 'SHA-256');
    return creds !== undefined && verifyScramPassword(password, 'SHA-256', creds);
  }
}

function accountJid(jid: string): { local: string; domain: string } {
  let parsed;
  try {
    parsed = parseJid(jid);
  } catch {
    throw new AccountError('invalid', `${jid} is not a valid JID`);
  }
  if (!parsed.local || parsed.resource) throw new AccountError('invalid', `${jid} is not a bare account JID`);
  return { local: parsed.local, domain: parsed.domain };
}

async function deriveAll(password: string): Promise<AccountRecord['scram']> {
  const [sha1, sha256] = await Promise.all([
    deriveScramCredentials(password, 'SHA-1'),
    deriveScramCredentials(password, 'SHA-256'),
  ]);
  return { 'SHA-1': sha1, 'SHA-256': sha256 };
}

/** For the CLI: accounts over the configured storage. */
export function openAccounts(config: PerchConfig): { accounts: Accounts; close(): Promise<void> } {
  const storage = openStorage(config);
  return { accounts: new Accounts(storage), close: () => storage.close() };
}
