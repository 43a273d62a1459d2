/**
 * The queue's address: redis://[user:password@]host[:port][/db] or rediss://… (TLS). The password
 * is kept out of everything this package prints: `where` is the address with the password
 * replaced by ***, and every line logged goes through redact() as well.
 */
import type { Redis, RedisOptions } from 'ioredis';

/** A --queue value that is not a Redis URL; the message never contains the password. */
export class QueueUrlError extends Error {}

export interface QueueAddress {
  /** What ioredis is given (host, port, db, username, password, tls). */
  options: RedisOptions;
  /** The address to show: redis://user:***@host:port/db. */
  where: string;
  /** The password (and its URL-encoded form), for redact(). */
  secrets: string[];
}

const DEFAULT_PORT = 6379;

export function parseQueueUrl(url: string): QueueAddress {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new QueueUrlError('--queue needs a Redis URL such as redis://host:6379 or rediss://:password@host:6380');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new QueueUrlError(`--queue needs a redis:// or rediss:// URL, got a ${u.protocol.replace(/:$/, '')}: URL`);
  if (!u.hostname) throw new QueueUrlError('--queue: the URL names no host');
  const port = u.port ? Number(u.port) : DEFAULT_PORT;
  const dbText = u.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d+$/.test(dbText)) throw new QueueUrlError(`--queue: the database after the host must be a number, got /${dbText}`);
  if (u.search || u.hash) throw new QueueUrlError('--queue: the URL takes no ?query or #fragment');
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1'); // IPv6 literals come in brackets
  const password = decodeURIComponent(u.password);
  const username = decodeURIComponent(u.username);
  const options: RedisOptions = { host, port };
  if (dbText) options.db = Number(dbText);
  if (username) options.username = username;
  if (password) options.password = password;
  // TLS with Node's default checks (the system's CAs plus NODE_EXTRA_CA_CERTS), the host as the server name.
  if (u.protocol === 'rediss:') options.tls = /^[\d.]+$|:/.test(host) ? {} : { servername: host };
  const auth = username || password ? `${username ? encodeURIComponent(username) : ''}${password ? ':***' : ''}@` : '';
  const where = `${u.protocol}//${auth}${u.hostname}:${port}${dbText ? `/${dbText}` : ''}`;
  const secrets = password ? [...new Set([password, u.password])].filter((s) => s.length > 0) : [];
  return { options, where, secrets };
}

/** `text` with every occurrence of the address's password replaced by ***. */
export function redact(text: string, addr: Pick<QueueAddress, 'secrets'>): string {
  let out = text;
  for (const s of addr.secrets) out = out.split(s).join('***');
  return out;
}

/** The reason an ioredis error gives, without a stack and without the password. */
export function reasonOf(e: unknown, addr: QueueAddress): string {
  const msg = e instanceof Error ? e.message || e.name : String(e);
  return redact(msg, addr);
}

/**
 * A connection that reconnects for ever (every 0.2 s … 2 s) and keeps commands waiting meanwhile
 * (maxRetriesPerRequest: null, which BullMQ's blocking connections need anyway): a Redis restart
 * only pauses the sweep. `onState` hears about losing and regaining the connection.
 */
export async function connect(addr: QueueAddress, name: string, onState?: (up: boolean, reason?: string) => void): Promise<Redis> {
  const { Redis: IORedis } = await import('ioredis');
  const client = new IORedis({
    ...addr.options,
    connectionName: name,
    maxRetriesPerRequest: null,
    lazyConnect: true,
    retryStrategy: (times: number) => Math.min(200 * times, 2000),
  });
  let up = false;
  let lost = false;
  let lastReason: string | undefined;
  client.on('error', (e: unknown) => {
    lastReason = reasonOf(e, addr); // the 'close' below reports it; no unhandled 'error' event
  });
  client.on('ready', () => {
    if (lost) onState?.(true);
    up = true;
    lost = false;
  });
  client.on('close', () => {
    if (up) onState?.(false, lastReason);
    if (up) lost = true;
    up = false;
  });
  return client;
}

/**
 * Opens `client` and checks that the server answers (within `timeoutMs`); otherwise throws an
 * Error that says why (refused, wrong password, TLS) and names the address without its password.
 */
export async function ensureReachable(client: Redis, addr: QueueAddress, timeoutMs = 10_000): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastReason = '';
  const onError = (e: unknown): void => {
    lastReason = reasonOf(e, addr);
  };
  client.on('error', onError);
  try {
    await Promise.race([
      (async () => {
        await client.connect();
        await client.ping();
      })(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
  } catch (e) {
    client.disconnect();
    const why = reasonOf(e, addr);
    throw new Error(`cannot use Redis at ${addr.where}: ${lastReason && !why.includes(lastReason) ? `${why} (${lastReason})` : why}`);
  } finally {
    clearTimeout(timer);
    client.off('error', onError);
  }
}
