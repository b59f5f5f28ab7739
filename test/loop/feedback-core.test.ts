import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../../functions/fusion/errors.js';
import { OUTCOME_FIELD, feedbackKey, feedbackLine, outcomeErrors } from '../../functions/fusion/loop/feedback.js';
import { fileSink } from '../../functions/loop/feedback-sink.js';
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

describe('the local feedback sink', () => {
  it('should check nothing, rather than fail, when the decision log cannot be read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fusion-sink-'));
    try {
      const day = join(dir, 'decisions', `dt=${new Date().toISOString().slice(0, 10)}`);
      await mkdir(join(day, 'a-directory.jsonl'), { recursive: true }); // reading it fails with EISDIR
      expect(await fileSink(dir).decisionTask({ decisionId: 'd', label: 'x' })).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('should throw UnavailableError (a 503) when the store cannot be written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fusion-sink-'));
    try {
      await writeFile(join(dir, 'feedback'), 'a file where the folder should be');
      await expect(fileSink(dir).put(feedbackLine({ decisionId: 'd', label: 'x' }))).rejects.toThrow(UnavailableError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('POST /v1/feedback in the OpenAPI document', () => {
  it('should describe the 202, the 503 with Retry-After, and both "exactly one of" rules', async () => {
    const { openApiDocument } = await import('../../functions/http/openapi.js');
    const doc = openApiDocument() as { paths: Record<string, { post: { responses: Record<string, { headers?: object }> } }>; components: { schemas: Record<string, { allOf?: unknown }> } };
    const op = doc.paths['/v1/feedback']!.post;
    expect(Object.keys(op.responses).sort()).toEqual(['202', '400', '405', '413', '415', '503']);
    expect(op.responses['503']!.headers).toHaveProperty('Retry-After');
    expect(doc.components.schemas.Feedback!.allOf).toEqual([
      { oneOf: [{ required: ['decisionId'] }, { required: ['joinId'] }] },
      { oneOf: [{ required: ['label'] }, { required: ['value'] }, { required: ['labels'] }] },
    ]);
  });
});
