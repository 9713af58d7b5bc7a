// What the wizard lends each cloud's questions (CloudModule.ask): prompts bound to its
// terminal, and helpers that check every answer against the answers schema as it is typed.
import type { checkbox, input, select } from '@inquirer/prompts';
import type { z } from 'zod';
import type { Choice } from './discovery.js';

/** Keys from the answers' root, e.g. ['aws', 'region']. */
export type AnswerPath = string[];

export interface QuestionKit {
  prompts: { checkbox: typeof checkbox; input: typeof input; select: typeof select };
  say(line: string): void;
  /** The answer so far at path. */
  get(path: AnswerPath): unknown;
  set(path: AnswerPath, value: unknown): void;
  /** The answer so far, or the caller's suggestion for it. */
  suggested(path: AnswerPath): unknown;
  /** Whether to ask: the answer is missing or fails its schema, or this is a fresh, full session. */
  needs(path: AnswerPath, schema: z.ZodType): boolean;
  /** An inquirer validate function from a schema: true, or the schema's own message. */
  validateWith(schema: z.ZodType): (value: unknown) => true | string;
  /** Typed input, asked when needed. */
  text(path: AnswerPath, schema: z.ZodType, message: string, fallback?: string): Promise<void>;
  /**
   * A choice list from the cloud when it has one; typed input when the lookup fails or is empty.
   * The answer so far is highlighted when offered, else the choice `prefer` ranks highest above 0.
   */
  choose(path: AnswerPath, schema: z.ZodType, message: string, lookup: () => Promise<Choice[]>, prefer?: Preference): Promise<void>;
}

/** How well a choice fits the question's role: 0 not at all, higher is better. */
export type Preference = (choice: Choice) => number;

/**
 * How plainly a resource's name says it plays a role: 2 when the role is one of its words
 * (membrane-api, ecsTaskExecutionRole's Execution), 1 when it is only inside one (guide for ui), 0 not at all.
 */
export function nameFits(name: string, role: string): number {
  const wanted = role.toLowerCase();
  const words = name.split(/[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])/).map((word) => word.toLowerCase());
  if (words.includes(wanted)) return 2;
  return name.toLowerCase().includes(wanted) ? 1 : 0;
}
