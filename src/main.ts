#!/usr/bin/env node
/**
 * The `perch` command line: start the server, manage accounts, check a
 * config file and manage accounts' room memberships. Every failure is reported as a single `perch: ...` line on
 * stderr with exit code 1, so it reads well in a terminal and in service logs.
 */

import { createInterface } from 'node:readline';
import { Command } from 'commander';
import { openAccounts } from './core/accounts.js';
import { ConfigError, loadConfig, type PerchConfig } from './core/config/config.js';
import { createLogger, type Logger } from './core/log.js';
import { startServer } from './core/server.js';
import { packageVersion } from './core/package-version.js';
import { roomsCommand } from './modules/account-rooms/cli.js';

/** An expected failure whose message is already fit for the user. */
class CliError extends Error {}

type Accounts = Awaited<ReturnType<typeof openAccounts>>['accounts'];

const CONFIG_FLAGS = '-c, --config <file>';
const CONFIG_HELP = 'config file (default: $PERCH_CONFIG, else built-in defaults)';

// ---------------------------------------------------------------- start

async function start(configFile: string | undefined): Promise<void> {
  try {
    const config = await loadConfig(configFile);
    const log = createLogger(config.log.level);
    const server = await startServer(config, log);
    stopOnSignals(server, log);
  } catch (err) {
    process.stderr.write(`perch: cannot start: ${startFailure(err)}\n`);
    // Exit hard: a half-started server may still hold sockets open.
    process.exit(1);
  }
}

/** First SIGTERM/SIGINT stops gracefully; a second one means "now". */
function stopOnSignals(server: { stop(reason?: string): Promise<void> }, log: Logger): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal, exiting immediately');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    server.stop(`received ${signal}`).then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

function startFailure(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  const where = e.port === undefined ? e.address : hostPort(e.address ?? '0.0.0.0', e.port);
  if (e.code === 'EADDRINUSE') return `${where} is already in use`;
  if (e.code === 'EACCES' && where) return `permission denied listening on ${where}`;
  if (e.code === 'EADDRNOTAVAIL' && where) return `address ${where} is not available on this machine`;
  return err instanceof Error ? err.message : String(err);
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

// ---------------------------------------------------------------- user

async function withAccounts(
  configFile: string | undefined,
  fn: (accounts: Accounts, config: PerchConfig) => Promise<void>,
): Promise<void> {
  const config = await loadConfig(configFile);
  const { accounts, close } = await openAccounts(config);
  try {
    await fn(accounts, config);
  } finally {
    await close();
  }
}

/** `user@domain`, domain lowercased and required to be one of ours. */
function bareJid(input: string, config: PerchConfig): string {
  const at = input.indexOf('@');
  if (at <= 0 || at !== input.lastIndexOf('@') || input.includes('/')) {
    throw new CliError(`${input} is not a bare JID (expected user@domain)`);
  }
  return `${input.slice(0, at)}@${ourDomain(input.slice(at + 1), config)}`;
}

function ourDomain(input: string, config: PerchConfig): string {
  const domain = input.toLowerCase().replace(/\.$/, '');
  if (!config.hosts.includes(domain)) throw new CliError(`${domain} is not a host of this server`);
  return domain;
}

async function password(given: string | undefined): Promise<string> {
  const value = given ?? (process.stdin.isTTY ? await promptHidden('Password: ') : await firstLine());
  if (value === '') throw new CliError('password must not be empty');
  return value;
}

/** First line of piped stdin (empty at EOF); readline strips the newline. */
async function firstLine(): Promise<string> {
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
  try {
    for await (const line of rl) return line;
    return '';
  } finally {
    rl.close();
  }
}

/** Read a line from the terminal without echoing it. */
function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let chars: string[] = [];
    const finish = (err?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(chars.join(''));
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
        if (ch === '\u0003') return finish(new CliError('cancelled'));
        if (ch === '\u007f' || ch === '\b') chars = chars.slice(0, -1);
        else chars.push(ch);
      }
    };
    // Raw mode first, so nothing typed right after the prompt is echoed.
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    process.stderr.write(prompt);
    stdin.on('data', onData);
    stdin.resume();
  });
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

type ConfigOption = { config?: string };

const userAdd = (jid: string, pw: string | undefined, opts: ConfigOption) =>
  withAccounts(opts.config, async (accounts, config) => {
    const bare = bareJid(jid, config);
    const secret = await password(pw);
    await accounts.create(bare, secret).catch((err: unknown) => {
      throw (err as { code?: unknown }).code === 'exists' ? new CliError(`${bare} already exists`) : err;
    });
    say(`created ${bare}`);
  });

const userDel = (jid: string, opts: ConfigOption) =>
  withAccounts(opts.config, async (accounts, config) => {
    const bare = bareJid(jid, config);
    if (!(await accounts.delete(bare))) throw new CliError(`no such user ${bare}`);
    say(`deleted ${bare}`);
  });

const userPasswd = (jid: string, pw: string | undefined, opts: ConfigOption) =>
  withAccounts(opts.config, async (accounts, config) => {
    const bare = bareJid(jid, config);
    if (!(await accounts.setPassword(bare, await password(pw)))) throw new CliError(`no such user ${bare}`);
    say(`password changed for ${bare}`);
  });

const userList = (domain: string | undefined, opts: ConfigOption) =>
  withAccounts(opts.config, async (accounts, config) => {
    const domains = domain === undefined ? config.hosts : [ourDomain(domain, config)];
    for (const d of domains) for (const jid of await accounts.list(d)) say(jid);
  });

function userCommand(): Command {
  const user = new Command('user').description('manage accounts');
  const sub = (usage: string, description: string) =>
    user.command(usage).description(description).option(CONFIG_FLAGS, CONFIG_HELP);
  sub('add <jid> [password]', 'create an account (password read from stdin if omitted)').action(userAdd);
  sub('del <jid>', 'delete an account and its data').action(userDel);
  sub('passwd <jid> [password]', "change an account's password (read from stdin if omitted)").action(userPasswd);
  sub('list [domain]', 'list accounts, one bare JID per line').action(userList);
  return user;
}

// ---------------------------------------------------------------- config

function configCommand(): Command {
  const config = new Command('config').description('work with config files');
  config
    .command('check <file>')
    .description('validate a config file')
    .action(async (file: string) => {
      try {
        await loadConfig(file);
        say(`ok: ${file}`);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        process.stderr.write(`${err.message}\n`);
        process.exitCode = 1;
      }
    });
  return config;
}

// ---------------------------------------------------------------- main

function program(): Command {
  const cli = new Command('perch').description('Perch XMPP server').version(packageVersion());
  cli
    .command('start')
    .description('run the server until SIGTERM/SIGINT')
    .option(CONFIG_FLAGS, CONFIG_HELP)
    .action((opts: ConfigOption) => start(opts.config));
  cli.addCommand(userCommand());
  cli.addCommand(configCommand());
  cli.addCommand(roomsCommand());
  return cli;
}

program()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    process.stderr.write(`perch: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
