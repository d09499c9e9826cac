import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fifo } from './fifo.js';

describe('Fifo', () => {
  it('keeps order across growth and wrap-around (model: an array)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer(), fc.constant<'shift'>('shift')), { maxLength: 400 }),
        (ops) => {
          const q = new Fifo<number>();
          const model: number[] = [];
          for (const op of ops) {
            if (op === 'shift') expect(q.shift()).toBe(model.shift());
            else {
              q.push(op);
              model.push(op);
            }
            expect(q.size).toBe(model.length);
            expect(q.peek()).toBe(model[0]);
          }
          const rest: number[] = [];
          q.drain((x) => rest.push(x));
          expect(rest).toEqual(model);
          expect(q.size).toBe(0);
        },
      ),
    );
  });
});
