import { describe, expect, it } from 'vitest';
import { CatalogueViolationError, EventBus } from './event-bus.js';

const bus = (options: Partial<ConstructorParameters<typeof EventBus>[0]> = {}) =>
  new EventBus({ enabled: true, epoch: 'abc', bufferSize: 3, validate: true, ...options });

describe('EventBus', () => {
  it('numbers events <epoch>-<n> and keeps the newest bufferSize for replay', () => {
    const events = bus();
    for (let height = 1; height <= 5; height += 1) events.publish('block:processed', { height });
    expect(events.replayAfter('abc-3').map((event) => event.id)).toEqual(['abc-4', 'abc-5']);
    // Another process's id (a restart) or an unparsable one: everything buffered.
    expect(events.replayAfter('zzz-4').map((event) => event.id)).toEqual(['abc-3', 'abc-4', 'abc-5']);
    expect(events.replayAfter('garbage').map((event) => event.data)).toEqual([
      '{"height":3}',
      '{"height":4}',
      '{"height":5}',
    ]);
    expect(events.replayAfter(undefined)).toEqual([]);
  });

  it('delivers to subscribers until they unsubscribe', () => {
    const events = bus();
    const seen: string[] = [];
    const off = events.subscribe((event) => seen.push(event.name));
    events.publish('explorer:ready', { height: 1 });
    off();
    events.publish('boot:settled', {});
    expect(seen).toEqual(['explorer:ready']);
  });

  it('rejects a payload that breaks the catalogue when validating', () => {
    const events = bus();
    expect(() => events.publish('block:processed', { height: -1 })).toThrow(CatalogueViolationError);
    expect(() => events.publish('block:processed', { height: -1 })).toThrow(/height/);
  });

  it('is a no-op when disabled', () => {
    const events = bus({ enabled: false });
    const seen: string[] = [];
    events.subscribe((event) => seen.push(event.id));
    events.publish('boot:settled', {});
    expect(seen).toEqual([]);
    expect(events.replayAfter('zzz-1')).toEqual([]);
  });
});
