import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyedStateBackend, NumberMinHeap, TimerService } from '../../src/core/index.js';

describe('keyed state', () => {
  it('scopes value, list and map state by the current key and a namespace', () => {
    const b = new KeyedStateBackend();
    const v = b.value<number>('v');
    const l = b.list<string>('l');
    const m = b.map<string, number>('m');
    b.setCurrentKey('k1');
    v.update(1);
    v.update(10, 'w1');
    l.add('a');
    l.add('b');
    m.put('x', 1);
    b.setCurrentKey('k2');
    expect(v.get()).toBeUndefined();
    expect(l.get()).toEqual([]);
    v.update(2);
    b.setCurrentKey('k1');
    expect(v.get()).toBe(1);
    expect(v.get('w1')).toBe(10);
    expect(l.get()).toEqual(['a', 'b']);
    expect(m.get('x')).toBe(1);
    expect([...v.namespaces()]).toEqual([0, 'w1']);
  });

  it('frees a key row when its last namespace is cleared', () => {
    const b = new KeyedStateBackend();
    const v = b.value<number>('v');
    b.setCurrentKey('k');
    v.update(1, 1);
    v.update(2, 2);
    v.clear(1);
    expect(b.entryCount()).toBe(1);
    v.clear(2);
    expect(b.entryCount()).toBe(0);
    expect([...b.keys('v')]).toEqual([]);
  });

  it('refuses access with no current key', () => {
    const b = new KeyedStateBackend();
    expect(() => b.value('v').get()).toThrow(/no current key/);
  });

  it('round-trips every kind of state through a JSON snapshot', () => {
    const b = new KeyedStateBackend();
    b.setCurrentKey('k');
    b.value<{ n: number }>('v').update({ n: 3 }, 7);
    b.list<number>('l').add(5);
    b.map<string, number>('m').put('a', 1);
    const json = JSON.parse(JSON.stringify(b.snapshot())) as ReturnType<KeyedStateBackend['snapshot']>;
    const c = new KeyedStateBackend();
    c.restore(json);
    c.setCurrentKey('k');
    expect(c.value('v').get(7)).toEqual({ n: 3 });
    expect(c.list('l').get()).toEqual([5]);
    expect(c.map<string, number>('m').get('a')).toBe(1);
  });
});

describe('timers', () => {
  it('fires event-time timers in timestamp order, registration order within a timestamp, once per (key, namespace, ts)', () => {
    let current: string | number = '';
    const t = new TimerService((k) => (current = k));
    const fired: string[] = [];
    const target = { onTimer: (_d: string, k: string | number, ns: string | number, ts: number) => fired.push(`${k}/${ns}@${ts}:${current}`) };
    t.registerEventTimer('b', 0, 20);
    t.registerEventTimer('a', 0, 10);
    t.registerEventTimer('c', 1, 20);
    t.registerEventTimer('a', 0, 10); // duplicate
    t.registerEventTimer('d', 0, 30);
    t.deleteEventTimer('d', 0, 30);
    t.advanceWatermark(25, target);
    expect(fired).toEqual(['a/0@10:a', 'b/0@20:b', 'c/1@20:c']);
    t.advanceWatermark(100, target);
    expect(fired).toHaveLength(3);
    expect(t.eventTimers.size).toBe(0);
  });

  it('fires timers registered while firing when they are already due', () => {
    const t = new TimerService(() => {});
    const fired: number[] = [];
    const target = {
      onTimer: (_d: string, _k: string | number, _ns: string | number, ts: number) => {
        fired.push(ts);
        if (ts === 10) t.registerEventTimer('x', 0, 15);
      },
    };
    t.registerEventTimer('x', 0, 10);
    t.advanceWatermark(20, target);
    expect(fired).toEqual([10, 15]);
  });

  it('keeps processing-time timers apart and snapshots both domains', () => {
    const t = new TimerService(() => {});
    t.registerProcessingTimer('p', 0, 1_000);
    t.registerEventTimer('e', 0, 5);
    const snap = t.snapshot();
    const u = new TimerService(() => {});
    u.restore(snap, 0);
    const fired: string[] = [];
    const target = { onTimer: (d: string, k: string | number) => fired.push(`${d}:${k}`) };
    u.advanceWatermark(10, target);
    u.advanceProcessingTime(999, target);
    u.advanceProcessingTime(1_000, target);
    expect(fired).toEqual(['event:e', 'processing:p']);
  });

  it('min-heap pops in sorted order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 })), (xs) => {
        const h = new NumberMinHeap();
        for (const x of xs) h.push(x);
        const out: number[] = [];
        for (let v = h.pop(); v !== undefined; v = h.pop()) out.push(v);
        expect(out).toEqual([...xs].sort((a, b) => a - b));
      }),
    );
  });
});
