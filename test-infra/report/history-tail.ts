/**
 * Follows history JSONL files that other processes are writing (the e2e suites run in vitest
 * child processes) and offers their entries as a HistorySource, in the order they were read.
 *
 * Each file's directory is watched (fs.watch works before the file exists, and survives it being
 * replaced); on a change, the bytes appended since the last read are read, and complete lines are
 * parsed; a cut last line waits for its end. A slow rescan backs up fs.watch, which may coalesce or
 * (on some file systems) drop notifications. Bad lines are reported through `onError`, never thrown.
 *
 * The entries are kept as written, stamps included; appending them to a History would restamp
 * them with the reader's clock.
 */
import { type FSWatcher, watch } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { HistoryEntry } from '../observe/history.js';
import { parseHistoryLine } from './history-lines.js';
import type { HistorySource } from './history-source.js';

export class HistoryTailError extends Error {
  override readonly name = 'HistoryTailError';
}

export interface HistoryTailOptions {
  onError?: (error: HistoryTailError) => void;
  /** Rescan period backing up fs.watch. */
  rescanMs?: number;
}

const NEWLINE = 0x0a;
const READ_CHUNK = 1 << 20;

interface FollowedFile {
  readonly path: string;
  watcher?: FSWatcher;
  offset: number;
  line: number;
  remainder: Buffer;
  /** The read in flight, if any; `again` asks it for one more pass to the end of the file. */
  reading?: Promise<void>;
  again: boolean;
}

export class HistoryTail implements HistorySource {
  readonly #entries: HistoryEntry[] = [];
  readonly #listeners = new Set<(entry: HistoryEntry) => void>();
  readonly #files = new Map<string, FollowedFile>();
  readonly #options: HistoryTailOptions;
  readonly #rescan: NodeJS.Timeout;
  #closed = false;

  constructor(options: HistoryTailOptions = {}) {
    this.#options = options;
    this.#rescan = setInterval(() => {
      for (const file of this.#files.values()) void this.#read(file);
    }, options.rescanMs ?? 2_000);
    this.#rescan.unref();
  }

  /** Starts following `path` (which may not exist yet; its directory must). Following twice is a no-op. */
  follow(path: string): void {
    const absolute = resolve(path);
    if (this.#closed) throw new HistoryTailError(`follow ${absolute}: the tail is closed`);
    if (this.#files.has(absolute)) return;
    const name = basename(absolute);
    const file: FollowedFile = { path: absolute, offset: 0, line: 0, remainder: Buffer.alloc(0), again: false };
    try {
      file.watcher = watch(dirname(absolute), (_event, changed) => {
        if (changed === null || changed === name) void this.#read(file);
      });
    } catch (error) {
      throw new HistoryTailError(`follow ${absolute}: cannot watch its directory (${(error as Error).message})`);
    }
    file.watcher.on('error', (error) => this.#report(`${absolute}: watch failed (${error.message})`));
    this.#files.set(absolute, file);
    void this.#read(file);
  }

  entries(): readonly HistoryEntry[] {
    return this.#entries;
  }

  subscribe(listener: (entry: HistoryEntry) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Resolves once no read is running or queued: every byte on disk at call time has been read. */
  async drain(): Promise<void> {
    await Promise.all(
      [...this.#files.values()].map(async (file) => {
        // A pass already past its last stat would miss bytes written since: wait it out, then read afresh.
        while (file.reading) await file.reading;
        await this.#read(file);
      }),
    );
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#rescan);
    for (const file of this.#files.values()) file.watcher?.close();
    this.#files.clear();
    this.#listeners.clear();
  }

  /** One read in flight per file; a change during a read asks it for one more pass. */
  #read(file: FollowedFile): Promise<void> {
    if (file.reading) {
      file.again = true;
      return file.reading;
    }
    const pass = async () => {
      do {
        file.again = false;
        await this.#readAppended(file).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') this.#report(`${file.path}: read failed (${error.message})`);
        });
      } while (file.again && !this.#closed);
    };
    file.reading = pass().finally(() => {
      file.reading = undefined;
    });
    return file.reading;
  }

  async #readAppended(file: FollowedFile): Promise<void> {
    const handle = await open(file.path, 'r');
    try {
      const { size } = await handle.stat();
      if (size < file.offset) {
        // Truncated or replaced: start over rather than read from the middle of a line.
        this.#report(`${file.path}: shrank from ${file.offset} to ${size} bytes; reading it again from the start`);
        Object.assign(file, { offset: 0, line: 0, remainder: Buffer.alloc(0) });
      }
      while (file.offset < size && !this.#closed) {
        const buffer = Buffer.alloc(Math.min(READ_CHUNK, size - file.offset));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, file.offset);
        if (bytesRead === 0) break;
        file.offset += bytesRead;
        this.#consume(file, buffer.subarray(0, bytesRead));
      }
    } finally {
      await handle.close();
    }
  }

  #consume(file: FollowedFile, chunk: Buffer): void {
    const data = file.remainder.length > 0 ? Buffer.concat([file.remainder, chunk]) : chunk;
    const last = data.lastIndexOf(NEWLINE);
    if (last < 0) {
      file.remainder = Buffer.from(data);
      return;
    }
    file.remainder = Buffer.from(data.subarray(last + 1));
    for (const line of data.subarray(0, last).toString('utf8').split('\n')) {
      file.line += 1;
      if (line.trim() === '') continue;
      let entry: HistoryEntry;
      try {
        entry = parseHistoryLine(line);
      } catch (error) {
        this.#report(`${file.path}:${file.line}: ${(error as Error).message}`);
        continue;
      }
      this.#entries.push(entry);
      for (const listener of this.#listeners) listener(entry);
    }
  }

  #report(message: string): void {
    this.#options.onError?.(new HistoryTailError(message));
  }
}
