/**
 * Counts the database commands the node's client sends, per command and collection, for
 * `/flux/stats`: the harness can prove that a refused request cost the node no database read.
 */
import type { CommandStartedEvent, MongoClient } from 'mongodb';

export class CommandCounter {
  readonly #counts = new Map<string, number>();

  /** The client must be created with `monitorCommands: true`. */
  attach(client: MongoClient): void {
    client.on('commandStarted', (event) => this.#count(event));
  }

  /** `"<command> <database>.<collection>"` (or `"<command> <database>"`) -> commands sent. */
  get counts(): Record<string, number> {
    return Object.fromEntries([...this.#counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  #count(event: CommandStartedEvent): void {
    const target = event.command[event.commandName];
    const where = typeof target === 'string' ? `${event.databaseName}.${target}` : event.databaseName;
    const key = `${event.commandName} ${where}`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }
}
