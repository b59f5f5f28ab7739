import * as z from 'zod/mini';

/** What a request asks for: one class, a number, or a set of labels. */
export const TASKS = ['classification', 'regression', 'multilabel'] as const;
export type Task = (typeof TASKS)[number];

/** The `task` field of a request, batch or profile. */
export const TaskName = z.enum(TASKS, { error: `task must be one of: ${TASKS.join(', ')} (default classification)` });

/** A strategy's declared tasks; an entry that declares none is classification only. */
export function tasksOf(strategy: { tasks?: readonly Task[] }): readonly Task[] {
  return strategy.tasks ?? ['classification'];
}

/** Every task. */
export const ALL_TASKS: readonly Task[] = TASKS;
