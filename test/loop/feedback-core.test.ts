import { describe, expect, it } from 'vitest';
import { OUTCOME_FIELD, feedbackKey, outcomeErrors } from '../../functions/fusion/loop/feedback.js';
import { TASKS } from '../../functions/fusion/tasks/task.js';

const outcome = { label: { label: 'a' }, value: { value: 1.5 }, labels: { labels: ['a', 'b'] } };

describe('feedback checked against its decision’s task', () => {
  it('should accept exactly the outcome field of each task and refuse the other two at their own path', () => {
    for (const task of TASKS)
      for (const [field, body] of Object.entries(outcome)) {
        const errors = outcomeErrors({ decisionId: 'd', ...body }, task);
        if (field === OUTCOME_FIELD[task]) expect(errors, `${task} ${field}`).toEqual([]);
        else {
          expect(errors.map((e) => e.path), `${task} ${field}`).toEqual([field]);
          expect(errors[0]!.message).toContain(`give its outcome as "${OUTCOME_FIELD[task]}"`);
        }
      }
  });

  it('should check nothing against a task this build does not know', () => {
    expect(outcomeErrors({ decisionId: 'd', value: 1 }, 'ranking')).toEqual([]);
  });

  it('should key feedback by id and source, so a repeat replaces and another source adds', () => {
    expect(feedbackKey({ decisionId: 'd', source: 'a' })).toBe(feedbackKey({ decisionId: 'd', source: 'a' }));
    expect(feedbackKey({ decisionId: 'd' })).toBe(feedbackKey({ decisionId: 'd', source: 'default' }));
    expect(feedbackKey({ decisionId: 'd', source: 'a' })).not.toBe(feedbackKey({ decisionId: 'd', source: 'b' }));
    expect(feedbackKey({ decisionId: 'x' })).not.toBe(feedbackKey({ joinId: 'x' }));
  });
});
